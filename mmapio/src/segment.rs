//! Segments: owned, bounds-checked windows onto part of a mapping.
//!
//! A [`Segment`] (any mode) or [`SegmentMut`] (read-write only) is a clone of
//! the handle plus an `(offset, len)` window. Every method takes offsets
//! relative to the segment and checks them twice:
//!
//! 1. against the segment's own length, with checked arithmetic, so a
//!    segment never reaches outside its window (`OutOfBounds` then carries
//!    the relative offset, the length and the segment's length);
//! 2. translated to absolute offsets, against the mapping's length at the
//!    moment of the access, because a `resize` may have shrunk the mapping
//!    below the segment since it was made (`OutOfBounds` then carries the
//!    absolute offset, the length and the mapping's current length).

use std::fmt;
use std::sync::Arc;

use crate::bounds::validate_range;
use crate::views::{MappedSlice, MappedSliceMut};
use crate::{MemoryMappedFile, MmapIoError, MmapMode, Result};

/// A read-only window of `len` bytes at `offset` in a mapping.
///
/// Made by [`MemoryMappedFile::segment`]. It owns a clone of the handle (no
/// borrow, so it can be stored, returned or sent to another thread) and
/// takes every offset relative to its own start.
///
/// Every access is checked twice, with checked arithmetic:
///
/// 1. against the segment's own length, so a segment never reaches past its
///    end ([`MmapIoError::OutOfBounds`] then carries the relative offset, the
///    length and the segment's length);
/// 2. translated to absolute offsets, against the mapping's length at the
///    moment of the access, because a
///    [`resize`](MemoryMappedFile::resize) may have shrunk the mapping below
///    the segment since it was made (`OutOfBounds` then carries the absolute
///    offset, the length and the mapping's current length). If the mapping
///    grows back, the segment works again.
///
/// Cloning is cheap (two reference counts).
///
/// ```
/// use mmapio::MemoryMappedFile;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("seg.bin");
/// let map = MemoryMappedFile::create_rw(&path, 17)?;
/// map.update_region(0, b"headerPAYLOADtail")?;
/// let payload = map.segment(6, 7)?;
/// drop(map); // the segment keeps the mapping alive
/// assert_eq!(payload.as_slice()?, b"PAYLOAD");
/// assert_eq!(payload.slice(3, 4)?, b"LOAD");
/// let mut buf = [0u8; 3];
/// payload.read_into(0, &mut buf)?;
/// assert_eq!(&buf, b"PAY");
/// assert!(payload.slice(5, 3).is_err()); // past the segment's end
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[derive(Clone)]
pub struct Segment {
    map: MemoryMappedFile,
    offset: u64,
    len: u64,
}

/// A writable window of `len` bytes at `offset` in a read-write mapping.
///
/// Made by [`MemoryMappedFile::segment_mut`]. Everything [`Segment`] offers,
/// plus writes ([`update_region`](Self::update_region),
/// [`as_slice_mut`](Self::as_slice_mut)) and a [`flush`](Self::flush) of
/// just this window. Writes follow the mapping's
/// [`FlushPolicy`](crate::FlushPolicy) exactly as the mapping's own methods
/// do, and are checked twice like reads, so they never land outside the
/// segment.
///
/// ```
/// use mmapio::MemoryMappedFile;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("segmut.bin");
/// let map = MemoryMappedFile::create_rw(&path, 32)?;
/// let record = map.segment_mut(8, 8)?;
/// record.update_region(0, b"abcd")?;
/// record.as_slice_mut()?[4..].copy_from_slice(b"efgh");
/// record.flush()?; // msync of this window only
/// assert_eq!(map.as_slice(8, 8)?, b"abcdefgh");
/// assert!(record.update_region(6, b"xyz").is_err()); // would cross the end
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[derive(Clone)]
pub struct SegmentMut {
    inner: Segment,
}

impl MemoryMappedFile {
    /// A read-only [`Segment`] of `len` bytes at `offset`, in any mode.
    ///
    /// The range is checked now against the mapping's current length
    /// ([`MmapIoError::OutOfBounds`] otherwise) and again on every access.
    /// The segment holds a clone of the handle, not a lock: on a read-write
    /// mapping, `resize` and writers can still run while it exists.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.bin");
    /// # std::fs::write(&path, b"0123456789").unwrap();
    /// let map = mmapio::MemoryMappedFile::open_ro(&path)?;
    /// let seg = map.segment(2, 5)?;
    /// assert_eq!((seg.offset(), seg.len()), (2, 5));
    /// assert_eq!(seg.as_slice()?, b"23456");
    /// assert!(map.segment(8, 3).is_err());
    /// assert!(map.segment(u64::MAX, 1).is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn segment(&self, offset: u64, len: u64) -> Result<Segment> {
        validate_range(offset, len, self.len())?;
        Ok(Segment {
            map: self.clone(),
            offset,
            len,
        })
    }

    /// A writable [`SegmentMut`] of `len` bytes at `offset`; read-write
    /// mappings only ([`MmapIoError::InvalidMode`] otherwise, checked before
    /// the range).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("sm.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 64)?;
    /// let seg = map.segment_mut(60, 4)?;
    /// seg.update_region(0, b"tail")?;
    /// assert_eq!(map.as_slice(60, 4)?, b"tail");
    /// assert!(map.segment_mut(60, 5).is_err());
    /// # drop(map);
    /// let ro = mmapio::MemoryMappedFile::open_ro(&path)?;
    /// assert!(matches!(
    ///     ro.segment_mut(0, 4),
    ///     Err(mmapio::MmapIoError::InvalidMode { op: "segment_mut", .. })
    /// ));
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn segment_mut(&self, offset: u64, len: u64) -> Result<SegmentMut> {
        if self.mode() != MmapMode::ReadWrite {
            return Err(MmapIoError::InvalidMode {
                op: "segment_mut",
                mode: self.mode(),
            });
        }
        let inner = self.segment(offset, len)?;
        Ok(SegmentMut { inner })
    }
}

impl Segment {
    /// A segment of `len` bytes at `offset` in `parent` (mmap-io's form of
    /// [`MemoryMappedFile::segment`], which it calls).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mmapio::{segment::Segment, MemoryMappedFile};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("n.bin");
    /// let map = Arc::new(MemoryMappedFile::create_rw(&path, 16)?);
    /// let seg = Segment::new(Arc::clone(&map), 4, 8)?;
    /// assert!(seg.is_valid());
    /// assert_eq!(seg.parent().len(), 16);
    /// assert!(Segment::new(map, 12, 8).is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn new(parent: Arc<MemoryMappedFile>, offset: u64, len: u64) -> Result<Segment> {
        parent.segment(offset, len)
    }

    /// Whether the segment still lies inside the mapping (a `resize` may
    /// have shrunk the mapping below it since it was made; its accessors
    /// then return [`MmapIoError::OutOfBounds`]).
    pub fn is_valid(&self) -> bool {
        validate_range(self.offset, self.len, self.map.len()).is_ok()
    }

    /// The mapping this segment is a window of (mmap-io's name for
    /// [`mapping`](Self::mapping)).
    #[inline]
    pub fn parent(&self) -> &MemoryMappedFile {
        &self.map
    }

    /// Offset of the segment's first byte within the mapping.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Length of the segment in bytes (fixed when it was made; the mapping
    /// may since have shrunk below it, see the type docs).
    #[inline]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the segment is zero bytes long.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The mapping this segment is a window of.
    #[inline]
    pub fn mapping(&self) -> &MemoryMappedFile {
        &self.map
    }

    /// Checks `len` bytes at `rel_offset` against the segment, then returns
    /// the absolute offset. The mapping's own method re-checks the absolute
    /// range against its current length.
    fn absolute(&self, rel_offset: u64, len: u64) -> Result<u64> {
        validate_range(rel_offset, len, self.len)?;
        // `rel_offset + len <= self.len` and `self.offset + self.len` fitted
        // in a `u64` when the segment was made, so this cannot overflow; it
        // is checked anyway so that no input can ever panic.
        match self.offset.checked_add(rel_offset) {
            Some(offset) => Ok(offset),
            None => Err(MmapIoError::OutOfBounds {
                offset: rel_offset,
                len,
                total: self.len,
            }),
        }
    }

    /// A zero-copy view of the whole segment.
    ///
    /// The view's [`offset`](MappedSlice::offset) is absolute (within the
    /// mapping). On read-write mappings it holds the read lock, exactly like
    /// [`MemoryMappedFile::as_slice`]. Fails with
    /// [`MmapIoError::OutOfBounds`] (absolute fields) if the mapping has
    /// shrunk below the segment.
    #[inline]
    pub fn as_slice(&self) -> Result<MappedSlice<'_>> {
        self.map.as_slice(self.offset, self.len)
    }

    /// A zero-copy view of `len` bytes at `rel_offset` within the segment.
    ///
    /// Checked against the segment first (`OutOfBounds` with the relative
    /// offset, `len` and the segment's length), then against the mapping's
    /// current length (`OutOfBounds` with absolute fields).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("sl.bin");
    /// # std::fs::write(&path, b"..abcdef..").unwrap();
    /// use mmapio::MmapIoError;
    /// let map = mmapio::MemoryMappedFile::open_ro(&path)?;
    /// let seg = map.segment(2, 6)?;
    /// let view = seg.slice(2, 3)?;
    /// assert_eq!(view, b"cde");
    /// assert_eq!(view.offset(), 4); // absolute
    /// assert!(matches!(
    ///     seg.slice(4, 3),
    ///     Err(MmapIoError::OutOfBounds { offset: 4, len: 3, total: 6 })
    /// ));
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn slice(&self, rel_offset: u64, len: u64) -> Result<MappedSlice<'_>> {
        let offset = self.absolute(rel_offset, len)?;
        self.map.as_slice(offset, len)
    }

    /// Copies `buf.len()` bytes at `rel_offset` within the segment into
    /// `buf`. Checked like [`slice`](Self::slice); works in every mode.
    pub fn read_into(&self, rel_offset: u64, buf: &mut [u8]) -> Result<()> {
        let offset = self.absolute(rel_offset, buf.len() as u64)?;
        self.map.read_into(offset, buf)
    }
}

impl SegmentMut {
    /// A writable segment of `len` bytes at `offset` in `parent` (mmap-io's
    /// form of [`MemoryMappedFile::segment_mut`], which it calls).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mmapio::{segment::SegmentMut, MemoryMappedFile};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("w.bin");
    /// let map = Arc::new(MemoryMappedFile::create_rw(&path, 16)?);
    /// let seg = SegmentMut::new(Arc::clone(&map), 8, 8)?;
    /// seg.write(b"record")?;
    /// assert_eq!(map.as_slice(8, 6)?, b"record");
    /// assert!(seg.write(b"too long!").is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn new(parent: Arc<MemoryMappedFile>, offset: u64, len: u64) -> Result<SegmentMut> {
        parent.segment_mut(offset, len)
    }

    /// Whether the segment still lies inside the mapping; see
    /// [`Segment::is_valid`].
    pub fn is_valid(&self) -> bool {
        self.inner.is_valid()
    }

    /// The mapping this segment is a window of (mmap-io's name for
    /// [`mapping`](Self::mapping)).
    #[inline]
    pub fn parent(&self) -> &MemoryMappedFile {
        &self.inner.map
    }

    /// Copies `data` to the start of the segment: mmap-io's form of
    /// [`update_region`](Self::update_region)`(0, data)`. `data` may be
    /// shorter than the segment, not longer.
    pub fn write(&self, data: &[u8]) -> Result<()> {
        self.update_region(0, data)
    }

    /// Offset of the segment's first byte within the mapping.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.inner.offset
    }

    /// Length of the segment in bytes (fixed when it was made).
    #[inline]
    pub fn len(&self) -> u64 {
        self.inner.len
    }

    /// Whether the segment is zero bytes long.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The mapping this segment is a window of.
    #[inline]
    pub fn mapping(&self) -> &MemoryMappedFile {
        &self.inner.map
    }

    /// A read-only [`Segment`] over the same window.
    pub fn to_segment(&self) -> Segment {
        self.inner.clone()
    }

    /// A zero-copy view of the whole segment; see [`Segment::as_slice`].
    #[inline]
    pub fn as_slice(&self) -> Result<MappedSlice<'_>> {
        self.inner.as_slice()
    }

    /// A zero-copy view of `len` bytes at `rel_offset`; see
    /// [`Segment::slice`].
    pub fn slice(&self, rel_offset: u64, len: u64) -> Result<MappedSlice<'_>> {
        self.inner.slice(rel_offset, len)
    }

    /// Copies bytes at `rel_offset` into `buf`; see [`Segment::read_into`].
    pub fn read_into(&self, rel_offset: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.read_into(rel_offset, buf)
    }

    /// Copies `data` into the segment at `rel_offset`, through
    /// [`MemoryMappedFile::update_region`] (write lock, pending-byte
    /// accounting, flush policy).
    ///
    /// Checked against the segment first (`OutOfBounds` with the relative
    /// offset, `data.len()` and the segment's length), then against the
    /// mapping's current length (`OutOfBounds` with absolute fields); nothing
    /// is written when either check fails.
    pub fn update_region(&self, rel_offset: u64, data: &[u8]) -> Result<()> {
        let offset = self.inner.absolute(rel_offset, data.len() as u64)?;
        self.inner.map.update_region(offset, data)
    }

    /// A writable, zero-copy view of the whole segment, holding the
    /// mapping's write lock until dropped (see
    /// [`MemoryMappedFile::as_slice_mut`]). Its offset is absolute.
    pub fn as_slice_mut(&self) -> Result<MappedSliceMut<'_>> {
        self.inner
            .map
            .as_slice_mut(self.inner.offset, self.inner.len)
    }

    /// Writes this segment's dirty pages back to the file and waits for the
    /// device: [`MemoryMappedFile::flush_range`] over the segment (the start
    /// is rounded down to a page, so neighbouring bytes of that page are
    /// written too). Use [`MemoryMappedFile::flush`] to flush everything.
    pub fn flush(&self) -> Result<()> {
        self.inner
            .map
            .flush_range(self.inner.offset, self.inner.len)
    }
}

impl From<SegmentMut> for Segment {
    fn from(segment: SegmentMut) -> Segment {
        segment.inner
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("path", &self.map.path())
            .field("mode", &self.map.mode())
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish()
    }
}

impl fmt::Debug for SegmentMut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SegmentMut")
            .field("path", &self.inner.map.path())
            .field("offset", &self.inner.offset)
            .field("len", &self.inner.len)
            .finish()
    }
}
