//! Private writes to copy-on-write mappings (feature `cow`).
//!
//! Copy-on-write views are lock-free borrows, so a write must prove that no
//! view exists: these methods take `&mut self` and refuse
//! ([`MmapIoError::SharedHandle`]) while other clones of the handle exist.
//! The written pages become private copies; the file never changes.

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
        self.private_bytes_mut("cow_update_region", offset, data.len() as u64)?
            .copy_from_slice(data);
        Ok(())
    }

    /// A mutable borrow of `len` bytes at `offset` of a copy-on-write
    /// mapping; errors as for [`cow_update_region`](Self::cow_update_region).
    pub fn cow_slice_mut(&mut self, offset: u64, len: u64) -> Result<&mut [u8]> {
        self.private_bytes_mut("cow_slice_mut", offset, len)
    }

    fn private_bytes_mut(&mut self, op: &'static str, offset: u64, len: u64) -> Result<&mut [u8]> {
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
        let Storage::Unlocked(region) = &self.shared.storage else {
            return Err(MmapIoError::InvalidMode {
                op,
                mode: self.mode(),
            });
        };
        let range = check_range(offset, len, region.len())?;
        // SAFETY: this is the only clone of the handle (none can be made
        // while `&mut self` is borrowed), and every view or iterator item
        // borrows a clone, so `&mut self` proves none is alive; `Arc::get_mut`
        // (in `is_only_clone`) synchronises with the drop of every other
        // clone, so reads made through them happen before this write.
        // Copy-on-write states are never shared with another open (the
        // registry gives each its own mapping and refuses one next to a
        // writable state), so no other handle reaches these bytes, and no
        // write through the file can change the pages not yet copied. The
        // returned borrow is tied to `&mut self`, so no view can be created
        // while it lives. Copy-on-write regions are mapped writable.
        let bytes = unsafe { region.bytes_mut_unchecked() };
        let bytes = bytes.ok_or_else(|| MmapIoError::InvalidMode {
            op,
            mode: self.mode(),
        })?;
        Ok(&mut bytes[range])
    }
}
