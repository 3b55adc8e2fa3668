//! Giving memory back to the system once clients have gone.
//!
//! glibc's malloc returns freed memory only from the top of each arena, so after a burst of
//! clients (their queues, a reliable session's unacknowledged frames, WebSocket buffers grown
//! for large frames) the emulator would keep its peak RSS for good, the freed blocks scattered
//! between what the remaining clients hold. `malloc_trim` hands every free page of every arena
//! back. It walks the heap, so it runs only when connections have closed since the last time,
//! at most every few seconds, on the blocking pool.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};

use super::shared::stopped;

/// How often the number of open connections is looked at.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// The shortest time between two trims.
const TRIM_AT_MOST_EVERY: Duration = Duration::from_secs(5);

/// Until `stop`, trims the heap after connections close: `permits` is the accept loop's
/// connection cap of `max`, so the permits taken are the connections open.
pub(crate) async fn give_back(
    permits: Arc<Semaphore>,
    max: usize,
    mut stop: watch::Receiver<bool>,
) {
    if !can_trim() {
        return;
    }
    let open = || max.saturating_sub(permits.available_permits());
    let mut ticks = tokio::time::interval(LOOK_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The most connections open at once since the last trim: fewer now means some closed.
    let mut most = open();
    let mut last_trim = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped(&mut stop) => return,
        }
        let now = open();
        if now >= most {
            most = now;
            continue;
        }
        if last_trim.elapsed() < TRIM_AT_MOST_EVERY {
            continue;
        }
        let _ = tokio::task::spawn_blocking(trim).await;
        last_trim = tokio::time::Instant::now();
        most = open();
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn can_trim() -> bool {
    true
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn can_trim() -> bool {
    false
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only releases free pages of the allocator's own arenas; it takes
    // the arenas' locks like any allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
