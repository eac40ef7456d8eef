//! One read acquisition of a read-write mapping's lock, shared by an
//! iterator and every item it yields, counted in a thread-local slot.
//!
//! An `Rc` around the read guard would do the same job but costs one heap
//! allocation per iterator. The holders of these shares are `!Send`, so they
//! all live and die on the thread that took the lock, and their count can
//! live in that thread's storage instead: a fixed array of counters, where 0
//! marks a free slot. Nothing is allocated. When every slot of a thread is
//! taken, [`SharedReads::acquire`] returns `None` and the caller falls back
//! to one lock guard per item.
//!
//! An iterator counts the shares of all its items up front, when it takes
//! the lock ([`SharedReads`]), and hands them out one by one
//! ([`SharedReads::take`]), so making an item touches no shared state, and
//! dropping one costs one decrement through a pointer kept in the item.
//!
//! **Nothing an item or an iterator step calls may unwind.** A call that
//! might unwind needs a landing pad that drops the iterator, so the
//! iterator must then live in memory: a `for` loop over `chunks()` reloaded
//! its position, length, base and kind from the stack for every item (about
//! 20 instructions per item instead of 12). The out-of-line lock calls here
//! are therefore `extern "C"` functions, which cannot unwind; their bodies
//! catch any panic and abort, so none can reach the `extern "C"` boundary
//! (undefined behaviour before Rust 1.81, an abort since).

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::NonNull;

use parking_lot::RwLock;

use crate::region::Region;

/// Shared acquisitions a thread can have live at once before callers fall
/// back to per-item guards.
const SLOTS: usize = 32;

/// One shared acquisition: how many shares of it live, and its lock.
struct Slot {
    /// Live shares; 0 = the slot is free.
    holders: Cell<usize>,
    /// The lock, kept here rather than in every share so that an item is
    /// one pointer and a loop dropping items keeps fewer values live.
    lock: Cell<*const RwLock<Region>>,
}

/// Initial value of every slot (a named constant because `Cell` is not
/// `Copy`, and array repetition of a `const` item works on Rust 1.75).
#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    holders: Cell::new(0),
    lock: Cell::new(std::ptr::null()),
};

thread_local! {
    /// This thread's shared acquisitions. `const`-initialised and without
    /// `Drop`, so it is never lazily set up nor torn down: its storage stays
    /// valid, at one address, for as long as the thread runs, which is what
    /// lets shares keep a pointer to their slot.
    static SLOTS_OF_THIS_THREAD: [Slot; SLOTS] = const { [FREE; SLOTS] };
}

/// A slot in use: the acquisition of a lock borrowed for `'a`.
#[derive(Clone, Copy)]
struct Acquisition<'a> {
    /// A slot of the thread that took the lock.
    slot: NonNull<Slot>,
    _lock: PhantomData<&'a RwLock<Region>>,
}

impl Acquisition<'_> {
    #[inline(always)]
    fn slot(&self) -> &Slot {
        // SAFETY: `slot` points into `SLOTS_OF_THIS_THREAD` of the thread
        // that took the lock, whose storage lives at a fixed address for the
        // whole life of that thread. Every holder of an `Acquisition` is
        // `!Send`, so this runs on that same thread, which is therefore
        // still alive; `Cell` allows the shared access.
        unsafe { self.slot.as_ref() }
    }

    /// Gives back `n` of the counted shares, releasing the lock when they
    /// were the last.
    ///
    /// # Safety
    /// The caller owns `n >= 1` counted shares of this acquisition and
    /// gives them up.
    #[inline(always)]
    unsafe fn release(self, n: usize) {
        let slot = self.slot();
        let left = slot.holders.get() - n;
        slot.holders.set(left);
        if left == 0 {
            // SAFETY: the shares given back were the last ones.
            unsafe { unlock(slot) }
        }
    }
}

/// Releases the read lock of `slot`'s acquisition. `extern "C"`: cannot
/// unwind (see the module docs).
///
/// # Safety
/// The last counted share of that acquisition was just given back.
#[cold]
#[inline(never)]
unsafe extern "C" fn unlock(slot: &Slot) {
    // SAFETY: `acquire` stored a lock borrowed for the lifetime every share
    // carries, so it is still alive; it forgot the read guard it took on
    // this thread (shares are `!Send`, so this is the same thread), and only
    // the release of the last counted shares gets here, once: the count
    // reached 0, which also frees the slot.
    abort_on_panic(|| unsafe { (*slot.lock.get()).force_unlock_read() })
}

/// Runs `f`, aborting the process if it panics, so that an `extern "C"`
/// function built on it never unwinds. parking_lot's lock and unlock paths
/// are not expected to panic; this makes sure of it.
#[inline(always)]
fn abort_on_panic(f: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
        std::process::abort();
    }
}

/// A read lock taken for one item alone: the fallback when every slot of
/// the thread is in use. The lock is taken recursively (so it never waits
/// behind a queued writer while the iterator holds it) and released on
/// drop, both out of line by functions that cannot unwind. `!Send`, like
/// every item.
pub(crate) struct RecursiveRead<'a> {
    lock: &'a RwLock<Region>,
    _same_thread: PhantomData<*const ()>,
}

impl<'a> RecursiveRead<'a> {
    /// Takes a recursive read lock on `lock`.
    #[inline(always)]
    pub(crate) fn take(lock: &'a RwLock<Region>) -> Self {
        lock_read_recursive(lock);
        RecursiveRead {
            lock,
            _same_thread: PhantomData,
        }
    }
}

impl Drop for RecursiveRead<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `take` took a read lock on `self.lock` for this value
        // alone and forgot its guard; this gives it back, once.
        unsafe { unlock_read(self.lock) }
    }
}

/// Takes a recursive read lock on `lock` and forgets its guard.
/// `extern "C"`: cannot unwind (see the module docs).
#[inline(never)]
extern "C" fn lock_read_recursive(lock: &RwLock<Region>) {
    abort_on_panic(|| std::mem::forget(lock.read_recursive()));
}

/// Releases a read lock whose guard was forgotten. `extern "C"`: cannot
/// unwind (see the module docs).
///
/// # Safety
/// The caller gives up a read lock it took on `lock` and forgot.
#[inline(never)]
unsafe extern "C" fn unlock_read(lock: &RwLock<Region>) {
    // SAFETY: the caller's promise: one forgotten read lock, given back once.
    abort_on_panic(|| unsafe { lock.force_unlock_read() });
}

/// Shares of one read acquisition not yet handed out: an iterator holds one
/// for each item it has still to yield. The lock is released when the last
/// share, here or in a [`SharedRead`], is given back. `!Send` and `!Sync`:
/// the count lives in the acquiring thread's storage.
pub(crate) struct SharedReads<'a> {
    acquisition: Acquisition<'a>,
    /// Counted shares not yet taken; when 0, this holds nothing.
    left: usize,
    _same_thread: PhantomData<*const ()>,
}

impl<'a> SharedReads<'a> {
    /// Takes a read lock on `lock` through a free slot of this thread and
    /// counts `shares(len)` shares of it, where `len` is the locked
    /// region's length. Returns them with the region's start and length,
    /// or `None` (taking nothing) when every slot is in use. The pointer
    /// stays valid while any of the shares lives. When `shares` is 0, the
    /// lock is released at once and nothing is held.
    pub(crate) fn acquire(
        lock: &'a RwLock<Region>,
        shares: impl FnOnce(usize) -> usize,
    ) -> Option<(Self, *const u8, usize)> {
        let slot = SLOTS_OF_THIS_THREAD.with(|slots| {
            let free = slots.iter().find(|slot| slot.holders.get() == 0)?;
            Some(NonNull::from(free))
        })?;
        let guard = lock.read_recursive();
        let (base, len) = (guard.as_ptr(), guard.len());
        let left = shares(len);
        let acquisition = Acquisition {
            slot,
            _lock: PhantomData,
        };
        if left != 0 {
            let slot = acquisition.slot();
            slot.holders.set(left);
            slot.lock.set(lock);
            // Forgotten, not dropped: the lock stays held until the last
            // share of this acquisition releases it.
            std::mem::forget(guard);
        }
        let shares = SharedReads {
            acquisition,
            left,
            _same_thread: PhantomData,
        };
        Some((shares, base, len))
    }

    /// Shares not yet taken.
    #[cfg(test)]
    fn left(&self) -> usize {
        self.left
    }

    /// One of the shares, or `None` when all were taken.
    #[inline(always)]
    pub(crate) fn take(&mut self) -> Option<SharedRead<'a>> {
        self.left = self.left.checked_sub(1)?;
        Some(SharedRead {
            acquisition: self.acquisition,
            _same_thread: PhantomData,
        })
    }

    /// `N` of the shares at once, or `None` (taking none) when fewer are
    /// left.
    #[inline(always)]
    pub(crate) fn take_many<const N: usize>(&mut self) -> Option<[SharedRead<'a>; N]> {
        self.left = self.left.checked_sub(N)?;
        Some(std::array::from_fn(|_| SharedRead {
            acquisition: self.acquisition,
            _same_thread: PhantomData,
        }))
    }

    /// Moves up to `n` of the shares into a new holder. A loop that takes
    /// from it needs no counter of its own.
    #[inline(always)]
    pub(crate) fn split_off(&mut self, n: usize) -> SharedReads<'a> {
        let n = n.min(self.left);
        self.left -= n;
        SharedReads {
            acquisition: self.acquisition,
            left: n,
            _same_thread: PhantomData,
        }
    }
}

impl Drop for SharedReads<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        if self.left != 0 {
            // SAFETY: the `left` shares not taken are owned here.
            unsafe { self.acquisition.release(self.left) }
        }
    }
}

/// One counted share of a read acquisition, kept by an iterator item.
pub(crate) struct SharedRead<'a> {
    acquisition: Acquisition<'a>,
    _same_thread: PhantomData<*const ()>,
}

impl Drop for SharedRead<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: this owns one counted share.
        unsafe { self.acquisition.release(1) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live_shares(shares: &SharedReads<'_>) -> usize {
        shares.acquisition.slot().holders.get()
    }

    #[test]
    fn the_last_share_releases_the_lock() {
        let lock = RwLock::new(Region::empty());
        let (mut shares, _, _) = SharedReads::acquire(&lock, |_| 3).unwrap();
        let first = shares.take().unwrap();
        let second = shares.take().unwrap();
        assert_eq!((shares.left(), live_shares(&shares)), (1, 3));
        drop(first);
        assert_eq!(live_shares(&shares), 2);
        drop(shares); // gives back the share never taken
        assert!(lock.try_write().is_none(), "a share is still alive");
        drop(second);
        assert!(lock.try_write().is_some(), "the lock was released");
        // The slot is free again: a new acquisition can take every slot.
        let all: Vec<_> = std::iter::from_fn(|| SharedReads::acquire(&lock, |_| 1)).collect();
        assert_eq!(all.len(), SLOTS);
    }

    #[test]
    fn shares_taken_in_groups_and_split_off_are_all_counted() {
        let lock = RwLock::new(Region::empty());
        let (mut shares, _, _) = SharedReads::acquire(&lock, |_| 7).unwrap();
        let mut group = shares.split_off(5);
        assert_eq!((group.left(), shares.left()), (5, 2));
        let four = group.take_many::<4>().unwrap();
        assert!(group.take_many::<4>().is_none(), "only one share is left");
        assert_eq!(group.left(), 1);
        assert!(shares.split_off(9).left() == 2 && shares.left() == 0);
        // The two shares split off above were dropped with their holder.
        assert_eq!(live_shares(&group), 5);
        drop(group);
        assert_eq!(live_shares(&shares), 4);
        drop(shares);
        assert!(lock.try_write().is_none(), "four shares are alive");
        drop(four);
        assert!(lock.try_write().is_some());
    }

    #[test]
    fn shares_not_taken_release_the_lock_with_their_holder() {
        let lock = RwLock::new(Region::empty());
        let (mut shares, _, _) = SharedReads::acquire(&lock, |_| 2).unwrap();
        assert!(shares.take().is_some());
        assert!(lock.try_write().is_none());
        drop(shares);
        assert!(lock.try_write().is_some());
    }

    #[test]
    fn no_shares_hold_nothing() {
        let lock = RwLock::new(Region::empty());
        let (mut shares, _, len) = SharedReads::acquire(&lock, |len| len).unwrap();
        assert_eq!(len, 0);
        assert!(shares.take().is_none());
        assert!(lock.try_write().is_some(), "no share, no lock");
        drop(shares);
        assert!(lock.try_write().is_some());
    }

    #[test]
    fn a_thread_runs_out_of_slots_then_gets_them_back() {
        let lock = RwLock::new(Region::empty());
        let shares: Vec<_> = std::iter::from_fn(|| SharedReads::acquire(&lock, |_| 1)).collect();
        assert_eq!(shares.len(), SLOTS);
        // Each holds its own read acquisition.
        assert!(lock.try_write().is_none());
        drop(shares);
        assert!(lock.try_write().is_some());
        assert!(SharedReads::acquire(&lock, |_| 1).is_some());
    }
}
