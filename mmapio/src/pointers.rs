//! Raw access for code that must leave the safe API: the mapping's base
//! pointers, and a plain `&[u8]` borrow of memory nothing can write.

use crate::bounds::check_range;
use crate::region::Region;
use crate::shared_state::Storage;
use crate::{MemoryMappedFile, MmapIoError, Result};

impl MemoryMappedFile {
    /// The address of the mapping's first byte (dangling, never null, for an
    /// empty mapping).
    ///
    /// # Safety
    /// Calling it is harmless; it is `unsafe`, as in mmap-io, because every
    /// use of the pointer is. Reading through it is sound only for
    /// [`len`](Self::len) bytes, while this handle lives, before any
    /// [`resize`](Self::resize) (which may move the mapping), and never at
    /// the same time as a write to the same bytes: on a read-write mapping
    /// that means while no [`MappedSliceMut`](crate::MappedSliceMut),
    /// `update_region` or atomic view can run, which the caller must
    /// arrange. A read-only handle that shares the writable state of its
    /// file (see [Handles of one file](crate#handles-of-one-file)) is such a
    /// mapping too: other handles can write and resize it.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("p.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 4)?;
    /// map.update_region(0, b"ptr!")?;
    /// // SAFETY: nothing writes or resizes the mapping while `first` is read.
    /// let first = unsafe { *map.as_ptr() };
    /// assert_eq!(first, b'p');
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub unsafe fn as_ptr(&self) -> *const u8 {
        match &self.shared.storage {
            Storage::Unlocked(region) => region.as_ptr(),
            // Never replaced while the handle lives.
            Storage::Private(private) => private.region().as_ptr(),
            // Read while `resize` cannot replace the region (and without
            // waiting for a view or walk of this thread).
            Storage::Locked(lock) => self.shared.with_locked_region(lock, Region::as_ptr),
        }
    }

    /// The address of the first byte of a read-write mapping, for writes the
    /// crate cannot see; [`MmapIoError::InvalidMode`] on other mappings,
    /// except a [copy-on-write writable](Self::is_cow_writable) one,
    /// whose private pages it writes (never the file, and nothing is
    /// counted as pending).
    ///
    /// Since the crate cannot tell what is written through it, the whole
    /// mapping is counted as pending when the pointer is handed out. A flush
    /// clears that count like any other, so writes made through the pointer
    /// after a flush are not counted again: call [`flush`](Self::flush) once
    /// they are done to make them durable.
    ///
    /// # Safety
    /// As for [`as_ptr`](Self::as_ptr), and writing through the pointer is
    /// sound only while no other access to the same bytes can happen: no
    /// live [`MappedSlice`](crate::MappedSlice), iterator item, mutable view
    /// or atomic view of them, and no call on any handle of this file that
    /// reads or writes them, from any thread. The crate's locks do not
    /// protect writes through this pointer.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("w.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 4)?;
    /// // SAFETY: no view of the mapping exists, and no other thread uses it.
    /// unsafe { map.as_mut_ptr()?.write(b'x') };
    /// assert_eq!(map.pending_bytes(), 4);
    /// assert_eq!(map.as_slice(0, 1)?, b"x");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub unsafe fn as_mut_ptr(&self) -> Result<*mut u8> {
        match self.write_lock("as_mut_ptr") {
            // SAFETY: the caller takes on this method's contract, which is
            // `writable_ptr`'s; the handle is read-write (checked above).
            Ok(_) => Ok(unsafe { self.writable_ptr() }),
            Err(refused) => self.private_mut_ptr(refused),
        }
    }

    /// `as_mut_ptr` once the handle is known to be read-write: the base
    /// address, with the whole mapping counted as pending.
    ///
    /// # Safety
    /// As for [`as_mut_ptr`](Self::as_mut_ptr); the handle must be
    /// read-write.
    pub(crate) unsafe fn writable_ptr(&self) -> *mut u8 {
        // SAFETY: reading the address has no precondition; using it is the
        // caller's contract.
        let ptr = unsafe { self.as_ptr() } as *mut u8;
        self.shared.flush.record_dirty(self.len());
        ptr
    }

    /// `len` bytes at `offset` as a plain `&[u8]` borrowed from the handle,
    /// for code written against mmap-io 0.9.6's `as_slice`.
    ///
    /// Only memory that nothing can write while the borrow lives is lent
    /// this way: a read-only mapping, or a copy-on-write one not opened
    /// [writable](Self::is_cow_writable) (whose private writes need
    /// `&mut` on the handle). A read-write mapping can be written
    /// through other handles and by `resize`, which a bare `&[u8]` cannot
    /// keep out, so there it is [`MmapIoError::InvalidMode`], and so it is
    /// for a read-only handle of a file that has had a read-write handle
    /// (see [Handles of one file](crate#handles-of-one-file)); use
    /// [`as_slice`](Self::as_slice), which works in every mode. Once a
    /// read-only handle lent such a borrow, read-write opens of its file are
    /// refused with [`MmapIoError::HandleConflict`] until that handle and
    /// all its clones are dropped.
    ///
    /// ```
    /// use mmapio::{MemoryMappedFile, MmapIoError};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("b.bin");
    /// # std::fs::write(&path, b"plain bytes").unwrap();
    /// let map = MemoryMappedFile::open_ro(&path)?;
    /// let bytes: &[u8] = map.as_slice_bytes(6, 5)?;
    /// assert_eq!(bytes, b"bytes");
    /// assert!(matches!(
    ///     MemoryMappedFile::open_rw(&path),
    ///     Err(MmapIoError::HandleConflict { .. })
    /// ));
    /// drop(map);
    /// assert!(MemoryMappedFile::open_rw(&path).is_ok());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn as_slice_bytes(&self, offset: u64, len: u64) -> Result<&[u8]> {
        match &self.shared.storage {
            Storage::Unlocked(region) => {
                let range = check_range(offset, len, region.len())?;
                Ok(&region.bytes()[range])
            }
            Storage::Locked(gate) if self.lends_bare_borrows() => {
                // SAFETY: this handle is counted as lending in its state,
                // which therefore has no read-write handle and gets none
                // while this handle (so any borrow of it) lives
                // (`Shared::claim_writable`): without one, nothing takes the
                // gate's write lock, so the `Region` is never replaced and
                // its bytes are never written for the borrow's lifetime.
                let region = unsafe { &*gate.data_ptr() };
                let range = check_range(offset, len, region.len())?;
                Ok(&region.bytes()[range])
            }
            Storage::Private(private) if self.lends_bare_borrows() => {
                let file_len = private.gate().read().len();
                // SAFETY: the length was read under a share of the file's
                // gate; this handle lends, so the file has no read-write
                // handle and gets none while it (so any borrow of it) lives:
                // no writer or `resize` can close the gate meanwhile.
                let bytes = unsafe { private.bytes(file_len) };
                let range = check_range(offset, len, bytes.len())?;
                Ok(&bytes[range])
            }
            Storage::Locked(_) | Storage::Private(_) => Err(MmapIoError::InvalidMode {
                op: "as_slice_bytes",
                mode: self.mode(),
            }),
        }
    }
}
