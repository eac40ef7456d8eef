//! The state of one mapped file that every handle of it shares, and its
//! locking: where the bytes live ([`Storage`]), the state itself
//! ([`Shared`]: length, flush accounting, advisory file lock, registry
//! entry), how a thread takes its read or write lock without waiting for
//! itself ([`MmapIoError::WouldDeadlock`] instead), and [`ExclusiveWrite`],
//! which marks the thread writing through the write lock and records the
//! bytes it dirtied as pending.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;

use crate::flush::{FlushAccounting, Pending};
use crate::gate::{Gate, GateRead, GateWrite};
use crate::region::Region;
use crate::registry::Registration;
use crate::{os, MmapIoError, MmapMode, Result};

/// Where the mapped bytes live and what guards them.
pub(crate) enum Storage {
    /// Memory of no file mapped read-only or copy-on-write (heap regions in
    /// unit tests): never resized and never written while shared, so views
    /// borrow it without a gate.
    Unlocked(Region),
    /// A file's copy-on-write mapping: private bytes, whose pages not yet
    /// copied show the file's, so its views pass the file's reader gate.
    Private(PrivateRegion),
    /// Files mapped read-write or read-only: views pass the file's reader
    /// gate; writers and `resize` close it (see `gate/mod.rs`). A file
    /// first mapped read-only is mapped again, writable, under the closed
    /// gate once a read-write open joins it (see [`Shared::adopt_write_file`]).
    Locked(Gate<Region>),
}

/// One read-write handle in [`Shared::access`]; the bits below count
/// lending handles.
const WRITER: usize = 1 << (usize::BITS / 2);

/// A copy-on-write mapping of a file and the file's shared state, whose
/// reader gate its views pass: a writer through any read-write handle of
/// the file, or a `resize`, waits for them, and they never reach past the
/// file's current length (pages past a shortened file raise `SIGBUS`).
pub(crate) struct PrivateRegion {
    region: Region,
    file: Arc<Shared>,
}

impl PrivateRegion {
    /// The file's reader gate.
    #[inline]
    pub(crate) fn gate(&self) -> &Gate<Region> {
        match &self.file.storage {
            Storage::Locked(gate) => gate,
            // `Shared::new_private` takes only a state with a gate.
            _ => unreachable!("a private region's file state has a gate"),
        }
    }

    /// The file's shared state.
    #[inline]
    pub(crate) fn file(&self) -> &Shared {
        &self.file
    }

    /// The mapping itself, for system calls over it (they form no
    /// references to its bytes).
    pub(crate) fn region(&self) -> &Region {
        &self.region
    }

    /// The private bytes within `file_len`.
    ///
    /// # Safety
    /// `file_len` is the length of the file's mapping read under a share of
    /// its gate, and for as long as the bytes are used the caller keeps such
    /// a share, or otherwise knows that no writer can close the gate (the
    /// file state cannot become writable while a handle lends borrows).
    #[inline]
    pub(crate) unsafe fn bytes(&self, file_len: usize) -> &[u8] {
        let len = self.region.len().min(file_len);
        // SAFETY: `len` is within the region, which is mapped for as long as
        // `self` lives and never replaced (copy-on-write mappings are not
        // resized). Its bytes are written only through `&mut` on the only
        // handle of the mapping, which no shared borrow can coexist with, or
        // by private writes (`cow_writable.rs`), which hold the file's gate
        // closed and so wait for the caller's share; the file's writers and
        // `resize` are kept out, and the file at least `len` long, by that
        // share too (see `# Safety`).
        unsafe { std::slice::from_raw_parts(self.region.as_ptr(), len) }
    }

    /// [`bytes`](Self::bytes), mutable, for a private write.
    ///
    /// # Safety
    /// As for `bytes` (with the gate's write lock as the caller's hold), and
    /// no other reference to these bytes exists or is created while the
    /// result lives: `&mut` on the only handle proves it, or a write guard
    /// of the file's gate (no view of any handle of the file lives, and no
    /// atomic view, as atomic views hold that lock themselves).
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn bytes_mut(&self, file_len: usize) -> &mut [u8] {
        let len = self.region.len().min(file_len);
        // SAFETY: as for `bytes`; copy-on-write regions are mapped writable
        // (`MAP_PRIVATE` with `PROT_WRITE`), and exclusivity is the caller's
        // promise.
        unsafe { std::slice::from_raw_parts_mut(self.region.as_ptr().cast_mut(), len) }
    }

    /// The mapping's length.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.region.len()
    }
}

/// How long a waiter sleeps between checks when it must not block on one
/// lock while it could be asked to join (or serve) the holder of another.
#[cfg(feature = "atomic")]
pub(crate) const RECHECK: std::time::Duration = std::time::Duration::from_millis(1);

/// The state of one mapped file in this process, shared by every handle of
/// it (see `registry.rs`) and, weakly, by background flushers.
pub(crate) struct Shared {
    pub(crate) storage: Storage,
    /// The descriptor the state was made with (the one advisory locks and
    /// `AsFd` use). `None` for memory with no file: anonymous mappings
    /// (`AnonymousMmap`, which never exposes the operations that need a
    /// file) and heap-backed regions in unit tests.
    pub(crate) file: Option<File>,
    /// A read-write descriptor given by the first read-write open of a
    /// state made read-only (see [`Shared::file_for_writes`]).
    write_file: OnceLock<File>,
    /// How many read-write handles of the state live (in units of
    /// [`WRITER`]) and, below, how many read-only or copy-on-write handles
    /// lent bare borrows (`as_slice_bytes`, `cow_slice_mut`), which no gate
    /// counts. One word, so that the two exclude each other.
    access: AtomicUsize,
    /// Whether the mapping in the gate is writable (set once, under the
    /// write lock, when a read-only mapping is mapped again writable).
    mapped_writable: AtomicBool,
    pub(crate) flush: FlushAccounting,
    /// Mirror of the region length for the lock-free `len()`; updated under
    /// the write lock by `resize`.
    pub(crate) len: AtomicUsize,
    /// The thread holding the write lock for a mutable view or walk (its
    /// [`this_thread`] token), or 0: that thread may still flush, and is
    /// told [`MmapIoError::WouldDeadlock`] instead of waiting for itself.
    writer: AtomicUsize,
    /// The advisory lock this state's file descriptor holds.
    file_lock: Mutex<FileLock>,
    /// Live atomic views; while there are any, the write lock is held on
    /// their behalf (see `atomic.rs`).
    #[cfg(feature = "atomic")]
    pub(crate) atomic_views: Mutex<AtomicViews>,
    /// Its file's entry in the registry (none for states with no file).
    registration: Option<Registration>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(registration) = self.registration {
            registration.state_dropped();
        }
    }
}

/// The live atomic views of a state, and which threads made them.
#[cfg(feature = "atomic")]
#[derive(Default)]
pub(crate) struct AtomicViews {
    /// How many live.
    pub(crate) live: usize,
    /// Per thread that made some of them (its [`this_thread`] token), how
    /// many of the live ones it made; a view moved to another thread still
    /// counts for the thread that made it. Beyond `MAKERS` threads at once
    /// the rest are not told apart: their byte access waits, as before.
    makers: [(usize, usize); MAKERS],
}

#[cfg(feature = "atomic")]
const MAKERS: usize = 8;

#[cfg(feature = "atomic")]
impl AtomicViews {
    /// Counts a new view made by thread `maker`.
    pub(crate) fn join(&mut self, maker: usize) {
        self.live += 1;
        if let Some(entry) = self.makers.iter_mut().find(|e| e.0 == maker && e.1 > 0) {
            entry.1 += 1;
        } else if let Some(entry) = self.makers.iter_mut().find(|e| e.1 == 0) {
            *entry = (maker, 1);
        }
    }

    /// Counts a view of thread `maker` gone; true if it was the last view.
    pub(crate) fn leave(&mut self, maker: usize) -> bool {
        self.live -= 1;
        if let Some(entry) = self.makers.iter_mut().find(|e| e.0 == maker && e.1 > 0) {
            entry.1 -= 1;
        }
        self.live == 0
    }

    /// Whether live views made by thread `maker` are counted.
    pub(crate) fn made_by(&self, maker: usize) -> bool {
        self.makers.iter().any(|e| e.0 == maker && e.1 > 0)
    }
}

/// An advisory lock held on a state's file descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
enum FileLock {
    #[default]
    None,
    Shared,
    Exclusive,
}

/// A token for the calling thread, unique among live threads: the address
/// of a thread-local byte.
#[inline]
pub(crate) fn this_thread() -> usize {
    thread_local! {
        static TOKEN: u8 = const { 0 };
    }
    TOKEN.with(|token| token as *const u8 as usize)
}

impl Shared {
    /// The state of a copy-on-write open of the file whose shared state is
    /// `file_state` (a state with a reader gate): its own private `region`
    /// and descriptor, outside the registry (the file's state is in it).
    /// A state without one is refused (`None`): the registry never makes one.
    pub(crate) fn new_private(
        region: Region,
        file: Option<File>,
        file_state: Arc<Shared>,
    ) -> Option<Self> {
        if !matches!(file_state.storage, Storage::Locked(_)) {
            return None;
        }
        let len = region.len();
        let storage = Storage::Private(PrivateRegion {
            region,
            file: file_state,
        });
        Some(Shared::with_storage(storage, len, file, false, None))
    }

    pub(crate) fn new(
        region: Region,
        file: Option<File>,
        mode: MmapMode,
        registration: Option<Registration>,
    ) -> Self {
        let len = region.len();
        let storage = match mode {
            MmapMode::ReadWrite => Storage::Locked(Gate::new(region)),
            // A file's read-only state may be joined by a read-write open at
            // any time, which must then wait for its views: they are counted.
            MmapMode::ReadOnly if registration.is_some() => {
                Storage::Locked(Gate::new_biased(region))
            }
            MmapMode::ReadOnly | MmapMode::CopyOnWrite => Storage::Unlocked(region),
        };
        Shared::with_storage(
            storage,
            len,
            file,
            mode == MmapMode::ReadWrite,
            registration,
        )
    }

    fn with_storage(
        storage: Storage,
        len: usize,
        file: Option<File>,
        writable: bool,
        registration: Option<Registration>,
    ) -> Self {
        Shared {
            storage,
            file,
            write_file: OnceLock::new(),
            access: AtomicUsize::new(0),
            mapped_writable: AtomicBool::new(writable),
            flush: FlushAccounting::default(),
            len: AtomicUsize::new(len),
            writer: AtomicUsize::new(0),
            file_lock: Mutex::new(FileLock::None),
            #[cfg(feature = "atomic")]
            atomic_views: Mutex::new(AtomicViews::default()),
            registration,
        }
    }

    /// The state whose gate this one's views pass and whose lending count
    /// bare borrows of it go to: the file's shared state for a
    /// copy-on-write mapping, else this state itself.
    pub(crate) fn gate_owner(&self) -> &Shared {
        match &self.storage {
            Storage::Private(private) => private.file(),
            _ => self,
        }
    }

    /// Counts a new read-write handle; false while handles lend bare
    /// borrows, which nothing could wait for. Undone by
    /// [`Shared::end_writing`] when that handle goes.
    pub(crate) fn start_writing(&self) -> bool {
        self.access
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |access| {
                (access % WRITER == 0).then_some(access + WRITER)
            })
            .is_ok()
    }

    /// A read-write handle is gone.
    pub(crate) fn end_writing(&self) {
        self.access.fetch_sub(WRITER, Ordering::AcqRel);
    }

    /// Counts a handle that lends bare borrows of the mapping; false while
    /// read-write handles live. Undone by [`Shared::end_lending`] when that
    /// handle goes.
    pub(crate) fn start_lending(&self) -> bool {
        self.access
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |access| {
                (access < WRITER).then_some(access + 1)
            })
            .is_ok()
    }

    /// A lending handle is gone, and with it every borrow it lent.
    pub(crate) fn end_lending(&self) {
        self.access.fetch_sub(1, Ordering::AcqRel);
    }

    /// The descriptor writes and length changes go through: the read-write
    /// one a read-write open gave, else the state's own.
    pub(crate) fn file_for_writes(&self) -> Option<&File> {
        self.write_file.get().or(self.file.as_ref())
    }

    /// The descriptor `unmap` gives back to the last handle, opened in
    /// `mode`: the read-write one a read-write handle's open gave, if any.
    pub(crate) fn take_file(&mut self, mode: MmapMode) -> Option<File> {
        match self.write_file.take() {
            Some(file) if mode == MmapMode::ReadWrite => Some(file),
            _ => self.file.take(),
        }
    }

    /// Keeps `file`, opened read-write by an open that joined this state,
    /// if the state was made read-only (else `file` is closed: the state's
    /// own descriptor can write). The mapping itself is made writable by
    /// the first writer ([`Shared::map_writable`]), so the open
    /// never waits for views.
    pub(crate) fn adopt_write_file(&self, file: File) {
        if !self.mapped_writable.load(Ordering::Acquire) {
            let _ = self.write_file.set(file);
        }
    }

    /// Whether the gate's mapping is writable; if not, a writer must call
    /// [`map_writable`](Self::map_writable) first.
    #[inline(always)]
    pub(crate) fn is_mapped_writable(&self) -> bool {
        self.mapped_writable.load(Ordering::Acquire)
    }

    /// Makes the gate's mapping writable before a writer uses it: a
    /// read-only mapping is replaced, under the write lock (so with no view
    /// live), by a writable one of the same length. `wait` false:
    /// `Ok(false)` instead of waiting for views. Out of line, so that the
    /// writers' fast path computes none of its arguments.
    #[cold]
    #[inline(never)]
    pub(crate) fn map_writable(
        &self,
        gate: &Gate<Region>,
        op: &'static str,
        path: &Path,
        wait: bool,
    ) -> Result<bool> {
        let mut guard = if wait {
            self.write(gate, op)?
        } else {
            match gate.try_write() {
                Some(guard) => guard,
                None => return Ok(false),
            }
        };
        if guard.is_read_only() {
            let Some(file) = self.write_file.get() else {
                return Err(MmapIoError::InvalidMode {
                    op,
                    mode: MmapMode::ReadOnly,
                });
            };
            let region = Region::map(file, crate::region::MapKind::Shared, guard.len())
                .map_err(|e| MmapIoError::io("mmap", path, e))?;
            *guard = region;
        }
        self.mapped_writable.store(true, Ordering::Release);
        Ok(true)
    }

    /// The full, durable flush behind `MemoryMappedFile::flush`, also used
    /// by policies, the background flusher and the final flush on drop.
    /// Counted only when an `msync` ran and succeeded.
    pub(crate) fn flush(&self, path: &Path) -> Result<()> {
        let Storage::Locked(gate) = &self.storage else {
            return Ok(());
        };
        let taken = self.flush.take_pending();
        let result = self.with_locked_region(gate, Region::flush);
        self.settle_flush(taken, result, path)
    }

    /// [`flush`](Self::flush) for the background flusher, which must be
    /// able to give up: waits for the gate at most `timeout`, and returns
    /// `None` (nothing flushed, nothing lost from the pending count) when
    /// it could not get in. The thread it would wait for may be the very one
    /// dropping the flusher's handle.
    pub(crate) fn try_flush_for(&self, path: &Path, timeout: Duration) -> Option<Result<()>> {
        let Storage::Locked(gate) = &self.storage else {
            return Some(Ok(()));
        };
        let (taken, result) = self.try_with_read_region_for(gate, timeout, |region| {
            // Taken under the gate: no write can be counted meanwhile.
            (self.flush.take_pending(), region.flush())
        })?;
        Some(self.settle_flush(taken, result, path))
    }

    /// Counts a flush whose `msync` ran and succeeded; gives the bytes
    /// `taken` for it back to the pending count when it failed.
    fn settle_flush(
        &self,
        taken: Pending,
        result: std::io::Result<bool>,
        path: &Path,
    ) -> Result<()> {
        match result {
            Ok(synced) => {
                if synced {
                    self.flush.count_flush();
                }
                Ok(())
            }
            Err(source) => {
                self.flush.restore_pending(taken);
                Err(MmapIoError::FlushFailed {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }

    #[cfg(feature = "atomic")]
    /// Whether the calling thread holds this state's write lock for a
    /// mutable view or walk, or a view of its gate (a `MappedSlice`, an
    /// iterator or its items; see `Gate::held_by_this_thread` for the
    /// views it counts).
    pub(crate) fn held_by_this_thread(&self, gate: &Gate<Region>) -> bool {
        self.writer_is_this_thread() || gate.held_by_this_thread()
    }

    /// A read share of the gate for `op`, or [`MmapIoError::WouldDeadlock`]
    /// when the calling thread holds the write lock itself. Always inlined:
    /// it is a view's fast path, and the call costs a prologue.
    #[inline(always)]
    pub(crate) fn read<'a>(
        &self,
        gate: &'a Gate<Region>,
        op: &'static str,
    ) -> Result<GateRead<'a, Region>> {
        match gate.try_read() {
            Some(read) => Ok(read),
            None => self.read_slow(gate, op),
        }
    }

    #[cold]
    fn read_slow<'a>(
        &self,
        gate: &'a Gate<Region>,
        op: &'static str,
    ) -> Result<GateRead<'a, Region>> {
        if self.holds_gate_for_writing() {
            return Err(MmapIoError::WouldDeadlock { op });
        }
        Ok(gate.read())
    }

    /// The write lock for `op`, or [`MmapIoError::WouldDeadlock`] when a
    /// view, iterator or walk of the calling thread holds the gate.
    #[inline]
    pub(crate) fn write<'a>(
        &self,
        gate: &'a Gate<Region>,
        op: &'static str,
    ) -> Result<GateWrite<'a, Region>> {
        // Free at once: then no one, this thread included, holds the write
        // lock, and no need to ask who does.
        match gate.try_write() {
            Some(guard) => Ok(guard),
            None => self.write_waiting(gate, op),
        }
    }

    #[cold]
    #[inline(never)]
    fn write_waiting<'a>(
        &self,
        gate: &'a Gate<Region>,
        op: &'static str,
    ) -> Result<GateWrite<'a, Region>> {
        if self.holds_gate_for_writing() {
            return Err(MmapIoError::WouldDeadlock { op });
        }
        gate.write().map_err(|_| MmapIoError::WouldDeadlock { op })
    }

    /// Whether the calling thread holds the gate's write lock itself, or
    /// on behalf of atomic views it made: then it must not wait for it.
    fn holds_gate_for_writing(&self) -> bool {
        self.writer_is_this_thread() || self.atomic_views_of_this_thread()
    }

    /// Whether atomic views made by the calling thread live (they hold the
    /// write lock on behalf of all atomic views, so this thread's byte
    /// access would wait for them).
    #[cfg(feature = "atomic")]
    fn atomic_views_of_this_thread(&self) -> bool {
        self.atomic_views.lock().made_by(this_thread())
    }

    #[cfg(not(feature = "atomic"))]
    fn atomic_views_of_this_thread(&self) -> bool {
        false
    }

    /// Whether the calling thread holds the write lock for a mutable view or
    /// walk (see [`ExclusiveWrite`]).
    fn writer_is_this_thread(&self) -> bool {
        self.writer.load(Ordering::Relaxed) == this_thread()
    }

    /// Runs `f` over the read-write region while it cannot be replaced:
    /// under the read lock; or while atomic views hold the write lock on
    /// their behalf, under the atomic-view count's mutex, which keeps that
    /// write lock held; or, when the calling thread holds the write lock for
    /// a mutable view or walk, under that. `f` must not form references to
    /// the bytes (atomic views or the caller's own mutable view may be
    /// writing them); it is for system calls over the memory.
    ///
    /// Never blocks on one lock while holding the other, so it cannot
    /// deadlock against an atomic view being created.
    pub(crate) fn with_locked_region<R>(
        &self,
        gate: &Gate<Region>,
        f: impl FnOnce(&Region) -> R,
    ) -> R {
        if self.writer_is_this_thread() {
            // SAFETY: this thread holds the write lock (for a mutable view
            // or walk it is not running right now: it is here), so nothing
            // can replace or mutate the `Region`; we only read it.
            return f(unsafe { &*gate.data_ptr() });
        }
        self.with_read_region(gate, f)
    }

    /// `with_locked_region` for a thread that is not the writer: under the
    /// read lock, or under the atomic-view count's mutex while atomic views
    /// hold the write lock. Waits for the read lock without holding that
    /// mutex, and looks again now and then, in case atomic views took the
    /// lock meanwhile.
    #[cfg(feature = "atomic")]
    fn with_read_region<R>(&self, gate: &Gate<Region>, f: impl FnOnce(&Region) -> R) -> R {
        loop {
            {
                let views = self.atomic_views.lock();
                if views.live > 0 {
                    // SAFETY: atomic views hold the write lock (see
                    // atomic.rs) and cannot release it while we hold their
                    // count's mutex, so no `resize` or writer can mutate the
                    // `Region`; we only read it.
                    return f(unsafe { &*gate.data_ptr() });
                }
                if let Some(guard) = gate.try_read() {
                    drop(views);
                    return f(&guard);
                }
            }
            if let Some(guard) = gate.try_read_for(RECHECK) {
                return f(&guard);
            }
        }
    }

    /// `with_read_region`, waiting for the read lock at most `timeout`;
    /// `None` if it could not be had.
    #[cfg(feature = "atomic")]
    fn try_with_read_region_for<R>(
        &self,
        gate: &Gate<Region>,
        timeout: Duration,
        f: impl FnOnce(&Region) -> R,
    ) -> Option<R> {
        {
            let views = self.atomic_views.lock();
            if views.live > 0 {
                // SAFETY: as in `with_read_region`: atomic views hold the
                // write lock and cannot release it while we hold their
                // count's mutex; we only read the `Region`.
                return Some(f(unsafe { &*gate.data_ptr() }));
            }
            if let Some(guard) = gate.try_read() {
                drop(views);
                return Some(f(&guard));
            }
        }
        gate.try_read_for(timeout).map(|guard| f(&guard))
    }

    #[cfg(not(feature = "atomic"))]
    fn try_with_read_region_for<R>(
        &self,
        gate: &Gate<Region>,
        timeout: Duration,
        f: impl FnOnce(&Region) -> R,
    ) -> Option<R> {
        gate.try_read_for(timeout).map(|guard| f(&guard))
    }

    /// `with_locked_region` for a thread that is not the writer: under the
    /// read lock (without atomic views, nothing else can hold it).
    #[cfg(not(feature = "atomic"))]
    fn with_read_region<R>(&self, gate: &Gate<Region>, f: impl FnOnce(&Region) -> R) -> R {
        f(&gate.read())
    }

    /// Takes (or strengthens) the advisory file lock of this state's file
    /// descriptor: shared, or exclusive when `exclusive`.
    pub(crate) fn lock_file(&self, exclusive: bool, path: &Path) -> Result<()> {
        let wanted = if exclusive {
            FileLock::Exclusive
        } else {
            FileLock::Shared
        };
        let mut held = self.file_lock.lock();
        if *held >= wanted {
            return Ok(());
        }
        let Some(file) = &self.file else {
            return Ok(()); // anonymous and test heap states have no file
        };
        match os::try_lock_file(file, exclusive) {
            Ok(true) => {
                *held = wanted;
                Ok(())
            }
            Ok(false) => Err(MmapIoError::FileLocked {
                path: path.to_path_buf(),
                exclusive,
            }),
            Err(e) => Err(MmapIoError::io("lock file", path, e)),
        }
    }
}

/// A write made by the thread holding a state's write lock through a
/// mutable view or a `for_each_mut` walk, for as long as it lasts: marks the
/// thread as the writer (so its `flush` runs and its other calls refuse
/// with `WouldDeadlock` instead of waiting for itself) and, when dropped —
/// at the end, or while a panic unwinds — records `dirtied` bytes as
/// pending, so no policy or final flush misses them. Must be dropped before
/// the write guard it serves.
pub(crate) struct ExclusiveWrite<'a> {
    shared: &'a Shared,
    /// Bytes handed out for writing so far.
    pub(crate) dirtied: u64,
}

impl<'a> ExclusiveWrite<'a> {
    /// Starts the write; the caller has just taken `shared`'s write lock.
    pub(crate) fn start(shared: &'a Shared) -> Self {
        shared.writer.store(this_thread(), Ordering::Relaxed);
        ExclusiveWrite { shared, dirtied: 0 }
    }
}

impl Drop for ExclusiveWrite<'_> {
    fn drop(&mut self) {
        // A drop cannot report a flush error, so it only records the bytes;
        // the next write, walk, explicit flush or the last handle flushes.
        self.shared.flush.record_dirty(self.dirtied);
        // Still under the write lock (the guard is dropped after this).
        self.shared.writer.store(0, Ordering::Relaxed);
    }
}
