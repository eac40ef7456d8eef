//! [`MemoryMappedFile`]: the public handle of a mapped file and its core
//! operations (open, views, copies, writes, resize, flush, page touching).
//! The state it shares with the other handles of the file, and the locking
//! of that state, are in `shared_state.rs`.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::bounds::check_range;
use crate::builder::MmapBuilder;
use crate::flush::background::BackgroundFlusher;
use crate::flush::FlushStats;
use crate::gate::{Gate, GateRead, GateWrite};
use crate::region::{MapKind, Region};
use crate::registry::{Registration, Registry};
use crate::shared_state::{PrivateRegion, Shared, Storage};
use crate::touch::touch_bytes;
use crate::views::{MappedSlice, MappedSliceMut};
use crate::{os, FlushPolicy, MmapIoError, MmapMode, Result, TouchHint};

/// Options that shape a handle beyond its mode, fixed at open/create.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MapOptions {
    pub(crate) flush_policy: FlushPolicy,
    pub(crate) touch_hint: TouchHint,
    pub(crate) huge_pages: bool,
    pub(crate) lock_file: bool,
    /// Private writes through `&self` on a copy-on-write mapping (see
    /// `cow_writable.rs`); ignored in the other modes.
    pub(crate) cow_writable: bool,
}

/// One open of a file: its mode, path and options, shared by its clones.
/// When the last clone goes away it stops its background flusher (joining
/// it) and makes its final flush. Kept apart from `Shared` so the flusher,
/// which holds only a `Weak<Shared>`, can never be the one that runs this
/// and so never has to join itself.
struct Handle {
    shared: Arc<Shared>,
    /// The mode this handle was opened in: a read-only handle may share a
    /// writable state.
    mode: MmapMode,
    path: PathBuf,
    options: MapOptions,
    huge_pages_advised: AtomicBool,
    flusher: Option<BackgroundFlusher>,
    /// Whether this handle lent bare borrows of a read-only state's mapping
    /// (`as_slice_bytes`): counted in the state until the handle goes.
    lends: AtomicBool,
}

impl Handle {
    fn shut_down(&mut self) {
        if let Some(flusher) = self.flusher.take() {
            flusher.stop();
        }
        let shared = &self.shared;
        if self.mode == MmapMode::ReadWrite
            && self.options.flush_policy != FlushPolicy::Never
            && shared.flush.is_dirty()
        {
            // Best effort: a drop cannot report errors. Callers who need to
            // know call `flush()` first.
            let _ = shared.flush(&self.path);
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shut_down();
        if *self.lends.get_mut() {
            // Every borrow it lent borrowed one of its clones, all gone.
            self.shared.gate_owner().end_lending();
        }
        if self.mode == MmapMode::ReadWrite {
            self.shared.end_writing();
        }
    }
}

/// A memory-mapped file.
///
/// Cloning is cheap (two reference counts) and every clone shares one
/// mapping, its lock and its flush counters; the handle is `Send + Sync`.
/// Separate opens of the same file in one process share them too (see
/// [Handles of one file](crate#handles-of-one-file)).
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
    // Field order matters: `shared` is released before `handle`, so when
    // the last clone drops, the handle's final flush runs while its own
    // reference keeps the mapping alive.
    pub(crate) shared: Arc<Shared>,
    handle: Arc<Handle>,
}

impl MemoryMappedFile {
    /// Whether this is the only clone of its handle, with every access made
    /// through clones dropped since ordered before the caller's next step
    /// (`Arc::get_mut` synchronises with their release).
    #[cfg(feature = "cow")]
    pub(crate) fn is_only_clone(&mut self) -> bool {
        Arc::get_mut(&mut self.handle).is_some()
    }

    /// Whether this handle may lend bare borrows of its mapping: a
    /// read-only or copy-on-write handle of a file no read-write handle can
    /// write, which then stays so while this handle lives.
    pub(crate) fn lends_bare_borrows(&self) -> bool {
        let handle = &self.handle;
        if self.is_cow_writable() {
            // Written through `&self`: a bare borrow would not keep that out.
            return false;
        }
        if handle.lends.load(Ordering::Acquire) {
            return true;
        }
        let owner = self.shared.gate_owner();
        if handle.mode == MmapMode::ReadWrite || !owner.start_lending() {
            return false;
        }
        if handle.lends.swap(true, Ordering::AcqRel) {
            // A clone counted this handle meanwhile.
            owner.end_lending();
        }
        true
    }

    /// How many clones share this handle (for error messages).
    #[cfg(feature = "cow")]
    pub(crate) fn clone_count(&self) -> usize {
        Arc::strong_count(&self.handle)
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
    ///
    /// The mapping comes from the process-wide registry: a handle of a file
    /// this process already maps may share that file's state (and then
    /// `file` is closed again, unless it gives a read-only state the write
    /// access it lacks), or be refused (see `registry.rs`).
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
        if let Some(min_len) = min_len {
            checked_map_len(min_len)?;
        }
        let id = os::file_id(&file).map_err(|e| MmapIoError::io("stat", &path, e))?;
        let mut file = Some(file);
        let shared = Registry::global().state_for(id, mode, |registration, state_mode| {
            // A copy-on-write open keeps its descriptor for its private
            // mapping; the file's state gets a descriptor of its own.
            let state_file = match (mode, &file) {
                (MmapMode::CopyOnWrite, Some(own)) => own
                    .try_clone()
                    .map_err(|e| MmapIoError::io("dup", &path, e))?,
                _ => file.take().expect("the state is created once"),
            };
            let state_kind = match state_mode {
                MmapMode::ReadWrite => MapKind::Shared,
                _ => MapKind::ReadOnly,
            };
            Self::new_state(
                state_file,
                &path,
                state_mode,
                state_kind,
                min_len,
                registration,
            )
            .map(Arc::new)
        })?;
        let shared = match (mode, file) {
            // Joined a live state, which may have been made read-only: its
            // writers will need this descriptor's write access.
            (MmapMode::ReadWrite, Some(file)) => {
                shared.adopt_write_file(file);
                shared
            }
            (MmapMode::CopyOnWrite, Some(file)) => {
                Arc::new(Self::private_state(file, &path, kind, shared)?)
            }
            (_, _) => shared,
        };
        Self::from_state(shared, mode, path, options, min_len)
    }

    /// A copy-on-write open's own state: `file` mapped privately (`kind`)
    /// at the length of the file state's mapping, whose gate its views pass.
    fn private_state(
        file: File,
        path: &Path,
        kind: MapKind,
        file_state: Arc<Shared>,
    ) -> Result<Shared> {
        // Read without the gate: a `resize` through a read-write handle may
        // change it at once, which views allow for (they are bounded by the
        // file state's length, read under their share of its gate).
        let len = file_state.len.load(Ordering::Acquire);
        let region = Region::map(&file, kind, len).map_err(|e| MmapIoError::io("mmap", path, e))?;
        Shared::new_private(region, Some(file), file_state).ok_or(MmapIoError::InvalidMode {
            op: "open (copy-on-write over memory of no file)",
            mode: MmapMode::CopyOnWrite,
        })
    }

    /// Maps `file` afresh, growing a read-write file to `min_len` first.
    fn new_state(
        file: File,
        path: &Path,
        mode: MmapMode,
        kind: MapKind,
        min_len: Option<u64>,
        registration: Registration,
    ) -> Result<Shared> {
        // Read under the registry's lock: no handle of this process can be
        // changing the length now.
        let mut file_len = file
            .metadata()
            .map_err(|e| MmapIoError::io("stat", path, e))?
            .len();
        if let Some(min_len) = min_len {
            if file_len < min_len {
                if mode != MmapMode::ReadWrite {
                    return Err(shorter_than(min_len));
                }
                file.set_len(min_len)
                    .map_err(|e| MmapIoError::io("set_len", path, e))?;
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
        let region = Region::map(&file, kind, len).map_err(|e| MmapIoError::io("mmap", path, e))?;
        Ok(Shared::new(region, Some(file), mode, Some(registration)))
    }

    /// A new handle of `shared` in `mode`: takes the advisory lock the
    /// options ask for, makes sure the mapping has `min_len` bytes (growing
    /// a shared writable state through `resize`, so it waits for views),
    /// applies the options and starts the background flusher if any.
    pub(crate) fn from_state(
        shared: Arc<Shared>,
        mode: MmapMode,
        path: PathBuf,
        options: MapOptions,
        min_len: Option<u64>,
    ) -> Result<Self> {
        let writing = mode == MmapMode::ReadWrite;
        if writing && !shared.start_writing() {
            return Err(MmapIoError::HandleConflict {
                path,
                requested: mode,
                existing: MmapMode::ReadOnly,
            });
        }
        // Counted from here until the handle drops (see `Drop for Handle`).
        if options.lock_file {
            if let Err(e) = shared.lock_file(writing, &path) {
                if writing {
                    shared.end_writing();
                }
                return Err(e);
            }
        }
        let flusher = match (mode, options.flush_policy) {
            (MmapMode::ReadWrite, FlushPolicy::EveryMillis(ms)) => {
                Some(BackgroundFlusher::spawn(Arc::downgrade(&shared), ms))
            }
            _ => None,
        };
        let handle = Arc::new(Handle {
            shared: Arc::clone(&shared),
            mode,
            path,
            options,
            huge_pages_advised: AtomicBool::new(false),
            flusher,
            lends: AtomicBool::new(false),
        });
        let map = MemoryMappedFile { shared, handle };
        if let Some(min_len) = min_len {
            if map.len() < min_len {
                if mode != MmapMode::ReadWrite {
                    return Err(shorter_than(min_len));
                }
                map.resize(min_len)?;
                // `resize` applied the options to the new region.
                return Ok(map);
            }
        }
        if options.touch_hint != TouchHint::Never || options.huge_pages {
            match &map.shared.storage {
                Storage::Unlocked(region) => map.apply_options_to(region)?,
                Storage::Private(private) => map.apply_options_to_private(private)?,
                Storage::Locked(lock) => {
                    #[cfg(feature = "atomic")]
                    if map.shared.atomic_views.lock().live > 0 {
                        // Atomic views hold the gate for writing, perhaps
                        // this thread's own: waiting for them could be
                        // waiting for itself, and touching pages would read
                        // bytes they may be writing. System calls only.
                        map.shared.with_locked_region(lock, |region| {
                            map.apply_options_without_reading(region)
                        });
                        return Ok(map);
                    }
                    let guard = map.shared.read(lock, "open")?;
                    map.apply_options_to(&guard)?;
                }
            }
        }
        Ok(map)
    }

    /// Wraps a region that belongs to no file (anonymous memory; heap
    /// buffers in unit tests) in a new state of its own and a handle of it,
    /// outside the registry. `options` must already be valid (the flush
    /// policy is not checked here).
    pub(crate) fn from_region(
        region: Region,
        path: PathBuf,
        mode: MmapMode,
        options: MapOptions,
    ) -> Result<Self> {
        let shared = Arc::new(Shared::new(region, None, mode, None));
        Self::from_state(shared, mode, path, options, None)
    }

    /// Starts a [`MmapBuilder`] for `path`, to choose mode, size, flush
    /// policy, touch hint and huge pages before opening or creating.
    pub fn builder<P: AsRef<Path>>(path: P) -> MmapBuilder {
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
    pub fn create_rw<P: AsRef<Path>>(path: P, size: u64) -> Result<Self> {
        Self::builder(path)
            .mode(MmapMode::ReadWrite)
            .size(size)
            .create()
    }

    /// Opens an existing file and maps it read-only.
    pub fn open_ro<P: AsRef<Path>>(path: P) -> Result<Self> {
        Self::builder(path).mode(MmapMode::ReadOnly).open()
    }

    /// Opens an existing file and maps it read-write.
    pub fn open_rw<P: AsRef<Path>>(path: P) -> Result<Self> {
        Self::builder(path).mode(MmapMode::ReadWrite).open()
    }

    /// Opens an existing file and maps it copy-on-write: the mapping can be
    /// read like any other, and the file is never modified through it.
    /// Private writes go through `&mut self` (`cow_update_region`), or
    /// through `&self` on a mapping opened with
    /// [`open_cow_writable`](Self::open_cow_writable).
    #[cfg(feature = "cow")]
    pub fn open_cow<P: AsRef<Path>>(path: P) -> Result<Self> {
        Self::builder(path).mode(MmapMode::CopyOnWrite).open()
    }

    /// Opens `path` read-write if it exists, at its own length (an empty
    /// file is sized to `default_size`, as in mmap-io); otherwise creates it
    /// with `default_size` zero bytes. See [`MmapBuilder::open_or_create`].
    pub fn open_or_create<P: AsRef<Path>>(path: P, default_size: u64) -> Result<Self> {
        Self::builder(path)
            .mode(MmapMode::ReadWrite)
            .size(default_size)
            .open_or_create()
    }

    /// Maps an already open `file` in `mode` with default options. `path` is
    /// only recorded for [`path`](Self::path) and error messages.
    ///
    /// The file must have been opened with the access the mode needs: a
    /// read-only `File` mapped `ReadWrite` fails with `Io` (`EACCES`) when
    /// it makes a new mapping. If this process already maps the file
    /// read-write, the new handle shares that mapping instead (see
    /// [Handles of one file](crate#handles-of-one-file)), and `file` is only
    /// used to find it.
    pub fn from_file<P: AsRef<Path>>(file: File, mode: MmapMode, path: P) -> Result<Self> {
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
        let MemoryMappedFile { shared, handle } = self;
        // Other opens of the same file share its state (and its file).
        if shared.file.is_none() || Arc::strong_count(&shared) != 2 {
            return Err(MemoryMappedFile { shared, handle });
        }
        let mut handle = match Arc::try_unwrap(handle) {
            Ok(handle) => handle,
            Err(handle) => return Err(MemoryMappedFile { shared, handle }),
        };
        handle.shut_down();
        drop(shared);
        // The flusher is joined and every clone is gone, so the handle
        // holds the last reference unless another open shared the state
        // meanwhile. Take it without running `Drop` again.
        let shared = Arc::clone(&handle.shared);
        let (mode, path, options) = (handle.mode, handle.path.clone(), handle.options);
        drop(handle);
        match Arc::try_unwrap(shared) {
            Ok(mut shared) => Ok(shared.take_file(mode).expect("checked above")),
            Err(shared) => {
                // Another open of the file joined meanwhile: hand back a
                // working handle (its final flush already ran).
                let options = MapOptions {
                    flush_policy: FlushPolicy::Manual,
                    ..options
                };
                Err(Self::from_state(shared, mode, path, options, None)
                    .expect("a handle of a live state without new options cannot fail"))
            }
        }
    }

    /// The mode this file was mapped in.
    #[inline]
    pub fn mode(&self) -> MmapMode {
        self.handle.mode
    }

    /// Current length of the mapping in bytes.
    #[inline]
    pub fn len(&self) -> u64 {
        let len = self.shared.len.load(Ordering::Acquire);
        match &self.shared.storage {
            // A copy-on-write mapping ends where its file now does, if
            // sooner (a read-write handle of the file shrank it).
            Storage::Private(private) => len.min(private.file().len.load(Ordering::Acquire)) as u64,
            _ => len as u64,
        }
    }

    /// Whether this is a copy-on-write mapping that takes private writes
    /// through `&self` (opened with `open_cow_writable` or the builder's
    /// `cow_writable(true)`, feature `cow`); false in every other case.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("w.bin");
    /// let rw = mmapio::MemoryMappedFile::create_rw(&path, 8)?;
    /// assert!(!rw.is_cow_writable());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    #[inline]
    pub fn is_cow_writable(&self) -> bool {
        self.handle.options.cow_writable
            && self.handle.mode == MmapMode::CopyOnWrite
            && matches!(self.shared.storage, Storage::Private(_))
    }

    /// Whether the mapping is empty (only possible for an empty file).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The path given when the mapping was opened.
    pub fn path(&self) -> &Path {
        &self.handle.path
    }

    /// The flush policy in force.
    pub fn flush_policy(&self) -> FlushPolicy {
        self.handle.options.flush_policy
    }

    /// The touch hint the mapping was opened with.
    pub fn touch_hint(&self) -> TouchHint {
        self.handle.options.touch_hint
    }

    /// Whether huge pages were requested, and whether the kernel accepted
    /// the request (`madvise(MADV_HUGEPAGE)` succeeded; that is permission,
    /// not proof that huge pages back the mapping).
    pub fn huge_pages(&self) -> (bool, bool) {
        (
            self.handle.options.huge_pages,
            self.handle.huge_pages_advised.load(Ordering::Relaxed),
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

    /// How often a writer of this file has revoked its reader gate's bias
    /// so far: each time, views went from their biased path (no shared
    /// cache line written) to the lock, until the gate turned the bias back
    /// on. A figure for tuning a read/write mix; 0 for mappings without a
    /// gate (read-only and copy-on-write files that no read-write handle
    /// shares).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("g.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 8)?;
    /// // A read-mostly stretch turns the bias on ...
    /// for _ in 0..100 {
    ///     drop(map.as_slice(0, 8)?);
    /// }
    /// map.update_region(0, b"written")?; // ... so this write revokes it
    /// map.update_region(0, b"again!!")?; // (unless the process runs
    /// // without a bias), and with no view since, this one has nothing to do.
    /// assert!(map.bias_revocations() <= 1);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn bias_revocations(&self) -> u64 {
        match &self.shared.storage {
            Storage::Locked(gate) => gate.revocations(),
            Storage::Private(private) => private.gate().revocations(),
            Storage::Unlocked(_) => 0,
        }
    }

    /// A zero-copy view of `len` bytes at `offset`.
    ///
    /// Works in every mode; the view holds a share of the file's reader
    /// gate (see [`MappedSlice`]). Out-of-range requests return
    /// [`MmapIoError::OutOfBounds`].
    #[inline]
    pub fn as_slice(&self, offset: u64, len: u64) -> Result<MappedSlice<'_>> {
        // The files of read-only and read-write handles first, with one
        // comparison: the hot path.
        let Storage::Locked(gate) = &self.shared.storage else {
            return self.as_slice_elsewhere(offset, len);
        };
        match gate.try_read() {
            Some(guard) => {
                let range = check_range(offset, len, guard.len())?;
                Ok(MappedSlice::guarded(guard, range))
            }
            // Out of line and returning the whole result, so the fast
            // path above keeps as few values live as a plain lock would.
            None => self.as_slice_waiting(gate, offset, len),
        }
    }

    /// `as_slice` of a copy-on-write mapping, or of memory of no file.
    #[inline(never)]
    fn as_slice_elsewhere(&self, offset: u64, len: u64) -> Result<MappedSlice<'_>> {
        match &self.shared.storage {
            Storage::Unlocked(region) => {
                let range = check_range(offset, len, region.len())?;
                Ok(MappedSlice::borrowed(&region.bytes()[range], offset))
            }
            Storage::Private(private) => self.private_slice(private, "as_slice", offset, len),
            Storage::Locked(_) => self.as_slice(offset, len),
        }
    }

    /// A view of a copy-on-write mapping, under a share of its file's gate.
    #[inline(never)]
    pub(crate) fn private_slice<'a>(
        &'a self,
        private: &'a PrivateRegion,
        op: &'static str,
        offset: u64,
        len: u64,
    ) -> Result<MappedSlice<'a>> {
        let guard = private.file().read(private.gate(), op)?;
        Self::private_slice_under(private, guard, offset, len)
    }

    /// [`private_slice`](Self::private_slice) once the share is held.
    pub(crate) fn private_slice_under<'a>(
        private: &'a PrivateRegion,
        guard: GateRead<'a, Region>,
        offset: u64,
        len: u64,
    ) -> Result<MappedSlice<'a>> {
        // SAFETY: the length is read under `guard`, which the view keeps.
        let bytes = unsafe { private.bytes(guard.len()) };
        let range = check_range(offset, len, bytes.len())?;
        Ok(MappedSlice::guarded_private(guard, &bytes[range], offset))
    }

    /// `as_slice` when the read lock is not free at once.
    #[cold]
    #[inline(never)]
    fn as_slice_waiting<'a>(
        &'a self,
        gate: &'a Gate<Region>,
        offset: u64,
        len: u64,
    ) -> Result<MappedSlice<'a>> {
        let guard = self.shared.read(gate, "as_slice")?;
        let range = check_range(offset, len, guard.len())?;
        Ok(MappedSlice::guarded(guard, range))
    }

    /// A writable, zero-copy view of `len` bytes at `offset`; read-write
    /// mappings only ([`MmapIoError::InvalidMode`] otherwise). The view holds
    /// the write lock until dropped.
    pub fn as_slice_mut(&self, offset: u64, len: u64) -> Result<MappedSliceMut<'_>> {
        let lock = match self.write_lock("as_slice_mut") {
            Ok(lock) => lock,
            Err(refused) => return self.private_slice_mut(refused, offset, len),
        };
        let guard = self.shared.write(lock, "as_slice_mut")?;
        let range = check_range(offset, len, guard.len())?;
        MappedSliceMut::new(guard, range, &self.shared).ok_or_else(|| MmapIoError::InvalidMode {
            op: "as_slice_mut",
            mode: self.mode(),
        })
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`. Works in every mode.
    // Inlined into callers, as `as_slice` is: for small reads the call
    // itself would cost as much as the copy.
    #[inline]
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
        match self.ready_gate_for_writes() {
            Some(lock) => {
                let guard = self.shared.write(lock, "update_region")?;
                self.write_under(guard, offset, data, "update_region")
            }
            None => self.update_region_elsewhere(offset, data),
        }
    }

    /// `update_region` of a handle that is not read-write, or whose file's
    /// mapping is still read-only: out of line, so the common case keeps
    /// no error or second path live.
    #[cold]
    #[inline(never)]
    fn update_region_elsewhere(&self, offset: u64, data: &[u8]) -> Result<()> {
        let lock = match self.write_lock("update_region") {
            Ok(lock) => lock,
            Err(refused) => return self.private_update_region(refused, offset, data),
        };
        let guard = self.shared.write(lock, "update_region")?;
        self.write_under(guard, offset, data, "update_region")
    }

    /// The body of `update_region` once the write lock is held: copies
    /// `data` in, releases the lock, counts the write and applies the policy.
    // Always inlined: `update_region` is a hot path (gated by the
    // instruction-count bench), and the call would cost it a prologue.
    #[inline(always)]
    pub(crate) fn write_under(
        &self,
        mut guard: GateWrite<'_, Region>,
        offset: u64,
        data: &[u8],
        op: &'static str,
    ) -> Result<()> {
        let range = check_range(offset, data.len() as u64, guard.len())?;
        if data.is_empty() {
            return Ok(());
        }
        let bytes = guard.bytes_mut().ok_or_else(|| MmapIoError::InvalidMode {
            op,
            mode: self.mode(),
        })?;
        bytes[range].copy_from_slice(data);
        drop(guard);
        let pending = self.shared.flush.record_write(data.len() as u64);
        if self.flush_policy().is_due(&pending) {
            self.shared.flush(self.path())?;
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
    /// On Windows, which refuses to cut a file while a view of it is mapped,
    /// shrinking unmaps the view first and maps the file again afterwards;
    /// in the unlikely case that mapping it again fails, the mapping is left
    /// empty (0 bytes) and the error says why. A copy-on-write handle of the
    /// same file has a view of its own, which Windows counts too: while one
    /// lives, shrinking there is [`MmapIoError::ResizeFailed`] and the file
    /// and mapping stay as they were.
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
        let mut guard = shared.write(lock, "resize")?;
        let old_size = guard.len();
        if new_size == old_size {
            return Ok(());
        }
        let resize_failed = |source| MmapIoError::ResizeFailed {
            path: self.path().to_path_buf(),
            new_len,
            source,
        };
        let new_region = match shared.file_for_writes() {
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
                } else if cfg!(windows) {
                    // Windows refuses to cut a file while any view of it is
                    // mapped (ERROR_USER_MAPPED_FILE), so the view goes
                    // first; unmapping loses nothing (its dirty pages stay in
                    // the file's cache). We hold the write lock, so nobody
                    // can see the mapping in between.
                    drop(std::mem::replace(&mut *guard, Region::empty()));
                    let mapped = match file.set_len(new_len) {
                        Ok(()) => Region::map(file, MapKind::Shared, new_size),
                        Err(e) => {
                            // The file is as it was: map it as it was (or,
                            // if even that fails, leave the mapping empty).
                            match Region::map(file, MapKind::Shared, old_size) {
                                Ok(region) => *guard = region,
                                Err(_) => shared.len.store(0, Ordering::Release),
                            }
                            return Err(resize_failed(e));
                        }
                    };
                    match mapped {
                        Ok(region) => region,
                        Err(e) => {
                            // The file is cut but cannot be mapped again: the
                            // mapping stays empty (views see 0 bytes) rather
                            // than pointing at nothing.
                            shared.len.store(0, Ordering::Release);
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
            // Anonymous memory: `AnonymousMmap` offers no `resize`, but
            // refuse rather than assume it.
            #[cfg(not(test))]
            None => {
                return Err(MmapIoError::InvalidMode {
                    op: "resize (memory with no file)",
                    mode: self.mode(),
                })
            }
        };
        *guard = new_region;
        shared.len.store(new_size, Ordering::Release);
        if let Some(file) = shared.file_for_writes() {
            // The length has changed; only its durability is in question now.
            file.sync_all().map_err(|source| MmapIoError::FlushFailed {
                path: self.path().to_path_buf(),
                source,
            })?;
            shared.flush.count_file_sync();
        }
        // Re-apply open-time options to the new region while still exclusive.
        let guard = guard.downgrade();
        self.apply_options_to(&guard)
    }

    /// Writes every dirty page of a read-write mapping to the file and waits
    /// for the device (`msync(MS_SYNC)`), whatever the flush policy and
    /// whichever method wrote the bytes. Read-only and copy-on-write mappings
    /// have nothing to write back; for them this does nothing.
    pub fn flush(&self) -> Result<()> {
        if self.mode() != MmapMode::ReadWrite {
            return Ok(());
        }
        self.shared.flush(self.path())
    }

    /// Like [`flush`](Self::flush) for `len` bytes at `offset` only
    /// (bounds-checked in every mode; the start is rounded down to a page).
    /// Counted in [`FlushStats::range_flushes`] when an `msync` ran (an
    /// empty range has nothing to flush); pending counters are left alone,
    /// since the rest of the mapping may still be dirty.
    pub fn flush_range(&self, offset: u64, len: u64) -> Result<()> {
        self.with_region(|region| {
            let range = check_range(offset, len, self.shown_len(region))?;
            if self.mode() != MmapMode::ReadWrite {
                return Ok(());
            }
            let synced = region
                .flush_range(range.start, range.len())
                .map_err(|source| MmapIoError::FlushFailed {
                    path: self.path().to_path_buf(),
                    source,
                })?;
            if synced {
                self.shared.flush.count_range_flush();
            }
            Ok(())
        })
    }

    /// Starts writing the whole mapping back to the file without waiting
    /// (`sync_file_range(SYNC_FILE_RANGE_WRITE)` on Linux, where
    /// `msync(MS_ASYNC)` starts nothing; `msync(MS_ASYNC)` on other Unix
    /// systems; `FlushViewOfFile` on Windows). Nothing is durable when it
    /// returns, so the pending counters
    /// are left alone and [`FlushStats`] does not count it; call
    /// [`flush`](Self::flush) for durability. Read-only and copy-on-write
    /// mappings have nothing to write back; for them this does nothing.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("s.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 4096)?;
    /// map.update_region(0, b"batch")?;
    /// map.schedule_flush()?; // write-back started, not yet durable
    /// assert_eq!(map.pending_bytes(), 5);
    /// map.flush()?; // durable
    /// assert_eq!(map.pending_bytes(), 0);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn schedule_flush(&self) -> Result<()> {
        self.with_region(|region| self.schedule(region, 0, region.len()))
    }

    /// Like [`schedule_flush`](Self::schedule_flush) for `len` bytes at
    /// `offset` (bounds-checked in every mode; the start is rounded down to
    /// a page).
    pub fn schedule_flush_range(&self, offset: u64, len: u64) -> Result<()> {
        self.with_region(|region| {
            let range = check_range(offset, len, region.len())?;
            self.schedule(region, range.start, range.len())
        })
    }

    fn schedule(&self, region: &Region, offset: usize, len: usize) -> Result<()> {
        if self.mode() != MmapMode::ReadWrite || len == 0 {
            return Ok(());
        }
        // The mapping starts at offset 0 of its file, so its ranges are the
        // file's.
        let started = match self.shared.file_for_writes() {
            #[cfg(target_os = "linux")]
            Some(file) => os::start_writeback(file, offset as u64, len as u64),
            _ => region.flush_async_range(offset, len),
        };
        started.map_err(|source| MmapIoError::FlushFailed {
            path: self.path().to_path_buf(),
            source,
        })
    }

    /// The mapping's length, like [`len`](Self::len); kept for code
    /// written against mmap-io, where it returns a `Result`. Never fails.
    pub fn current_len(&self) -> Result<u64> {
        Ok(self.len())
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
            .map_err(|e| MmapIoError::io("stat", self.path(), e))?
            .len();
        let expected = mapped_len as u64;
        if actual < expected {
            return Err(MmapIoError::FileTruncated {
                path: self.path().to_path_buf(),
                expected,
                actual,
            });
        }
        Ok(())
    }

    /// Runs `f` over the whole mapping's bytes, holding the read lock (on
    /// read-write mappings) for the duration.
    #[inline]
    pub(crate) fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> Result<R>) -> Result<R> {
        // The files of read-only and read-write handles first, with one
        // comparison: the hot path of `read_into`.
        if let Storage::Locked(lock) = &self.shared.storage {
            return f(self.shared.read(lock, "read")?.bytes());
        }
        match &self.shared.storage {
            Storage::Unlocked(region) => f(region.bytes()),
            Storage::Locked(lock) => f(self.shared.read(lock, "read")?.bytes()),
            Storage::Private(private) => {
                let guard = private.file().read(private.gate(), "read")?;
                // SAFETY: the length is read under `guard`, held during `f`.
                f(unsafe { private.bytes(guard.len()) })
            }
        }
    }

    /// How many bytes of `region` (this handle's, as `with_region` gives
    /// it) the handle shows: all of them, except for a copy-on-write
    /// mapping of a file a read-write handle has shrunk since.
    pub(crate) fn shown_len(&self, region: &Region) -> usize {
        region
            .len()
            .min(usize::try_from(self.len()).unwrap_or(usize::MAX))
    }

    /// Runs `f` over the mapped region, holding the read lock (on
    /// read-write mappings) so it is not replaced by `resize` meanwhile.
    /// Only for operations that never form references to the bytes
    /// (system calls such as `msync`, `madvise`, `mlock`), which is why it
    /// may also run while atomic views exist.
    pub(crate) fn with_region<R>(&self, f: impl FnOnce(&Region) -> Result<R>) -> Result<R> {
        match &self.shared.storage {
            Storage::Unlocked(region) => f(region),
            Storage::Locked(lock) => self.shared.with_locked_region(lock, f),
            // Never replaced; `f` forms no references to the bytes.
            Storage::Private(private) => f(private.region()),
        }
    }

    /// The read-write lock over a writable mapping, or `InvalidMode` unless
    /// this handle is read-write (a read-only handle may share a locked
    /// state). A file first mapped read-only is mapped writable here, which
    /// waits for the views of every handle once.
    #[inline]
    pub(crate) fn write_lock(&self, op: &'static str) -> Result<&Gate<Region>> {
        let lock = self.gate_for_writes(op)?;
        if !self.shared.is_mapped_writable() {
            self.shared.map_writable(lock, op, self.path(), true)?;
        }
        Ok(lock)
    }

    /// [`write_lock`](Self::write_lock) for the `try_` methods: `Ok(None)`
    /// where it would wait for views.
    pub(crate) fn try_write_lock(&self, op: &'static str) -> Result<Option<&Gate<Region>>> {
        let lock = self.gate_for_writes(op)?;
        let ready = self.shared.is_mapped_writable()
            || self.shared.map_writable(lock, op, self.path(), false)?;
        Ok(ready.then_some(lock))
    }

    /// The gate of a read-write handle whose file's mapping is writable
    /// already: what [`write_lock`](Self::write_lock) returns, with no
    /// error to build.
    #[inline(always)]
    fn ready_gate_for_writes(&self) -> Option<&Gate<Region>> {
        match &self.shared.storage {
            Storage::Locked(lock)
                if self.mode() == MmapMode::ReadWrite && self.shared.is_mapped_writable() =>
            {
                Some(lock)
            }
            _ => None,
        }
    }

    #[inline]
    fn gate_for_writes(&self, op: &'static str) -> Result<&Gate<Region>> {
        match &self.shared.storage {
            Storage::Locked(lock) if self.mode() == MmapMode::ReadWrite => Ok(lock),
            _ => Err(MmapIoError::InvalidMode {
                op,
                mode: self.mode(),
            }),
        }
    }

    /// Huge-page advice and the touch hint of this handle, applied at open
    /// and after its `resize`.
    /// The eager touch walks pages only once the file is known to cover
    /// them ([`MmapIoError::FileTruncated`] otherwise, instead of `SIGBUS`).
    fn apply_options_to(&self, region: &Region) -> Result<()> {
        match self.handle.options.touch_hint {
            TouchHint::Eager => {
                self.advise_huge_pages(region);
                self.check_file_covers(region.len())?;
                touch_bytes(region.bytes(), os::page_size(), 0);
            }
            TouchHint::Never | TouchHint::Lazy => self.apply_options_without_reading(region),
        }
        Ok(())
    }

    /// The open-time options of a copy-on-write mapping: as
    /// [`apply_options_to`](Self::apply_options_to), touching only the bytes
    /// within the file's length, under a share of its gate.
    fn apply_options_to_private(&self, private: &PrivateRegion) -> Result<()> {
        let file = private.file();
        #[cfg(feature = "atomic")]
        if file.atomic_views.lock().live > 0 {
            // As for read-write states: no waiting, no reading.
            self.apply_options_without_reading(private.region());
            return Ok(());
        }
        match self.handle.options.touch_hint {
            TouchHint::Eager => {
                let guard = file.read(private.gate(), "open")?;
                self.advise_huge_pages(private.region());
                // SAFETY: the length is read under `guard`, held meanwhile.
                let bytes = unsafe { private.bytes(guard.len()) };
                self.check_file_covers(bytes.len())?;
                touch_bytes(bytes, os::page_size(), 0);
            }
            TouchHint::Never | TouchHint::Lazy => {
                self.apply_options_without_reading(private.region())
            }
        }
        Ok(())
    }

    /// The open-time options through system calls alone, for a region whose
    /// bytes must not be read now (atomic views may be writing them): an
    /// `Eager` touch becomes a read-ahead request, as `Lazy`.
    #[cfg(feature = "atomic")]
    fn apply_options_without_reading(&self, region: &Region) {
        self.advise_huge_pages(region);
        if self.handle.options.touch_hint != TouchHint::Never {
            region.advise_will_need();
        }
    }

    #[cfg(not(feature = "atomic"))]
    fn apply_options_without_reading(&self, region: &Region) {
        self.advise_huge_pages(region);
        if self.handle.options.touch_hint == TouchHint::Lazy {
            region.advise_will_need();
        }
    }

    fn advise_huge_pages(&self, region: &Region) {
        if self.handle.options.huge_pages {
            let accepted = region.advise_huge_pages();
            self.handle
                .huge_pages_advised
                .store(accepted, Ordering::Relaxed);
        }
    }

    /// A mapping in `mode` over a heap buffer, outside the registry (unit
    /// tests, Miri).
    #[cfg(test)]
    fn heap(bytes: Vec<u8>, mode: MmapMode, options: MapOptions) -> Self {
        let path = PathBuf::from("<heap>");
        Self::from_region(Region::heap(bytes), path, mode, options)
            .expect("heap regions need no I/O")
    }

    /// A read-write mapping over a heap buffer.
    #[cfg(test)]
    pub(crate) fn heap_rw(bytes: Vec<u8>, flush_policy: FlushPolicy) -> Self {
        let options = MapOptions {
            flush_policy,
            ..MapOptions::default()
        };
        Self::heap(bytes, MmapMode::ReadWrite, options)
    }

    /// A copy-on-write mapping over a heap buffer.
    #[cfg(all(test, feature = "cow"))]
    pub(crate) fn heap_cow(bytes: Vec<u8>) -> Self {
        Self::heap(bytes, MmapMode::CopyOnWrite, MapOptions::default())
    }

    /// A lock-free (read-only) mapping over a heap buffer.
    #[cfg(test)]
    pub(crate) fn heap_ro(bytes: Vec<u8>) -> Self {
        Self::heap(bytes, MmapMode::ReadOnly, MapOptions::default())
    }
}

/// `InvalidSize` for a file shorter than the size a non-growing open needs.
fn shorter_than(min_len: u64) -> MmapIoError {
    MmapIoError::InvalidSize {
        size: min_len,
        reason: "the file is shorter and only a read-write mapping can grow it",
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
            // Every public constructor of `MemoryMappedFile` maps a real
            // file; file-less states (`AnonymousMmap`'s, unit tests' heap
            // regions) are never exposed as a `MemoryMappedFile`.
            None => unreachable!("a MemoryMappedFile without a file is never handed out"),
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

#[cfg(windows)]
impl std::os::windows::io::AsHandle for MemoryMappedFile {
    /// The mapped file's handle, for calls this crate does not wrap. Do not
    /// truncate the file through it (see the crate docs, "External
    /// modification").
    fn as_handle(&self) -> std::os::windows::io::BorrowedHandle<'_> {
        match &self.shared.file {
            Some(file) => file.as_handle(),
            // As for `AsFd`.
            None => unreachable!("a MemoryMappedFile without a file is never handed out"),
        }
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawHandle for MemoryMappedFile {
    fn as_raw_handle(&self) -> std::os::windows::io::RawHandle {
        use std::os::windows::io::AsHandle;
        self.as_handle().as_raw_handle()
    }
}

impl fmt::Debug for MemoryMappedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryMappedFile")
            .field("path", &self.path())
            .field("mode", &self.handle.mode)
            .field("len", &self.len())
            .field("flush_policy", &self.handle.options.flush_policy)
            .finish()
    }
}
