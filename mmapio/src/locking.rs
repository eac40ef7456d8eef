//! Keeping pages resident (feature `locking`): the `mlock` family over
//! page-rounded, bounds-checked ranges (`VirtualLock` and `VirtualUnlock` on
//! Windows; `Unsupported` on other platforms without `mlock`).

use crate::bounds::{check_range, page_span};
use crate::{os, MemoryMappedFile, MmapIoError, Result};

impl MemoryMappedFile {
    /// Locks the pages overlapping `len` bytes at `offset` into RAM
    /// (`mlock`), faulting them in first.
    ///
    /// The range is bounds-checked, then rounded out to whole pages. When
    /// the kernel refuses — typically `RLIMIT_MEMLOCK` (`ulimit -l`) is too
    /// small and the process lacks `CAP_IPC_LOCK` — the error is
    /// [`MmapIoError::LockFailed`] with the rounded range. Locks belong to the
    /// current mapping: `resize` replaces the mapping, which drops them, so
    /// lock again after resizing.
    ///
    /// ```no_run
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("l.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 64 * 1024)?;
    /// match map.lock(0, 4096) {
    ///     Ok(()) => map.unlock(0, 4096)?,
    ///     Err(mmapio::MmapIoError::LockFailed { source, .. }) => eprintln!("not allowed: {source}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn lock(&self, offset: u64, len: u64) -> Result<()> {
        self.mlock_range(offset, len, true)
    }

    /// Unlocks the pages overlapping `len` bytes at `offset` (`munlock`).
    /// Unlocking pages that are not locked is not an error.
    pub fn unlock(&self, offset: u64, len: u64) -> Result<()> {
        self.mlock_range(offset, len, false)
    }

    /// Locks the whole mapping into RAM (see [`lock`](Self::lock)).
    pub fn lock_all(&self) -> Result<()> {
        self.with_region(|region| self.mlock_bytes(region, 0, region.len(), true))
    }

    /// Unlocks the whole mapping.
    pub fn unlock_all(&self) -> Result<()> {
        self.with_region(|region| self.mlock_bytes(region, 0, region.len(), false))
    }

    fn mlock_range(&self, offset: u64, len: u64, lock: bool) -> Result<()> {
        self.with_region(|region| {
            let range = check_range(offset, len, self.shown_len(region))?;
            self.mlock_bytes(region, range.start, range.len(), lock)
        })
    }

    fn mlock_bytes(
        &self,
        region: &crate::region::Region,
        start: usize,
        len: usize,
        lock: bool,
    ) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let (start, span) = page_span(start, len, os::page_size());
        // SAFETY: `start` is page-aligned inside the region, and the span
        // ends at most one partial page past its length, inside its last
        // mapped page; the caller's lock (or borrow) keeps the region mapped
        // for the call. mlock/munlock never change memory contents.
        unsafe { os::mlock(region.as_ptr().add(start), span, lock) }.map_err(|source| {
            MmapIoError::LockFailed {
                offset: start as u64,
                len: span as u64,
                source,
            }
        })
    }
}
