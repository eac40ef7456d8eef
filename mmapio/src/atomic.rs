//! Atomic views into a read-write or copy-on-write writable mapping
//! (feature `atomic`).
//!
//! See [`AtomicView`] for the rule that keeps atomic and byte access apart.

use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64};

use crate::bounds::check_range;
use crate::gate::Gate;
use crate::region::Region;
use crate::shared_state::{this_thread, Shared, RECHECK};
use crate::{MemoryMappedFile, MmapIoError, Result};

/// Membership in the mapping's atomic mode; see the module docs.
struct AtomicSession<'a> {
    shared: &'a Shared,
    lock: &'a Gate<Region>,
    /// Bytes the view may store to, counted as pending when it ends.
    bytes: u64,
    /// The thread that made the view, whose byte access would wait for it.
    maker: usize,
}

impl<'a> AtomicSession<'a> {
    /// Joins the atomic mode, entering it (taking the write lock on behalf
    /// of every atomic view) if no atomic view lives.
    ///
    /// Never waits for the write lock while holding the count's mutex:
    /// `flush` and the other system-call operations take that mutex while
    /// views of any kind live, and a thread holding a byte view may call
    /// them while this one waits for its view. So the wait is in short
    /// rounds, each followed by a fresh look at the count, which also lets
    /// this join atomic views that another thread created meanwhile
    /// instead of waiting for them to end.
    fn begin(shared: &'a Shared, lock: &'a Gate<Region>, op: &'static str) -> Result<Self> {
        // Made only once the count includes it: its `Drop` gives a place in
        // the atomic mode back.
        let maker = this_thread();
        let joined = || AtomicSession {
            shared,
            lock,
            bytes: 0,
            maker,
        };
        let mut checked = false;
        loop {
            {
                let mut views = shared.atomic_views.lock();
                if views.live > 0 {
                    views.join(maker);
                    return Ok(joined());
                }
                if let Some(guard) = lock.try_write() {
                    // Held on behalf of every atomic view until the last one
                    // drops.
                    std::mem::forget(guard);
                    views.join(maker);
                    return Ok(joined());
                }
            }
            if !checked {
                checked = true;
                if shared.held_by_this_thread(lock) {
                    return Err(MmapIoError::WouldDeadlock { op });
                }
            }
            if let Some(guard) = lock.try_write_for(RECHECK) {
                // No atomic view can live while another holder has the write
                // lock, so the count is 0: enter the atomic mode. Nobody
                // waits for the write lock while holding the count's mutex,
                // so taking it here cannot deadlock.
                let mut views = shared.atomic_views.lock();
                std::mem::forget(guard);
                views.join(maker);
                return Ok(joined());
            }
        }
    }

    /// The region, readable because the session holds the write lock.
    fn region(&self) -> &Region {
        // SAFETY: while any session lives the write lock is held on the
        // sessions' behalf, so nothing can replace or mutate the `Region`
        // (only `resize` and write guards do, and they need that lock).
        // Sessions only read it, so shared references are fine.
        unsafe { &*self.lock.data_ptr() }
    }
}

impl Drop for AtomicSession<'_> {
    fn drop(&mut self) {
        // Stores through the view are file writes like any other: pending
        // until flushed, so policies and the final flush see them.
        self.shared.flush.record_dirty(self.bytes);
        let mut views = self.shared.atomic_views.lock();
        if views.leave(self.maker) {
            // SAFETY: the first session forgot a write guard of this lock and
            // no other code unlocks it; this is the last session, so the
            // lock is released exactly once. parking_lot locks are not tied
            // to the thread that acquired them.
            unsafe { self.lock.force_unlock_write() };
        }
    }
}

/// One atomic value inside a read-write mapping; dereferences to `T`
/// (`AtomicU64` or `AtomicU32`).
///
/// # Atomic mode: the rule that keeps atomics and bytes apart
/// Mixing atomic and non-atomic access to the same bytes is a data race, and
/// a `&[u8]` promises its bytes do not change. So a mapping is, at any
/// moment, either in *byte mode* (byte views, copies, writes, resize) or in
/// *atomic mode* (any number of atomic views), never both. The first atomic
/// view takes the mapping's write lock on behalf of all atomic views and the
/// last one to drop releases it; meanwhile every byte view, `read_into`,
/// `update_region` and `resize` waits, and a new atomic view waits for live
/// byte views to be dropped. Atomic views are `Send + Sync`: share one
/// across threads (for example with `std::thread::scope`) or take one per
/// thread. A thread that holds a byte view of the mapping gets
/// [`MmapIoError::WouldDeadlock`] for an atomic view, and the reverse: byte
/// access asked for by the thread that made live atomic views (even ones
/// it has since sent to another thread) returns `WouldDeadlock` instead of
/// waiting for itself.
///
/// Operations that never touch the bytes from Rust — `flush`, `flush_range`,
/// `advise`, `prefetch_range`, `lock`/`unlock` — run in either mode, so a
/// counter can be made durable while its views are alive.
pub struct AtomicView<'a, T> {
    ptr: NonNull<T>,
    _session: AtomicSession<'a>,
    _value: PhantomData<&'a T>,
}

/// A slice of atomic values inside a read-write mapping; dereferences to
/// `[T]`. Keeps the mapping in atomic mode until dropped.
pub struct AtomicSliceView<'a, T> {
    ptr: NonNull<T>,
    len: usize,
    _session: AtomicSession<'a>,
    _value: PhantomData<&'a [T]>,
}

// SAFETY: a view is a shared reference to atomics (which are `Sync`) plus a
// session whose drop only touches a mutex and a parking_lot lock, both of
// which may be used from any thread.
unsafe impl<T: Sync> Send for AtomicView<'_, T> {}
// SAFETY: as above; `&AtomicView` only yields `&T`.
unsafe impl<T: Sync> Sync for AtomicView<'_, T> {}
// SAFETY: as for `AtomicView`.
unsafe impl<T: Sync> Send for AtomicSliceView<'_, T> {}
// SAFETY: as for `AtomicView`.
unsafe impl<T: Sync> Sync for AtomicSliceView<'_, T> {}

impl<T> Deref for AtomicView<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `ptr` is aligned for `T` and its `size_of::<T>()` bytes lie
        // inside the region (both checked at creation); the session keeps the
        // region mapped and free of non-atomic access for the view's life.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> Deref for AtomicSliceView<'_, T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: as for `AtomicView`, for `len` consecutive values.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for AtomicView<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AtomicView").field(&**self).finish()
    }
}

impl<T> std::fmt::Debug for AtomicSliceView<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicSliceView")
            .field("len", &self.len)
            .finish()
    }
}

/// Marker for the atomic types a mapping can hold: plain integers in
/// memory, valid for any bit pattern.
///
/// # Safety
/// `Self` must have the size and bit validity of its integer and no
/// invariants beyond them, so any aligned bytes of the mapping are a valid
/// value.
unsafe trait MappedAtomic: Sync {}
// SAFETY: `AtomicU64` has the in-memory representation of `u64`.
unsafe impl MappedAtomic for AtomicU64 {}
// SAFETY: `AtomicU32` has the in-memory representation of `u32`.
unsafe impl MappedAtomic for AtomicU32 {}

impl MemoryMappedFile {
    /// An `AtomicU64` at `offset` of a read-write mapping, or of a
    /// [copy-on-write writable](Self::is_cow_writable) one (whose stores
    /// go to private pages, never to the file, and are not pending).
    ///
    /// Errors, in this order: [`MmapIoError::InvalidMode`] unless the
    /// mapping is one of those (a store into a read-only page would kill
    /// the process);
    /// [`MmapIoError::Misaligned`] unless `offset` is a multiple of 8;
    /// [`MmapIoError::OutOfBounds`] unless the 8 bytes fit. The view puts the
    /// mapping in atomic mode (see [atomic mode](AtomicView#atomic-mode-the-rule-that-keeps-atomics-and-bytes-apart)).
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("counter.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 64)?;
    /// let counter = map.atomic_u64(8)?;
    /// std::thread::scope(|s| {
    ///     for _ in 0..4 {
    ///         s.spawn(|| counter.fetch_add(1, Ordering::Relaxed));
    ///     }
    /// });
    /// assert_eq!(counter.load(Ordering::Relaxed), 4);
    /// assert!(matches!(map.atomic_u64(4), Err(mmapio::MmapIoError::Misaligned { required: 8, offset: 4 })));
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn atomic_u64(&self, offset: u64) -> Result<AtomicView<'_, AtomicU64>> {
        self.atomic_view("atomic_u64", offset)
    }

    /// An `AtomicU32` at `offset` (a multiple of 4); as
    /// [`atomic_u64`](Self::atomic_u64).
    pub fn atomic_u32(&self, offset: u64) -> Result<AtomicView<'_, AtomicU32>> {
        self.atomic_view("atomic_u32", offset)
    }

    /// `count` consecutive `AtomicU64`s starting at `offset`; errors as for
    /// [`atomic_u64`](Self::atomic_u64), with `OutOfBounds { len: count * 8 }`
    /// (saturating at `u64::MAX` if that overflows). `count == 0` gives an
    /// empty slice at any aligned offset up to the length.
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("slots.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 4096)?;
    /// let slots = map.atomic_u64_slice(0, 8)?;
    /// slots[3].store(7, Ordering::Release);
    /// assert_eq!(slots.iter().map(|s| s.load(Ordering::Acquire)).sum::<u64>(), 7);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn atomic_u64_slice(
        &self,
        offset: u64,
        count: usize,
    ) -> Result<AtomicSliceView<'_, AtomicU64>> {
        self.atomic_slice("atomic_u64_slice", offset, count)
    }

    /// `count` consecutive `AtomicU32`s starting at `offset`; as
    /// [`atomic_u64_slice`](Self::atomic_u64_slice).
    pub fn atomic_u32_slice(
        &self,
        offset: u64,
        count: usize,
    ) -> Result<AtomicSliceView<'_, AtomicU32>> {
        self.atomic_slice("atomic_u32_slice", offset, count)
    }

    fn atomic_view<T: MappedAtomic>(
        &self,
        op: &'static str,
        offset: u64,
    ) -> Result<AtomicView<'_, T>> {
        let slice = self.atomic_slice::<T>(op, offset, 1)?;
        let AtomicSliceView { ptr, _session, .. } = slice;
        Ok(AtomicView {
            ptr,
            _session,
            _value: PhantomData,
        })
    }

    fn atomic_slice<T: MappedAtomic>(
        &self,
        op: &'static str,
        offset: u64,
        count: usize,
    ) -> Result<AtomicSliceView<'_, T>> {
        // A read-write handle's views are of the file's mapping; a
        // copy-on-write writable one's of its private mapping, under the
        // same atomic mode of the file's gate (its plain views pass that
        // gate too), and its stores reach no file.
        let (shared, lock, private) = match self.write_lock(op) {
            Ok(lock) => (&*self.shared, lock, None),
            Err(refused) => {
                let private = self.private_for_writes(refused)?;
                (private.file(), private.gate(), Some(private))
            }
        };
        let required = align_of::<T>() as u64;
        // The region starts on a page boundary, so an aligned offset is an
        // aligned address.
        if offset % required != 0 {
            return Err(MmapIoError::Misaligned { required, offset });
        }
        let len = (count as u64).saturating_mul(size_of::<T>() as u64);
        let mut session = AtomicSession::begin(shared, lock, op)?;
        let region = session.region();
        let (base, shown) = match private {
            None => (region.as_ptr(), region.len()),
            // Private bytes are shown up to the file's length, read under
            // the write lock the session holds.
            Some(private) => (private.region().as_ptr(), private.len().min(region.len())),
        };
        let range = check_range(offset, len, shown)?;
        // SAFETY: `range` was checked against the shown length, which is
        // within the mapping `base` starts, so the offset stays inside (or
        // one past the end of) it.
        let start = unsafe { base.add(range.start) };
        // An empty slice may sit at an empty region's dangling base, which is
        // not aligned for `T`; it needs no address at all, only alignment.
        let ptr = match NonNull::new(start as *mut T) {
            Some(ptr) if count > 0 => ptr,
            _ => NonNull::dangling(),
        };
        // Mappings start on a page boundary, so an aligned offset gives an
        // aligned address; check the address anyway rather than trust it.
        if ptr.as_ptr() as usize % align_of::<T>() != 0 {
            return Err(MmapIoError::Misaligned { required, offset });
        }
        // Stores to private pages are never pending.
        session.bytes = if private.is_some() { 0 } else { len };
        Ok(AtomicSliceView {
            ptr,
            len: count,
            _session: session,
            _value: PhantomData,
        })
    }
}
