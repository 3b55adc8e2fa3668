//! The `wps` binary's allocator: the system's, except that once `wps emulator` turns the pool
//! on ([`enable`]), blocks of 4 to 32 KiB come from page-sized classes of their own and are
//! reused from free lists. Other commands never turn it on: a CLI run is short, and classes
//! kept apart would only touch more pages (a megabyte more RSS and 0.2 ms for `send-all`).
//!
//! Every HTTP connection allocates a handful of such blocks (hyper's read and header buffers,
//! the connection's task, the request's future) and frees them once the request is answered
//! or the connection upgrades to a WebSocket. In the system heap they are freed between the
//! small, long-lived allocations of the session that follows, and the holes are carved up
//! instead of reused: 10,000 idle WebSocket clients cost about 6.5 KiB of RSS each against
//! 3 KiB of live heap. Kept apart, the holes are gone (benches/ANALYSIS.md). Mapping each block
//! on its own (glibc's `M_MMAP_THRESHOLD`) saves the same memory but costs a system call per
//! allocation, a quarter of the REST path's throughput; here blocks are carved in 1 MiB steps
//! from one reserved range and reused, and free blocks past a few MiB per class are given back
//! to the system (`MADV_DONTNEED`) while staying on the list. A pointer inside the range is
//! ours, any other the system's, so blocks allocated before the pool was on (or after the
//! range ran out) go back where they came from.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::{self, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

const PAGE: usize = 4096;
/// Sizes above one page up to this many pages are served here, in classes of whole pages.
const MAX_PAGES: usize = 8;
/// Each class carves its blocks from mappings of this size.
const CHUNK: usize = 1024 * 1024;
/// Free blocks each class keeps resident for reuse, in bytes; the rest are released.
const KEEP_BYTES: usize = 4 * 1024 * 1024;
/// The address range reserved for blocks (pages are committed only once touched): room for a
/// quarter of a million of the largest blocks at once; past it, the system allocator serves.
const REGION: usize = 8 << 30;

/// The reserved range, `[START, END)`; `START` is 0 until the pool is on.
static START: AtomicUsize = AtomicUsize::new(0);
static END: AtomicUsize = AtomicUsize::new(0);
/// The next chunk of the range not yet handed to a class.
static UNUSED: AtomicUsize = AtomicUsize::new(0);

/// Turns the pool on, once; false when the range cannot be reserved (then the system
/// allocator keeps serving everything). Harmless when [`Allocator`] is not the global one.
pub fn enable() -> bool {
    static ENABLING: Mutex<()> = Mutex::new(());
    let _once = ENABLING.lock().unwrap_or_else(|e| e.into_inner());
    if START.load(Ordering::Acquire) != 0 {
        return true;
    }
    // SAFETY: a new anonymous private mapping touches no existing memory; with NORESERVE
    // nothing is committed until a page is written.
    let range = unsafe {
        libc::mmap(
            null_mut(),
            REGION,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if range == libc::MAP_FAILED {
        return false;
    }
    let start = range as usize;
    UNUSED.store(start, Ordering::Relaxed);
    END.store(start + REGION, Ordering::Relaxed);
    // Last: a pointer is looked up in the range only once both ends are set.
    START.store(start, Ordering::Release);
    true
}

/// Whether `ptr` is a block of the pool.
fn ours(ptr: *mut u8) -> bool {
    let start = START.load(Ordering::Acquire);
    let at = ptr as usize;
    start != 0 && at >= start && at < END.load(Ordering::Relaxed)
}

/// See the module documentation.
pub struct Allocator;

/// The blocks of one size.
struct Class {
    /// Free and resident.
    hot: *mut Free,
    hot_len: usize,
    /// Free, with their memory given back to the system (they read as zeros).
    cold: *mut Free,
    /// What is left of the newest mapping.
    next: *mut u8,
    end: *mut u8,
}

/// A free block holds the link to the next one.
struct Free {
    next: *mut Free,
}

// SAFETY: a class is only reached through its mutex; its blocks belong to no thread.
unsafe impl Send for Class {}

#[allow(clippy::declare_interior_mutable_const)] // Only to repeat it in the array below.
const EMPTY: Mutex<Class> = Mutex::new(Class {
    hot: null_mut(),
    hot_len: 0,
    cold: null_mut(),
    next: null_mut(),
    end: null_mut(),
});

// Index = pages per block. A futex on Linux: locking never allocates.
static CLASSES: [Mutex<Class>; MAX_PAGES + 1] = [EMPTY; MAX_PAGES + 1];

/// The class (pages per block) of this layout, if it has one.
fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size();
    (size > PAGE && size <= MAX_PAGES * PAGE && layout.align() <= PAGE).then(|| size.div_ceil(PAGE))
}

fn class(pages: usize) -> MutexGuard<'static, Class> {
    CLASSES[pages].lock().unwrap_or_else(|e| e.into_inner())
}

/// A block of `pages` pages; null when the range is used up. The pool is on.
fn take(pages: usize) -> *mut u8 {
    let size = pages * PAGE;
    let mut guard = class(pages);
    let class = &mut *guard;
    if !class.hot.is_null() {
        let head = class.hot;
        // SAFETY: every block on a list was written with its link by `give`.
        class.hot = unsafe { (*head).next };
        class.hot_len -= 1;
        return head.cast();
    }
    if !class.cold.is_null() {
        let head = class.cold;
        // SAFETY: as above.
        class.cold = unsafe { (*head).next };
        return head.cast();
    }
    if (class.end as usize) - (class.next as usize) < size {
        let chunk = UNUSED.fetch_add(CHUNK, Ordering::Relaxed);
        if chunk + CHUNK > END.load(Ordering::Relaxed) {
            // The range is used up: the caller asks the system instead.
            return null_mut();
        }
        class.next = chunk as *mut u8;
        class.end = (chunk + CHUNK) as *mut u8;
    }
    let block = class.next;
    // SAFETY: at least `size` bytes of the mapping are left.
    class.next = unsafe { block.add(size) };
    block
}

/// Puts a block back on its class's lists.
///
/// # Safety
/// `block` came from `take(pages)` and is no longer used.
unsafe fn give(block: *mut u8, pages: usize) {
    let mut class = class(pages);
    let node = block.cast::<Free>();
    if class.hot_len * pages * PAGE < KEEP_BYTES {
        // SAFETY: the block is ours, page-aligned and larger than a link.
        unsafe { node.write(Free { next: class.hot }) };
        class.hot = node;
        class.hot_len += 1;
    } else {
        // SAFETY: the block is whole pages of the range; its contents are dead.
        unsafe { libc::madvise(block.cast(), pages * PAGE, libc::MADV_DONTNEED) };
        // SAFETY: as above (the page reads as zeros again and takes the link).
        unsafe { node.write(Free { next: class.cold }) };
        class.cold = node;
    }
}

/// The class to serve a new allocation of this layout from, while the pool is on.
fn pooled(layout: &Layout) -> Option<usize> {
    // Acquire: the range's other ends, stored before `START`, are seen with it.
    if START.load(Ordering::Acquire) == 0 {
        return None;
    }
    class_of(layout)
}

// SAFETY: blocks are handed out to one owner at a time, and a pointer goes back to whoever
// made it (the range tells); every other call is the system allocator's, unchanged.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(pages) = pooled(&layout) {
            let block = take(pages);
            if !block.is_null() {
                return block;
            }
        }
        // SAFETY: the caller keeps GlobalAlloc's contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if let Some(pages) = pooled(&layout) {
            let block = take(pages);
            if !block.is_null() {
                // A reused block holds whatever its last owner wrote.
                // SAFETY: the block is at least `layout.size()` bytes, ours alone.
                unsafe { ptr::write_bytes(block, 0, layout.size()) };
                return block;
            }
        }
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(&layout) {
            // SAFETY: a block of the range was made by `take` for this same layout's class.
            Some(pages) if ours(ptr) => unsafe { give(ptr, pages) },
            // SAFETY: as in `alloc`.
            _ => unsafe { System.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees the new size, at this alignment, is a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let old = class_of(&layout).filter(|_| ours(ptr));
        match (old, pooled(&new_layout)) {
            // SAFETY: as in `alloc`.
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            // The block already holds the new size.
            (Some(old), Some(new)) if old == new => ptr,
            // Into, out of or across classes: a new block, the bytes copied, the old one
            // given back.
            // SAFETY: each call keeps its own contract; the two blocks are distinct.
            _ => unsafe {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    /// The pool on (these tests do not install the allocator, so nothing else uses it).
    fn pool() -> Allocator {
        assert!(enable());
        Allocator
    }

    #[test]
    fn classes_are_whole_pages_between_one_and_eight() {
        assert_eq!(class_of(&layout(4096)), None);
        assert_eq!(class_of(&layout(4097)), Some(2));
        assert_eq!(class_of(&layout(8192)), Some(2));
        assert_eq!(class_of(&layout(8193)), Some(3));
        assert_eq!(class_of(&layout(32768)), Some(8));
        assert_eq!(class_of(&layout(32769)), None);
        assert_eq!(
            class_of(&Layout::from_size_align(8192, 8192).unwrap()),
            None
        );
    }

    #[test]
    fn blocks_are_reused_and_hold_what_is_written() {
        let a = pool();
        // A class no other test uses, so the block taken back is the one given.
        let size = 7 * PAGE;
        unsafe {
            let p = a.alloc(layout(size));
            assert!(!p.is_null());
            assert_eq!(p as usize % PAGE, 0, "page-aligned");
            ptr::write_bytes(p, 0xAB, size);
            a.dealloc(p, layout(size));
            let z = a.alloc_zeroed(layout(size));
            assert_eq!(z, p, "the freed block is handed out again");
            assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
            a.dealloc(z, layout(size));
        }
    }

    #[test]
    fn past_the_kept_bytes_blocks_are_released_and_still_reused() {
        let a = pool();
        let size = 6 * PAGE;
        let n = KEEP_BYTES / size + 8;
        unsafe {
            let blocks: Vec<*mut u8> = (0..n).map(|_| a.alloc(layout(size))).collect();
            for &b in &blocks {
                ptr::write_bytes(b, 0xCD, size);
            }
            for &b in &blocks {
                a.dealloc(b, layout(size));
            }
            let again: Vec<*mut u8> = (0..n).map(|_| a.alloc(layout(size))).collect();
            let mut sorted = again.clone();
            sorted.sort();
            let mut before = blocks.clone();
            before.sort();
            assert_eq!(sorted, before, "the same blocks, none new");
            for &b in &again {
                a.dealloc(b, layout(size));
            }
        }
    }

    #[test]
    fn growing_into_through_and_out_of_the_classes_keeps_the_bytes() {
        let a = pool();
        unsafe {
            let p = a.alloc(layout(100));
            for i in 0..100 {
                *p.add(i) = i as u8;
            }
            let p = a.realloc(p, layout(100), 5000);
            assert!(ours(p), "a block of the pool");
            let q = a.realloc(p, layout(5000), 8000);
            assert_eq!(p, q, "same class: the same block");
            let p = a.realloc(q, layout(8000), 20_000);
            *p.add(19_999) = 7;
            let p = a.realloc(p, layout(20_000), 100_000);
            assert!((0..100).all(|i| *p.add(i) == i as u8));
            assert_eq!(*p.add(19_999), 7);
            a.dealloc(p, layout(100_000));
        }
    }

    #[test]
    fn a_system_block_goes_back_to_the_system() {
        let a = pool();
        unsafe {
            // What the system allocated before the pool was on, in a class's size.
            let before = System.alloc(layout(8192));
            assert!(!ours(before));
            ptr::write_bytes(before, 1, 8192);
            let grown = a.realloc(before, layout(8192), 8000);
            assert!(ours(grown), "moved into the pool");
            assert_eq!(*grown.add(7999), 1);
            a.dealloc(grown, layout(8000));
            let other = System.alloc(layout(12_000));
            a.dealloc(other, layout(12_000));
        }
    }
}
