//! Private writes through `&self` to copy-on-write mappings opened with
//! [`MemoryMappedFile::open_cow_writable`] or the builder's
//! [`cow_writable(true)`](crate::MmapBuilder::cow_writable) (feature `cow`;
//! without it no handle is copy-on-write writable, and every entry point
//! here gives back the read-write path's refusal).
//!
//! The mapping's views pass its file's reader gate (see `PrivateRegion`),
//! so a private write closes that gate, as a write through a read-write
//! handle does: it waits for the views of every handle of the file, this
//! one's included, and a thread holding one of them is told
//! [`MmapIoError::WouldDeadlock`]. The bytes go to the private mapping
//! only: the file never changes, nothing is counted as pending, and
//! `flush` has nothing to do.

use crate::bounds::check_range;
use crate::gate::GateWrite;
use crate::region::Region;
#[cfg(feature = "iterator")]
use crate::shared_state::ExclusiveWrite;
use crate::shared_state::{PrivateRegion, Storage};
use crate::views::MappedSliceMut;
#[cfg(feature = "cow")]
use crate::MmapMode;
use crate::{MemoryMappedFile, MmapIoError, Result};

impl MemoryMappedFile {
    /// Opens an existing file and maps it copy-on-write with private writes
    /// through `&self`: [`update_region`](Self::update_region),
    /// [`try_update_region`](Self::try_update_region),
    /// [`as_slice_mut`](Self::as_slice_mut) and
    /// [`try_as_slice_mut`](Self::try_as_slice_mut) write to pages copied
    /// on first write, visible through this handle (and its clones) only;
    /// the file never changes. The same as
    /// `builder(path).mode(MmapMode::CopyOnWrite).cow_writable(true).open()`.
    ///
    /// Each write closes the file's reader gate, so it waits for the live
    /// views of every handle of the file, as a read-write write does, and
    /// returns [`MmapIoError::WouldDeadlock`] beside a view of the calling
    /// thread. [`flush`](Self::flush) does nothing,
    /// [`pending_bytes`](Self::pending_bytes) stays 0,
    /// [`resize`](Self::resize) and [`as_slice_bytes`](Self::as_slice_bytes)
    /// (whose bare borrow could not keep the writes out) are
    /// [`MmapIoError::InvalidMode`]. [`chunks_mut`](Self::chunks_mut),
    /// [`as_mut_ptr`](Self::as_mut_ptr) and the atomic views (features
    /// `iterator` and `atomic`) write private pages too.
    ///
    /// ```
    /// use mmapio::MemoryMappedFile;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("cow.bin");
    /// std::fs::write(&path, b"original").unwrap();
    /// let cow = MemoryMappedFile::open_cow_writable(&path)?;
    /// assert!(cow.is_cow_writable());
    /// cow.update_region(0, b"EDIT")?;
    /// assert_eq!(&*cow.as_slice(0, 8)?, b"EDITinal");
    /// cow.flush()?; // nothing to do: private pages never reach the file
    /// assert_eq!(std::fs::read(&path).unwrap(), b"original");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    #[cfg(feature = "cow")]
    pub fn open_cow_writable<P: AsRef<std::path::Path>>(path: P) -> Result<Self> {
        Self::builder(path)
            .mode(MmapMode::CopyOnWrite)
            .cow_writable(true)
            .open()
    }

    /// The private mapping and the file's gate closed for a private write,
    /// or `refused` (the read-write path's error) unless this handle is
    /// copy-on-write writable.
    fn private_write(
        &self,
        refused: MmapIoError,
        op: &'static str,
    ) -> Result<(&PrivateRegion, GateWrite<'_, Region>)> {
        let private = self.private_for_writes(refused)?;
        let guard = private.file().write(private.gate(), op)?;
        Ok((private, guard))
    }

    /// [`private_write`](Self::private_write) without waiting: `Ok(None)`
    /// while views or a writer hold the file's gate.
    fn try_private_write(
        &self,
        refused: MmapIoError,
    ) -> Result<Option<(&PrivateRegion, GateWrite<'_, Region>)>> {
        let private = self.private_for_writes(refused)?;
        Ok(private.gate().try_write().map(|guard| (private, guard)))
    }

    /// The private mapping of a copy-on-write writable handle, or
    /// `refused` (the read-write path's error).
    pub(crate) fn private_for_writes(&self, refused: MmapIoError) -> Result<&PrivateRegion> {
        match &self.shared.storage {
            Storage::Private(private) if self.is_cow_writable() => Ok(private),
            _ => Err(refused),
        }
    }

    /// `update_region` on a copy-on-write writable handle; `refused`
    /// otherwise.
    #[cold]
    pub(crate) fn private_update_region(
        &self,
        refused: MmapIoError,
        offset: u64,
        data: &[u8],
    ) -> Result<()> {
        let (private, guard) = self.private_write(refused, "update_region")?;
        Self::private_write_under(private, &guard, offset, data)
    }

    /// Copies `data` into the private mapping while `guard` holds the
    /// file's gate closed.
    pub(crate) fn private_write_under(
        private: &PrivateRegion,
        guard: &GateWrite<'_, Region>,
        offset: u64,
        data: &[u8],
    ) -> Result<()> {
        // SAFETY: the length is the file mapping's, read under the write
        // lock, which is held during the copy. The gate is closed: no view
        // of any handle of the file (every view of this private mapping
        // holds a share of it) and no other writer lives, so nothing else
        // references these bytes.
        let bytes = unsafe { private.bytes_mut(guard.len()) };
        let range = check_range(offset, data.len() as u64, bytes.len())?;
        bytes[range].copy_from_slice(data);
        Ok(())
    }

    /// `as_slice_mut` on a copy-on-write writable handle; `refused`
    /// otherwise.
    #[cold]
    pub(crate) fn private_slice_mut(
        &self,
        refused: MmapIoError,
        offset: u64,
        len: u64,
    ) -> Result<MappedSliceMut<'_>> {
        let (private, guard) = self.private_write(refused, "as_slice_mut")?;
        Self::private_slice_mut_under(private, guard, offset, len)
    }

    /// `try_update_region` on a copy-on-write writable handle; `refused`
    /// otherwise.
    #[cold]
    pub(crate) fn try_private_update_region(
        &self,
        refused: MmapIoError,
        offset: u64,
        data: &[u8],
    ) -> Result<bool> {
        match self.try_private_write(refused)? {
            Some((private, guard)) => {
                Self::private_write_under(private, &guard, offset, data).map(|()| true)
            }
            None => self.busy::<()>(offset, data.len() as u64).map(|_| false),
        }
    }

    /// `try_as_slice_mut` on a copy-on-write writable handle; `refused`
    /// otherwise.
    #[cold]
    pub(crate) fn try_private_slice_mut(
        &self,
        refused: MmapIoError,
        offset: u64,
        len: u64,
    ) -> Result<Option<MappedSliceMut<'_>>> {
        match self.try_private_write(refused)? {
            Some((private, guard)) => {
                Self::private_slice_mut_under(private, guard, offset, len).map(Some)
            }
            None => self.busy(offset, len),
        }
    }

    /// A writable view of the private mapping under `guard`.
    pub(crate) fn private_slice_mut_under<'a>(
        private: &'a PrivateRegion,
        guard: GateWrite<'a, Region>,
        offset: u64,
        len: u64,
    ) -> Result<MappedSliceMut<'a>> {
        // SAFETY: as in `private_write_under`; the view keeps `guard`, so
        // the gate stays closed for as long as the bytes are reachable.
        let bytes = unsafe { private.bytes_mut(guard.len()) };
        let range = check_range(offset, len, bytes.len())?;
        Ok(MappedSliceMut::private(
            guard,
            &mut bytes[range],
            offset,
            private.file(),
        ))
    }

    /// `chunks_mut(..).for_each_mut(f)` on a copy-on-write writable
    /// handle; `refused` otherwise. One closing of the file's gate for the
    /// whole walk; nothing is counted as pending.
    #[cfg(feature = "iterator")]
    #[cold]
    pub(crate) fn private_for_each_mut<F>(
        &self,
        refused: MmapIoError,
        chunk_size: usize,
        mut f: F,
    ) -> Result<()>
    where
        F: FnMut(u64, &mut [u8]) -> Result<()>,
    {
        let (private, guard) = self.private_write(refused, "chunks_mut")?;
        // SAFETY: as in `private_write_under`; `guard` outlives the walk.
        let bytes = unsafe { private.bytes_mut(guard.len()) };
        // Marks this thread as the file's writer, so that the closure's own
        // calls on the file refuse with `WouldDeadlock` instead of waiting
        // for the walk; it dirties nothing. Dropped before `guard`.
        let _walk = ExclusiveWrite::start(private.file());
        let mut offset = 0u64;
        for chunk in bytes.chunks_mut(chunk_size) {
            let n = chunk.len() as u64;
            f(offset, chunk)?;
            offset += n;
        }
        Ok(())
    }

    /// `as_mut_ptr` on a copy-on-write writable handle: the private
    /// mapping's base address; `refused` otherwise. Nothing is counted as
    /// pending: what is written there never reaches the file.
    #[cold]
    pub(crate) fn private_mut_ptr(&self, refused: MmapIoError) -> Result<*mut u8> {
        let private = self.private_for_writes(refused)?;
        // Mapped writable (`MAP_PRIVATE` with `PROT_WRITE`); using the
        // address is the caller's contract (see `as_mut_ptr`).
        Ok(private.region().as_ptr().cast_mut())
    }
}
