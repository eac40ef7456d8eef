//! One read acquisition of a read-write mapping's lock, shared by an
//! iterator and every item it yields, counted in a thread-local slot.
//!
//! An `Rc` around the read guard would do the same job but costs one heap
//! allocation per iterator. The holders of a [`SharedRead`] are `!Send`, so
//! they all live and die on the thread that took the lock, and their count
//! can live in that thread's storage instead: a fixed array of counters,
//! where 0 marks a free slot. Cloning and dropping cost one thread-local
//! increment or decrement, like an `Rc`, and nothing is allocated. When every
//! slot of a thread is taken, [`SharedRead::acquire`] returns `None` and the
//! caller falls back to one lock guard per item.

use std::cell::Cell;
use std::marker::PhantomData;

use parking_lot::RwLock;

use crate::region::Region;

/// Shared acquisitions a thread can have live at once before callers fall
/// back to per-item guards. A power of two, so a slot index can be masked
/// into range instead of bounds-checked on every clone and drop.
const SLOTS: usize = 32;
const _: () = assert!(SLOTS.is_power_of_two());

/// Initial value of every slot (a named constant because `Cell` is not
/// `Copy`, and array repetition of a `const` item works on Rust 1.75).
#[allow(clippy::declare_interior_mutable_const)]
const FREE: Cell<usize> = Cell::new(0);

thread_local! {
    /// Holders of each shared acquisition made on this thread; 0 = free.
    /// `const`-initialised and without `Drop`, so it is never lazily set up
    /// nor torn down and stays reachable even from other thread-local
    /// destructors.
    static HOLDERS: [Cell<usize>; SLOTS] = const { [FREE; SLOTS] };
}

/// Runs `f` on this thread's holder count for `slot`.
#[inline(always)]
fn with_count<R>(slot: usize, f: impl FnOnce(&Cell<usize>) -> R) -> R {
    HOLDERS.with(|holders| f(&holders[slot & (SLOTS - 1)]))
}

/// A counted share of one read acquisition of a mapping's lock; the lock is
/// released when the last share is dropped. `!Send` and `!Sync`: the count
/// lives in the acquiring thread's storage.
pub(crate) struct SharedRead<'a> {
    lock: &'a RwLock<Region>,
    /// Index into this thread's `HOLDERS`; always `< SLOTS`.
    slot: usize,
    _same_thread: PhantomData<*const ()>,
}

impl<'a> SharedRead<'a> {
    /// Takes a read lock on `lock` shared through a free slot of this
    /// thread and returns it with the locked region's start and length, or
    /// `None` (taking nothing) when every slot is in use. The pointer stays
    /// valid while any share of this acquisition lives.
    pub(crate) fn acquire(lock: &'a RwLock<Region>) -> Option<(Self, *const u8, usize)> {
        let slot = HOLDERS.with(|holders| {
            let slot = holders.iter().position(|count| count.get() == 0)?;
            holders[slot].set(1);
            Some(slot)
        })?;
        let guard = lock.read_recursive();
        let (base, len) = (guard.as_ptr(), guard.len());
        // Forgotten, not dropped: the lock stays held until the last share
        // of this acquisition releases it in `drop`.
        std::mem::forget(guard);
        let share = SharedRead {
            lock,
            slot,
            _same_thread: PhantomData,
        };
        Some((share, base, len))
    }
}

impl<'a> SharedRead<'a> {
    /// A copyable handle that makes more shares of this acquisition; it
    /// borrows this share, so the acquisition stays alive while it exists.
    /// Holding the lock and slot by value lets a loop keep them in
    /// registers instead of reloading them through a reference.
    #[inline(always)]
    pub(crate) fn handle(&self) -> ShareHandle<'_, 'a> {
        ShareHandle {
            lock: self.lock,
            slot: self.slot,
            _alive: PhantomData,
        }
    }
}

impl<'s, 'a> ShareHandle<'s, 'a> {
    /// Counts `n` more shares at once; hand them out with
    /// [`Prepaid::take`]. In a loop this replaces one count update per
    /// item with one for the whole loop.
    #[inline(always)]
    pub(crate) fn prepay(self, n: usize) -> Prepaid<'s, 'a> {
        // Cannot overflow, for the reason given on `SharedRead::clone`.
        with_count(self.slot, |count| count.set(count.get() + n));
        Prepaid {
            handle: self,
            left: n,
        }
    }
}

/// Shares counted by [`ShareHandle::prepay`] and not yet handed out; they
/// are uncounted again when this is dropped (also when unwinding).
pub(crate) struct Prepaid<'s, 'a> {
    handle: ShareHandle<'s, 'a>,
    left: usize,
}

impl<'a> Prepaid<'_, 'a> {
    /// Prepaid shares not yet taken.
    #[inline(always)]
    pub(crate) fn left(&self) -> usize {
        self.left
    }

    /// One share: a prepaid one while any are left, else a newly counted
    /// one.
    #[inline(always)]
    pub(crate) fn take(&mut self) -> SharedRead<'a> {
        match self.left.checked_sub(1) {
            Some(left) => {
                self.left = left;
                SharedRead {
                    lock: self.handle.lock,
                    slot: self.handle.slot,
                    _same_thread: PhantomData,
                }
            }
            None => self.handle.share(),
        }
    }
}

impl Drop for Prepaid<'_, '_> {
    #[inline]
    fn drop(&mut self) {
        // The share behind `handle` is alive and counted, so this never
        // reaches 0 and never has to release the lock.
        with_count(self.handle.slot, |count| count.set(count.get() - self.left));
    }
}

/// See [`SharedRead::handle`].
#[derive(Clone, Copy)]
pub(crate) struct ShareHandle<'s, 'a> {
    lock: &'a RwLock<Region>,
    slot: usize,
    _alive: PhantomData<&'s SharedRead<'a>>,
}

impl<'a> ShareHandle<'_, 'a> {
    /// One more share, exactly as [`SharedRead::clone`].
    #[inline(always)]
    pub(crate) fn share(self) -> SharedRead<'a> {
        with_count(self.slot, |count| count.set(count.get() + 1));
        SharedRead {
            lock: self.lock,
            slot: self.slot,
            _same_thread: PhantomData,
        }
    }
}

impl Clone for SharedRead<'_> {
    /// One more share. The count cannot overflow: shares are cloned only
    /// to make iterator items (`MappedSlice` is not `Clone`), so one
    /// acquisition never has more than one share per chunk of its mapping
    /// plus the iterator's own, far below `usize::MAX`.
    #[inline]
    fn clone(&self) -> Self {
        self.handle().share()
    }
}

impl Drop for SharedRead<'_> {
    #[inline]
    fn drop(&mut self) {
        let last = with_count(self.slot, |count| {
            let left = count.get() - 1;
            count.set(left);
            left == 0
        });
        if last {
            // SAFETY: `acquire` forgot the read guard it took on this
            // thread (shares are `!Send`, so this is the same thread), and
            // only the last share of that acquisition gets here, once: the
            // count reached 0, which also frees the slot.
            unsafe { self.lock.force_unlock_read() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holders(slot: usize) -> usize {
        HOLDERS.with(|h| h[slot].get())
    }

    #[test]
    fn the_last_share_releases_the_lock() {
        let lock = RwLock::new(Region::empty());
        let (share, _, _) = SharedRead::acquire(&lock).unwrap();
        let slot = share.slot;
        let second = share.clone();
        assert_eq!(holders(slot), 2);
        drop(share);
        assert!(lock.try_write().is_none(), "a share is still alive");
        drop(second);
        assert_eq!(holders(slot), 0);
        assert!(lock.try_write().is_some(), "the lock was released");
    }

    #[test]
    fn a_thread_runs_out_of_slots_then_gets_them_back() {
        let lock = RwLock::new(Region::empty());
        let shares: Vec<_> = std::iter::from_fn(|| SharedRead::acquire(&lock)).collect();
        assert_eq!(shares.len(), SLOTS);
        // Each share holds its own read acquisition.
        assert!(lock.try_write().is_none());
        drop(shares);
        assert!(lock.try_write().is_some());
        assert!(SharedRead::acquire(&lock).is_some());
    }
}
