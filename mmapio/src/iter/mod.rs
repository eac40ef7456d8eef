//! Chunk and page iterators (feature `iterator`).
//!
//! [`Chunks`] yields [`MappedSlice`]s cut straight from the mapping: pointer
//! arithmetic only, no allocation and no lock operation per item. On a
//! read-write mapping the iterator takes the read lock once, counting one
//! share of it per item up front ([`SharedReads`]), and hands a share to
//! each item it yields, so an item that outlives its iterator still holds
//! the lock and `resize` keeps waiting for it. Iterating `&chunks`
//! ([`BorrowedChunks`]) lends the items instead: they borrow the iterator,
//! which keeps the lock, so they hold nothing themselves.
//! [`ChunksMut::for_each_mut`] takes the write lock once for a whole walk and
//! lends each chunk to a closure, which cannot keep it.

use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::num::NonZeroUsize;

use crate::bounds::check_range;
use crate::gate::Gate;

use self::shared_read::{SharedRead, SharedReads, UncountedShares};
use crate::region::Region;
use crate::shared_state::{ExclusiveWrite, Shared, Storage};
use crate::views::MappedSlice;
use crate::{os, MemoryMappedFile, MmapIoError, Result};

// The read lock that an iterator and its items share; also read by
// `views.rs` (an item's share) and `shared_state.rs` (whether this thread
// holds one).
pub(crate) mod shared_read;

/// Zero-copy iterator over fixed-size chunks of a mapping; the last chunk
/// may be shorter. Created by [`MemoryMappedFile::chunks`] and
/// [`MemoryMappedFile::pages`].
///
/// Items are `!Send`: on read-write mappings they share the iterator's read
/// lock through a count kept by the current thread. The iterator holds that
/// lock until it has yielded its last item, and each item holds it for as
/// long as it lives. Iterating `&chunks` instead lends the items left
/// ([`BorrowedChunks`]), which then cannot outlive the iterator.
pub struct Chunks<'a> {
    cursor: Cursor,
    /// On a read-write mapping, its read lock: one share for each item
    /// still to be yielded (`cursor.left`, so none once the walk is over),
    /// given back on drop. `None` on read-only and copy-on-write mappings,
    /// whose items borrow them, and on an empty read-write mapping, which
    /// has no items.
    shares: Option<UncountedShares<'a>>,
    _bytes: PhantomData<&'a [u8]>,
}

/// Where a walk over a region's chunks stands: the state [`Chunks`] and
/// [`BorrowedChunks`] step through, without what keeps the region valid.
#[derive(Clone, Copy)]
struct Cursor {
    /// Start of the mapped region, for the items' offsets.
    base: *const u8,
    /// Length of the mapped region.
    len: usize,
    /// Start of the next item while `left > 0`.
    next: *const u8,
    /// Items still to be yielded. The walk counts down to 0, so that a
    /// loop over `next` has a trip count the compiler can compute (and
    /// unroll), as it has over `slice::chunks_exact`.
    left: usize,
    /// Length of the last item: `chunk_size`, or the short tail's length.
    /// Non-zero, like `chunk_size`, which spares a loop body that indexes
    /// an item's first byte its bounds check.
    last_len: NonZeroUsize,
    chunk_size: NonZeroUsize,
}

impl<'a> Chunks<'a> {
    // Inlined, with `chunks` and `pages`, so that the caller's loop sees
    // the chunk size (often a constant) and that both item lengths are
    // non-zero; the lock is taken out of line.
    //
    // `WouldDeadlock` when the calling thread holds the file for writing
    // (a mutable view, a walk, atomic views it made): the walk would wait
    // for that thread.
    #[inline]
    fn new(map: &'a MemoryMappedFile, chunk_size: NonZeroUsize) -> Result<Self> {
        let (base, len, shares) = match &map.shared.storage {
            Storage::Unlocked(region) => (region.as_ptr(), region.len(), None),
            Storage::Locked(lock) => lock_for_chunks(&map.shared, lock, chunk_size, usize::MAX)?,
            Storage::Private(private) => {
                // The file's gate, over the private bytes within the file.
                let (_, len, shares) =
                    lock_for_chunks(private.file(), private.gate(), chunk_size, private.len())?;
                (private.region().as_ptr(), len, shares)
            }
        };
        let tail = len % chunk_size;
        Ok(Chunks {
            cursor: Cursor {
                base,
                len,
                next: base,
                left: chunk_count(len, chunk_size),
                last_len: NonZeroUsize::new(tail).unwrap_or(chunk_size),
                chunk_size,
            },
            shares,
            _bytes: PhantomData,
        })
    }

    /// An iterator with no items, over no mapping.
    #[inline]
    fn empty() -> Self {
        Chunks {
            cursor: Cursor {
                base: std::ptr::NonNull::dangling().as_ptr(),
                len: 0,
                next: std::ptr::NonNull::dangling().as_ptr(),
                left: 0,
                last_len: NonZeroUsize::MIN,
                chunk_size: NonZeroUsize::MIN,
            },
            shares: None,
            _bytes: PhantomData,
        }
    }

    /// Whether the items' shares of the lock are counted in a slot
    /// allocated for them, because every slot of the thread was in use.
    #[cfg(test)]
    pub(crate) fn counts_on_heap(&self) -> bool {
        self.shares.is_some_and(|shares| shares.on_heap())
    }
}

/// The next item of a [`Cursor`]: where it starts, its length and its
/// offset from the start of the region.
struct Step {
    ptr: *const u8,
    len: usize,
    offset: usize,
}

impl Cursor {
    /// Counts off the next item and returns it; `None` once none is left.
    /// The loop ends on a count, not on a pointer compare, so the compiler
    /// knows its trip count and can unroll it; the item's length is a
    /// select between two values the loop keeps in registers.
    #[inline(always)]
    fn step(&mut self) -> Option<Step> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let ptr = self.next;
        let len = if self.left == 0 {
            self.last_len
        } else {
            self.chunk_size
        };
        let offset = ptr as usize - self.base as usize;
        // Past the end of the region after the last item, but never read
        // again then (`left` is 0); `wrapping_add` makes no claim that it
        // stays inside the region.
        self.next = ptr.wrapping_add(self.chunk_size.get());
        Some(Step {
            ptr,
            len: len.get(),
            offset,
        })
    }

    /// Exactly the number of items left.
    #[inline(always)]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }

    /// Bytes not yet yielded.
    fn rest(&self) -> usize {
        match self.left {
            0 => 0,
            left => (left - 1) * self.chunk_size.get() + self.last_len.get(),
        }
    }

    /// Where the next item starts, from the start of the region.
    fn next_offset(&self) -> usize {
        self.len - self.rest()
    }

    /// The items left, for `fold`.
    #[inline(always)]
    fn walk(&self) -> Walk {
        Walk {
            base: self.base,
            // Not from `next`, which is past the end (and may have wrapped
            // around) once no item is left.
            offset: self.next_offset(),
            left: self.left,
            chunk_size: self.chunk_size,
            last_len: self.last_len,
        }
    }

    /// Formats the cursor as the iterator `name` that walks it.
    fn debug(&self, name: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(name)
            .field("len", &self.len)
            .field("pos", &self.next_offset())
            .field("chunk_size", &self.chunk_size)
            .finish()
    }
}

/// Takes `lock` for reading, with one share per chunk of the region, which
/// is `Chunks::left` at the start. Returns the shares (none for an empty
/// region) with the region's start and length.
#[inline(never)]
fn lock_for_chunks<'a>(
    shared: &Shared,
    lock: &'a Gate<Region>,
    chunk_size: NonZeroUsize,
    cap: usize,
) -> Result<(*const u8, usize, Option<UncountedShares<'a>>)> {
    let guard = shared.read(lock, "chunks")?;
    let mut walked = 0;
    let (shares, base, _) = SharedReads::acquire(lock, guard, |len| {
        walked = len.min(cap);
        chunk_count(walked, chunk_size)
    });
    Ok((base, walked, shares.map(|shares| shares.uncounted().0)))
}

/// Chunks of at most `chunk_size` bytes in `len` bytes.
fn chunk_count(len: usize, chunk_size: NonZeroUsize) -> usize {
    let chunk_size = chunk_size.get();
    len / chunk_size + usize::from(len % chunk_size != 0)
}

impl<'a> Iterator for Chunks<'a> {
    type Item = MappedSlice<'a>;

    // The same steps for every kind of mapping: no branch on the kind, and
    // every item is dropped the same way (see `MappedSlice::chunk`).
    #[inline]
    fn next(&mut self) -> Option<MappedSlice<'a>> {
        // Counted off before the item takes its share, so that `left`
        // never counts a share that is already handed out.
        let step = self.cursor.step()?;
        // SAFETY: an item was left, so the iterator still held a share for
        // it, and counting `left` down just gave it up.
        let share = self.shares.map(|shares| unsafe { shares.take() });
        // SAFETY: the cursor keeps `step` inside the region: every item but
        // the last is `chunk_size` long and the last one `last_len`, which
        // add up to its length. `share` keeps the region locked or, without
        // one, the mapping borrowed for `'a` keeps it unchanged.
        Some(unsafe { step.make(share) })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.cursor.size_hint()
    }

    /// A counted loop, like `slice::chunks_exact`'s, over every item but the
    /// last, then the last one: no per-item choice of the item's length. On
    /// a read-write mapping the loop hands each item one of the iterator's
    /// shares of the lock, out of line (`fold_shared`).
    #[inline]
    fn fold<B, F>(self, init: B, f: F) -> B
    where
        F: FnMut(B, MappedSlice<'a>) -> B,
    {
        let this = ManuallyDrop::new(self);
        let walk = this.cursor.walk();
        match this.shares {
            // The iterator's shares (one per item left) pass to `fold_shared`.
            Some(shares) => fold_shared(walk, shares, init, f),
            // SAFETY: `walk` asks for the items the iterator had left, inside
            // the lock-free region at `base`, borrowed for `'a`.
            None => walk.fold::<B, 1>(init, f, |item| unsafe { item.make(None) }),
        }
    }
}

impl Step {
    /// The item as a view, kept valid by `share` or by a borrow for `'a`.
    ///
    /// # Safety
    /// The step must come from a cursor over a region that stays valid and
    /// unchanged for `'a`: locked by `share` (one of the iterator's shares,
    /// given up for this item), or, without one, borrowed for `'a` from a
    /// lock-free mapping or from a [`Chunks`] that holds the lock.
    #[inline(always)]
    unsafe fn make<'a>(self, share: Option<SharedRead<'a>>) -> MappedSlice<'a> {
        // SAFETY: the caller's promise; the cursor's steps lie inside its
        // region, and `offset` is `ptr`'s distance from the region's start.
        unsafe { MappedSlice::chunk(share, self.ptr, self.len, self.offset as u64) }
    }
}

/// The items an iterator has left, as plain values for `fold`'s loop.
struct Walk {
    base: *const u8,
    /// Start of the next item, from `base`.
    offset: usize,
    left: usize,
    chunk_size: NonZeroUsize,
    last_len: NonZeroUsize,
}

/// One item of a [`Walk`]: where it starts and how long it is.
struct ItemRange {
    base: *const u8,
    offset: usize,
    len: usize,
}

impl ItemRange {
    /// # Safety
    /// The range must be one of the items of a [`Walk`] made by a cursor,
    /// with `share` as [`Step::make`] requires.
    #[inline(always)]
    unsafe fn make<'a>(&self, share: Option<SharedRead<'a>>) -> MappedSlice<'a> {
        // SAFETY: the caller's promise: `offset..offset + len` is one of the
        // walk's items, inside the region at `base`, so `add` stays in it,
        // and the item is a step of the cursor the walk was made from.
        unsafe {
            Step {
                ptr: self.base.add(self.offset),
                len: self.len,
                offset: self.offset,
            }
            .make(share)
        }
    }
}

impl Walk {
    /// Folds `f` over the items: all but the last in a counted loop of
    /// `chunk_size` items, `GROUP` items per round, then the last. `make`
    /// builds each item, in order.
    ///
    /// `GROUP` is 1 where the compiler unrolls the loop itself. A loop
    /// that may call out of line (to unlock, when an item drops the last
    /// share) is never unrolled by LLVM; walking it in groups of four
    /// keeps more items' loads in flight over a large file.
    #[inline(always)]
    fn fold<'a, B, const GROUP: usize>(
        self,
        init: B,
        mut f: impl FnMut(B, MappedSlice<'a>) -> B,
        mut make: impl FnMut(ItemRange) -> MappedSlice<'a>,
    ) -> B {
        let Walk {
            base,
            mut offset,
            left,
            chunk_size,
            last_len,
        } = self;
        if left == 0 {
            return init;
        }
        let len = chunk_size.get();
        let whole = left - 1;
        let mut acc = init;
        let mut step = |acc: B, offset: &mut usize| {
            let item = make(ItemRange {
                base,
                offset: *offset,
                len,
            });
            *offset += len;
            f(acc, item)
        };
        for _ in 0..whole / GROUP {
            for _ in 0..GROUP {
                acc = step(acc, &mut offset);
            }
        }
        for _ in 0..whole % GROUP {
            acc = step(acc, &mut offset);
        }
        let last = make(ItemRange {
            base,
            offset,
            len: last_len.get(),
        });
        f(acc, last)
    }
}

/// [`Iterator::fold`] for items that share a read lock: each item takes
/// one of `shares`, which hold one per item of `walk`; those not handed out
/// when `f` unwinds are given back. Four items per round: the loop may call
/// out of line to unlock, so the compiler does not unroll it, and a round
/// of four keeps several items' loads in flight, as an unrolled loop does
/// (figures: `iterator_throughput` in `docs/PERFORMANCE.md`). Out of line,
/// so that the values it keeps across its (rare) unlock call do not take
/// registers from the lock-free loop of `Chunks::fold`.
#[inline(never)]
fn fold_shared<'a, B>(
    walk: Walk,
    shares: UncountedShares<'a>,
    init: B,
    f: impl FnMut(B, MappedSlice<'a>) -> B,
) -> B {
    /// The shares not yet handed out.
    struct Unshared<'a> {
        shares: UncountedShares<'a>,
        left: usize,
    }
    impl Drop for Unshared<'_> {
        #[inline]
        fn drop(&mut self) {
            // SAFETY: `left` shares are still held, and given back once.
            drop(unsafe { self.shares.counted(self.left) });
        }
    }
    let mut unshared = Unshared {
        shares,
        left: walk.left,
    };
    walk.fold::<B, 4>(init, f, |item| {
        // Counted down before the item takes its share, as in `next`.
        unshared.left -= 1;
        // SAFETY: `item` is one of the walk's items, each of which has a
        // share, and counting `left` down just gave it up.
        unsafe { item.make(Some(unshared.shares.take())) }
    })
}

impl Drop for Chunks<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(shares) = self.shares {
            // SAFETY: the iterator holds one share per item left to yield
            // and gives them all back here, once.
            drop(unsafe { shares.counted(self.cursor.left) });
        }
    }
}

impl ExactSizeIterator for Chunks<'_> {}
impl FusedIterator for Chunks<'_> {}

impl std::fmt::Debug for Chunks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cursor.debug("Chunks", f)
    }
}

/// The items a [`Chunks`] has left, lent by it: iterating `&chunks`.
///
/// Each item borrows the `Chunks`, which keeps holding the read lock of a
/// read-write mapping, so an item needs no share of its own and dropping
/// it does nothing. A `for` loop over them therefore compiles like a raw
/// loop over `slice::chunks_exact` on every kind of mapping, unrolled, which
/// a `for` loop over the `Chunks` itself is not on a read-write mapping
/// (its items may unlock when dropped). The `Chunks` does not advance.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("b.bin");
/// let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
/// map.update_region(0, b"0123456789")?;
/// let mut firsts = Vec::new();
/// for chunk in &map.chunks(4) {
///     firsts.push((chunk.offset(), chunk[0]));
/// }
/// assert_eq!(firsts, [(0, b'0'), (4, b'4'), (8, b'8')]);
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
///
/// An item cannot outlive the `Chunks` it borrows:
///
/// ```compile_fail
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("b.bin");
/// let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
/// let first = {
///     let chunks = map.chunks(4);
///     let first = (&chunks).into_iter().next();
///     first
/// }; // `chunks`, and with it the lock, is gone here
/// assert_eq!(first.unwrap().len(), 4);
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[derive(Clone)]
pub struct BorrowedChunks<'c> {
    cursor: Cursor,
    _chunks: PhantomData<&'c [u8]>,
}

impl<'c, 'a> IntoIterator for &'c Chunks<'a> {
    type Item = MappedSlice<'c>;
    type IntoIter = BorrowedChunks<'c>;

    #[inline]
    fn into_iter(self) -> BorrowedChunks<'c> {
        BorrowedChunks {
            cursor: self.cursor,
            _chunks: PhantomData,
        }
    }
}

impl<'c> Iterator for BorrowedChunks<'c> {
    type Item = MappedSlice<'c>;

    #[inline]
    fn next(&mut self) -> Option<MappedSlice<'c>> {
        let step = self.cursor.step()?;
        // SAFETY: `step` is one of the items the borrowed `Chunks` has left.
        // While it has any, it holds a share of the read lock of a
        // read-write mapping, and it cannot change nor be dropped while
        // borrowed for `'c`; a lock-free mapping is borrowed by it for
        // longer than `'c`.
        Some(unsafe { step.make(None) })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.cursor.size_hint()
    }

    #[inline]
    fn fold<B, F>(self, init: B, f: F) -> B
    where
        F: FnMut(B, MappedSlice<'c>) -> B,
    {
        // SAFETY: `walk` asks for the items the borrowed `Chunks` has left,
        // kept valid for `'c` as in `next`.
        self.cursor
            .walk()
            .fold::<B, 1>(init, f, |item| unsafe { item.make(None) })
    }
}

impl ExactSizeIterator for BorrowedChunks<'_> {}
impl FusedIterator for BorrowedChunks<'_> {}

impl std::fmt::Debug for BorrowedChunks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cursor.debug("BorrowedChunks", f)
    }
}

/// Iterator over owned copies of fixed-size chunks. Created by
/// [`MemoryMappedFile::chunks_owned`] and [`MemoryMappedFile::pages_owned`].
///
/// Each item takes the lock only for its own copy, so `resize` can run
/// between items. The number of items is fixed when the iterator is made; an
/// item whose range no longer fits (the mapping shrank) is
/// `Err(OutOfBounds)`.
#[derive(Debug)]
pub struct ChunksOwned<'a> {
    map: &'a MemoryMappedFile,
    pos: u64,
    end: u64,
    chunk_size: u64,
}

impl Iterator for ChunksOwned<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        let rest = self.end - self.pos;
        if rest == 0 {
            return None;
        }
        let n = rest.min(self.chunk_size);
        let offset = self.pos;
        self.pos += n;
        Some(self.map.with_bytes(|bytes| {
            let range = check_range(offset, n, bytes.len())?;
            Ok(bytes[range].to_vec())
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest = self.end - self.pos;
        let n = rest / self.chunk_size + u64::from(rest % self.chunk_size != 0);
        // `n <= len / 1`, and the length of a mapping always fits in `usize`.
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl ExactSizeIterator for ChunksOwned<'_> {}
impl FusedIterator for ChunksOwned<'_> {}

/// A pending mutable walk over fixed-size chunks of a read-write mapping.
/// Created by [`MemoryMappedFile::chunks_mut`]; run it with
/// [`for_each_mut`](Self::for_each_mut).
#[derive(Debug)]
#[must_use = "nothing happens until for_each_mut is called"]
pub struct ChunksMut<'a> {
    map: &'a MemoryMappedFile,
    chunk_size: usize,
}

impl ChunksMut<'_> {
    /// Calls `f(offset, chunk)` for every chunk in order, under one
    /// acquisition of the write lock. The closure's first error stops the
    /// walk and is returned.
    ///
    /// Every chunk handed to the closure counts as pending bytes; afterwards
    /// the [`FlushPolicy`](crate::FlushPolicy) is applied (unless the
    /// closure failed). On a [copy-on-write
    /// writable](MemoryMappedFile::is_cow_writable) mapping the chunks are
    /// its private pages: nothing is pending and no policy applies. Errors:
    /// [`MmapIoError::InvalidChunkSize`] for a chunk size of 0,
    /// [`MmapIoError::InvalidMode`] on a mapping that is neither of those.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("w.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
    /// map.chunks_mut(4).for_each_mut(|offset, chunk| {
    ///     chunk.fill(offset as u8);
    ///     Ok(())
    /// })?;
    /// assert_eq!(map.as_slice(0, 10)?, [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn for_each_mut<F>(self, mut f: F) -> Result<()>
    where
        F: FnMut(u64, &mut [u8]) -> Result<()>,
    {
        if self.chunk_size == 0 {
            return Err(MmapIoError::InvalidChunkSize);
        }
        let lock = match self.map.write_lock("chunks_mut") {
            Ok(lock) => lock,
            Err(refused) => return self.map.private_for_each_mut(refused, self.chunk_size, f),
        };
        let shared = &*self.map.shared;
        let result = {
            let mut guard = shared.write(lock, "chunks_mut")?;
            let bytes = guard.bytes_mut().ok_or_else(|| MmapIoError::InvalidMode {
                op: "chunks_mut",
                mode: self.map.mode(),
            })?;
            // Counts what the closure was handed even if it panics, and lets
            // it flush this mapping meanwhile; dropped before `guard`.
            let mut walk = ExclusiveWrite::start(shared);
            let mut offset = 0u64;
            let mut result = Ok(());
            for chunk in bytes.chunks_mut(self.chunk_size) {
                let n = chunk.len() as u64;
                walk.dirtied += n;
                if let Err(e) = f(offset, chunk) {
                    result = Err(e);
                    break;
                }
                offset += n;
            }
            result
        };
        result?;
        if self.map.flush_policy().is_due(&shared.flush.pending()) {
            self.map.flush()?;
        }
        Ok(())
    }
}

impl MemoryMappedFile {
    /// Zero-copy chunks of `chunk_size` bytes over the whole mapping; the
    /// last may be shorter, and an empty mapping yields none.
    ///
    /// On a read-write mapping the read lock is taken once and held by the
    /// iterator until it has yielded its last item (or is dropped), and by
    /// every item for as long as it lives, so `resize` and writers wait for
    /// all of them. Iterating never allocates; creating the iterator
    /// allocates nothing either, except on a read-write mapping when this
    /// thread already has 32 such iterators (or their items) alive: then one
    /// small counter is allocated, and freed with the last item.
    ///
    /// The walk ends on a count of the items left, so a `for` loop over it
    /// has a trip count the compiler knows, and on a read-only or
    /// copy-on-write mapping it is unrolled like a raw `for` loop over
    /// `slice::chunks_exact`. Internal iteration (`for_each`, `fold`, `sum`,
    /// ...) runs a counted loop over whole chunks on every mapping.
    ///
    /// On a read-write mapping, each item gives its share of the lock back
    /// when it is dropped, and may unlock then, and LLVM never unrolls a
    /// loop that may make a call. So there, write the `for` loop over
    /// `&map.chunks(n)` ([`BorrowedChunks`]: items that borrow the iterator
    /// and hold nothing, unrolled on every mapping), or use `fold`/`for_each`,
    /// which take four items per round. For figures, see the
    /// `iterator_throughput` and instruction-count tables of
    /// `docs/PERFORMANCE.md`, which measure each of these loops against the
    /// raw loop of the same shape, including a raw loop whose items may call
    /// when dropped.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("f.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 3 * 4096)?;
    /// let mut sum = 0u64;
    /// for chunk in &map.chunks(4096) {
    ///     sum += u64::from(chunk[0]);
    /// }
    /// assert_eq!(sum, 0);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    ///
    /// A `chunk_size` of 0 yields no items (there is no chunk of no bytes to
    /// hand out, and a walk that never advanced would never end); use
    /// [`try_chunks`](Self::try_chunks) to have it reported as
    /// [`MmapIoError::InvalidChunkSize`] instead. So does a walk asked for
    /// by a thread that holds the file for writing (a `MappedSliceMut` of
    /// any of its handles, a `for_each_mut` walk, atomic views it made),
    /// which would otherwise wait for that very thread; `try_chunks` says
    /// [`MmapIoError::WouldDeadlock`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("c.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
    /// let lens: Vec<usize> = map.chunks(4).map(|c| c.len()).collect();
    /// assert_eq!(lens, [4, 4, 2]);
    /// assert_eq!(map.chunks(0).count(), 0);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    #[inline]
    pub fn chunks(&self, chunk_size: usize) -> Chunks<'_> {
        match NonZeroUsize::new(chunk_size) {
            Some(chunk_size) => Chunks::new(self, chunk_size).unwrap_or_else(|_| Chunks::empty()),
            None => Chunks::empty(),
        }
    }

    /// Like [`chunks`](Self::chunks), but a `chunk_size` of 0 is
    /// [`MmapIoError::InvalidChunkSize`], and a walk by a thread that holds
    /// the file for writing [`MmapIoError::WouldDeadlock`], rather than an
    /// iterator that yields nothing.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.bin");
    /// use mmapio::{MemoryMappedFile, MmapIoError};
    /// let map = MemoryMappedFile::create_rw(&path, 10)?;
    /// assert_eq!(map.try_chunks(4)?.len(), 3);
    /// assert!(matches!(map.try_chunks(0), Err(MmapIoError::InvalidChunkSize)));
    /// # Ok::<(), MmapIoError>(())
    /// ```
    #[inline]
    pub fn try_chunks(&self, chunk_size: usize) -> Result<Chunks<'_>> {
        // Not `ok_or`: that builds the error (which has drop glue) on the
        // success path too, and drops it there.
        match NonZeroUsize::new(chunk_size) {
            Some(chunk_size) => Chunks::new(self, chunk_size),
            None => Err(MmapIoError::InvalidChunkSize),
        }
    }

    /// Zero-copy chunks of exactly one OS page (the real page size; the
    /// last may be shorter).
    #[inline]
    pub fn pages(&self) -> Chunks<'_> {
        // `os::page_size` is never 0; the fallback only avoids a panic path.
        let page_size = NonZeroUsize::new(os::page_size()).unwrap_or(NonZeroUsize::MIN);
        Chunks::new(self, page_size).unwrap_or_else(|_| Chunks::empty())
    }

    /// Owned copies of `chunk_size`-byte chunks, one allocation per item.
    /// A `chunk_size` of 0 yields no items, as with [`chunks`](Self::chunks);
    /// [`try_chunks_owned`](Self::try_chunks_owned) reports it instead.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("o.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
    /// for chunk in map.chunks_owned(4) {
    ///     let chunk: Vec<u8> = chunk?;
    ///     assert!(chunk.len() <= 4);
    /// }
    /// assert_eq!(map.chunks_owned(0).count(), 0);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn chunks_owned(&self, chunk_size: usize) -> ChunksOwned<'_> {
        ChunksOwned {
            map: self,
            pos: 0,
            // No items at all for a chunk size of 0.
            end: if chunk_size == 0 { 0 } else { self.len() },
            chunk_size: (chunk_size as u64).max(1),
        }
    }

    /// Like [`chunks_owned`](Self::chunks_owned), but a `chunk_size` of 0 is
    /// [`MmapIoError::InvalidChunkSize`].
    pub fn try_chunks_owned(&self, chunk_size: usize) -> Result<ChunksOwned<'_>> {
        if chunk_size == 0 {
            return Err(MmapIoError::InvalidChunkSize);
        }
        Ok(self.chunks_owned(chunk_size))
    }

    /// Owned copies of page-sized chunks, one allocation per item.
    pub fn pages_owned(&self) -> ChunksOwned<'_> {
        ChunksOwned {
            map: self,
            pos: 0,
            end: self.len(),
            chunk_size: os::page_size() as u64,
        }
    }

    /// A mutable walk over `chunk_size`-byte chunks; see
    /// [`ChunksMut::for_each_mut`].
    pub fn chunks_mut(&self, chunk_size: usize) -> ChunksMut<'_> {
        ChunksMut {
            map: self,
            chunk_size,
        }
    }
}
