//! Unix implementation of the platform layer.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The real page size of this system, read once from `sysconf`.
pub(crate) fn page_size() -> usize {
    static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);
    let cached = PAGE_SIZE.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    // SAFETY: sysconf has no memory-safety preconditions; it only reads a
    // system constant.
    let raw = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    // sysconf reports -1 on failure; 4096 is the smallest page size of every
    // platform this crate maps on, so stepping by it never skips a page.
    let size = usize::try_from(raw).ok().filter(|&s| s > 0).unwrap_or(4096);
    PAGE_SIZE.store(size, Ordering::Relaxed);
    size
}
