//! [`MmapBuilder`]: every option of a mapping, applied on every path.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::mapped_file::{checked_map_len, MapOptions};
use crate::{FlushPolicy, MemoryMappedFile, MmapIoError, MmapMode, Result, TouchHint};

/// Configures a mapping before opening or creating it.
///
/// Every option applies to [`create`](Self::create), [`open`](Self::open)
/// and [`open_or_create`](Self::open_or_create) alike:
///
/// * `mode` — default [`MmapMode::ReadOnly`] for `open`,
///   [`MmapMode::ReadWrite`] for `create` and `open_or_create` (as in
///   mmap-io).
/// * `size` — for `create`, the new file's length (required). For `open`,
///   the least length the mapping must have: a read-write mapping grows a
///   shorter file to it (zero-filled, never truncating); other modes refuse a
///   shorter file with [`MmapIoError::InvalidSize`]. For `open_or_create`,
///   the length of the file if it has to be created; an existing file keeps
///   its length (see [`grow_existing`](Self::grow_existing)).
/// * `flush_policy` — default [`FlushPolicy::Manual`].
/// * `touch_hint` — default [`TouchHint::Never`].
/// * `huge_pages` — ask for transparent huge pages (Linux
///   `madvise(MADV_HUGEPAGE)`), falling back to normal pages when refused.
/// * `lock_file` — take an advisory lock on the file for as long as this
///   process maps it: shared for read-only and copy-on-write, exclusive for
///   read-write; [`MmapIoError::FileLocked`] if another process holds a
///   conflicting one.
///
/// ```
/// use mmapio::{FlushPolicy, MemoryMappedFile, MmapMode, TouchHint};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("b.bin");
/// let map = MemoryMappedFile::builder(&path)
///     .mode(MmapMode::ReadWrite)
///     .size(64 * 1024)
///     .flush_policy(FlushPolicy::EveryBytes(4096))
///     .touch_hint(TouchHint::Eager)
///     .open_or_create()?;
/// assert_eq!(map.len(), 64 * 1024);
/// assert_eq!(map.flush_policy(), FlushPolicy::EveryBytes(4096));
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until create(), open() or open_or_create() is called"]
pub struct MmapBuilder {
    path: PathBuf,
    /// `None` until set: `open` then maps read-only, `create` and
    /// `open_or_create` read-write (mmap-io's defaults).
    mode: Option<MmapMode>,
    size: Option<u64>,
    grow_existing: bool,
    options: MapOptions,
}

impl MmapBuilder {
    pub(crate) fn new(path: &Path) -> Self {
        MmapBuilder {
            path: path.to_path_buf(),
            mode: None,
            size: None,
            grow_existing: false,
            options: MapOptions::default(),
        }
    }

    /// Sets the mapping mode.
    pub fn mode(mut self, mode: MmapMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Sets the size (see the type docs for its meaning on each path).
    pub fn size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Lets [`open_or_create`](Self::open_or_create) grow an existing,
    /// non-empty file that is shorter than `size` (zero-filled, never
    /// truncating). Off by default: there `size` is the size of a file to
    /// create, and an existing file is mapped as it is, as in mmap-io.
    ///
    /// ```
    /// use mmapio::MemoryMappedFile;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("g.bin");
    /// std::fs::write(&path, b"short")?;
    /// let as_is = MemoryMappedFile::builder(&path).size(64).open_or_create()?;
    /// assert_eq!(as_is.len(), 5);
    /// drop(as_is);
    /// let grown = MemoryMappedFile::builder(&path)
    ///     .size(64)
    ///     .grow_existing(true)
    ///     .open_or_create()?;
    /// assert_eq!(grown.len(), 64);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grow_existing(mut self, enable: bool) -> Self {
        self.grow_existing = enable;
        self
    }

    /// Sets the flush policy.
    pub fn flush_policy(mut self, policy: FlushPolicy) -> Self {
        self.options.flush_policy = policy;
        self
    }

    /// Sets the touch hint.
    pub fn touch_hint(mut self, hint: TouchHint) -> Self {
        self.options.touch_hint = hint;
        self
    }

    /// Asks for huge pages.
    pub fn huge_pages(mut self, enable: bool) -> Self {
        self.options.huge_pages = enable;
        self
    }

    /// Private writes through `&self` on a [`MmapMode::CopyOnWrite`]
    /// mapping, as [`MemoryMappedFile::open_cow_writable`] describes; off
    /// by default (private writes then need `&mut`, through
    /// `cow_update_region`). Ignored in the other modes: check
    /// [`MemoryMappedFile::is_cow_writable`] on the result if in doubt.
    ///
    /// ```
    /// use mmapio::{MemoryMappedFile, MmapMode};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("cow.bin");
    /// std::fs::write(&path, b"original").unwrap();
    /// let cow = MemoryMappedFile::builder(&path)
    ///     .mode(MmapMode::CopyOnWrite)
    ///     .cow_writable(true)
    ///     .open()?;
    /// assert!(cow.is_cow_writable());
    /// cow.update_region(0, b"EDIT")?;
    /// assert_eq!(std::fs::read(&path).unwrap(), b"original");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    #[cfg(feature = "cow")]
    pub fn cow_writable(mut self, enabled: bool) -> Self {
        self.options.cow_writable = enabled;
        self
    }

    /// Takes an advisory lock on the file when it is mapped, so that
    /// cooperating processes cannot truncate or rewrite it under each
    /// other's views: shared for [`MmapMode::ReadOnly`] and
    /// [`MmapMode::CopyOnWrite`], exclusive for [`MmapMode::ReadWrite`]
    /// (`flock` on Unix, `LockFileEx` on Windows). The open fails with
    /// [`MmapIoError::FileLocked`] instead of waiting when another process
    /// holds a conflicting lock.
    ///
    /// The lock belongs to the file's state in this process, which every
    /// handle of the file shares or is refused (see
    /// [Handles of one file](crate#handles-of-one-file)): it is held until
    /// the last handle of that state is dropped, and a read-write open with
    /// `lock_file(true)` strengthens the lock a shared state already holds.
    /// It is advisory: processes that do not ask for it are not stopped.
    ///
    /// ```
    /// use mmapio::{MemoryMappedFile, MmapMode};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("locked.bin");
    /// let map = MemoryMappedFile::builder(&path)
    ///     .size(4096)
    ///     .lock_file(true) // exclusive: no cooperating process maps it now
    ///     .create()?;
    /// // Handles of this process share the state, and with it the lock.
    /// let reader = MemoryMappedFile::builder(&path)
    ///     .mode(MmapMode::ReadOnly)
    ///     .lock_file(true)
    ///     .open()?;
    /// # drop((map, reader));
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn lock_file(mut self, enable: bool) -> Self {
        self.options.lock_file = enable;
        self
    }

    /// Creates a new file of `size` bytes and maps it. Needs `ReadWrite`
    /// mode and a size; never touches an existing file (`Io` with
    /// `AlreadyExists`). Every argument is checked before the file is
    /// created, and the file is removed again if mapping it fails.
    pub fn create(self) -> Result<MemoryMappedFile> {
        let size = self.creation_size()?;
        self.options.flush_policy.validate()?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&self.path)
            .map_err(|e| self.open_error("create", e))?;
        self.map_new(file, size)
    }

    /// [`create`](Self::create) under mmap-io's name for a create that
    /// refuses an existing file (`Io` with `AlreadyExists`); mmapio's
    /// `create` already does.
    pub fn create_new(self) -> Result<MemoryMappedFile> {
        self.create()
    }

    /// Opens an existing file and maps it, read-only unless a
    /// [`mode`](Self::mode) was set.
    ///
    /// ```
    /// use mmapio::{MemoryMappedFile, MmapMode};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("o.bin");
    /// # std::fs::write(&path, b"existing").unwrap();
    /// let ro = MemoryMappedFile::builder(&path).open()?;
    /// assert_eq!(ro.mode(), MmapMode::ReadOnly);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn open(mut self) -> Result<MemoryMappedFile> {
        self.mode.get_or_insert(MmapMode::ReadOnly);
        self.options.flush_policy.validate()?;
        let file = self.open_existing()?;
        let mode = self.resolved_mode();
        MemoryMappedFile::map_file(file, self.path, mode, self.options, self.size)
    }

    /// The mode a terminal method maps in: as set, else read-write (`open`
    /// sets read-only before it gets here).
    fn resolved_mode(&self) -> MmapMode {
        self.mode.unwrap_or(MmapMode::ReadWrite)
    }

    /// Opens the file if it exists, otherwise creates it with `size` bytes.
    ///
    /// An existing file opens in the builder's mode (so a read-only
    /// `open_or_create` of an existing file works), at its own length: `size`
    /// does not grow it unless [`grow_existing`](Self::grow_existing) says
    /// so. The exception, as in mmap-io, is an existing *empty* file in
    /// `ReadWrite` mode, which is sized as if it had just been created.
    /// Creating a missing file needs `ReadWrite` mode and a size, as for
    /// [`create`](Self::create).
    ///
    /// ```
    /// use mmapio::MemoryMappedFile;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("oc.bin");
    /// let created = MemoryMappedFile::builder(&path).size(4096).open_or_create()?;
    /// assert_eq!(created.len(), 4096);
    /// drop(created);
    /// let reopened = MemoryMappedFile::builder(&path).size(1 << 20).open_or_create()?;
    /// assert_eq!(reopened.len(), 4096); // an existing file keeps its length
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn open_or_create(mut self) -> Result<MemoryMappedFile> {
        let mode = self.resolved_mode();
        if mode != MmapMode::ReadWrite {
            // Only an existing file can be opened in these modes, and it keeps
            // its length: the size is for a file to create.
            self.size = None;
            return match self.open() {
                Err(MmapIoError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                    Err(MmapIoError::InvalidMode { op: "create", mode })
                }
                other => other,
            };
        }
        self.options.flush_policy.validate()?;
        // Without a usable size only an existing, non-empty file can be
        // opened; the size is checked before anything is created.
        let size = match self.creation_size() {
            Ok(size) => size,
            Err(no_size) => return self.open_existing_for_create(Err(no_size)),
        };
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&self.path)
        {
            Ok(file) => self.map_new(file, size),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                self.open_existing_for_create(Ok(size))
            }
            Err(e) => Err(self.open_error("create", e)),
        }
    }

    /// The existing-file path of a read-write `open_or_create`: the file as
    /// it is, sized only when it is empty or `grow_existing` asks for it.
    /// (Emptiness is read before the mapping is made; a file that another
    /// process fills meanwhile is grown to `size` at most, never truncated.)
    /// `size` is the checked size, or why there is none (returned if a size
    /// is needed after all: the file is missing, empty or to be grown).
    fn open_existing_for_create(self, size: Result<u64>) -> Result<MemoryMappedFile> {
        let file = match self.open_existing() {
            Ok(file) => file,
            Err(MmapIoError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                // Removed since the exclusive create saw it, or never there.
                return Err(size
                    .err()
                    .unwrap_or_else(|| MmapIoError::io("open", &self.path, source)));
            }
            Err(e) => return Err(e),
        };
        let empty = file
            .metadata()
            .map_err(|e| MmapIoError::io("stat", &self.path, e))?
            .len()
            == 0;
        let min_len = if empty || self.grow_existing {
            Some(size?)
        } else {
            None
        };
        MemoryMappedFile::map_file(file, self.path, MmapMode::ReadWrite, self.options, min_len)
    }

    fn creation_size(&self) -> Result<u64> {
        let mode = self.resolved_mode();
        if mode != MmapMode::ReadWrite {
            return Err(MmapIoError::InvalidMode { op: "create", mode });
        }
        let size = self.size.ok_or(MmapIoError::InvalidSize {
            size: 0,
            reason: "creating a file needs a size (call .size(n))",
        })?;
        checked_map_len(size)?;
        Ok(size)
    }

    /// Sizes and maps a file this builder has just created; removes it again
    /// on failure so a failed create leaves nothing behind.
    fn map_new(self, file: File, size: u64) -> Result<MemoryMappedFile> {
        let path = self.path.clone();
        let result = file
            .set_len(size)
            .map_err(|e| MmapIoError::io("set_len", &path, e))
            .and_then(|()| {
                let mode = self.resolved_mode();
                MemoryMappedFile::map_file(file, self.path, mode, self.options, None)
            });
        if result.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        result
    }

    fn open_existing(&self) -> Result<File> {
        OpenOptions::new()
            .read(true)
            .write(self.resolved_mode() == MmapMode::ReadWrite)
            .open(&self.path)
            .map_err(|e| self.open_error("open", e))
    }

    fn open_error(&self, op: &'static str, e: std::io::Error) -> MmapIoError {
        if self.path.is_dir() {
            MmapIoError::NotAFile {
                path: self.path.clone(),
            }
        } else {
            MmapIoError::io(op, &self.path, e)
        }
    }
}
