//! [`bytes::Bytes`] interop (feature `bytes`).
//!
//! `Bytes` is `'static` and may be sent to other threads and kept forever,
//! while a mapped view is tied to its mapping (and, on read-write mappings,
//! to its lock, which `resize` waits for). Handing out mapped memory as
//! `Bytes` would let it outlive a resize or unmap, so both conversions here
//! copy the bytes into a fresh heap buffer.

use bytes::Bytes;

use crate::bounds::check_range;
use crate::views::MappedSlice;
use crate::{MemoryMappedFile, Result};

impl MemoryMappedFile {
    /// Copies `len` bytes at `offset` into a new [`Bytes`]. Works in every
    /// mode; out-of-range requests return
    /// [`MmapIoError::OutOfBounds`](crate::MmapIoError::OutOfBounds), and
    /// the length is checked before anything is allocated.
    ///
    /// This is a copy: `Bytes` is `'static`, so it cannot borrow the
    /// mapping. For zero-copy access use
    /// [`as_slice`](MemoryMappedFile::as_slice).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("b.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 16)?;
    /// map.update_region(4, b"body")?;
    /// let body: bytes::Bytes = map.read_bytes(4, 4)?;
    /// drop(map); // the copy does not depend on the mapping
    /// assert_eq!(&body[..], b"body");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn read_bytes(&self, offset: u64, len: u64) -> Result<Bytes> {
        self.with_bytes(|bytes| {
            let range = check_range(offset, len, bytes.len())?;
            Ok(Bytes::copy_from_slice(&bytes[range]))
        })
    }
}

/// Copies the view's bytes into a new [`Bytes`] (feature `bytes`).
///
/// `Bytes` is `'static`, so it cannot borrow the mapping: this always copies,
/// and releases the view (and its read lock, on read-write mappings) once
/// the copy is made.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("f.bin");
/// # std::fs::write(&path, b"hello world").unwrap();
/// let map = mmapio::MemoryMappedFile::open_ro(&path)?;
/// let b = bytes::Bytes::from(map.as_slice(6, 5)?);
/// assert_eq!(b, "world");
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
impl From<MappedSlice<'_>> for Bytes {
    fn from(view: MappedSlice<'_>) -> Bytes {
        Bytes::copy_from_slice(&view)
    }
}

/// Copies the view's bytes into a new `Bytes`, leaving the view in place.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("r.bin");
/// # std::fs::write(&path, b"hello world").unwrap();
/// let map = mmapio::MemoryMappedFile::open_ro(&path)?;
/// let view = map.as_slice(0, 5)?;
/// assert_eq!(bytes::Bytes::from(&view), "hello");
/// assert_eq!(view, b"hello"); // still usable
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
impl From<&MappedSlice<'_>> for Bytes {
    fn from(view: &MappedSlice<'_>) -> Bytes {
        Bytes::copy_from_slice(view)
    }
}
