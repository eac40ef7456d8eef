//! [`AnonymousMmap`]: zero-filled memory that belongs to no file, with the
//! same safe views, writes and atomics as a read-write file mapping.

use std::fmt;
use std::path::PathBuf;

use crate::mapped_file::{checked_map_len, MapOptions};
use crate::region::Region;
use crate::{
    FlushPolicy, MappedSlice, MappedSliceMut, MemoryMappedFile, MmapIoError, MmapMode, Result,
};

/// A private, anonymous mapping of `len` zero bytes (`MAP_PRIVATE |
/// MAP_ANONYMOUS`; on Windows a section backed by the paging file), for
/// scratch buffers, arenas and shared-memory-style data structures inside
/// one process, with mmap-io's `AnonymousMmap` API.
///
/// It works like a read-write [`MemoryMappedFile`] without a file: the
/// same lock keeps byte views, writes and atomic views apart, and
/// `&self` methods suffice from any number of threads. There is nothing to
/// flush or resize, and the memory is returned to the system when the
/// value is dropped.
///
/// ```
/// use mmapio::AnonymousMmap;
/// let scratch = AnonymousMmap::new(4096)?;
/// assert_eq!(scratch.len(), 4096);
/// scratch.update_region(10, b"scratch")?;
/// assert_eq!(scratch.as_slice(10, 7)?, b"scratch");
/// scratch.as_mut_slice(0, 2)?.copy_from_slice(b"ok");
/// let mut buf = [0u8; 2];
/// scratch.read_into(0, &mut buf)?;
/// assert_eq!(&buf, b"ok");
/// assert!(AnonymousMmap::new(0).is_err()); // a mapping needs at least a byte
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub struct AnonymousMmap {
    map: MemoryMappedFile,
}

impl AnonymousMmap {
    /// `size` zero bytes of anonymous memory. A `size` of 0, or one larger
    /// than the address space can map, is [`MmapIoError::InvalidSize`].
    pub fn new(size: u64) -> Result<Self> {
        Self::with_options(size, false)
    }

    /// Like [`new`](Self::new), asking the kernel to back the memory with
    /// transparent huge pages (Linux `madvise(MADV_HUGEPAGE)`; elsewhere,
    /// or when refused, normal pages back it and nothing fails).
    pub fn with_huge_pages(size: u64) -> Result<Self> {
        Self::with_options(size, true)
    }

    fn with_options(size: u64, huge_pages: bool) -> Result<Self> {
        let len = checked_map_len(size)?;
        let region = Region::anonymous(len).map_err(|source| MmapIoError::Io {
            op: "mmap (anonymous)",
            path: None,
            source,
        })?;
        let options = MapOptions {
            // Nothing to write back to.
            flush_policy: FlushPolicy::Never,
            huge_pages,
            ..MapOptions::default()
        };
        let map = MemoryMappedFile::from_region(
            region,
            PathBuf::from("<anonymous>"),
            MmapMode::ReadWrite,
            options,
        )?;
        Ok(AnonymousMmap { map })
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.map.len()
    }

    /// Whether the length is zero (never, since `new` refuses size 0).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A zero-copy view of `len` bytes at `offset`; see
    /// [`MemoryMappedFile::as_slice`].
    pub fn as_slice(&self, offset: u64, len: u64) -> Result<MappedSlice<'_>> {
        self.map.as_slice(offset, len)
    }

    /// A writable view of `len` bytes at `offset`, holding the write lock
    /// until dropped; see [`MemoryMappedFile::as_slice_mut`].
    pub fn as_mut_slice(&self, offset: u64, len: u64) -> Result<MappedSliceMut<'_>> {
        self.map.as_slice_mut(offset, len)
    }

    /// [`as_slice`](Self::as_slice), or `Ok(None)` instead of waiting for a
    /// writer; see [`MemoryMappedFile::try_as_slice`].
    pub fn try_as_slice(&self, offset: u64, len: u64) -> Result<Option<MappedSlice<'_>>> {
        self.map.try_as_slice(offset, len)
    }

    /// [`as_mut_slice`](Self::as_mut_slice), or `Ok(None)` instead of
    /// waiting for views; see [`MemoryMappedFile::try_as_slice_mut`].
    pub fn try_as_mut_slice(&self, offset: u64, len: u64) -> Result<Option<MappedSliceMut<'_>>> {
        self.map.try_as_slice_mut(offset, len)
    }

    /// Copies `data` in at `offset`; see [`MemoryMappedFile::update_region`].
    pub fn update_region(&self, offset: u64, data: &[u8]) -> Result<()> {
        self.map.update_region(offset, data)
    }

    /// [`update_region`](Self::update_region), or `Ok(false)` instead of
    /// waiting for views; see [`MemoryMappedFile::try_update_region`].
    pub fn try_update_region(&self, offset: u64, data: &[u8]) -> Result<bool> {
        self.map.try_update_region(offset, data)
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    pub fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.map.read_into(offset, buf)
    }

    /// The address of the first byte.
    ///
    /// # Safety
    /// As for [`MemoryMappedFile::as_ptr`]: reads through it are sound
    /// only within [`len`](Self::len) bytes, while `self` lives, and never
    /// at the same time as a write to the same bytes.
    pub unsafe fn as_ptr(&self) -> *const u8 {
        // SAFETY: the caller takes on `MemoryMappedFile::as_ptr`'s contract,
        // which is this method's.
        unsafe { self.map.as_ptr() }
    }

    /// The address of the first byte, for writes the crate cannot see.
    ///
    /// # Safety
    /// As for [`MemoryMappedFile::as_mut_ptr`]: writes through it are sound
    /// only while no other access to the same bytes can happen, from any
    /// thread.
    pub unsafe fn as_mut_ptr(&self) -> *mut u8 {
        // SAFETY: the caller takes on `MemoryMappedFile::as_mut_ptr`'s
        // contract, which is this method's; an anonymous mapping is always
        // read-write.
        unsafe { self.map.writable_ptr() }
    }

    /// Whether huge pages back the memory now: `Some` on Linux (from
    /// `/proc/self/smaps`), `None` where that cannot be told.
    #[cfg(feature = "hugepages")]
    pub fn is_hugepage_backed(&self) -> Option<bool> {
        self.map.is_hugepage_backed()
    }

    /// An `AtomicU64` at `offset`; see [`MemoryMappedFile::atomic_u64`].
    #[cfg(feature = "atomic")]
    pub fn atomic_u64(
        &self,
        offset: u64,
    ) -> Result<crate::AtomicView<'_, std::sync::atomic::AtomicU64>> {
        self.map.atomic_u64(offset)
    }

    /// An `AtomicU32` at `offset`; see [`MemoryMappedFile::atomic_u32`].
    #[cfg(feature = "atomic")]
    pub fn atomic_u32(
        &self,
        offset: u64,
    ) -> Result<crate::AtomicView<'_, std::sync::atomic::AtomicU32>> {
        self.map.atomic_u32(offset)
    }

    /// `count` `AtomicU64`s from `offset`; see
    /// [`MemoryMappedFile::atomic_u64_slice`].
    #[cfg(feature = "atomic")]
    pub fn atomic_u64_slice(
        &self,
        offset: u64,
        count: usize,
    ) -> Result<crate::AtomicSliceView<'_, std::sync::atomic::AtomicU64>> {
        self.map.atomic_u64_slice(offset, count)
    }

    /// `count` `AtomicU32`s from `offset`; see
    /// [`MemoryMappedFile::atomic_u32_slice`].
    #[cfg(feature = "atomic")]
    pub fn atomic_u32_slice(
        &self,
        offset: u64,
        count: usize,
    ) -> Result<crate::AtomicSliceView<'_, std::sync::atomic::AtomicU32>> {
        self.map.atomic_u32_slice(offset, count)
    }
}

impl fmt::Debug for AnonymousMmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnonymousMmap")
            .field("len", &self.len())
            .finish()
    }
}
