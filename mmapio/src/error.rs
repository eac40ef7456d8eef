//! The crate's single error type.

use std::io;
use std::path::{Path, PathBuf};

use crate::MmapMode;

/// Result alias used by every fallible operation in this crate.
pub type Result<T, E = MmapIoError> = std::result::Result<T, E>;

/// Everything that can go wrong in `mmapio`.
///
/// Every ranged operation validates its input with checked arithmetic, so a
/// bad offset or length — `u64::MAX` included — comes back as
/// [`MmapIoError::OutOfBounds`], never as a panic.
///
/// ```
/// use mmapio::{MemoryMappedFile, MmapIoError};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("e.bin");
/// let map = MemoryMappedFile::create_rw(&path, 16)?;
/// match map.as_slice(u64::MAX, 1) {
///     Err(MmapIoError::OutOfBounds { offset, len, total }) => {
///         assert_eq!((offset, len, total), (u64::MAX, 1, 16));
///     }
///     other => panic!("unexpected: {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MmapIoError {
    /// An operating-system call failed.
    ///
    /// Errors the crate reports itself name the operation and the file.
    /// An [`io::Error`] converted with `From` (the `?` in a
    /// `ChunksMut::for_each_mut` closure, or
    /// `MmapIoError::from(e)`) has no file, so its `path` is `None` and its
    /// `op` is `"io"`.
    #[error("{op} failed{}: {source}", for_path(.path.as_deref()))]
    Io {
        /// What was being attempted (for example `"open"` or `"map"`).
        op: &'static str,
        /// The file involved; `None` for an error converted with `From`.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The operation does not exist for this mapping's mode (for example a
    /// write to a read-only mapping).
    #[error("`{op}` is not available on a {mode:?} mapping")]
    InvalidMode {
        /// The operation that was refused.
        op: &'static str,
        /// The mode of the mapping it was asked of.
        mode: MmapMode,
    },
    /// `offset..offset + len` does not lie within `0..total`.
    #[error("range at offset {offset} with length {len} is out of bounds for a mapping of {total} bytes")]
    OutOfBounds {
        /// Requested start.
        offset: u64,
        /// Requested length.
        len: u64,
        /// Length of the mapping when the request was checked.
        total: u64,
    },
    /// The offset is not a multiple of the alignment the operation needs.
    #[error("offset {offset} is not aligned to {required} bytes")]
    Misaligned {
        /// Required alignment in bytes.
        required: u64,
        /// The offset that was given.
        offset: u64,
    },
    /// A size argument cannot be used (zero, or larger than the address
    /// space can map).
    #[error("invalid size {size}: {reason}")]
    InvalidSize {
        /// The size that was given.
        size: u64,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The chunk size given to an iterator was zero.
    #[error("chunk size must be at least 1")]
    InvalidChunkSize,
    /// A flush policy parameter was zero (a policy that would flush
    /// continuously is almost certainly a mistake).
    #[error("invalid flush policy {policy:?}: {reason}")]
    InvalidFlushPolicy {
        /// The policy that was refused.
        policy: crate::FlushPolicy,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The path names something that is not a regular file (a directory,
    /// a socket, ...).
    #[error("{} is not a regular file", path.display())]
    NotAFile {
        /// The offending path.
        path: PathBuf,
    },
    /// The file is shorter than the mapping: something truncated it behind
    /// this mapping's back. Touching the missing pages would raise `SIGBUS`,
    /// so the operation was refused.
    #[error("{} was truncated to {actual} bytes behind the mapping's back (mapping is {expected} bytes)", path.display())]
    FileTruncated {
        /// The file.
        path: PathBuf,
        /// Length of the mapping.
        expected: u64,
        /// Length of the file now.
        actual: u64,
    },
    /// `msync` (or the platform's equivalent) reported an error; the data
    /// may not be on disk. The pending-byte count is kept so a retry is
    /// possible.
    #[error("flush failed for {}: {source}", path.display())]
    FlushFailed {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Resizing failed; the mapping keeps its old length and contents.
    #[error("resize of {} to {new_len} bytes failed: {source}", path.display())]
    ResizeFailed {
        /// The file.
        path: PathBuf,
        /// The length that was asked for.
        new_len: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `mlock`/`munlock` refused (for example `RLIMIT_MEMLOCK` is too low,
    /// or the process lacks `CAP_IPC_LOCK`).
    #[error("locking {len} bytes at offset {offset} in memory failed: {source}")]
    LockFailed {
        /// Start of the (page-rounded) range.
        offset: u64,
        /// Length of the (page-rounded) range.
        len: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `madvise`/`posix_fadvise` refused the advice.
    #[error("advice {advice} failed: {source}")]
    AdviceFailed {
        /// The advice that was given.
        advice: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The operation needs the only handle to the mapping (`&mut self` and
    /// no clones), because other handles could be reading the bytes it
    /// would change.
    #[error("`{op}` needs the only handle to the mapping, but it has {handles} clones")]
    SharedHandle {
        /// The operation that was refused.
        op: &'static str,
        /// How many handles exist.
        handles: usize,
    },
    /// Setting up or running a file watch failed.
    #[error("watching {} failed: {message}", path.display())]
    WatchFailed {
        /// The watched file.
        path: PathBuf,
        /// What the watcher reported.
        message: String,
    },
    /// This process already maps the file in a mode that cannot coexist
    /// with the one asked for: a read-write handle next to a read-only or
    /// copy-on-write handle that lent bare borrows (`as_slice_bytes`,
    /// `cow_slice_mut`), in either order, would let writes change bytes
    /// under borrows no gate counts, and truncate the file under them. Drop
    /// the lending handle first, or use `as_slice` (whose views are
    /// counted). Handles of every mode otherwise coexist, in any order.
    #[error("{} is already mapped {existing:?} in this process, which a {requested:?} mapping of it would make unsound", path.display())]
    HandleConflict {
        /// The file, as named by the refused open.
        path: PathBuf,
        /// The mode that was asked for.
        requested: MmapMode,
        /// The mode of a live mapping of the same file.
        existing: MmapMode,
    },
    /// The file carries an advisory lock of another process (or of another
    /// open file description) that conflicts with the one
    /// [`MmapBuilder::lock_file`](crate::MmapBuilder::lock_file) asked for.
    #[error("{} is locked by another process (wanted a {} lock)", path.display(), if *exclusive { "exclusive" } else { "shared" })]
    FileLocked {
        /// The file.
        path: PathBuf,
        /// Whether an exclusive lock was wanted (read-write mappings) rather
        /// than a shared one.
        exclusive: bool,
    },
    /// The operation would wait for a view, iterator or walk that the
    /// calling thread itself holds on the same file, and so would never
    /// return. Drop the view first (or, inside a `for_each_mut` walk, let
    /// the walk finish).
    #[error("`{op}` would wait forever for a view this thread holds on the same file")]
    WouldDeadlock {
        /// The operation that was refused.
        op: &'static str,
    },
}

impl MmapIoError {
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        MmapIoError::Io {
            op,
            path: Some(path.to_path_buf()),
            source,
        }
    }
}

/// `" for <path>"`, or nothing when there is no path.
fn for_path(path: Option<&Path>) -> String {
    path.map(|p| format!(" for {}", p.display()))
        .unwrap_or_default()
}

/// Lets `?` turn an [`io::Error`] into an [`MmapIoError::Io`] (with no
/// path, and `op` `"io"`), as in a `ChunksMut::for_each_mut`
/// closure that does its own I/O.
///
/// ```
/// use std::io;
/// use mmapio::MmapIoError;
///
/// fn parse(bytes: &[u8]) -> Result<u8, MmapIoError> {
///     let first = bytes
///         .first()
///         .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "empty"))?;
///     Ok(*first)
/// }
/// let e = parse(b"").unwrap_err();
/// assert!(matches!(&e, MmapIoError::Io { op: "io", path: None, source }
///     if source.kind() == io::ErrorKind::UnexpectedEof));
/// assert_eq!(e.to_string(), "io failed: empty");
/// let same = MmapIoError::from(io::Error::from(io::ErrorKind::Other));
/// assert!(matches!(same, MmapIoError::Io { path: None, .. }));
/// ```
impl From<io::Error> for MmapIoError {
    fn from(source: io::Error) -> Self {
        MmapIoError::Io {
            op: "io",
            path: None,
            source,
        }
    }
}
