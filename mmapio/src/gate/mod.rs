//! The reader gate of one mapped file: what every view waits behind and
//! every writer waits for, built so that taking a view writes no cache
//! line that another thread writes.
//!
//! A gate is a [`parking_lot::RwLock`] with a *bias* in front of it, after
//! BRAVO (Dice and Kogan, "BRAVO — Biased Locking for Reader-Writer Locks",
//! USENIX ATC 2019), as in folly's `ThreadCachedReaders` and Linux's
//! `percpu_rw_semaphore`:
//!
//! * **A biased view** announces itself in a slot of the calling thread's
//!   own record (`records.rs`: `serial << COUNT_BITS | count`, one cache
//!   line per thread), then [`barrier::Light`], then checks that the bias is
//!   on. Nothing else: no read-modify-write, no shared line written. A
//!   thread that already holds a biased view of the gate adds one to its
//!   slot and is done. Releasing is a Release store into the slot.
//! * **A view that finds the bias off** (or its slot taken by another file,
//!   or no record because its thread is exiting) takes the read lock: the
//!   lock path, counted in the thread's private table so that the thread
//!   can tell when a writer would wait for itself.
//! * **A writer** (a write, `resize`, a mutable view, atomic views) takes
//!   the write lock, which waits for lock-path views and makes new
//!   lock-path views wait behind it; then, if the bias is on, clears it,
//!   issues [`barrier::heavy`] and waits until no thread's slot holds the
//!   gate. New views that meet the cleared bias go to the lock and queue
//!   behind the writer, so a writer waits only for the views that were
//!   live when it arrived (plus, on a thread that keeps one view of the
//!   file live while it takes the next, those nested in it).
//! * **The bias comes back** only from a lock-path view, holding the read
//!   lock (so never during a revocation), after a few such views and once
//!   the gate has stayed unbiased for as long as the last revocation took:
//!   revocations then cost at most about half the time, however writes and
//!   reads mix (see `INHIBIT_FACTOR`).
//!
//! Why this is sound: the reader's "store slot; light; load bias" and the
//! writer's "store bias; heavy; load slots" are the store-buffering
//! pattern, and `light` + `heavy` together act as a pair of SeqCst fences
//! (see `barrier.rs`): either the writer's scan sees the reader's claim and
//! waits for its release (Release store, read with Acquire), or the reader
//! sees the cleared bias and takes the lock. The bias is turned on with a
//! Release store after the lock was acquired for reading, so a biased
//! reader (its Acquire load of the bias) sees everything the last writer
//! did. Serials are never reused, so a slot can never be mistaken for
//! another gate's.
//!
//! The protocol itself ([`Bias`]) works on slots it is given, so that the
//! loom models (`loom_models.rs`) run the very same code over threads of
//! their own.

mod barrier;
#[cfg(all(test, mmapio_loom))]
mod loom_models;
mod records;
pub(crate) mod sync;
#[cfg(all(test, not(mmapio_loom)))]
mod tests;

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use parking_lot::{RwLock, RwLockWriteGuard};

pub(crate) use barrier::{strategy, Strategy};
use sync::{AtomicBool, AtomicU64};

use records::{COUNT_BITS, COUNT_MASK};

/// How much longer than a revocation took the bias stays off after it:
/// as long again, so revocations take at most about half the time however
/// writes and views mix. A longer inhibition (BRAVO's is nine times) bounds
/// the writers' share lower, but every view in it takes the lock path,
/// whose two atomic read-modify-writes keep one random read's cache miss
/// from overlapping the next: with a write after every 64 random reads,
/// nine times made each iteration about twice as slow as once.
const INHIBIT_FACTOR: u64 = 1;

/// Lock-path views a gate without the bias must see (since it was made or
/// last revoked) before one turns the bias on: a file written between
/// every view or two never pays a revocation per write.
const READS_TO_BIAS: u64 = if cfg!(mmapio_loom) { 1 } else { 4 };

/// The serials handed out so far; 0 is never one.
static LAST_SERIAL: StdAtomicU64 = StdAtomicU64::new(0);

/// A fresh serial, or 0 (never biased) once they ran out.
fn next_serial() -> u64 {
    let serial = LAST_SERIAL.fetch_add(1, Ordering::Relaxed) + 1;
    if serial >> (64 - COUNT_BITS) == 0 {
        serial
    } else {
        0
    }
}

/// Nanoseconds since the first call in this process; always 0 under loom.
///
/// loom replays schedules and needs every run of a model to take the same
/// branches: the inhibition after a revocation depends on how long it took,
/// which is wall time, so under loom every revocation takes no time and the
/// inhibition never holds (it is a cost heuristic, not part of the ordering
/// argument the models check).
fn now_nanos() -> u64 {
    if cfg!(mmapio_loom) {
        return 0;
    }
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// How a revocation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Revoked {
    /// No thread holds a biased view of the gate.
    Drained,
    /// The deadline passed first; the bias stays off.
    TimedOut,
    /// The calling thread itself holds a biased view (`own` slot): waiting
    /// would never end.
    OwnView,
}

/// The biased half of a gate: the protocol, over slots given to it.
pub(crate) struct Bias {
    /// Whether views may take the biased path.
    on: AtomicBool,
    /// This gate's serial (0: serials ran out, never biased).
    serial: u64,
    /// `serial % SLOTS`: the slot of each thread's record it uses.
    slot_index: usize,
    /// A slot's word for one view of this gate.
    first_claim: u64,
    /// Whether the bias may ever be on (not under the lock-only strategy).
    biasable: bool,
    /// The reader's half of the fence, as this process makes it.
    light: barrier::Light,
    /// Until when (`now_nanos`) a lock-path view must not turn the bias on.
    inhibit_until: StdAtomicU64,
    /// Revocations so far.
    revocations: StdAtomicU64,
    /// Lock-path views since the gate was made or last revoked (counted
    /// only while the bias is off; the lock path writes the lock anyway).
    lock_reads: StdAtomicU64,
    /// Whether the last revocation timed out: the bias is off but biased
    /// views may still live, so the next writer must wait for them too.
    /// Written with the write lock held.
    undrained: std::sync::atomic::AtomicBool,
}

impl Bias {
    /// A bias for a new gate: off until the first view turns it on (through
    /// the lock), so a file that is only written never pays a revocation;
    /// never on unless `biasable` and serials remain.
    pub(crate) fn new(biasable: bool) -> Self {
        let serial = next_serial();
        Bias {
            on: AtomicBool::new(false),
            serial,
            slot_index: serial as usize % records::SLOTS,
            first_claim: serial << COUNT_BITS | 1,
            biasable: biasable && serial != 0,
            light: barrier::Light::of_this_process(),
            inhibit_until: StdAtomicU64::new(0),
            revocations: StdAtomicU64::new(0),
            lock_reads: StdAtomicU64::new(0),
            undrained: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The slot of a thread's record this gate uses.
    #[inline(always)]
    pub(crate) fn slot_index(&self) -> usize {
        // Masked (a no-op: it is below `SLOTS`, a power of two) so that
        // indexing a record's slots needs no bounds check.
        self.slot_index & (records::SLOTS - 1)
    }

    /// Whether `word` (a slot's value) counts views of this gate. A slot
    /// whose count is 0 is free, whatever serial it still shows.
    #[inline(always)]
    fn counts_here(&self, word: u64) -> bool {
        word & COUNT_MASK != 0 && word >> COUNT_BITS == self.serial
    }

    /// A biased claim through the calling thread's `slot`: true when the
    /// view may go ahead (release it with [`Bias::release`]), false when it
    /// must take the lock path.
    #[inline(always)]
    pub(crate) fn claim(&self, slot: &AtomicU64) -> bool {
        let word = slot.load(Ordering::Relaxed);
        if word & COUNT_MASK != 0 {
            return self.claim_nested(slot, word);
        }
        // The first view of the slot, with the process barrier: the
        // straight path, as views that do not nest are the common case. The
        // strategy is copied out once: the compiler cannot tell that the
        // store below leaves it be.
        let light = self.light;
        if light.is_fence() {
            return self.claim_fenced(slot, light);
        }
        slot.store(self.first_claim, Ordering::Relaxed);
        light.issue();
        self.confirm_claim(slot)
    }

    /// The first claim of a slot where the reader's half is a full fence.
    /// Marked cold only so the process barrier's path is laid out straight:
    /// next to the fence, the call costs little.
    #[cold]
    #[inline(never)]
    fn claim_fenced(&self, slot: &AtomicU64, light: barrier::Light) -> bool {
        // Announcing costs the fence: not worth it while the bias is off
        // anyway (checked again after the fence).
        if !self.on.load(Ordering::Relaxed) {
            return false;
        }
        slot.store(self.first_claim, Ordering::Relaxed);
        light.issue();
        self.confirm_claim(slot)
    }

    /// The end of a first claim, once announced and fenced: the view may go
    /// ahead if the bias is still on, else the slot is given back.
    #[inline(always)]
    fn confirm_claim(&self, slot: &AtomicU64) -> bool {
        if self.on.load(Ordering::Acquire) {
            return true;
        }
        slot.store(0, Ordering::Release);
        false
    }

    /// A claim through a slot that counts views already: nested in a live
    /// biased view of this gate (a revoking writer is already waiting for
    /// this slot, and keeps waiting while it counts), or the slot is taken
    /// by another gate's views.
    #[cold]
    #[inline(never)]
    fn claim_nested(&self, slot: &AtomicU64, word: u64) -> bool {
        if self.counts_here(word) && word & COUNT_MASK != COUNT_MASK {
            slot.store(word + 1, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Releases a view claimed through `slot`, on the thread that claimed
    /// it (views are `!Send`).
    #[inline(always)]
    pub(crate) fn release(slot: &AtomicU64) {
        // The count drops by one; at 0 the slot is free.
        slot.store(slot.load(Ordering::Relaxed) - 1, Ordering::Release);
    }

    /// Whether a slot may count a view of this gate: the bias is on, or a
    /// revocation timed out before the views it saw ended. With the write
    /// lock held.
    #[inline(always)]
    pub(crate) fn may_count_views(&self) -> bool {
        self.on.load(Ordering::Relaxed) || self.undrained.load(Ordering::Relaxed)
    }

    /// Revokes the bias, with the write lock held: clears it and waits,
    /// until `deadline` if any, for no slot among `slots()` to count a view
    /// of this gate. `own` is the calling thread's slot, if it has one.
    pub(crate) fn revoke<'s, I>(
        &self,
        slots: impl Fn() -> I,
        own: Option<&AtomicU64>,
        deadline: Option<Instant>,
    ) -> Revoked
    where
        I: Iterator<Item = &'s AtomicU64>,
    {
        let biased = self.on.load(Ordering::Relaxed);
        if !biased && !self.undrained.load(Ordering::Relaxed) {
            return Revoked::Drained;
        }
        if let Some(own) = own {
            if self.counts_here(own.load(Ordering::Relaxed)) {
                return Revoked::OwnView;
            }
        }
        let started = now_nanos();
        if biased {
            self.on.store(false, Ordering::Relaxed);
            barrier::heavy();
            self.revocations.fetch_add(1, Ordering::Relaxed);
        }
        // Otherwise a revocation that timed out cleared the bias and issued
        // the barrier already: only the views it did not see end are left.
        let mut outcome = Revoked::Drained;
        'slots: for slot in slots() {
            let mut backoff = Backoff::default();
            while self.counts_here(slot.load(Ordering::Acquire)) {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    outcome = Revoked::TimedOut;
                    break 'slots;
                }
                backoff.wait();
            }
        }
        self.undrained
            .store(outcome == Revoked::TimedOut, Ordering::Relaxed);
        let ended = now_nanos();
        let took = ended.saturating_sub(started).saturating_mul(INHIBIT_FACTOR);
        self.inhibit_until
            .store(ended.saturating_add(took), Ordering::Relaxed);
        self.lock_reads.store(0, Ordering::Relaxed);
        outcome
    }

    /// Counts a lock-path view and turns the bias back on if the gate may
    /// have it, has seen [`READS_TO_BIAS`] such views and the inhibition
    /// after the last revocation has passed. Only with the read lock held,
    /// so that it never overlaps a revocation.
    fn reenable(&self) {
        if self.biasable
            && !self.on.load(Ordering::Relaxed)
            && self.lock_reads.fetch_add(1, Ordering::Relaxed) + 1 >= READS_TO_BIAS
            && now_nanos() >= self.inhibit_until.load(Ordering::Relaxed)
        {
            self.on.store(true, Ordering::Release);
        }
    }
}

/// Waits in steps that grow from spinning to yielding to short sleeps (a
/// revoking writer waits for views that may be held for a while).
#[derive(Default)]
pub(crate) struct Backoff {
    step: u32,
}

impl Backoff {
    pub(crate) fn wait(&mut self) {
        self.step = self.step.saturating_add(1);
        if cfg!(mmapio_loom) {
            sync::yield_now();
        } else if self.step <= 64 {
            std::hint::spin_loop();
        } else if self.step <= 80 {
            sync::yield_now();
        } else {
            let micros = 10u64 << (self.step - 80).min(7);
            std::thread::sleep(Duration::from_micros(micros));
        }
    }
}

/// A value behind a file's reader gate (the mapped region).
pub(crate) struct Gate<T> {
    lock: RwLock<T>,
    bias: Bias,
}

/// Why a gate refused to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OwnView;

impl<T> Gate<T> {
    /// A gate over `value`; chooses the process's strategy on first use.
    /// Its bias starts off (see [`READS_TO_BIAS`]).
    pub(crate) fn new(value: T) -> Self {
        Self::with_bias(value, false)
    }

    /// A gate whose bias starts on when the strategy allows it: for a value
    /// no writer is expected to close the gate over soon (a file mapped
    /// read-only, which only a later read-write open can make writable).
    pub(crate) fn new_biased(value: T) -> Self {
        Self::with_bias(value, true)
    }

    fn with_bias(value: T, on: bool) -> Self {
        let biased = strategy() != Strategy::LockOnly;
        if biased {
            // The thread that opens a file is likely to read it: its record
            // is claimed now, with the open's system calls, rather than in
            // its first view.
            let _ = records::this_thread();
        }
        let bias = Bias::new(biased);
        if on && bias.biasable {
            // No view or writer can know the gate yet: nothing to order.
            bias.on.store(true, Ordering::Relaxed);
        }
        Gate {
            lock: RwLock::new(value),
            bias,
        }
    }

    /// The value, for callers that hold the gate by other means (the write
    /// lock held on behalf of atomic views, or by the calling thread).
    pub(crate) fn data_ptr(&self) -> *mut T {
        self.lock.data_ptr()
    }

    /// How often a writer revoked the bias so far.
    pub(crate) fn revocations(&self) -> u64 {
        self.bias.revocations.load(Ordering::Relaxed)
    }

    /// A view's share of the gate without waiting: biased, or through the
    /// lock when no writer holds or waits for it (or when this thread holds
    /// a view of it already).
    #[inline(always)]
    pub(crate) fn try_read(&self) -> Option<GateRead<'_, T>> {
        if let Some(read) = self.try_biased() {
            return Some(read);
        }
        self.read_locked(Wait::No)
    }

    /// The biased path alone.
    #[inline(always)]
    fn try_biased(&self) -> Option<GateRead<'_, T>> {
        let record = records::this_thread()?;
        let slot = &record.slots[self.bias.slot_index()];
        self.bias
            .claim(slot)
            .then(|| GateRead::new(self, Held::slot(slot)))
    }

    /// [`try_read`](Self::try_read), waiting up to `timeout` behind a
    /// writer.
    pub(crate) fn try_read_for(&self, timeout: Duration) -> Option<GateRead<'_, T>> {
        self.try_biased()
            .or_else(|| self.read_locked(Wait::Until(Instant::now() + timeout)))
    }

    /// A view's share of the gate, waiting behind a writer that holds or
    /// waits for it. The caller makes sure the calling thread is not that
    /// writer.
    pub(crate) fn read(&self) -> GateRead<'_, T> {
        loop {
            if let Some(read) = self.try_biased() {
                return read;
            }
            if let Some(read) = self.read_locked(Wait::Forever) {
                return read;
            }
        }
    }

    /// The lock path: nested (never waiting behind a writer, who would wait
    /// for this thread) when the thread holds a lock-path view of this gate
    /// already or cannot count this one.
    #[cold]
    #[inline(never)]
    fn read_locked(&self, wait: Wait) -> Option<GateRead<'_, T>> {
        let (counted, nested) = records::enter_locked(self.bias.serial);
        let guard = match (wait, nested) {
            (Wait::Forever, true) => Some(self.lock.read_recursive()),
            (Wait::Forever, false) => Some(self.lock.read()),
            (Wait::Until(deadline), true) => self.lock.try_read_recursive_until(deadline),
            (Wait::Until(deadline), false) => self.lock.try_read_until(deadline),
            (Wait::No, true) => self.lock.try_read_recursive(),
            (Wait::No, false) => self.lock.try_read(),
        };
        let Some(guard) = guard else {
            if counted {
                records::leave_locked(self.bias.serial);
            }
            return None;
        };
        // Kept through the lock, released by the share's `Drop`.
        std::mem::forget(guard);
        self.bias.reenable();
        Some(GateRead::new(self, Held::locked(self, counted)))
    }

    /// Whether the calling thread holds a view of this gate (biased, or
    /// through the lock and counted in its table).
    pub(crate) fn held_by_this_thread(&self) -> bool {
        let serial = self.bias.serial;
        records::peek().is_some_and(|record| {
            self.bias
                .counts_here(record.slots[self.bias.slot_index()].load(Ordering::Relaxed))
        }) || (serial != 0 && records::holds_locked(serial))
    }

    fn own_slot(&self) -> Option<&'static AtomicU64> {
        records::peek().map(|record| &record.slots[self.bias.slot_index()])
    }

    /// Revokes the bias, with the write lock held (see [`Bias::revoke`]).
    /// `deadline` is asked for only when there is something to revoke.
    #[inline(always)]
    fn revoke(&self, deadline: impl FnOnce() -> Option<Instant>) -> Revoked {
        if !self.bias.may_count_views() {
            return Revoked::Drained;
        }
        self.revoke_views(deadline())
    }

    #[cold]
    #[inline(never)]
    fn revoke_views(&self, deadline: Option<Instant>) -> Revoked {
        let index = self.bias.slot_index();
        self.bias.revoke(
            || records::all().map(move |record| &record.slots[index]),
            self.own_slot(),
            deadline,
        )
    }

    /// The write lock, waiting for every view; [`OwnView`] instead of
    /// waiting for one the calling thread holds.
    pub(crate) fn write(&self) -> Result<GateWrite<'_, T>, OwnView> {
        let guard = match self.lock.try_write() {
            Some(guard) => guard,
            None if self.held_by_this_thread() => return Err(OwnView),
            None => self.lock.write(),
        };
        match self.revoke(|| None) {
            Revoked::Drained => Ok(GateWrite { gate: self, guard }),
            Revoked::OwnView | Revoked::TimedOut => Err(OwnView),
        }
    }

    /// The write lock if no view or writer holds the gate now.
    #[inline]
    pub(crate) fn try_write(&self) -> Option<GateWrite<'_, T>> {
        let guard = self.lock.try_write()?;
        match self.revoke(|| Some(Instant::now())) {
            Revoked::Drained => Some(GateWrite { gate: self, guard }),
            Revoked::OwnView | Revoked::TimedOut => None,
        }
    }

    #[cfg(any(all(test, not(mmapio_loom)), feature = "atomic"))]
    /// The write lock if it can be had within `timeout`.
    pub(crate) fn try_write_for(&self, timeout: Duration) -> Option<GateWrite<'_, T>> {
        let deadline = Instant::now() + timeout;
        let guard = self.lock.try_write_until(deadline)?;
        match self.revoke(|| Some(deadline)) {
            Revoked::Drained => Some(GateWrite { gate: self, guard }),
            Revoked::OwnView | Revoked::TimedOut => None,
        }
    }

    #[cfg(feature = "atomic")]
    /// Releases a write lock whose guard was forgotten (atomic views hold
    /// it on behalf of all of them).
    ///
    /// # Safety
    /// The write lock is held through a forgotten [`GateWrite`], and nothing
    /// else releases it.
    pub(crate) unsafe fn force_unlock_write(&self) {
        // SAFETY: the caller's contract; parking_lot locks are not tied to
        // the thread that acquired them.
        unsafe { self.lock.force_unlock_write() }
    }
}

/// How long a lock-path read may wait behind a writer.
#[derive(Clone, Copy)]
enum Wait {
    No,
    Until(Instant),
    Forever,
}

/// How a read share is held, in one word, so that a view keeping it is as
/// small as a view keeping a lock guard (a view is built, moved and dropped
/// in every read loop; a two-word guard made the compiler copy the view
/// through the stack with wide loads right after narrow stores, and the
/// failed store forwarding made each read wait for the previous read's
/// cache miss). Either a slot's address (records are 64-byte aligned, so
/// bit 0 is clear), or the gate's address with bit 0 set for the read lock
/// and bit 1 set when the thread's table counts the share (a gate is at
/// least 8-byte aligned). Kept as a pointer, tagged by pointer arithmetic,
/// so that it keeps the provenance of what it points to.
#[derive(Clone, Copy)]
struct Held(*const u8);

const LOCKED: usize = 1;
const COUNTED: usize = 2;

impl Held {
    /// Counted in a slot of the calling thread's record.
    #[inline(always)]
    fn slot(slot: &'static AtomicU64) -> Self {
        Held((slot as *const AtomicU64).cast())
    }

    /// The read lock of `gate`, counted in the thread's table if `counted`.
    #[inline(always)]
    fn locked<T>(gate: &Gate<T>, counted: bool) -> Self {
        let address: *const u8 = (gate as *const Gate<T>).cast();
        debug_assert_eq!(address as usize & (LOCKED | COUNTED), 0);
        Held(address.wrapping_add(LOCKED | if counted { COUNTED } else { 0 }))
    }

    /// The tag bits.
    #[inline(always)]
    fn tags(self) -> usize {
        self.0 as usize & (LOCKED | COUNTED)
    }

    /// The gate, for a share held through its lock.
    #[inline(always)]
    fn gate<T>(self) -> *const Gate<T> {
        self.0.wrapping_sub(self.tags()).cast()
    }

    /// The slot, for a share counted in one.
    #[inline(always)]
    fn as_slot(self) -> Option<&'static AtomicU64> {
        // SAFETY: with bit 0 clear the word is the address of a slot of a
        // record, which is never freed (`Held::slot` took a `'static`).
        (self.tags() & LOCKED == 0).then(|| unsafe { &*self.0.cast::<AtomicU64>() })
    }
}

/// A share of a gate for reading, with the gate: derefs to the value,
/// which cannot change while it lives. `!Send`: it must be released by the
/// thread that took it. A view keeps only its [`Share`].
pub(crate) struct GateRead<'a, T> {
    gate: &'a Gate<T>,
    share: Share<'a, T>,
}

impl<'a, T> GateRead<'a, T> {
    #[inline(always)]
    fn new(gate: &'a Gate<T>, held: Held) -> Self {
        GateRead {
            gate,
            share: Share {
                held,
                _gate: PhantomData,
            },
        }
    }

    /// The share alone, for a view that keeps it (and reads through a
    /// pointer it took from the value while the share is held).
    #[inline(always)]
    pub(crate) fn into_share(self) -> Share<'a, T> {
        self.share
    }

    #[cfg(feature = "iterator")]
    /// Keeps the share without a guard (an iterator's count of shares);
    /// give it back with [`RawRead::release`].
    pub(crate) fn into_raw(self) -> RawRead {
        let raw = RawRead {
            held: self.share.held,
        };
        std::mem::forget(self.share);
        raw
    }
}

impl<T> Deref for GateRead<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the share keeps every writer out: it is counted in a slot
        // that a revoking writer waits for, or it holds the read lock.
        unsafe { &*self.gate.lock.data_ptr() }
    }
}

/// One read share of a gate borrowed for `'a`, one word; released when
/// dropped, on the thread that took it (`!Send`).
pub(crate) struct Share<'a, T> {
    held: Held,
    _gate: PhantomData<(&'a Gate<T>, *const ())>,
}

impl<'a, T> Share<'a, T> {
    /// The share as one word, never 0 and a multiple of 4 plus its tags
    /// (bits 0 and 1), for a view that packs it with other kinds of hold;
    /// turn it back with [`Share::from_word`].
    #[inline(always)]
    pub(crate) fn into_word(self) -> *const u8 {
        let word = self.held.0;
        std::mem::forget(self);
        word
    }

    /// # Safety
    /// `word` came from [`Share::into_word`] of a share of a `Gate<T>`
    /// still borrowed for `'a`, on this thread, and is turned back once.
    #[inline(always)]
    pub(crate) unsafe fn from_word(word: *const u8) -> Self {
        Share {
            held: Held(word),
            _gate: PhantomData,
        }
    }
}

impl<T> Drop for Share<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: this share owns its hold and gives it up once.
        unsafe { RawRead { held: self.held }.release_any::<T>() }
    }
}

/// A read share kept without its guard.
#[derive(Clone, Copy)]
pub(crate) struct RawRead {
    held: Held,
}

impl RawRead {
    /// Gives the share back.
    ///
    /// # Safety
    /// The share came from `gate` (through [`GateRead::into_raw`]), is
    /// released once, on the thread that took it.
    #[cfg(feature = "iterator")]
    #[inline(always)]
    pub(crate) unsafe fn release<T>(self, gate: &Gate<T>) {
        debug_assert!(self.held.as_slot().is_some() || std::ptr::eq(self.held.gate::<T>(), gate));
        // SAFETY: the caller's contract.
        unsafe { self.release_any::<T>() }
    }

    /// # Safety
    /// As `release`; a lock-path share holds the address of its gate, a
    /// `Gate<T>` still borrowed by the share's owner.
    #[inline(always)]
    unsafe fn release_any<T>(self) {
        match self.held.as_slot() {
            Some(slot) => Bias::release(slot),
            // SAFETY: as above.
            None => unsafe { self.release_locked::<T>() },
        }
    }

    /// The lock path of `release`, out of line.
    ///
    /// # Safety
    /// As `release_any`.
    #[cold]
    #[inline(never)]
    unsafe fn release_locked<T>(self) {
        // SAFETY: a lock-path share holds its gate's address, and the gate
        // is borrowed for as long as the share lives.
        let gate = unsafe { &*self.held.gate::<T>() };
        // SAFETY: the share holds the read lock through a forgotten guard,
        // released only here.
        unsafe { gate.lock.force_unlock_read() };
        if self.held.tags() & COUNTED != 0 {
            records::leave_locked(gate.bias.serial);
        }
    }
}

/// The write lock of a gate, with the bias revoked: no view of the file
/// lives while it does.
pub(crate) struct GateWrite<'a, T> {
    gate: &'a Gate<T>,
    guard: RwLockWriteGuard<'a, T>,
}

impl<'a, T> GateWrite<'a, T> {
    /// Turns the write lock into a read share without letting a writer in
    /// between.
    pub(crate) fn downgrade(self) -> GateRead<'a, T> {
        let GateWrite { gate, guard } = self;
        let (counted, _) = records::enter_locked(gate.bias.serial);
        // Kept through the lock, released by the share's `Drop`.
        std::mem::forget(RwLockWriteGuard::downgrade(guard));
        GateRead::new(gate, Held::locked(gate, counted))
    }
}

impl<T> Deref for GateWrite<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for GateWrite<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}
