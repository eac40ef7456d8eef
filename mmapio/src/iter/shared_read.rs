//! One read acquisition of a read-write mapping's reader gate, shared by an
//! iterator and every item it yields, counted in a slot.
//!
//! An `Rc` around the read guard would do the same job but costs one heap
//! allocation per iterator. The holders of these shares are `!Send`, so they
//! all live and die on the thread that took the lock, and their count can
//! live in that thread's storage instead: a fixed array of counters, where 0
//! marks a free slot. Nothing is allocated while a thread has at most
//! [`SLOTS`] acquisitions alive; beyond that, an acquisition gets a slot on
//! the heap, freed with its last share. Either way an item is the same
//! pointer to a slot, so a loop over items has one kind of item to drop.
//!
//! An iterator counts the shares of all its items up front, when it takes
//! the lock, and hands them out one by one ([`UncountedShares::take`]), so
//! making an item touches no shared state, and dropping one costs one
//! decrement through the pointer kept in the item.
//!
//! **Nothing an item or an iterator step calls may unwind.** A call that
//! might unwind needs a landing pad that drops the iterator, so the
//! iterator must then live in memory, and a `for` loop over `chunks()`
//! reloads its position, length, base and kind from the stack for every
//! item instead of keeping them in registers (per-item figures:
//! `instruction_counts/per_item` in `docs/PERFORMANCE.md`). The
//! out-of-line unlock here is therefore an `extern "C"` function, which
//! cannot unwind; its body catches any panic and aborts, so none can reach
//! the `extern "C"` boundary (undefined behaviour before Rust 1.81, an
//! abort since).

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::gate::{Gate, GateRead, RawRead};
use crate::region::Region;

/// Shared acquisitions a thread can have live at once before further ones
/// get their slot from the heap.
const SLOTS: usize = 32;

/// One shared acquisition: how many shares of it live, and its gate.
/// Aligned to 8 so that a view can tag its address (see `views.rs`).
#[repr(align(8))]
struct Slot {
    /// Live shares; 0 = the slot is free.
    holders: Cell<usize>,
    /// The gate, kept here rather than in every share so that an item is
    /// one pointer and a loop dropping items keeps fewer values live.
    lock: Cell<*const Gate<Region>>,
    /// How the acquisition holds the gate, while `holders > 0`.
    held: Cell<Option<RawRead>>,
    /// Whether this slot was allocated for one acquisition (all of the
    /// thread's own slots were in use) and is freed with its last share.
    on_heap: bool,
}

/// Initial value of every slot (a named constant because `Cell` is not
/// `Copy`, and array repetition of a `const` item works on Rust 1.75).
#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    holders: Cell::new(0),
    lock: Cell::new(std::ptr::null()),
    held: Cell::new(None),
    on_heap: false,
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
    /// A slot of the thread that took the lock, or one allocated for this
    /// acquisition alone.
    slot: NonNull<Slot>,
    _lock: PhantomData<&'a Gate<Region>>,
}

impl Acquisition<'_> {
    /// The slot. Only valid while a share of this acquisition is held,
    /// which every caller does.
    #[inline(always)]
    fn slot(&self) -> &Slot {
        // SAFETY: a share is held, so the slot is still in use: a slot of
        // `SLOTS_OF_THIS_THREAD` of the thread that took the lock, whose
        // storage lives at a fixed address for the whole life of that
        // thread, or a heap slot, freed only when its count reaches 0.
        // Every holder of a share is `!Send`, so this runs on that same
        // thread, which is therefore still alive; `Cell` allows the shared
        // access.
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
        let holders = &self.slot().holders;
        let left = holders.get() - n;
        holders.set(left);
        if left == 0 {
            // SAFETY: the shares given back were the last ones.
            unsafe { unlock(self.slot) }
        }
    }
}

/// Releases the read lock of `slot`'s acquisition and frees the slot if it
/// was allocated for it. `extern "C"`: cannot unwind (see the module docs).
/// Takes a pointer, not a reference, because it may free the slot.
///
/// # Safety
/// The last counted share of that acquisition was just given back.
#[cold]
#[inline(never)]
unsafe extern "C" fn unlock(slot: NonNull<Slot>) {
    // SAFETY: the slot is still in use (its count just reached 0, and only
    // this call frees a heap slot), as in `Acquisition::slot`.
    let (lock, held, on_heap) = unsafe {
        let slot = slot.as_ref();
        (slot.lock.get(), slot.held.take(), slot.on_heap)
    };
    // SAFETY: `acquire` stored a gate borrowed for the lifetime every share
    // carries, so it is still alive, and the raw share it took of it on this
    // thread (shares are `!Send`, so this is the same thread); only the
    // release of the last counted shares gets here, once: the count reached
    // 0, which also frees a slot of the thread.
    if let Some(held) = held {
        abort_on_panic(|| unsafe { held.release(&*lock) });
    }
    if on_heap {
        // SAFETY: `acquire` allocated this slot with `Box::new` (and leaked
        // it) for this acquisition alone; no share of it is left to reach it.
        drop(unsafe { Box::from_raw(slot.as_ptr()) });
    }
}

/// Runs `f`, aborting the process if it panics, so that an `extern "C"`
/// function built on it never unwinds. parking_lot's unlock path is not
/// expected to panic; this makes sure of it.
#[inline(always)]
fn abort_on_panic(f: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
        std::process::abort();
    }
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
    /// Counts `shares(len)` shares of `guard`, a read share of `lock`, where
    /// `len` is the locked region's length, in a free slot of this thread
    /// (or, when every one is in use, a slot allocated for them).
    /// Returns them with the region's start and length; the pointer stays
    /// valid while any of the shares lives. When `shares` is 0, the lock is
    /// released at once and there are no shares (`None`).
    pub(crate) fn acquire(
        lock: &'a Gate<Region>,
        guard: GateRead<'a, Region>,
        shares: impl FnOnce(usize) -> usize,
    ) -> (Option<Self>, *const u8, usize) {
        let (base, len) = (guard.as_ptr(), guard.len());
        let left = shares(len);
        if left == 0 {
            return (None, base, len);
        }
        let free = SLOTS_OF_THIS_THREAD.with(|slots| {
            let free = slots.iter().find(|slot| slot.holders.get() == 0)?;
            free.holders.set(left);
            free.lock.set(lock);
            free.held.set(None);
            Some(NonNull::from(free))
        });
        let slot = free.unwrap_or_else(|| {
            let slot = Box::new(Slot {
                holders: Cell::new(left),
                lock: Cell::new(lock),
                held: Cell::new(None),
                on_heap: true,
            });
            NonNull::from(Box::leak(slot))
        });
        // Kept raw: the gate stays held until the last share of this
        // acquisition releases it.
        // SAFETY: `slot` is in use by this acquisition (just claimed or
        // allocated), as in `Acquisition::slot`.
        unsafe { slot.as_ref() }.held.set(Some(guard.into_raw()));
        let shares = SharedReads {
            acquisition: Acquisition {
                slot,
                _lock: PhantomData,
            },
            left,
            _same_thread: PhantomData,
        };
        (Some(shares), base, len)
    }

    /// Stops counting the shares not yet taken: returns them with their
    /// number, which the caller keeps from now on.
    #[inline(always)]
    pub(crate) fn uncounted(self) -> (UncountedShares<'a>, usize) {
        let left = self.left;
        let shares = UncountedShares {
            acquisition: self.acquisition,
            _same_thread: PhantomData,
        };
        // The `left` shares now belong to the caller, not to this holder.
        std::mem::forget(self);
        (shares, left)
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

/// Shares of one read acquisition whose number the holder keeps itself:
/// an iterator knows how many items it has still to yield from its
/// position, so a counter of its own would only add work to every step.
/// Holds nothing by itself and has no `Drop`: the holder gives its shares
/// back by turning them into [`SharedReads`] again with
/// [`counted`](Self::counted).
#[derive(Clone, Copy)]
pub(crate) struct UncountedShares<'a> {
    acquisition: Acquisition<'a>,
    _same_thread: PhantomData<*const ()>,
}

impl<'a> UncountedShares<'a> {
    /// One of the shares, handed out without counting it here.
    ///
    /// # Safety
    /// The holder owns at least one share not yet handed out and gives up
    /// one of them (its own count must drop by one).
    #[inline(always)]
    pub(crate) unsafe fn take(&self) -> SharedRead<'a> {
        SharedRead {
            acquisition: self.acquisition,
            _same_thread: PhantomData,
        }
    }

    /// Counts the holder's shares again, which it gives up to the result.
    ///
    /// # Safety
    /// The holder owns exactly `left` shares not yet handed out.
    #[inline(always)]
    pub(crate) unsafe fn counted(self, left: usize) -> SharedReads<'a> {
        SharedReads {
            acquisition: self.acquisition,
            left,
            _same_thread: PhantomData,
        }
    }
}

/// One counted share of a read acquisition, kept by an iterator item.
pub(crate) struct SharedRead<'a> {
    acquisition: Acquisition<'a>,
    _same_thread: PhantomData<*const ()>,
}

impl SharedRead<'_> {
    /// The share as one word: its slot's address, a multiple of 8; turn it
    /// back with [`SharedRead::from_word`].
    #[inline(always)]
    pub(crate) fn into_word(self) -> *const u8 {
        let word = self.acquisition.slot.as_ptr().cast_const().cast();
        std::mem::forget(self);
        word
    }

    /// # Safety
    /// `word` came from [`SharedRead::into_word`] on this thread, of a
    /// share whose gate is still borrowed for the lifetime chosen, and is
    /// turned back once.
    #[inline(always)]
    pub(crate) unsafe fn from_word(word: *const u8) -> Self {
        SharedRead {
            acquisition: Acquisition {
                // SAFETY: a slot's address, never null (the caller's contract).
                slot: unsafe { NonNull::new_unchecked(word.cast_mut().cast()) },
                _lock: PhantomData,
            },
            _same_thread: PhantomData,
        }
    }
}

impl Drop for SharedRead<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: this owns one counted share.
        unsafe { self.acquisition.release(1) }
    }
}

#[cfg(test)]
impl UncountedShares<'_> {
    /// Whether these shares are counted in a slot allocated for them.
    pub(crate) fn on_heap(&self) -> bool {
        self.acquisition.slot().on_heap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acquire(lock: &Gate<Region>, shares: usize) -> SharedReads<'_> {
        SharedReads::acquire(lock, lock.read(), |_| shares)
            .0
            .unwrap()
    }

    fn live_shares(shares: &SharedReads<'_>) -> usize {
        shares.acquisition.slot().holders.get()
    }

    #[test]
    fn the_last_share_releases_the_lock() {
        let lock = Gate::new(Region::empty());
        let (shares, left) = acquire(&lock, 3).uncounted();
        assert_eq!(left, 3);
        // SAFETY: three shares are held here; two are handed out.
        let (first, second) = unsafe { (shares.take(), shares.take()) };
        // SAFETY: one share is left to the holder.
        let rest = unsafe { shares.counted(1) };
        assert_eq!(live_shares(&rest), 3);
        drop(first);
        assert_eq!(live_shares(&rest), 2);
        drop(rest); // gives back the share never handed out
        assert!(lock.try_write().is_none(), "a share is still alive");
        drop(second);
        assert!(lock.try_write().is_some(), "the lock was released");
        // The slot is free again: new acquisitions can take every slot.
        let all: Vec<_> = (0..SLOTS).map(|_| acquire(&lock, 1)).collect();
        assert!(all.iter().all(|shares| !shares.acquisition.slot().on_heap));
    }

    #[test]
    fn uncounted_shares_are_given_back_by_number() {
        let lock = Gate::new(Region::empty());
        let (shares, left) = acquire(&lock, 3).uncounted();
        assert_eq!(left, 3);
        // SAFETY: three shares are held here and one is handed out.
        let item = unsafe { shares.take() };
        // SAFETY: two shares are left to the holder.
        let rest = unsafe { shares.counted(2) };
        assert_eq!(live_shares(&rest), 3);
        drop(rest);
        assert!(lock.try_write().is_none(), "the item's share is alive");
        drop(item);
        assert!(lock.try_write().is_some());
    }

    #[test]
    fn no_shares_hold_nothing() {
        let lock = Gate::new(Region::empty());
        let (shares, _, len) = SharedReads::acquire(&lock, lock.read(), |len| len);
        assert_eq!(len, 0);
        assert!(shares.is_none());
        assert!(lock.try_write().is_some(), "no share, no lock");
    }

    #[test]
    fn beyond_its_slots_a_thread_counts_shares_on_the_heap() {
        let lock = Gate::new(Region::empty());
        let mut shares: Vec<_> = (0..SLOTS + 2).map(|_| acquire(&lock, 2)).collect();
        let on_heap: Vec<bool> = shares
            .iter()
            .map(|shares| shares.acquisition.slot().on_heap)
            .collect();
        assert_eq!(on_heap.iter().filter(|&&heap| heap).count(), 2);
        assert!(on_heap[..SLOTS].iter().all(|&heap| !heap));
        // A share of a heap slot outlives its holder and keeps the lock.
        let (last, _) = shares.pop().unwrap().uncounted();
        // SAFETY: two shares are held; this hands one out.
        let kept = unsafe { last.take() };
        // SAFETY: one share is left to the holder, given back here.
        let rest = unsafe { last.counted(1) };
        assert_eq!(live_shares(&rest), 2);
        drop(rest);
        drop(shares);
        assert!(lock.try_write().is_none(), "the kept share holds the lock");
        drop(kept);
        assert!(lock.try_write().is_some(), "every acquisition was released");
        // The thread's own slots are free again.
        assert!(!acquire(&lock, 1).acquisition.slot().on_heap);
    }
}
