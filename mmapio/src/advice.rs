//! Access-pattern advice (feature `advise`): `madvise` over page-rounded
//! ranges and `posix_fadvise` read-ahead.

use crate::bounds::{check_range, page_span};
use crate::{os, MemoryMappedFile, MmapIoError, MmapMode, Result};

/// How the program will use a range of the mapping (`madvise`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MmapAdvice {
    /// No special treatment (the default).
    Normal,
    /// Expect random access: read ahead less.
    Random,
    /// Expect sequential access: read ahead more, drop pages behind.
    Sequential,
    /// The range will be needed soon: start reading it in.
    WillNeed,
    /// The range is not needed for now: the kernel may drop its pages.
    ///
    /// On shared mappings (read-only and read-write) this never changes the
    /// bytes: dropped pages are read back from the page cache or the file,
    /// and dirty pages stay dirty in the page cache. On a copy-on-write
    /// mapping it would silently discard private changes under live views,
    /// so it is refused there with [`MmapIoError::InvalidMode`].
    DontNeed,
}

impl MmapAdvice {
    fn name(self) -> &'static str {
        match self {
            MmapAdvice::Normal => "Normal",
            MmapAdvice::Random => "Random",
            MmapAdvice::Sequential => "Sequential",
            MmapAdvice::WillNeed => "WillNeed",
            MmapAdvice::DontNeed => "DontNeed",
        }
    }

    fn os(self) -> os::Advice {
        match self {
            MmapAdvice::Normal => os::Advice::Normal,
            MmapAdvice::Random => os::Advice::Random,
            MmapAdvice::Sequential => os::Advice::Sequential,
            MmapAdvice::WillNeed => os::Advice::WillNeed,
            MmapAdvice::DontNeed => os::Advice::DontNeed,
        }
    }
}

impl MemoryMappedFile {
    /// Advises the kernel about `len` bytes at `offset`.
    ///
    /// The range is bounds-checked ([`MmapIoError::OutOfBounds`]) and then
    /// rounded out to whole pages, so any offset works. A zero-length range
    /// does nothing. `DontNeed` on a copy-on-write mapping is refused (see
    /// [`MmapAdvice::DontNeed`]).
    ///
    /// ```
    /// use mmapio::{MemoryMappedFile, MmapAdvice};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("a.bin");
    /// let map = MemoryMappedFile::create_rw(&path, 1 << 20)?;
    /// map.advise(12_345, 100_000, MmapAdvice::Sequential)?;
    /// map.advise(0, map.len(), MmapAdvice::WillNeed)?;
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn advise(&self, offset: u64, len: u64, advice: MmapAdvice) -> Result<()> {
        if advice == MmapAdvice::DontNeed && self.mode() == MmapMode::CopyOnWrite {
            return Err(MmapIoError::InvalidMode {
                op: "advise(DontNeed)",
                mode: self.mode(),
            });
        }
        self.with_region(|region| {
            let range = check_range(offset, len, self.shown_len(region))?;
            // Private memory also backs anonymous mappings, whose handles
            // are read-write: ask the region, not only the mode.
            if advice == MmapAdvice::DontNeed && region.is_private() {
                return Err(MmapIoError::InvalidMode {
                    op: "advise(DontNeed)",
                    mode: self.mode(),
                });
            }
            if range.is_empty() {
                return Ok(());
            }
            let (start, span) = page_span(range.start, range.len(), os::page_size());
            // SAFETY: `start` is page-aligned inside the region (the region
            // starts on a page boundary) and `start + span` ends at most one
            // partial page past its length, inside its last mapped page. The
            // caller holds the read lock (or a lock-free borrow), so the
            // region stays mapped for the call. DontNeed only reaches shared
            // mappings here (private regions were refused above), where it
            // does not change the bytes.
            unsafe { os::madvise(region.as_ptr().add(start), span, advice.os()) }.map_err(
                |source| MmapIoError::AdviceFailed {
                    advice: advice.name(),
                    source,
                },
            )
        })
    }

    /// Starts reading `len` bytes of the file at `offset` into the page
    /// cache without waiting (`posix_fadvise(POSIX_FADV_WILLNEED)` on Linux;
    /// a no-op where it does not exist). Bounds-checked like every ranged
    /// method; a zero-length range does nothing.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("p.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 1 << 20)?;
    /// map.prefetch_range(0, 1 << 20)?;
    /// assert!(map.prefetch_range(1, 1 << 20).is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn prefetch_range(&self, offset: u64, len: u64) -> Result<()> {
        self.with_region(|region| {
            let range = check_range(offset, len, self.shown_len(region))?;
            if range.is_empty() {
                return Ok(());
            }
            match &self.shared.file {
                Some(file) => os::fadvise_will_need(file, offset, len).map_err(|source| {
                    MmapIoError::AdviceFailed {
                        advice: "WillNeed (fadvise)",
                        source,
                    }
                }),
                None => Ok(()),
            }
        })
    }
}
