//! The flush accounting of a read-write mapping as `FlushPolicy` and
//! `FlushStats` document it, kept apart from the crate: the model that the
//! property test `tests/properties.rs` and the fuzz targets (through
//! `fuzz/src/lib.rs`) both check `flush_stats()` against. Both include this
//! file by path.
//!
//! Each method stands for one call that succeeded and moves the counters as
//! the documentation says that call must:
//!
//! * pending bytes count every byte written since the last full flush:
//!   exactly for `update_region`, the whole view for a dropped
//!   `MappedSliceMut`, every chunk handed out for a `chunks_mut` walk;
//!   pending writes count `update_region` calls (an empty one does nothing);
//! * a policy is applied after `update_region` and after a walk whose
//!   closure did not fail, never when a mutable view drops; `Always` fires
//!   every time, `EveryBytes(n)` and `EveryWrites(n)` once `n` or more are
//!   pending, the others never;
//! * a full flush clears both pending counts and is counted only when an
//!   `msync` ran, which an empty mapping does not need;
//! * a `flush_range` is counted only when an `msync` ran (not for an empty
//!   range) and leaves the pending counts alone;
//! * a `resize` that changes the length `fsync`s the file once.
//!
//! Counters saturate, as the crate's do. `EveryMillis` is not modelled: its
//! background thread flushes at times no model can predict, so neither user
//! runs it.

// Each includer uses a subset of the model.
#![allow(dead_code)]

use mmapio::{FlushPolicy, MemoryMappedFile};

/// The counters `flush_stats()` reports, and the policy that moves them.
#[derive(Clone, Debug)]
pub struct FlushModel {
    policy: FlushPolicy,
    /// Full flushes that ran an `msync`.
    flushes: u64,
    /// `flush_range` calls that ran an `msync`.
    range_flushes: u64,
    /// `fsync`s after a `resize` changed the length.
    file_syncs: u64,
    /// Bytes written since the last full flush.
    pending_bytes: u64,
    /// `update_region` calls since the last full flush.
    pending_writes: u64,
}

impl FlushModel {
    /// A fresh mapping's counters under `policy`.
    pub fn new(policy: FlushPolicy) -> Self {
        FlushModel {
            policy,
            flushes: 0,
            range_flushes: 0,
            file_syncs: 0,
            pending_bytes: 0,
            pending_writes: 0,
        }
    }

    /// Whether the policy fires on what is pending now.
    fn due(&self) -> bool {
        match self.policy {
            FlushPolicy::Always => true,
            FlushPolicy::EveryBytes(n) => self.pending_bytes >= n as u64,
            FlushPolicy::EveryWrites(n) => self.pending_writes >= n as u64,
            FlushPolicy::Never | FlushPolicy::Manual | FlushPolicy::EveryMillis(_) => false,
        }
    }

    /// An `update_region` of `n` bytes. An empty one does nothing; any other
    /// lies inside a non-empty mapping, so a flush it triggers runs an
    /// `msync`.
    pub fn update_region(&mut self, n: u64) {
        if n == 0 {
            return;
        }
        self.pending_bytes = self.pending_bytes.saturating_add(n);
        self.pending_writes = self.pending_writes.saturating_add(1);
        if self.due() {
            self.full_flush(true);
        }
    }

    /// A `MappedSliceMut` of `n` bytes dropped: counted, never flushed (a
    /// drop cannot report a flush error).
    pub fn slice_mut_dropped(&mut self, n: u64) {
        self.pending_bytes = self.pending_bytes.saturating_add(n);
    }

    /// A `chunks_mut` walk that handed out `handed_out` bytes. The policy
    /// applies only when the closure did not fail, and then the walk handed
    /// out the whole mapping, so `handed_out` is also the length its flush
    /// covers.
    pub fn walk(&mut self, handed_out: u64, closure_ok: bool) {
        self.pending_bytes = self.pending_bytes.saturating_add(handed_out);
        if closure_ok && self.due() {
            self.flush(handed_out);
        }
    }

    /// A full `flush()` of a mapping of `mapped_len` bytes.
    pub fn flush(&mut self, mapped_len: u64) {
        self.full_flush(mapped_len > 0);
    }

    /// Clears the pending counts; counts a flush when an `msync` ran.
    fn full_flush(&mut self, synced: bool) {
        if synced {
            self.flushes += 1;
        }
        self.pending_bytes = 0;
        self.pending_writes = 0;
    }

    /// A `flush_range` of `len` bytes (or a segment's `flush`).
    pub fn flush_range(&mut self, len: u64) {
        if len > 0 {
            self.range_flushes += 1;
        }
    }

    /// A `resize` from `old_len` to `new_len` bytes.
    pub fn resize(&mut self, old_len: u64, new_len: u64) {
        if new_len != old_len {
            self.file_syncs += 1;
        }
    }

    /// Compares the model with `map`'s `flush_stats()` and `pending_bytes()`;
    /// `Err` describes the first difference.
    pub fn compare(&self, map: &MemoryMappedFile) -> Result<(), String> {
        let stats = map.flush_stats();
        let got = (
            stats.flushes,
            stats.range_flushes,
            stats.file_syncs,
            stats.pending_bytes,
            stats.pending_writes,
        );
        let want = (
            self.flushes,
            self.range_flushes,
            self.file_syncs,
            self.pending_bytes,
            self.pending_writes,
        );
        if got != want {
            return Err(format!(
                "flush_stats (flushes, range_flushes, file_syncs, pending_bytes, pending_writes) \
                 is {got:?}, the model says {want:?} under {:?}",
                self.policy
            ));
        }
        let pending = map.pending_bytes();
        if pending != self.pending_bytes {
            return Err(format!(
                "pending_bytes() is {pending}, the model says {} under {:?}",
                self.pending_bytes, self.policy
            ));
        }
        Ok(())
    }

    /// Panics unless the model matches `map` (see [`compare`](Self::compare)).
    #[track_caller]
    pub fn assert_matches(&self, map: &MemoryMappedFile) {
        if let Err(difference) = self.compare(map) {
            panic!("{difference}");
        }
    }
}
