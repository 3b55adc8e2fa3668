//! The process's allocator, tuned for an emulator holding many long-lived clients.
//!
//! With glibc's malloc, each connection's handshake allocates buffers of 8 KiB and more (hyper's
//! read buffer) among the small allocations the client keeps for its whole life; once freed,
//! those buffers leave holes that later clients' small allocations only partly fill. Served
//! from `mmap` instead, they go back to the system whole: 10,000 idle clients measured 6.2 KiB
//! each before, 4.1 after, at the same fan-out and connect times (benches/RESULTS.md).

/// Applies the tuning; process-wide, so only `wps emulator` (which owns its process) calls it.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; any value is accepted or refused (0).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 8 * 1024);
    }
}
