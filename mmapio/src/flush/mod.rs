//! Flush policies and the accounting that decides when they fire.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::{MmapIoError, Result};

// The thread that runs `FlushPolicy::EveryMillis`.
pub(crate) mod background;

/// When a read-write mapping writes its dirty pages back to the file.
///
/// Every automatic flush, like an explicit [`flush`](crate::MemoryMappedFile::flush),
/// is durable: `msync(MS_SYNC)` returns only once the device has the data.
/// An explicit `flush()` always flushes, whatever the policy.
///
/// | policy | flushes automatically |
/// |---|---|
/// | `Never` | never, not even when the last handle drops |
/// | `Manual` (default) | only when the last handle drops with bytes pending |
/// | `Always` | after every `update_region` and every `chunks_mut` walk |
/// | `EveryBytes(n)` | once `n` or more bytes are pending after a write |
/// | `EveryWrites(n)` | after every `n`-th `update_region` call |
/// | `EveryMillis(ms)` | from a background thread, every `ms` milliseconds, only when dirty |
///
/// "Pending bytes" count every byte written since the last full flush:
/// exactly for `update_region`, and the whole view for
/// [`as_slice_mut`](crate::MemoryMappedFile::as_slice_mut) and
/// `chunks_mut` walks (the crate cannot see which bytes of a view changed).
/// Policies are evaluated after `update_region` and after a `chunks_mut`
/// walk; a dropped `MappedSliceMut` only adds to the count, because a drop
/// cannot report a flush error.
///
/// Zero parameters (`EveryBytes(0)`, `EveryWrites(0)`, `EveryMillis(0)`) are
/// refused with [`MmapIoError::InvalidFlushPolicy`].
///
/// ```
/// use mmapio::{FlushPolicy, MemoryMappedFile};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("log.bin");
/// let map = MemoryMappedFile::builder(&path)
///     .size(1 << 20)
///     .flush_policy(FlushPolicy::EveryWrites(2))
///     .create()?;
/// map.update_region(0, b"one")?;
/// assert_eq!(map.flush_stats().flushes, 0);
/// map.update_region(3, b"two")?;
/// assert_eq!(map.flush_stats().flushes, 1); // the second write flushed
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FlushPolicy {
    /// Never flush automatically.
    Never,
    /// Flush when asked, and once more when the last handle drops.
    #[default]
    Manual,
    /// Flush after every write call.
    Always,
    /// Flush when at least this many bytes are pending.
    EveryBytes(usize),
    /// Flush after this many `update_region` calls.
    EveryWrites(usize),
    /// Flush from a background thread at this interval, when dirty.
    EveryMillis(u64),
}

impl FlushPolicy {
    pub(crate) fn validate(self) -> Result<FlushPolicy> {
        let zero = match self {
            FlushPolicy::EveryBytes(0) => "EveryBytes needs at least 1 byte",
            FlushPolicy::EveryWrites(0) => "EveryWrites needs at least 1 write",
            FlushPolicy::EveryMillis(0) => "EveryMillis needs at least 1 millisecond",
            _ => return Ok(self),
        };
        Err(MmapIoError::InvalidFlushPolicy {
            policy: self,
            reason: zero,
        })
    }

    /// Whether a write that left `pending` behind must flush now.
    pub(crate) fn is_due(self, pending: &Pending) -> bool {
        match self {
            FlushPolicy::Always => true,
            // `usize` never has more than 64 bits on a supported target.
            FlushPolicy::EveryBytes(n) => pending.bytes >= n as u64,
            FlushPolicy::EveryWrites(n) => pending.writes >= n as u64,
            FlushPolicy::Never | FlushPolicy::Manual | FlushPolicy::EveryMillis(_) => false,
        }
    }
}

/// A snapshot of a mapping's flush counters.
///
/// Counters only move when the corresponding system call succeeded, so a
/// test can tell "flushed" from "merely wrote to the page cache".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlushStats {
    /// Full-mapping `msync(MS_SYNC)` calls that succeeded.
    pub flushes: u64,
    /// `flush_range` calls that succeeded.
    pub range_flushes: u64,
    /// `fsync` calls made after `resize` changed the file's length.
    pub file_syncs: u64,
    /// Bytes written since the last full flush.
    pub pending_bytes: u64,
    /// `update_region` calls since the last full flush.
    pub pending_writes: u64,
}

#[derive(Clone, Copy, Default)]
pub(crate) struct Pending {
    bytes: u64,
    writes: u64,
}

impl Pending {
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes == 0 && self.writes == 0
    }
}

/// Per-file flush bookkeeping, shared by every handle of the file; each
/// handle applies its own [`FlushPolicy`] to it.
#[derive(Default)]
pub(crate) struct FlushAccounting {
    pending: Mutex<Pending>,
    flushes: AtomicU64,
    range_flushes: AtomicU64,
    file_syncs: AtomicU64,
}

impl FlushAccounting {
    /// Records an `update_region` of `bytes` bytes; returns what is
    /// pending now, for the writer's policy to judge.
    pub(crate) fn record_write(&self, bytes: u64) -> Pending {
        let mut pending = self.pending.lock();
        pending.bytes = pending.bytes.saturating_add(bytes);
        pending.writes = pending.writes.saturating_add(1);
        *pending
    }

    /// Records bytes dirtied through a mutable view, a walk or atomic
    /// views; returns what is pending now.
    pub(crate) fn record_dirty(&self, bytes: u64) -> Pending {
        let mut pending = self.pending.lock();
        pending.bytes = pending.bytes.saturating_add(bytes);
        *pending
    }

    #[cfg_attr(not(feature = "iterator"), allow(dead_code))]
    pub(crate) fn pending(&self) -> Pending {
        *self.pending.lock()
    }

    pub(crate) fn is_dirty(&self) -> bool {
        !self.pending.lock().is_empty()
    }

    pub(crate) fn pending_bytes(&self) -> u64 {
        self.pending.lock().bytes
    }

    /// Takes the pending counts ahead of a flush. Writes that land while the
    /// flush runs are counted towards the next one, never lost.
    pub(crate) fn take_pending(&self) -> Pending {
        std::mem::take(&mut *self.pending.lock())
    }

    /// Puts counts back after a failed flush so nothing looks clean that
    /// is not.
    pub(crate) fn restore_pending(&self, taken: Pending) {
        let mut pending = self.pending.lock();
        pending.bytes = pending.bytes.saturating_add(taken.bytes);
        pending.writes = pending.writes.saturating_add(taken.writes);
    }

    pub(crate) fn count_flush(&self) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_range_flush(&self) {
        self.range_flushes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_file_sync(&self) {
        self.file_syncs.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> FlushStats {
        let pending = *self.pending.lock();
        FlushStats {
            flushes: self.flushes.load(Ordering::Relaxed),
            range_flushes: self.range_flushes.load(Ordering::Relaxed),
            file_syncs: self.file_syncs.load(Ordering::Relaxed),
            pending_bytes: pending.bytes,
            pending_writes: pending.writes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_parameters_are_refused() {
        for p in [
            FlushPolicy::EveryBytes(0),
            FlushPolicy::EveryWrites(0),
            FlushPolicy::EveryMillis(0),
        ] {
            assert!(matches!(
                p.validate(),
                Err(MmapIoError::InvalidFlushPolicy { policy, .. }) if policy == p
            ));
        }
        assert_eq!(
            FlushPolicy::EveryMillis(1).validate().unwrap(),
            FlushPolicy::EveryMillis(1)
        );
    }

    #[test]
    fn every_bytes_fires_at_threshold() {
        let acc = FlushAccounting::default();
        let policy = FlushPolicy::EveryBytes(10);
        assert!(!policy.is_due(&acc.record_write(4)));
        assert!(!policy.is_due(&acc.record_write(5)));
        assert!(policy.is_due(&acc.record_write(1)));
        let taken = acc.take_pending();
        assert!(!acc.is_dirty());
        acc.restore_pending(taken);
        assert_eq!(acc.stats().pending_bytes, 10);
        assert_eq!(acc.stats().pending_writes, 3);
    }

    #[test]
    fn manual_and_never_never_fire() {
        for p in [
            FlushPolicy::Manual,
            FlushPolicy::Never,
            FlushPolicy::EveryMillis(5),
        ] {
            let acc = FlushAccounting::default();
            assert!(!p.is_due(&acc.record_write(u64::MAX)));
            assert!(!p.is_due(&acc.record_write(u64::MAX)));
            assert_eq!(acc.pending_bytes(), u64::MAX, "saturates, never wraps");
        }
    }
}
