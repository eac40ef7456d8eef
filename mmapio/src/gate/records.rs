//! Where readers announce themselves: one record of slots per thread, in a
//! process-wide list that revoking writers scan, and a thread-private table
//! of the views a thread holds through the lock.
//!
//! A record is written only by its owner (claims and releases of its
//! slots), so a reader never writes a cache line another thread writes.
//! Records are leaked, never freed: a writer may be reading one while its
//! thread exits, and a view released in a late thread-local destructor
//! still reaches its slot. A thread that exits with all its slots at zero
//! gives its record back for the next new thread; one that exits while a
//! slot is still claimed (a view forgotten with `mem::forget`, or alive in
//! a thread-local destroyed later) keeps it, and its few bytes stay behind.
//! After a thread's exit hook ran, its views take the lock path.

use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use super::sync::AtomicU64;

/// Bits of a slot word (and of an entry of the lock-path table) that count
/// a thread's views of one gate; the bits above hold the gate's serial.
pub(crate) const COUNT_BITS: u32 = 24;
pub(crate) const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

/// Slots per thread: a thread's views of at most this many files at once
/// are biased (a file's slot is fixed by its serial; two live files whose
/// serials share a slot put the later one on the lock path).
pub(crate) const SLOTS: usize = 8;

/// One thread's announcements: `serial << COUNT_BITS | count` per slot,
/// free when the count is 0. The slots fill one cache line of their own.
#[repr(C, align(64))]
pub(crate) struct Record {
    pub(crate) slots: [AtomicU64; SLOTS],
    /// Whether a live thread owns the record.
    in_use: AtomicBool,
    /// The record pushed before this one; fixed once published.
    next: *const Record,
}

// SAFETY: `next` points to another leaked record, never freed and only
// read; every other field is atomic.
unsafe impl Sync for Record {}

/// The most recently pushed record; the list only ever grows.
static HEAD: AtomicPtr<Record> = AtomicPtr::new(ptr::null_mut());

/// Every record ever made, newest first.
pub(crate) fn all() -> impl Iterator<Item = &'static Record> {
    let mut next = HEAD.load(Ordering::Acquire) as *const Record;
    std::iter::from_fn(move || {
        // SAFETY: records are leaked, never freed, and published (with
        // Release) only once initialised; `next` is fixed before that.
        let record = unsafe { next.as_ref()? };
        next = record.next;
        Some(record)
    })
}

thread_local! {
    /// This thread's record: null until its first biased read, `gone()`
    /// once its exit hook ran. `const` and without `Drop`, so it stays
    /// readable in every thread-local destructor.
    static RECORD: Cell<*const Record> = const { Cell::new(ptr::null()) };
    /// Gives the record back when the thread exits.
    static EXIT_HOOK: ExitHook = const { ExitHook };
}

/// The marker of a thread whose exit hook ran: never a record's address.
fn gone() -> *const Record {
    NonNull::<Record>::dangling().as_ptr()
}

/// The calling thread's record, claiming one on its first call; `None`
/// once the thread is exiting.
#[inline(always)]
pub(crate) fn this_thread() -> Option<&'static Record> {
    let record = RECORD.with(Cell::get);
    // One comparison for both markers: null, and `gone()`, the lowest
    // address a record could have (one there would only send this thread's
    // views down the lock path).
    if record as usize <= gone() as usize {
        return first_or_gone(record);
    }
    // SAFETY: a record's address, set by `claim`; records are never freed.
    Some(unsafe { &*record })
}

#[cold]
fn first_or_gone(record: *const Record) -> Option<&'static Record> {
    if record.is_null() {
        claim()
    } else {
        None
    }
}

/// The calling thread's record if it has one, without claiming one.
pub(crate) fn peek() -> Option<&'static Record> {
    let record = RECORD.with(Cell::get);
    if record.is_null() || record == gone() {
        return None;
    }
    // SAFETY: as in `this_thread`.
    Some(unsafe { &*record })
}

#[cold]
#[inline(never)]
fn claim() -> Option<&'static Record> {
    // Arm the exit hook first: if the thread is already destroying its
    // thread-locals, it has no record from now on.
    if EXIT_HOOK.try_with(|_| ()).is_err() {
        RECORD.with(|r| r.set(gone()));
        return None;
    }
    let record = all()
        .find(|r| {
            r.in_use
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })
        .unwrap_or_else(push_new);
    RECORD.with(|r| r.set(record));
    Some(record)
}

fn push_new() -> &'static Record {
    let record = Box::leak(Box::new(Record {
        slots: std::array::from_fn(|_| AtomicU64::new(0)),
        in_use: AtomicBool::new(true),
        next: ptr::null(),
    }));
    let mut head = HEAD.load(Ordering::Relaxed);
    loop {
        record.next = head;
        match HEAD.compare_exchange_weak(head, record, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return record,
            Err(now) => head = now,
        }
    }
}

struct ExitHook;

impl Drop for ExitHook {
    fn drop(&mut self) {
        let record = RECORD.with(|r| r.replace(gone()));
        if record.is_null() || record == gone() {
            return;
        }
        // SAFETY: as in `this_thread`.
        let record = unsafe { &*record };
        if record
            .slots
            .iter()
            .all(|slot| slot.load(std::sync::atomic::Ordering::Relaxed) & COUNT_MASK == 0)
        {
            // All its slots are free, and nothing of this thread can claim
            // one any more (`RECORD` is `gone`): the next thread may have it.
            record.in_use.store(false, Ordering::Release);
        }
    }
}

/// Entries of the thread-private table of views held through the lock.
const LOCKED_ENTRIES: usize = 16;

/// The gates a thread holds views of through the lock:
/// `serial << COUNT_BITS | count` per entry, 0 when free. Only this thread
/// reads it, to tell that a writer or a new view would wait for itself.
struct LockedTable {
    entries: [Cell<u64>; LOCKED_ENTRIES],
    /// Entries in use: while 0 (the usual case), nothing is scanned.
    used: Cell<usize>,
}

thread_local! {
    static LOCKED: LockedTable = const {
        LockedTable {
            entries: [FREE_ENTRY; LOCKED_ENTRIES],
            used: Cell::new(0),
        }
    };
}

/// A free entry (a named constant: array repetition of a `const` item works
/// on Rust 1.75, inline `const` blocks do not).
#[allow(clippy::declare_interior_mutable_const)]
const FREE_ENTRY: Cell<u64> = Cell::new(0);

impl LockedTable {
    fn find(&self, serial: u64) -> Option<&Cell<u64>> {
        if self.used.get() == 0 {
            return None;
        }
        self.entries
            .iter()
            .find(|e| e.get() >> COUNT_BITS == serial)
    }
}

/// Whether this thread holds a view of gate `serial` through the lock
/// (among the views counted in its table).
pub(crate) fn holds_locked(serial: u64) -> bool {
    LOCKED.with(|table| table.find(serial).is_some())
}

/// Counts a lock-path view of gate `serial` taken by this thread. Returns
/// whether it is counted (the table had room) and whether the view is
/// nested: the thread held a lock-path view of the gate already, or cannot
/// tell (no free entry, or serial 0).
pub(crate) fn enter_locked(serial: u64) -> (bool, bool) {
    if serial == 0 {
        return (false, true);
    }
    LOCKED
        .try_with(|table| {
            if let Some(entry) = table.find(serial) {
                if entry.get() & COUNT_MASK == COUNT_MASK {
                    return None;
                }
                entry.set(entry.get() + 1);
                return Some((true, true));
            }
            let entry = table.entries.iter().find(|e| e.get() == 0)?;
            entry.set(serial << COUNT_BITS | 1);
            table.used.set(table.used.get() + 1);
            Some((true, false))
        })
        .ok()
        .flatten()
        .unwrap_or((false, true))
}

/// Gives back a view of gate `serial` counted by [`enter_locked`].
pub(crate) fn leave_locked(serial: u64) {
    let _ = LOCKED.try_with(|table| {
        if let Some(entry) = table.find(serial) {
            let left = entry.get() - 1;
            if left & COUNT_MASK == 0 {
                entry.set(0);
                table.used.set(table.used.get() - 1);
            } else {
                entry.set(left);
            }
        }
    });
}
