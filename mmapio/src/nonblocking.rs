//! Non-blocking forms of the view and write methods: they do what the
//! blocking method would, or report at once that it would have to wait.
//!
//! A read-write mapping's views and writers exclude each other through one
//! lock (see [`MappedSlice`]); these methods try that lock instead of
//! waiting for it. Read-only and copy-on-write mappings take no lock, so
//! there they always succeed. Bounds and mode are checked either way: an
//! invalid request is an error even when the lock is busy.
//!
//! "Not now" is also the answer when the holder is the calling thread
//! itself (its own view, walk or iterator), as in mmap-io: the answer then
//! stays "not now" until that thread lets go, so do not retry in a loop on
//! the thread that holds the view.

use crate::bounds::check_range;
use crate::shared_state::Storage;
use crate::{MappedSlice, MappedSliceMut, MemoryMappedFile, MmapIoError, Result};

impl MemoryMappedFile {
    /// Like [`as_slice`](Self::as_slice), but `Ok(None)` instead of waiting
    /// when a writer (a mutable view, a write, a `resize` or atomic views)
    /// holds the mapping.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.bin");
    /// use mmapio::{MemoryMappedFile, MmapIoError};
    /// let map = MemoryMappedFile::create_rw(&path, 8)?;
    /// let writer = map.as_slice_mut(0, 4)?;
    /// std::thread::scope(|s| {
    ///     // Another thread would wait for `writer`: "not now".
    ///     let other = s.spawn(|| map.try_as_slice(4, 4).map(|view| view.is_none()));
    ///     assert!(other.join().unwrap().unwrap());
    /// });
    /// drop(writer);
    /// assert_eq!(map.try_as_slice(4, 4)?.unwrap(), [0; 4]);
    /// assert!(map.try_as_slice(6, 4).is_err()); // out of bounds either way
    /// # Ok::<(), MmapIoError>(())
    /// ```
    pub fn try_as_slice(&self, offset: u64, len: u64) -> Result<Option<MappedSlice<'_>>> {
        match &self.shared.storage {
            Storage::Unlocked(_) => self.as_slice(offset, len).map(Some),
            Storage::Private(private) => match private.gate().try_read() {
                Some(guard) => Self::private_slice_under(private, guard, offset, len).map(Some),
                None => self.busy(offset, len),
            },
            Storage::Locked(gate) => match gate.try_read() {
                Some(guard) => {
                    let range = check_range(offset, len, guard.len())?;
                    Ok(Some(MappedSlice::guarded(guard, range)))
                }
                None => self.busy(offset, len),
            },
        }
    }

    /// Like [`as_slice_mut`](Self::as_slice_mut), but `Ok(None)` instead of
    /// waiting when views, iterators or another writer hold the mapping.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("m.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 8)?;
    /// let reader = map.as_slice(0, 8)?;
    /// assert!(map.try_as_slice_mut(0, 4)?.is_none()); // would wait for `reader`
    /// drop(reader);
    /// map.try_as_slice_mut(0, 4)?.unwrap().copy_from_slice(b"done");
    /// assert_eq!(map.as_slice(0, 4)?, b"done");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn try_as_slice_mut(&self, offset: u64, len: u64) -> Result<Option<MappedSliceMut<'_>>> {
        let lock = match self.try_write_lock("try_as_slice_mut") {
            Ok(lock) => lock,
            Err(refused) => return self.try_private_slice_mut(refused, offset, len),
        };
        let Some(guard) = lock.and_then(|lock| lock.try_write()) else {
            return self.busy(offset, len);
        };
        let range = check_range(offset, len, guard.len())?;
        match MappedSliceMut::new(guard, range, &self.shared) {
            Some(view) => Ok(Some(view)),
            None => Err(MmapIoError::InvalidMode {
                op: "try_as_slice_mut",
                mode: self.mode(),
            }),
        }
    }

    /// Like [`update_region`](Self::update_region), but `Ok(false)` (and
    /// nothing written) instead of waiting when views, iterators or another
    /// writer hold the mapping; `Ok(true)` once written. The write itself
    /// never waits; a flush the [`FlushPolicy`](crate::FlushPolicy) makes due
    /// afterwards is a durable `msync` like any other, which waits for the
    /// device (and for a writer that took the lock meanwhile).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("u.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 8)?;
    /// let reader = map.as_slice(0, 8)?;
    /// assert!(!map.try_update_region(0, b"late")?);
    /// drop(reader);
    /// assert!(map.try_update_region(0, b"now!")?);
    /// assert_eq!(map.as_slice(0, 4)?, b"now!");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn try_update_region(&self, offset: u64, data: &[u8]) -> Result<bool> {
        let lock = match self.try_write_lock("try_update_region") {
            Ok(lock) => lock,
            Err(refused) => return self.try_private_update_region(refused, offset, data),
        };
        match lock.and_then(|lock| lock.try_write()) {
            Some(guard) => self
                .write_under(guard, offset, data, "try_update_region")
                .map(|()| true),
            None => self.busy::<()>(offset, data.len() as u64).map(|_| false),
        }
    }

    /// The answer of a `try_` method whose lock is busy: `Ok(None)` for a
    /// request that is valid against the current length.
    pub(crate) fn busy<T>(&self, offset: u64, len: u64) -> Result<Option<T>> {
        // `len()` is read without the lock; the request is checked again,
        // under it, by the call that eventually succeeds.
        let total = usize::try_from(self.len()).unwrap_or(usize::MAX);
        check_range(offset, len, total).map(|_| None)
    }
}
