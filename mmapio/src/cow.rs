//! Private writes to copy-on-write mappings (feature `cow`).
//!
//! A copy-on-write mapping's views pass its file's reader gate (which keeps
//! the file's writers out), not a gate of the mapping's own, so a private
//! write must prove that no view of the mapping exists: these methods take
//! `&mut self` and refuse ([`MmapIoError::SharedHandle`]) while other
//! clones of the handle exist. The written pages become private copies;
//! the file never changes.

use crate::bounds::check_range;
use crate::shared_state::Storage;
use crate::{MemoryMappedFile, MmapIoError, MmapMode, Result};

impl MemoryMappedFile {
    /// Writes `data` at `offset` of a copy-on-write mapping. The file is
    /// never modified; the change lives as long as the mapping.
    ///
    /// Errors: [`MmapIoError::InvalidMode`] on other modes (read-write
    /// mappings use [`update_region`](Self::update_region)),
    /// [`MmapIoError::SharedHandle`] while clones of this handle exist,
    /// [`MmapIoError::OutOfBounds`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("cow.bin");
    /// # std::fs::write(&path, b"original").unwrap();
    /// let mut map = mmapio::MemoryMappedFile::open_cow(&path)?;
    /// map.cow_update_region(0, b"ORIG")?;
    /// assert_eq!(map.as_slice(0, 8)?, b"ORIGinal");
    /// drop(map);
    /// assert_eq!(std::fs::read(&path).unwrap(), b"original");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn cow_update_region(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        let op = "cow_update_region";
        self.check_private_write(op)?;
        match &self.shared.storage {
            Storage::Private(private) => {
                // Under a share of the file's gate: no writer through a
                // read-write handle changes a page while it is copied.
                let guard = private.file().read(private.gate(), op)?;
                // SAFETY: the length is read under `guard`, held for the
                // copy; `&mut self` on the only clone proves that no other
                // reference to the private bytes exists (see
                // `check_private_write`).
                let bytes = unsafe { private.bytes_mut(guard.len()) };
                let range = check_range(offset, data.len() as u64, bytes.len())?;
                bytes[range].copy_from_slice(data);
                Ok(())
            }
            _ => {
                self.unlocked_bytes_mut(op, offset, data.len() as u64)?
                    .copy_from_slice(data);
                Ok(())
            }
        }
    }

    /// A mutable borrow of `len` bytes at `offset` of a copy-on-write
    /// mapping; errors as for [`cow_update_region`](Self::cow_update_region).
    ///
    /// The borrow is tied to `&mut self` and holds no share of the file's
    /// reader gate, so, as with [`as_slice_bytes`](Self::as_slice_bytes),
    /// the handle then keeps read-write opens of the file out
    /// ([`MmapIoError::HandleConflict`]) until it is dropped; while the
    /// file has a read-write handle, this is `HandleConflict` itself. Use
    /// [`cow_update_region`](Self::cow_update_region) to write beside one.
    pub fn cow_slice_mut(&mut self, offset: u64, len: u64) -> Result<&mut [u8]> {
        let op = "cow_slice_mut";
        self.check_private_write(op)?;
        if !matches!(self.shared.storage, Storage::Private(_)) {
            return self.unlocked_bytes_mut(op, offset, len);
        }
        if !self.lends_bare_borrows() {
            return Err(MmapIoError::HandleConflict {
                path: self.path().to_path_buf(),
                requested: MmapMode::CopyOnWrite,
                existing: MmapMode::ReadWrite,
            });
        }
        let Storage::Private(private) = &self.shared.storage else {
            return Err(MmapIoError::InvalidMode {
                op,
                mode: self.mode(),
            });
        };
        let file_len = private.file().read(private.gate(), op)?.len();
        // SAFETY: the length was read under a share of the file's gate;
        // this handle lends, so the file has no read-write handle and gets
        // none while the handle lives: no writer or `resize` can close the
        // gate while the borrow (tied to `&mut self`) lives. `&mut self` on
        // the only clone proves that no other reference to the private
        // bytes exists.
        let bytes = unsafe { private.bytes_mut(file_len) };
        let range = check_range(offset, len, bytes.len())?;
        Ok(&mut bytes[range])
    }

    /// Refuses a private write unless this is the only clone of a
    /// copy-on-write handle.
    fn check_private_write(&mut self, op: &'static str) -> Result<()> {
        if self.mode() != MmapMode::CopyOnWrite {
            return Err(MmapIoError::InvalidMode {
                op,
                mode: self.mode(),
            });
        }
        if !self.is_only_clone() {
            let handles = self.clone_count();
            return Err(MmapIoError::SharedHandle { op, handles });
        }
        Ok(())
    }

    /// The bytes of a copy-on-write mapping of no file (a heap region in
    /// unit tests), for the only clone of its handle.
    fn unlocked_bytes_mut(&mut self, op: &'static str, offset: u64, len: u64) -> Result<&mut [u8]> {
        let Storage::Unlocked(region) = &self.shared.storage else {
            return Err(MmapIoError::InvalidMode {
                op,
                mode: self.mode(),
            });
        };
        let range = check_range(offset, len, region.len())?;
        // SAFETY: the caller checked that this is the only clone of the
        // handle (none can be made while `&mut self` is borrowed), and every
        // view or iterator item borrows a clone, so `&mut self` proves none
        // is alive; `Arc::get_mut` (in `is_only_clone`) synchronises with
        // the drop of every other clone, so reads made through them happen
        // before this write. Memory of no file is never shared with another
        // open. The returned borrow is tied to `&mut self`, so no view can
        // be created while it lives. Copy-on-write regions are mapped
        // writable.
        let bytes = unsafe { region.bytes_mut_unchecked() };
        let bytes = bytes.ok_or_else(|| MmapIoError::InvalidMode {
            op,
            mode: self.mode(),
        })?;
        Ok(&mut bytes[range])
    }
}
