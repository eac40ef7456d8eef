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

/// The alignment the file offset of a mapping has at the OS level: the page
/// size (what `mmap` requires of its offset, and what memmap2 rounds down
/// to). Never fails on Unix; the `Result` is for the other platforms.
pub(crate) fn offset_granularity() -> std::io::Result<usize> {
    Ok(page_size())
}

/// Advice for [`madvise`], mirroring the public `MmapAdvice`.
#[cfg_attr(not(feature = "advise"), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Advice {
    Normal,
    Random,
    Sequential,
    WillNeed,
    DontNeed,
}

/// `madvise(addr, len, advice)`.
///
/// # Safety
/// `addr` must be page-aligned and `addr..addr + len` must lie within pages
/// of a mapping the caller owns and keeps mapped for the call. `DontNeed`
/// may change what a private mapping's bytes read as; the caller must make
/// sure nothing observes that (it is only used on shared or read-only
/// mappings, whose bytes it does not change).
#[cfg_attr(not(feature = "advise"), allow(dead_code))]
pub(crate) unsafe fn madvise(addr: *const u8, len: usize, advice: Advice) -> std::io::Result<()> {
    let flag = match advice {
        Advice::Normal => libc::MADV_NORMAL,
        Advice::Random => libc::MADV_RANDOM,
        Advice::Sequential => libc::MADV_SEQUENTIAL,
        Advice::WillNeed => libc::MADV_WILLNEED,
        Advice::DontNeed => libc::MADV_DONTNEED,
    };
    // SAFETY: forwarded under the caller's guarantees above.
    let rc = unsafe { libc::madvise(addr as *mut libc::c_void, len, flag) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `posix_fadvise(fd, offset, len, POSIX_FADV_WILLNEED)`: start reading the
/// file range into the page cache. A no-op where the call does not exist.
#[cfg_attr(not(feature = "advise"), allow(dead_code))]
pub(crate) fn fadvise_will_need(
    file: &std::fs::File,
    offset: u64,
    len: u64,
) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len))
        else {
            return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
        };
        // SAFETY: posix_fadvise only reads its integer arguments; the fd is
        // owned by `file`, which is borrowed for the call.
        let rc = unsafe {
            libc::posix_fadvise(file.as_raw_fd(), offset, len, libc::POSIX_FADV_WILLNEED)
        };
        // posix_fadvise returns the error number instead of setting errno.
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let _ = (file, offset, len);
    Ok(())
}

/// Starts writing the dirty page-cache pages of `len` bytes at `offset` of
/// `file` back to the device without waiting:
/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`. On Linux `msync(MS_ASYNC)`
/// starts nothing (dirty shared pages are already in the page cache), so
/// this is what "schedule a flush" has to be there.
#[cfg(target_os = "linux")]
pub(crate) fn start_writeback(file: &std::fs::File, offset: u64, len: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (
        libc::off64_t::try_from(offset),
        libc::off64_t::try_from(len),
    ) else {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    };
    // SAFETY: sync_file_range only reads its integer arguments; the fd is
    // owned by `file`, which is borrowed for the call.
    let rc = unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `mlock(addr, len)` (`lock == true`) or `munlock(addr, len)`.
///
/// # Safety
/// `addr..addr + len` must lie within pages of a mapping the caller owns and
/// keeps mapped for the call. Locking never changes memory contents.
#[cfg_attr(not(feature = "locking"), allow(dead_code))]
pub(crate) unsafe fn mlock(addr: *const u8, len: usize, lock: bool) -> std::io::Result<()> {
    // SAFETY: forwarded under the caller's guarantees above.
    let rc = unsafe {
        if lock {
            libc::mlock(addr as *const libc::c_void, len)
        } else {
            libc::munlock(addr as *const libc::c_void, len)
        }
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The identity of an open file: the same file, under whatever path or
/// link it was opened, has the same device and inode number, and the inode
/// number cannot be reused while this file is open.
pub(crate) fn file_id(file: &std::fs::File) -> std::io::Result<crate::registry::FileId> {
    use std::os::unix::fs::MetadataExt;
    let metadata = file.metadata()?;
    Ok(crate::registry::FileId::new(metadata.dev(), metadata.ino()))
}

/// Tries to take an advisory lock on the whole file without waiting
/// (`flock(LOCK_SH | LOCK_NB)`, or `LOCK_EX` when `exclusive`). `Ok(false)`
/// when another open file description holds a conflicting lock. Taking a
/// lock this description already holds in the other kind converts it.
pub(crate) fn try_lock_file(file: &std::fs::File, exclusive: bool) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    let kind = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    loop {
        // SAFETY: flock only reads its integer arguments; the descriptor is
        // owned by `file`, which is borrowed for the call.
        let rc = unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(error),
        }
    }
}
