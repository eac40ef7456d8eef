//! Path-level convenience functions, following the `manager` module of the
//! [`mmap-io`](https://crates.io/crates/mmap-io) crate so code written
//! against it ports with few changes.
//!
//! Each function is a thin wrapper around [`MemoryMappedFile`] methods (or,
//! for [`copy_mmap`] and [`delete_mmap`], plain file operations); they are
//! also re-exported at the crate root. Differences from `mmap-io`, all in
//! the direction of not losing data:
//!
//! * [`create_mmap`] refuses an existing file instead of truncating it;
//! * [`copy_mmap`] refuses an existing destination instead of overwriting
//!   it (and therefore never copies a file onto itself);
//! * [`write_mmap`] flushes durably before returning.
//!
//! Every error names the file involved ([`MmapIoError::Io`] carries the
//! operation and the path).
//!
//! ```
//! use mmapio::{copy_mmap, create_mmap, delete_mmap, load_mmap, write_mmap, MmapMode};
//! # let dir = tempfile::tempdir().unwrap();
//! # let (path, backup) = (dir.path().join("m.bin"), dir.path().join("m.bak"));
//! let map = create_mmap(&path, 64)?;
//! drop(map);
//! write_mmap(&path, 0, b"saved")?;
//! copy_mmap(&path, &backup)?;
//! delete_mmap(&path)?;
//! let ro = load_mmap(&backup, MmapMode::ReadOnly)?;
//! assert_eq!(ro.as_slice(0, 5)?, b"saved");
//! # Ok::<(), mmapio::MmapIoError>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use crate::{MemoryMappedFile, MmapIoError, MmapMode, Result};

/// Creates a new file of `size` zero bytes and maps it read-write
/// ([`MemoryMappedFile::create_rw`]).
///
/// Unlike `mmap-io`, an existing file is never truncated: it is refused with
/// [`MmapIoError::Io`] of kind [`ErrorKind::AlreadyExists`]. A `size` of 0
/// or one too large to map is [`MmapIoError::InvalidSize`].
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("c.bin");
/// let map = mmapio::create_mmap(&path, 4096)?;
/// assert_eq!(map.len(), 4096);
/// assert!(mmapio::create_mmap(&path, 4096).is_err());
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub fn create_mmap<P: AsRef<Path>>(path: P, size: u64) -> Result<MemoryMappedFile> {
    MemoryMappedFile::create_rw(path, size)
}

/// Opens an existing file and maps it in `mode`.
///
/// `MmapMode::CopyOnWrite` needs the `cow` feature
/// ([`MmapIoError::InvalidMode`] without it).
///
/// ```
/// use mmapio::MmapMode;
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("l.bin");
/// # std::fs::write(&path, b"abc").unwrap();
/// let map = mmapio::load_mmap(&path, MmapMode::ReadOnly)?;
/// assert_eq!(map.mode(), MmapMode::ReadOnly);
/// assert_eq!(map.as_slice(0, 3)?, b"abc");
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub fn load_mmap<P: AsRef<Path>>(path: P, mode: MmapMode) -> Result<MemoryMappedFile> {
    MemoryMappedFile::builder(path).mode(mode).open()
}

/// Writes `data` at `offset` into the existing file at `path`: maps it
/// read-write, copies the bytes in and flushes durably
/// (`msync(MS_SYNC)`) before returning.
///
/// The file is not grown: `offset + data.len()` must lie within it
/// ([`MmapIoError::OutOfBounds`] otherwise, with nothing written).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("w.bin");
/// # std::fs::write(&path, b"hello world").unwrap();
/// mmapio::write_mmap(&path, 6, b"there")?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello there");
/// assert!(mmapio::write_mmap(&path, 8, b"long").is_err());
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub fn write_mmap<P: AsRef<Path>>(path: P, offset: u64, data: &[u8]) -> Result<()> {
    let map = MemoryMappedFile::open_rw(path)?;
    map.update_region(offset, data)?;
    map.flush()
}

/// Copies `data` into `map` at `offset`: [`MemoryMappedFile::update_region`]
/// (read-write mappings only).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("u.bin");
/// let map = mmapio::create_mmap(&path, 8)?;
/// mmapio::update_region(&map, 2, b"hi")?;
/// mmapio::flush(&map)?;
/// assert_eq!(map.as_slice(2, 2)?, b"hi");
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub fn update_region(map: &MemoryMappedFile, offset: u64, data: &[u8]) -> Result<()> {
    map.update_region(offset, data)
}

/// Flushes `map` durably: [`MemoryMappedFile::flush`] (does nothing on
/// read-only and copy-on-write mappings).
pub fn flush(map: &MemoryMappedFile) -> Result<()> {
    map.flush()
}

/// Copies the bytes of the file at `src` into a new file at `dst`, then
/// `fsync`s the copy. Permissions are copied too, as by [`std::fs::copy`].
///
/// `dst` must not exist: an existing destination (the source itself
/// included, under any name) is refused with [`MmapIoError::Io`] of kind
/// [`ErrorKind::AlreadyExists`] and left untouched, so nothing is ever
/// overwritten. If the copy fails half-way, the partial `dst` is removed.
/// A `src` that is not a regular file is [`MmapIoError::NotAFile`].
///
/// The copy reads the file, not a mapping: flush a read-write mapping of
/// `src` first to be sure every write is included on every platform.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let (src, dst) = (dir.path().join("a.bin"), dir.path().join("b.bin"));
/// # std::fs::write(&src, b"payload").unwrap();
/// mmapio::copy_mmap(&src, &dst)?;
/// assert_eq!(std::fs::read(&dst).unwrap(), b"payload");
/// assert!(mmapio::copy_mmap(&src, &dst).is_err()); // never overwrites
/// assert!(mmapio::copy_mmap(&src, &src).is_err());
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub fn copy_mmap<P: AsRef<Path>, Q: AsRef<Path>>(src: P, dst: Q) -> Result<()> {
    let (src, dst) = (src.as_ref(), dst.as_ref());
    let mut input = File::open(src).map_err(|e| path_error("open", src, e))?;
    let metadata = input
        .metadata()
        .map_err(|e| MmapIoError::io("stat", src, e))?;
    if !metadata.is_file() {
        return Err(MmapIoError::NotAFile {
            path: src.to_path_buf(),
        });
    }
    // `create_new` is atomic: an existing `dst` (or `src` itself) is never
    // opened for writing, let alone truncated.
    let mut output = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)
        .map_err(|e| path_error("create", dst, e))?;
    let result = copy_contents(&mut input, src, &mut output, dst).and_then(|()| {
        output
            .set_permissions(metadata.permissions())
            .map_err(|e| MmapIoError::io("set_permissions", dst, e))?;
        output
            .sync_all()
            .map_err(|e| MmapIoError::io("fsync", dst, e))
    });
    if result.is_err() {
        // We created `dst` above, so removing it loses nothing.
        drop(output);
        let _ = fs::remove_file(dst);
    }
    result
}

/// Streams `input` into `output`, naming the right file in any error.
fn copy_contents(input: &mut File, src: &Path, output: &mut File, dst: &Path) -> Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(MmapIoError::io("read", src, e)),
        };
        output
            .write_all(&buf[..n])
            .map_err(|e| MmapIoError::io("write", dst, e))?;
    }
}

/// Removes the file at `path`.
///
/// Mappings of it that are still open elsewhere are not affected on Unix:
/// the file's data lives on, unnamed, until the last mapping and handle are
/// gone, and they keep reading (and writing) it as before. On Windows a
/// file that is still mapped cannot be deleted, and this returns the error.
/// A directory is refused with [`MmapIoError::NotAFile`].
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("d.bin");
/// let map = mmapio::create_mmap(&path, 4)?;
/// map.update_region(0, b"kept")?;
/// # #[cfg(unix)] {
/// mmapio::delete_mmap(&path)?;
/// assert!(!path.exists());
/// assert_eq!(map.as_slice(0, 4)?, b"kept"); // still mapped
/// # }
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub fn delete_mmap<P: AsRef<Path>>(path: P) -> Result<()> {
    let path = path.as_ref();
    fs::remove_file(path).map_err(|e| path_error("remove", path, e))
}

/// `NotAFile` when `path` is a directory, otherwise `Io` with `op`.
fn path_error(op: &'static str, path: &Path, e: std::io::Error) -> MmapIoError {
    if e.kind() != ErrorKind::AlreadyExists && path.is_dir() {
        MmapIoError::NotAFile {
            path: path.to_path_buf(),
        }
    } else {
        MmapIoError::io(op, path, e)
    }
}

/// The path-level functions that touch the file system, as futures (feature
/// `async`), under mmap-io's module path (`mmap_io::manager::async`; write
/// `manager::r#async` in Rust code). Each runs its blocking counterpart on
/// the `blocking` crate's thread pool, so it works on any executor; the
/// work runs to completion even if the future is dropped.
///
/// ```
/// use mmapio::manager::r#async::{copy_mmap_async, create_mmap_async, delete_mmap_async};
/// # let dir = tempfile::tempdir().unwrap();
/// # let (path, copy) = (dir.path().join("a.bin"), dir.path().join("b.bin"));
/// futures_lite::future::block_on(async {
///     let map = create_mmap_async(&path, 16).await?;
///     map.update_region(0, b"async")?;
///     map.flush()?;
///     drop(map);
///     copy_mmap_async(&path, &copy).await?;
///     delete_mmap_async(&path).await?;
///     assert_eq!(&std::fs::read(&copy).unwrap()[..5], b"async");
///     Ok::<(), mmapio::MmapIoError>(())
/// })?;
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[cfg(feature = "async")]
pub mod r#async {
    use std::path::Path;

    use crate::async_ops::run_blocking;
    use crate::{MemoryMappedFile, Result};

    /// [`create_mmap`](super::create_mmap) on the blocking thread pool.
    pub async fn create_mmap_async<P: AsRef<Path>>(path: P, size: u64) -> Result<MemoryMappedFile> {
        let path = path.as_ref().to_path_buf();
        run_blocking(move || super::create_mmap(path, size)).await
    }

    /// [`copy_mmap`](super::copy_mmap) on the blocking thread pool.
    pub async fn copy_mmap_async<P: AsRef<Path>, Q: AsRef<Path>>(src: P, dst: Q) -> Result<()> {
        let (src, dst) = (src.as_ref().to_path_buf(), dst.as_ref().to_path_buf());
        run_blocking(move || super::copy_mmap(src, dst)).await
    }

    /// [`delete_mmap`](super::delete_mmap) on the blocking thread pool.
    pub async fn delete_mmap_async<P: AsRef<Path>>(path: P) -> Result<()> {
        let path = path.as_ref().to_path_buf();
        run_blocking(move || super::delete_mmap(path)).await
    }
}
