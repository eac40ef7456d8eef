//! [`MemoryMappedFile`]: the handle, its shared state and its core
//! operations (views, copies, writes, resize, flush, page touching).

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::bounds::check_range;
use crate::builder::MmapBuilder;
use crate::flush::{FlushAccounting, FlushStats};
use crate::flusher::Flusher;
use crate::region::{MapKind, Region};
use crate::touch::touch_bytes;
use crate::views::{MappedSlice, MappedSliceMut};
use crate::{os, FlushPolicy, MmapIoError, MmapMode, Result, TouchHint};

/// Where the mapped bytes live and what guards them.
pub(crate) enum Storage {
    /// Read-only and copy-on-write mappings: never resized and never written
    /// while shared, so views borrow them without a lock.
    Unlocked(Region),
    /// Read-write mappings: views take the read lock; writers and `resize`
    /// take the write lock.
    Locked(RwLock<Region>),
}

/// Options that shape a mapping beyond its mode, fixed at open/create.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MapOptions {
    pub(crate) flush_policy: FlushPolicy,
    pub(crate) touch_hint: TouchHint,
    pub(crate) huge_pages: bool,
}

/// State shared by every clone of a handle (and, weakly, by the background
/// flusher).
pub(crate) struct Shared {
    pub(crate) path: PathBuf,
    pub(crate) mode: MmapMode,
    pub(crate) storage: Storage,
    /// `None` only for heap-backed regions in unit tests.
    pub(crate) file: Option<File>,
    pub(crate) flush: FlushAccounting,
    pub(crate) options: MapOptions,
    /// Mirror of the region length for the lock-free `len()`; updated under
    /// the write lock by `resize`.
    len: AtomicUsize,
    huge_pages_advised: std::sync::atomic::AtomicBool,
    /// Live atomic views; while non-zero, the write lock is held on their
    /// behalf (see `atomic.rs`).
    #[cfg(feature = "atomic")]
    pub(crate) atomic_views: parking_lot::Mutex<usize>,
}

/// What must happen when the last handle goes away: stop the background
/// flusher (joining it) and make a final flush. Kept apart from `Shared` so
/// the flusher, which holds only a `Weak<Shared>`, can never be the one that
/// runs this and so never has to join itself.
struct Lifecycle {
    shared: Arc<Shared>,
    flusher: Option<Flusher>,
}

impl Lifecycle {
    fn shut_down(&mut self) {
        if let Some(flusher) = self.flusher.take() {
            flusher.stop();
        }
        let shared = &self.shared;
        if shared.mode == MmapMode::ReadWrite
            && shared.flush.policy() != FlushPolicy::Never
            && shared.flush.is_dirty()
        {
            // Best effort: a drop cannot report errors. Callers who need to
            // know call `flush()` first.
            let _ = shared.flush();
        }
    }
}

impl Drop for Lifecycle {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// A memory-mapped file.
///
/// Cloning is cheap (two reference counts) and every clone shares one
/// mapping, its lock and its flush counters; the handle is `Send + Sync`.
/// Reads are zero-copy: [`as_slice`](Self::as_slice) hands out a
/// [`MappedSlice`] pointing straight into the mapping.
///
/// ```
/// use mmapio::{MemoryMappedFile, MmapMode};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("data.bin");
/// let map = MemoryMappedFile::create_rw(&path, 4096)?;
/// map.update_region(100, b"hello")?;
/// map.flush()?; // msync(MS_SYNC): on disk when this returns
///
/// let ro = MemoryMappedFile::open_ro(&path)?;
/// assert_eq!(ro.mode(), MmapMode::ReadOnly);
/// assert_eq!(ro.as_slice(100, 5)?, b"hello");
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
///
/// # Zero lengths
/// A mapping's length is never zero when created or resized (size 0 is
/// [`MmapIoError::InvalidSize`]), but an existing empty file opens as an
/// empty mapping. Zero-length ranges are valid at any offset up to and
/// including `len()`, like slice indexing, and do nothing.
#[derive(Clone)]
pub struct MemoryMappedFile {
    // Field order matters: `shared` is released before `lifecycle`, so when
    // the last handle drops, the lifecycle's final flush runs while its own
    // reference keeps the mapping alive.
    pub(crate) shared: Arc<Shared>,
    lifecycle: Arc<Lifecycle>,
}

impl MemoryMappedFile {
    /// How many handles (clones) share this mapping.
    #[cfg_attr(not(feature = "cow"), allow(dead_code))]
    pub(crate) fn handle_count(&self) -> usize {
        Arc::strong_count(&self.lifecycle)
    }
}

/// Checks a requested mapping length: non-zero and mappable.
pub(crate) fn checked_map_len(size: u64) -> Result<usize> {
    if size == 0 {
        return Err(MmapIoError::InvalidSize {
            size,
            reason: "a mapping must be at least 1 byte long",
        });
    }
    match usize::try_from(size) {
        Ok(len) if len <= isize::MAX as usize => Ok(len),
        _ => Err(MmapIoError::InvalidSize {
            size,
            reason: "larger than this platform's address space can map",
        }),
    }
}

impl MemoryMappedFile {
    /// Maps `file` (already open with the access `mode` needs) and applies
    /// the options. `min_len`, when given, is the least length the mapping
    /// must have: read-write mappings grow the file to it (zero-filled, never
    /// truncating), other modes refuse a shorter file.
    pub(crate) fn map_file(
        file: File,
        path: PathBuf,
        mode: MmapMode,
        options: MapOptions,
        min_len: Option<u64>,
    ) -> Result<Self> {
        let options = MapOptions {
            flush_policy: options.flush_policy.validate()?,
            ..options
        };
        let kind = match mode {
            MmapMode::ReadOnly => MapKind::ReadOnly,
            MmapMode::ReadWrite => MapKind::Shared,
            #[cfg(feature = "cow")]
            MmapMode::CopyOnWrite => MapKind::Private,
            #[cfg(not(feature = "cow"))]
            MmapMode::CopyOnWrite => {
                return Err(MmapIoError::InvalidMode {
                    op: "open (copy-on-write needs the `cow` feature)",
                    mode,
                })
            }
        };
        let metadata = file
            .metadata()
            .map_err(|e| MmapIoError::io("stat", &path, e))?;
        if !metadata.is_file() {
            return Err(MmapIoError::NotAFile { path });
        }
        let mut file_len = metadata.len();
        if let Some(min_len) = min_len {
            checked_map_len(min_len)?;
            if file_len < min_len {
                if mode != MmapMode::ReadWrite {
                    return Err(MmapIoError::InvalidSize {
                        size: min_len,
                        reason: "the file is shorter and only a read-write mapping can grow it",
                    });
                }
                file.set_len(min_len)
                    .map_err(|e| MmapIoError::io("set_len", &path, e))?;
                file_len = min_len;
            }
        }
        let len = match usize::try_from(file_len) {
            Ok(len) if len <= isize::MAX as usize => len,
            _ => {
                return Err(MmapIoError::InvalidSize {
                    size: file_len,
                    reason: "the file is larger than this platform's address space can map",
                })
            }
        };
        let region =
            Region::map(&file, kind, len).map_err(|e| MmapIoError::io("mmap", &path, e))?;
        Ok(Self::from_region(region, Some(file), path, mode, options))
    }

    /// Wraps a mapped region in a handle and applies the open-time options.
    pub(crate) fn from_region(
        region: Region,
        file: Option<File>,
        path: PathBuf,
        mode: MmapMode,
        options: MapOptions,
    ) -> Self {
        let len = region.len();
        let storage = match mode {
            MmapMode::ReadWrite => Storage::Locked(RwLock::new(region)),
            MmapMode::ReadOnly | MmapMode::CopyOnWrite => Storage::Unlocked(region),
        };
        let shared = Arc::new(Shared {
            path,
            mode,
            storage,
            file,
            flush: FlushAccounting::new(options.flush_policy),
            options,
            len: AtomicUsize::new(len),
            huge_pages_advised: Default::default(),
            #[cfg(feature = "atomic")]
            atomic_views: parking_lot::Mutex::new(0),
        });
        shared.apply_region_options();
        let flusher = match (mode, options.flush_policy) {
            (MmapMode::ReadWrite, FlushPolicy::EveryMillis(ms)) => {
                Some(Flusher::spawn(Arc::downgrade(&shared), ms))
            }
            _ => None,
        };
        let lifecycle = Arc::new(Lifecycle {
            shared: Arc::clone(&shared),
            flusher,
        });
        MemoryMappedFile { shared, lifecycle }
    }

    /// Starts a [`MmapBuilder`] for `path`, to choose mode, size, flush
    /// policy, touch hint and huge pages before opening or creating.
    pub fn builder(path: impl AsRef<Path>) -> MmapBuilder {
        MmapBuilder::new(path.as_ref())
    }

    /// Creates a new file of `size` bytes (zero-filled) and maps it
    /// read-write.
    ///
    /// Refuses to touch an existing file (`Io` with
    /// [`std::io::ErrorKind::AlreadyExists`]), so no data is ever truncated
    /// by accident; use [`open_or_create`](Self::open_or_create) to reuse
    /// one. `size` must be at least 1 and mappable
    /// ([`MmapIoError::InvalidSize`] otherwise, before the file is created).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("new.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 1024)?;
    /// assert_eq!(map.len(), 1024);
    /// assert!(mmapio::MemoryMappedFile::create_rw(&path, 1024).is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn create_rw(path: impl AsRef<Path>, size: u64) -> Result<Self> {
        Self::builder(path)
            .mode(MmapMode::ReadWrite)
            .size(size)
            .create()
    }

    /// Opens an existing file and maps it read-only.
    pub fn open_ro(path: impl AsRef<Path>) -> Result<Self> {
        Self::builder(path).mode(MmapMode::ReadOnly).open()
    }

    /// Opens an existing file and maps it read-write.
    pub fn open_rw(path: impl AsRef<Path>) -> Result<Self> {
        Self::builder(path).mode(MmapMode::ReadWrite).open()
    }

    /// Opens an existing file and maps it copy-on-write: the mapping can be
    /// read like any other, and the file is never modified through it.
    #[cfg(feature = "cow")]
    pub fn open_cow(path: impl AsRef<Path>) -> Result<Self> {
        Self::builder(path).mode(MmapMode::CopyOnWrite).open()
    }

    /// Opens `path` read-write if it exists (growing it to `default_size`
    /// if it is shorter, never truncating it); otherwise creates it with
    /// `default_size` zero bytes.
    pub fn open_or_create(path: impl AsRef<Path>, default_size: u64) -> Result<Self> {
        Self::builder(path)
            .mode(MmapMode::ReadWrite)
            .size(default_size)
            .open_or_create()
    }

    /// Maps an already open `file` in `mode` with default options. `path` is
    /// only recorded for [`path`](Self::path) and error messages.
    ///
    /// The file must have been opened with the access the mode needs: a
    /// read-only `File` mapped `ReadWrite` fails with `Io` (`EACCES`).
    pub fn from_file(file: File, mode: MmapMode, path: impl AsRef<Path>) -> Result<Self> {
        Self::map_file(
            file,
            path.as_ref().to_path_buf(),
            mode,
            MapOptions::default(),
            None,
        )
    }

    /// Gives the file back if this is the only handle; otherwise returns the
    /// handle unchanged.
    ///
    /// The background flusher (if any) is stopped first, and a read-write
    /// mapping with pending bytes is flushed unless the policy is
    /// [`FlushPolicy::Never`] (errors are ignored, as on drop: call
    /// [`flush`](Self::flush) first to see them).
    pub fn unmap(self) -> std::result::Result<File, Self> {
        let MemoryMappedFile { shared, lifecycle } = self;
        if shared.file.is_none() {
            return Err(MemoryMappedFile { shared, lifecycle });
        }
        let mut lifecycle = match Arc::try_unwrap(lifecycle) {
            Ok(lifecycle) => lifecycle,
            Err(lifecycle) => return Err(MemoryMappedFile { shared, lifecycle }),
        };
        lifecycle.shut_down();
        drop(shared);
        // The flusher is joined and every handle is gone, so the lifecycle
        // holds the last reference. Take it without running `Drop` again.
        let shared = Arc::clone(&lifecycle.shared);
        drop(lifecycle);
        match Arc::try_unwrap(shared) {
            Ok(shared) => Ok(shared.file.expect("checked above")),
            Err(shared) => {
                // Unreachable in practice; hand back a working handle.
                let lifecycle = Arc::new(Lifecycle {
                    shared: Arc::clone(&shared),
                    flusher: None,
                });
                Err(MemoryMappedFile { shared, lifecycle })
            }
        }
    }

    /// The mode this file was mapped in.
    #[inline]
    pub fn mode(&self) -> MmapMode {
        self.shared.mode
    }

    /// Current length of the mapping in bytes.
    #[inline]
    pub fn len(&self) -> u64 {
        self.shared.len.load(Ordering::Acquire) as u64
    }

    /// Whether the mapping is empty (only possible for an empty file).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The path given when the mapping was opened.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The flush policy in force.
    pub fn flush_policy(&self) -> FlushPolicy {
        self.shared.flush.policy()
    }

    /// The touch hint the mapping was opened with.
    pub fn touch_hint(&self) -> TouchHint {
        self.shared.options.touch_hint
    }

    /// Whether huge pages were requested, and whether the kernel accepted
    /// the request (`madvise(MADV_HUGEPAGE)` succeeded; that is permission,
    /// not proof that huge pages back the mapping).
    pub fn huge_pages(&self) -> (bool, bool) {
        (
            self.shared.options.huge_pages,
            self.shared.huge_pages_advised.load(Ordering::Relaxed),
        )
    }

    /// Bytes written since the last full flush (see [`FlushPolicy`]).
    pub fn pending_bytes(&self) -> u64 {
        self.shared.flush.pending_bytes()
    }

    /// The flush counters: flushes done, range flushes, file syncs after
    /// resize, pending bytes and writes.
    pub fn flush_stats(&self) -> FlushStats {
        self.shared.flush.stats()
    }

    /// A zero-copy view of `len` bytes at `offset`.
    ///
    /// Works in every mode. On read-only and copy-on-write mappings it is a
    /// plain borrow; on read-write mappings the view holds the read lock (see
    /// [`MappedSlice`]). Out-of-range requests return
    /// [`MmapIoError::OutOfBounds`].
    #[inline]
    pub fn as_slice(&self, offset: u64, len: u64) -> Result<MappedSlice<'_>> {
        match &self.shared.storage {
            Storage::Unlocked(region) => {
                let range = check_range(offset, len, region.len())?;
                Ok(MappedSlice::borrowed(&region.bytes()[range], offset))
            }
            Storage::Locked(lock) => {
                let guard = lock.read_recursive();
                let range = check_range(offset, len, guard.len())?;
                Ok(MappedSlice::guarded(guard, range))
            }
        }
    }

    /// A writable, zero-copy view of `len` bytes at `offset`; read-write
    /// mappings only ([`MmapIoError::InvalidMode`] otherwise). The view holds
    /// the write lock until dropped.
    pub fn as_slice_mut(&self, offset: u64, len: u64) -> Result<MappedSliceMut<'_>> {
        let lock = self.write_lock("as_slice_mut")?;
        let guard = lock.write();
        let range = check_range(offset, len, guard.len())?;
        MappedSliceMut::new(guard, range, &self.shared.flush).ok_or_else(|| {
            MmapIoError::InvalidMode {
                op: "as_slice_mut",
                mode: self.shared.mode,
            }
        })
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`. Works in every mode.
    pub fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let len = buf.len() as u64;
        self.with_bytes(|bytes| {
            let range = check_range(offset, len, bytes.len())?;
            buf.copy_from_slice(&bytes[range]);
            Ok(())
        })
    }

    /// Copies `data` into the mapping at `offset`; read-write mappings only.
    ///
    /// Takes the write lock for the copy, counts the bytes as pending and
    /// then applies the [`FlushPolicy`]; an automatic flush that fails is
    /// returned as [`MmapIoError::FlushFailed`] (the data is in the mapping;
    /// only its durability is in question). An empty `data` is validated and
    /// otherwise does nothing.
    pub fn update_region(&self, offset: u64, data: &[u8]) -> Result<()> {
        let lock = self.write_lock("update_region")?;
        {
            let mut guard = lock.write();
            let range = check_range(offset, data.len() as u64, guard.len())?;
            if data.is_empty() {
                return Ok(());
            }
            let bytes = guard.bytes_mut().ok_or_else(|| MmapIoError::InvalidMode {
                op: "update_region",
                mode: self.shared.mode,
            })?;
            bytes[range].copy_from_slice(data);
        }
        if self.shared.flush.record_write(data.len() as u64) {
            self.shared.flush()?;
        }
        Ok(())
    }

    /// Changes the length of a read-write mapping and its file.
    ///
    /// Growing appends zero bytes; shrinking discards the tail; the bytes
    /// in between are kept. Waits until every live view and iterator of
    /// this mapping is dropped (do not call it from a thread that holds
    /// one). After the length changes the file is `fsync`ed so the new
    /// length is durable. If changing the length fails, the mapping keeps
    /// its old length and contents ([`MmapIoError::ResizeFailed`]); if only
    /// that final `fsync` fails, the new length is in place and
    /// [`MmapIoError::FlushFailed`] says it may not be durable yet.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("r.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 4)?;
    /// map.update_region(0, b"abcd")?;
    /// map.resize(8)?;
    /// assert_eq!(map.as_slice(0, 8)?, b"abcd\0\0\0\0");
    /// map.resize(2)?;
    /// assert_eq!(map.as_slice(0, 2)?, b"ab");
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn resize(&self, new_len: u64) -> Result<()> {
        let lock = self.write_lock("resize")?;
        let new_size = checked_map_len(new_len)?;
        let shared = &self.shared;
        let mut guard = lock.write();
        let old_size = guard.len();
        if new_size == old_size {
            return Ok(());
        }
        let resize_failed = |source| MmapIoError::ResizeFailed {
            path: shared.path.clone(),
            new_len,
            source,
        };
        let new_region = match &shared.file {
            Some(file) => {
                if new_size > old_size {
                    // Grow the file first so the new mapping is fully backed.
                    file.set_len(new_len).map_err(resize_failed)?;
                    match Region::map(file, MapKind::Shared, new_size) {
                        Ok(region) => region,
                        Err(e) => {
                            // Give back the length we added; it held only zeros.
                            let _ = file.set_len(old_size as u64);
                            return Err(resize_failed(e));
                        }
                    }
                } else {
                    // Map the shorter view before cutting the file, so a
                    // failure leaves everything as it was. Nobody can touch
                    // the old mapping's tail: we hold the write lock.
                    let region =
                        Region::map(file, MapKind::Shared, new_size).map_err(resize_failed)?;
                    file.set_len(new_len).map_err(resize_failed)?;
                    region
                }
            }
            #[cfg(test)]
            None => {
                let mut bytes = guard.bytes().to_vec();
                bytes.resize(new_size, 0);
                Region::heap(bytes)
            }
            #[cfg(not(test))]
            None => unreachable!("only unit tests build heap-backed mappings"),
        };
        *guard = new_region;
        shared.len.store(new_size, Ordering::Release);
        if let Some(file) = &shared.file {
            // The length has changed; only its durability is in question now.
            file.sync_all().map_err(|source| MmapIoError::FlushFailed {
                path: shared.path.clone(),
                source,
            })?;
            shared.flush.count_file_sync();
        }
        // Re-apply open-time options to the new region while still exclusive.
        let guard = parking_lot::RwLockWriteGuard::downgrade(guard);
        shared.apply_options_to(&guard);
        Ok(())
    }

    /// Writes every dirty page of a read-write mapping to the file and waits
    /// for the device (`msync(MS_SYNC)`), whatever the flush policy and
    /// whichever method wrote the bytes. Read-only and copy-on-write mappings
    /// have nothing to write back; for them this does nothing.
    pub fn flush(&self) -> Result<()> {
        self.shared.flush()
    }

    /// Like [`flush`](Self::flush) for `len` bytes at `offset` only
    /// (bounds-checked in every mode; the start is rounded down to a page).
    /// Counted in [`FlushStats::range_flushes`]; pending counters are left
    /// alone, since the rest of the mapping may still be dirty.
    pub fn flush_range(&self, offset: u64, len: u64) -> Result<()> {
        match &self.shared.storage {
            Storage::Unlocked(region) => check_range(offset, len, region.len()).map(drop),
            Storage::Locked(lock) => self.shared.with_locked_region(lock, |region| {
                let range = check_range(offset, len, region.len())?;
                region
                    .flush_range(range.start, range.len())
                    .map_err(|source| MmapIoError::FlushFailed {
                        path: self.shared.path.clone(),
                        source,
                    })?;
                self.shared.flush.count_range_flush();
                Ok(())
            }),
        }
    }

    /// Pre-faults every page of the mapping: one volatile read per page,
    /// under one lock acquisition.
    ///
    /// Refuses with [`MmapIoError::FileTruncated`] (instead of dying of
    /// `SIGBUS`) if the file has become shorter than the mapping.
    pub fn touch_pages(&self) -> Result<()> {
        self.with_bytes(|bytes| {
            self.check_file_covers(bytes.len())?;
            touch_bytes(bytes, os::page_size(), 0);
            Ok(())
        })
    }

    /// Pre-faults the pages overlapping `len` bytes at `offset` (see
    /// [`touch_pages`](Self::touch_pages)).
    pub fn touch_pages_range(&self, offset: u64, len: u64) -> Result<()> {
        self.with_bytes(|bytes| {
            // Checked under the lock, against the length actually mapped, so
            // this mapping's own resize is never mistaken for a truncation.
            self.check_file_covers(bytes.len())?;
            let range = check_range(offset, len, bytes.len())?;
            touch_bytes(&bytes[range.clone()], os::page_size(), range.start);
            Ok(())
        })
    }

    /// Checks that the file is still at least as long as the mapping.
    ///
    /// Another process (or another handle in this one) can truncate a mapped
    /// file; touching a page past the new end raises `SIGBUS`, which no safe
    /// wrapper can turn into an error. This crate calls this check before
    /// every page walk and exposes it for callers who share files with other
    /// writers. See the crate docs, "External modification".
    pub fn check_file_len(&self) -> Result<()> {
        self.with_bytes(|bytes| self.check_file_covers(bytes.len()))
    }

    /// `FileTruncated` unless the file is at least `mapped_len` bytes long.
    /// Callers hold the read lock (if any), so `resize` cannot be half-way.
    fn check_file_covers(&self, mapped_len: usize) -> Result<()> {
        let Some(file) = &self.shared.file else {
            return Ok(());
        };
        let actual = file
            .metadata()
            .map_err(|e| MmapIoError::io("stat", &self.shared.path, e))?
            .len();
        let expected = mapped_len as u64;
        if actual < expected {
            return Err(MmapIoError::FileTruncated {
                path: self.shared.path.clone(),
                expected,
                actual,
            });
        }
        Ok(())
    }

    /// Runs `f` over the whole mapping's bytes, holding the read lock (on
    /// read-write mappings) for the duration.
    pub(crate) fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> Result<R>) -> Result<R> {
        match &self.shared.storage {
            Storage::Unlocked(region) => f(region.bytes()),
            Storage::Locked(lock) => f(lock.read_recursive().bytes()),
        }
    }

    /// Runs `f` over the mapped region, holding the read lock (on
    /// read-write mappings) so it is not replaced by `resize` meanwhile.
    /// Only for operations that never form references to the bytes
    /// (system calls such as `msync`, `madvise`, `mlock`), which is why it
    /// may also run while atomic views exist.
    #[cfg_attr(
        not(any(feature = "advise", feature = "locking", feature = "hugepages")),
        allow(dead_code)
    )]
    pub(crate) fn with_region<R>(&self, f: impl FnOnce(&Region) -> Result<R>) -> Result<R> {
        match &self.shared.storage {
            Storage::Unlocked(region) => f(region),
            Storage::Locked(lock) => self.shared.with_locked_region(lock, f),
        }
    }

    /// The read-write lock, or `InvalidMode` for the lock-free modes.
    pub(crate) fn write_lock(&self, op: &'static str) -> Result<&RwLock<Region>> {
        match &self.shared.storage {
            Storage::Locked(lock) => Ok(lock),
            Storage::Unlocked(_) => Err(MmapIoError::InvalidMode {
                op,
                mode: self.shared.mode,
            }),
        }
    }

    /// A read-write mapping over a heap buffer (unit tests, Miri).
    #[cfg(test)]
    pub(crate) fn heap_rw(bytes: Vec<u8>, policy: FlushPolicy) -> Self {
        let options = MapOptions {
            flush_policy: policy,
            ..MapOptions::default()
        };
        Self::from_region(
            Region::heap(bytes),
            None,
            PathBuf::from("<heap>"),
            MmapMode::ReadWrite,
            options,
        )
    }

    /// A lock-free (read-only style) mapping over a heap buffer (unit tests).
    #[cfg(test)]
    pub(crate) fn heap_ro(bytes: Vec<u8>) -> Self {
        Self::from_region(
            Region::heap(bytes),
            None,
            PathBuf::from("<heap>"),
            MmapMode::ReadOnly,
            MapOptions::default(),
        )
    }
}

impl Shared {
    /// The full, durable flush behind `MemoryMappedFile::flush`, also used
    /// by policies, the background flusher and the final flush on drop.
    pub(crate) fn flush(&self) -> Result<()> {
        let Storage::Locked(lock) = &self.storage else {
            return Ok(());
        };
        let taken = self.flush.take_pending();
        let result = self.with_locked_region(lock, Region::flush);
        match result {
            Ok(()) => {
                self.flush.count_flush();
                Ok(())
            }
            Err(source) => {
                self.flush.restore_pending(taken);
                Err(MmapIoError::FlushFailed {
                    path: self.path.clone(),
                    source,
                })
            }
        }
    }

    /// Runs `f` over the read-write region while it cannot be replaced:
    /// under the read lock, or — while atomic views hold the write lock on
    /// their behalf — under the atomic-view count's mutex, which keeps that
    /// write lock held. `f` must not form references to the bytes (atomic
    /// views may be writing them); it is for system calls over the memory.
    pub(crate) fn with_locked_region<R>(
        &self,
        lock: &RwLock<Region>,
        f: impl FnOnce(&Region) -> R,
    ) -> R {
        #[cfg(feature = "atomic")]
        {
            let views = self.atomic_views.lock();
            if *views > 0 {
                // SAFETY: atomic views hold the write lock (see atomic.rs)
                // and cannot release it while we hold their count's mutex,
                // so no `resize` or writer can mutate the `Region`; we only
                // read it.
                return f(unsafe { &*lock.data_ptr() });
            }
        }
        f(&lock.read_recursive())
    }

    fn apply_region_options(&self) {
        match &self.storage {
            Storage::Unlocked(region) => self.apply_options_to(region),
            Storage::Locked(lock) => self.apply_options_to(&lock.read()),
        }
    }

    /// Huge-page advice and the touch hint, applied at open and after resize.
    fn apply_options_to(&self, region: &Region) {
        if self.options.huge_pages {
            let accepted = region.advise_huge_pages();
            self.huge_pages_advised.store(accepted, Ordering::Relaxed);
        }
        match self.options.touch_hint {
            TouchHint::Never => {}
            TouchHint::Eager => {
                touch_bytes(region.bytes(), os::page_size(), 0);
            }
            TouchHint::Lazy => region.advise_will_need(),
        }
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for MemoryMappedFile {
    /// The mapped file's descriptor, for calls this crate does not wrap
    /// (`fstat`, advisory locks, ...). Do not truncate the file through it
    /// (see the crate docs, "External modification").
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match &self.shared.file {
            Some(file) => file.as_fd(),
            // Every public constructor maps a real file; only unit tests
            // build file-less (heap) mappings, and they never ask for a fd.
            None => unreachable!("heap-backed mappings exist only in unit tests"),
        }
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for MemoryMappedFile {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsFd;
        self.as_fd().as_raw_fd()
    }
}

impl fmt::Debug for MemoryMappedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryMappedFile")
            .field("path", &self.shared.path)
            .field("mode", &self.shared.mode)
            .field("len", &self.len())
            .field("flush_policy", &self.shared.flush.policy())
            .finish()
    }
}
