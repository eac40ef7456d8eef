//! Borrowed views of a mapping: [`MappedSlice`] and [`MappedSliceMut`].
//!
//! A view is a pointer and a length plus whatever keeps that memory valid and
//! unchanged: a share of the file's reader gate, which `resize` and every
//! writer (through any handle of the file) must wait for, or a plain borrow
//! of memory of no file, which never moves or changes while shared.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Range};

use crate::gate::{GateRead, GateWrite, Share};
#[cfg(feature = "iterator")]
use crate::iter::shared_read::SharedRead;
use crate::region::Region;
use crate::shared_state::{ExclusiveWrite, Shared};

/// What keeps a [`MappedSlice`]'s bytes valid, in one word, so that a view
/// is four plain scalars. A view is built, moved and dropped in every read
/// loop; with an enum here the compiler kept the view in memory and moved
/// it with wide loads right after narrow stores, and each failed store
/// forwarding made a read wait for the previous read's cache miss.
///
/// * [`Share`] word of the file's reader gate, held by this view alone
///   (bit 2 clear): the common case, told apart from the others with one
///   test in `drop`;
/// * `NOT_SHARED` (4, no address): a borrow of memory that is never resized
///   or written while shared (memory of no file, and an iterator's item of
///   it);
/// * an iterator's item of a file's mapping: a [`SharedRead`] word
///   with bit 2 set, one count of the share the iterator and its items
///   hold together.
pub(crate) struct Keep<'a> {
    /// A pointer, tagged by pointer arithmetic, so that it keeps the
    /// provenance of the slot or gate it points to.
    word: *const u8,
    _holds: PhantomData<(&'a Region, *const ())>,
}

/// The tag of every word that is not a view's own [`Share`]: an iterator
/// item's word, and (with no address) a borrow's.
const NOT_SHARED: usize = 4;

// The tag bit is free in both kinds of address: they are addresses of
// values aligned to at least 8 bytes.
const _: () = assert!(std::mem::align_of::<crate::gate::Gate<Region>>() >= 8);

impl<'a> Keep<'a> {
    const BORROWED: Self = Keep {
        // Never dereferenced: a tag, not an address.
        word: NOT_SHARED as *const u8,
        _holds: PhantomData,
    };

    #[inline(always)]
    fn share(share: Share<'a, Region>) -> Self {
        let word = share.into_word();
        debug_assert!(!word.is_null() && word as usize & NOT_SHARED == 0);
        Keep {
            word,
            _holds: PhantomData,
        }
    }

    #[cfg(feature = "iterator")]
    #[inline(always)]
    fn chunk(share: Option<SharedRead<'a>>) -> Self {
        match share {
            None => Self::BORROWED,
            Some(share) => Keep {
                word: share.into_word().wrapping_add(NOT_SHARED),
                _holds: PhantomData,
            },
        }
    }
}

impl Drop for Keep<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        let word = self.word;
        if word as usize & NOT_SHARED == 0 {
            // SAFETY: the word came from `Share::into_word` in `Keep::share`
            // (the gate is borrowed for `'a`), and is turned back once, here.
            drop(unsafe { Share::<Region>::from_word(word) });
        } else {
            Self::drop_not_shared(word);
        }
    }
}

impl Keep<'_> {
    /// `drop` of a borrow's or an iterator item's word (inline: an
    /// iterator drops one per item).
    #[inline(always)]
    fn drop_not_shared(word: *const u8) {
        #[cfg(feature = "iterator")]
        if word as usize != NOT_SHARED {
            // SAFETY: the word came from `SharedRead::into_word` in
            // `Keep::chunk`, and is turned back once, here (the caller
            // forgets it).
            drop(unsafe { SharedRead::from_word(word.wrapping_sub(NOT_SHARED)) });
        }
        #[cfg(not(feature = "iterator"))]
        let _ = word;
    }
}

/// A zero-copy, read-only view of part of a mapping.
///
/// Dereferences to `[u8]`. In every mode it holds a share of the file's
/// reader gate until dropped, so [`resize`](crate::MemoryMappedFile::resize)
/// and writers wait for it and the bytes cannot change or move underneath
/// it. `!Send`: it is released on the thread that took it.
///
/// `resize`, `update_region` or `as_slice_mut` asked for by the thread that
/// holds a `MappedSlice` of the same file return
/// [`MmapIoError::WouldDeadlock`](crate::MmapIoError::WouldDeadlock)
/// instead of waiting for it.
///
/// ```compile_fail
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("s.bin");
/// let map = mmapio::MemoryMappedFile::create_rw(&path, 8).unwrap();
/// let view = map.as_slice(0, 8).unwrap();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(view)); // a view cannot move to another thread
/// });
/// ```
///
/// ```
/// use mmapio::MemoryMappedFile;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("v.bin");
/// let map = MemoryMappedFile::create_rw(&path, 8)?;
/// map.update_region(0, b"mmapio!!")?;
/// let view = map.as_slice(0, 6)?;
/// assert_eq!(view, b"mmapio");
/// assert_eq!(view.offset(), 0);
/// assert_eq!(&view[..4], b"mmap");
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub struct MappedSlice<'a> {
    ptr: *const u8,
    len: usize,
    offset: u64,
    _keep: Keep<'a>,
}

impl<'a> MappedSlice<'a> {
    /// A view of `bytes`, which live for `'a` and cannot change during it.
    #[inline]
    pub(crate) fn borrowed(bytes: &'a [u8], offset: u64) -> Self {
        MappedSlice {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            offset,
            _keep: Keep::BORROWED,
        }
    }

    /// A view of `range` (already bounds-checked) of the region behind
    /// `guard`, keeping its one-word share.
    #[inline]
    pub(crate) fn guarded(guard: GateRead<'a, Region>, range: Range<usize>) -> Self {
        let offset = range.start as u64;
        let bytes = &guard.bytes()[range];
        let (ptr, len) = (bytes.as_ptr(), bytes.len());
        MappedSlice {
            ptr,
            len,
            offset,
            _keep: Keep::share(guard.into_share()),
        }
    }

    /// A view of `bytes` of a copy-on-write mapping, which `guard` (a share
    /// of the file's gate) keeps unwritten by the file's writers and within
    /// the file's length; `offset` is where they start in the mapping.
    #[inline]
    pub(crate) fn guarded_private(
        guard: GateRead<'a, Region>,
        bytes: &'a [u8],
        offset: u64,
    ) -> Self {
        MappedSlice {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            offset,
            _keep: Keep::share(guard.into_share()),
        }
    }

    /// An iterator's item: `len` bytes at `ptr`, kept valid by `share`
    /// of the read lock, or by the borrow alone when `share` is `None`.
    ///
    /// # Safety
    /// `ptr..ptr + len` must lie inside the region locked by `share` or,
    /// without one, inside a region borrowed for `'a` that is never written
    /// or resized while shared; `offset` must be `ptr`'s distance from that
    /// region's start.
    #[cfg(feature = "iterator")]
    #[inline(always)]
    pub(crate) unsafe fn chunk(
        share: Option<SharedRead<'a>>,
        ptr: *const u8,
        len: usize,
        offset: u64,
    ) -> Self {
        MappedSlice {
            ptr,
            len,
            offset,
            _keep: Keep::chunk(share),
        }
    }

    /// Offset of the first byte of this view within the mapping.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The bytes, borrowed for as long as the view.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self
    }

    /// Number of bytes in the view (also reachable through `Deref`; inherent
    /// so that `MappedSlice::len` names it, as in mmap-io).
    #[inline]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the view is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// The bytes, borrowed for as long as the view (mmap-io's name for
    /// [`as_bytes`](Self::as_bytes)).
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        self
    }
}

impl Deref for MappedSlice<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len` was cut from a live region's bytes when
        // the view was made, and `_keep` keeps that memory mapped and free of
        // writers for the view's whole life: a borrow of a mapping that is
        // never written or resized while shared (a word of 0), or a share of
        // the file's reader gate (the view's own, or one count of an
        // iterator's), which `resize` and every writer wait for; a view of
        // a copy-on-write mapping was cut within the file's length read
        // under that share, so no page past the file's end is reached.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl AsRef<[u8]> for MappedSlice<'_> {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::borrow::Borrow<[u8]> for MappedSlice<'_> {
    fn borrow(&self) -> &[u8] {
        self
    }
}

/// Writes at most the first 16 bytes, never the whole view.
fn debug_view(name: &str, offset: u64, bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const SHOWN: usize = 16;
    struct Head<'b>(&'b [u8], bool);
    impl fmt::Debug for Head<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for b in self.0 {
                write!(f, "{b:02x}")?;
            }
            if self.1 {
                f.write_str("..")?;
            }
            Ok(())
        }
    }
    let shown = &bytes[..bytes.len().min(SHOWN)];
    f.debug_struct(name)
        .field("offset", &offset)
        .field("len", &bytes.len())
        .field("head", &Head(shown, bytes.len() > SHOWN))
        .finish()
}

impl fmt::Debug for MappedSlice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_view("MappedSlice", self.offset, self, f)
    }
}

// Generic over the other view's lifetime so views of two different
// mappings compare directly.
impl<'b> PartialEq<MappedSlice<'b>> for MappedSlice<'_> {
    fn eq(&self, other: &MappedSlice<'b>) -> bool {
        **self == **other
    }
}

impl Eq for MappedSlice<'_> {}

impl PartialEq<[u8]> for MappedSlice<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        **self == *other
    }
}

impl PartialEq<&[u8]> for MappedSlice<'_> {
    fn eq(&self, other: &&[u8]) -> bool {
        **self == **other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for MappedSlice<'_> {
    fn eq(&self, other: &[u8; N]) -> bool {
        **self == other[..]
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for MappedSlice<'_> {
    fn eq(&self, other: &&[u8; N]) -> bool {
        **self == other[..]
    }
}

impl PartialEq<MappedSlice<'_>> for [u8] {
    fn eq(&self, other: &MappedSlice<'_>) -> bool {
        *self == **other
    }
}

impl PartialEq<MappedSlice<'_>> for &[u8] {
    fn eq(&self, other: &MappedSlice<'_>) -> bool {
        **self == **other
    }
}

/// A zero-copy, writable view of part of a read-write mapping.
///
/// Holds the file's reader gate closed (its write lock, with every view
/// drained) until dropped: no other view, writer or `resize` can run
/// meanwhile. When dropped, its whole length is added to
/// the mapping's pending bytes; call
/// [`flush`](crate::MemoryMappedFile::flush) to make the writes durable.
///
/// ```
/// use mmapio::MemoryMappedFile;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("m.bin");
/// let map = MemoryMappedFile::create_rw(&path, 8)?;
/// {
///     let mut view = map.as_slice_mut(2, 3)?;
///     view.copy_from_slice(b"abc");
/// }
/// assert_eq!(map.as_slice(2, 3)?, b"abc");
/// assert_eq!(map.pending_bytes(), 3);
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
///
/// `!Send`, like every view: it marks its own thread as the file's writer,
/// and is released there.
///
/// ```compile_fail
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("m.bin");
/// let map = mmapio::MemoryMappedFile::create_rw(&path, 8).unwrap();
/// let view = map.as_slice_mut(0, 8).unwrap();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(view));
/// });
/// ```
pub struct MappedSliceMut<'a> {
    ptr: *mut u8,
    len: usize,
    offset: u64,
    // Field order matters: the write ends (recording the view's bytes as
    // pending) before the guard releases the lock.
    _write: ExclusiveWrite<'a>,
    _guard: GateWrite<'a, Region>,
}

impl<'a> MappedSliceMut<'a> {
    /// A writable view of `range` (already bounds-checked) of a writable
    /// region, whose write lock `guard` holds for the calling thread;
    /// `None` when the region is mapped read-only.
    #[inline]
    pub(crate) fn new(
        mut guard: GateWrite<'a, Region>,
        range: Range<usize>,
        shared: &'a Shared,
    ) -> Option<Self> {
        let offset = range.start as u64;
        let bytes = &mut guard.bytes_mut()?[range];
        let (ptr, len) = (bytes.as_mut_ptr(), bytes.len());
        // The view is `!Send` (its `ptr` field is a raw pointer; the guard
        // alone may be `Send` when parking_lot's `send_guard` feature is on
        // somewhere in the build), so it is dropped on this thread, which
        // `ExclusiveWrite`'s writer mark relies on.
        let mut write = ExclusiveWrite::start(shared);
        write.dirtied = len as u64;
        Some(MappedSliceMut {
            ptr,
            len,
            offset,
            _write: write,
            _guard: guard,
        })
    }

    /// A writable view of `bytes` of a copy-on-write mapping, which `guard`
    /// (the closed gate of the file `shared`) keeps from every other view
    /// and writer. Private bytes never reach the file: none is counted as
    /// pending.
    pub(crate) fn private(
        guard: GateWrite<'a, Region>,
        bytes: &'a mut [u8],
        offset: u64,
        shared: &'a Shared,
    ) -> Self {
        MappedSliceMut {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            offset,
            _write: ExclusiveWrite::start(shared),
            _guard: guard,
        }
    }

    /// Number of bytes in the view.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the view is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Offset of the first byte of this view within the mapping.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Deref for MappedSliceMut<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len` lies inside the writable region behind
        // `_guard`, the mapping's exclusive write lock, held for the view's
        // whole life; the returned borrow is tied to `&self`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl DerefMut for MappedSliceMut<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow of
        // the bytes, and the write lock excludes every other view.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl AsRef<[u8]> for MappedSliceMut<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for MappedSliceMut<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl fmt::Debug for MappedSliceMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_view("MappedSliceMut", self.offset, self, f)
    }
}
