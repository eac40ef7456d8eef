//! File change notifications (feature `watch`): [`MemoryMappedFile::watch`],
//! [`WatchHandle`], [`ChangeEvent`] and [`ChangeKind`], on top of the
//! `notify` crate's recommended watcher (inotify on Linux, FSEvents on macOS,
//! `ReadDirectoryChangesW` on Windows).
//!
//! # Design
//! * The watch is placed on the mapped file's **parent directory**
//!   (non-recursively) and events are filtered down to the file's own path.
//!   Watching the file itself would not do: while the mapping (or any open
//!   descriptor) keeps the inode alive, inotify reports an `unlink` of a
//!   watched file only as an attribute change, and its "deleted" event comes
//!   when the last reference goes, that is never while the mapping exists.
//!   The directory sees the unlink as it happens.
//! * The user callback lives in a slot guarded by a re-entrant mutex,
//!   together with a `stopped` flag. notify's thread takes the mutex, checks
//!   the flag and calls the callback while holding it; [`WatchHandle`]'s
//!   `drop` takes the same mutex, sets the flag and drops the callback. So
//!   once `drop` returns no callback is running and none will start. The
//!   mutex is re-entrant so that a callback may drop its own handle without
//!   deadlocking (the flag is then set, and the callback is dropped as soon
//!   as it returns).
//! * notify's delivery thread is not joinable through its API; dropping the
//!   watcher sends it a shutdown message and it exits on its own, releasing
//!   its inotify descriptor.
//! * notify 7's inotify backend `unwrap`s sends to its event-loop thread,
//!   which fail only if that thread could not be spawned or has died. Those
//!   calls run under `catch_unwind`; a panic becomes
//!   [`MmapIoError::WatchFailed`] (or is ignored on drop), so no input makes
//!   this module panic. A panicking user callback is caught the same way:
//!   the watch stops and [`WatchHandle::take_error`] reports it.

use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use notify::event::{ModifyKind, RenameMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use parking_lot::{Mutex, ReentrantMutex};

use crate::{MemoryMappedFile, MmapIoError, Result};

/// What happened to a watched file (see [`MemoryMappedFile::watch`]).
///
/// How notify's event kinds are mapped:
///
/// | notify `EventKind` | `ChangeKind` |
/// |---|---|
/// | `Modify(Data(_))`, `Modify(Any)`, `Modify(Other)` (writes, truncation) | [`Modified`](Self::Modified) |
/// | any event flagged "rescan" (the kernel queue overflowed, events were lost) | [`Modified`](Self::Modified) |
/// | `Modify(Metadata(_))` (permissions, owner, timestamps, link count, extended attributes) | [`Metadata`](Self::Metadata) |
/// | `Remove(_)` | [`Removed`](Self::Removed) |
/// | `Modify(Name(From \| To \| Any \| Other))` naming the file (renamed away, or another file renamed over it) | [`Removed`](Self::Removed) |
/// | `Modify(Name(Both))` | ignored (the `From`/`To` halves are reported) |
/// | `Access(_)` (open, read, close), `Create(_)`, `Any`, `Other` | ignored |
///
/// # Per platform
/// The backend is inotify on Linux, FSEvents on macOS and
/// `ReadDirectoryChangesW` on Windows. What differs:
/// * **Windows** reports attribute changes and writes with the same action
///   (`FILE_ACTION_MODIFIED`), so there a permission change arrives as
///   [`Modified`](Self::Modified), never as [`Metadata`](Self::Metadata).
/// * **Windows** may keep the name of a file removed while it is open or
///   mapped until the last handle closes (file systems without POSIX delete
///   semantics do); [`Removed`](Self::Removed) then arrives only once this
///   mapping, and every other handle of the file, is dropped. Renaming the
///   file away is reported at once everywhere.
///
/// ```
/// use mmapio::ChangeKind;
/// let kind = ChangeKind::Modified;
/// assert_ne!(kind, ChangeKind::Removed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The file's contents or length changed through a file descriptor
    /// (`write(2)`, `truncate(2)`, ...), or events may have been lost and
    /// the file should be treated as changed.
    Modified,
    /// The file's metadata changed: permissions, owner, timestamps, link
    /// count or extended attributes. Not reported on Windows, whose backend
    /// reports such changes as [`Modified`](Self::Modified).
    Metadata,
    /// The path no longer names the mapped file: it was deleted, renamed
    /// away, or another file was renamed over it. The mapping itself stays
    /// valid (it keeps the old file alive).
    Removed,
}

/// One change to a watched file, as passed to the callback of
/// [`MemoryMappedFile::watch`].
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("ev.bin");
/// use mmapio::{ChangeEvent, ChangeKind, MemoryMappedFile};
/// let map = MemoryMappedFile::create_rw(&path, 16)?;
/// let _watch = map.watch(|event: ChangeEvent| {
///     if event.kind == ChangeKind::Removed {
///         eprintln!("{} is gone", event.path.display());
///     }
/// })?;
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangeEvent {
    /// What happened.
    pub kind: ChangeKind,
    /// The mapping's path, exactly as [`MemoryMappedFile::path`] returns it.
    pub path: PathBuf,
    /// Where in the file the change starts, when the backend says; `None`
    /// with every backend used today (inotify, FSEvents and
    /// `ReadDirectoryChangesW` report whole-file changes). Kept for code
    /// written against mmap-io, whose events have it.
    pub offset: Option<u64>,
    /// How many bytes changed, when the backend says; `None` today (see
    /// [`offset`](Self::offset)).
    pub len: Option<u64>,
}

type Callback = Box<dyn FnMut(ChangeEvent) + Send + 'static>;

/// State shared between a [`WatchHandle`] and notify's delivery thread.
struct WatchShared {
    /// The callback; `None` once the watch has stopped and it was dropped.
    /// Re-entrant so that a callback can drop its own handle.
    callback: ReentrantMutex<RefCell<Option<Callback>>>,
    /// Set (under `callback`'s lock) when the handle drops or the callback
    /// panicked; checked under the same lock before every call.
    stopped: AtomicBool,
    /// The first error reported at run time and not yet taken.
    error: Mutex<Option<MmapIoError>>,
    /// The mapping's path, for events and errors.
    path: PathBuf,
}

impl WatchShared {
    fn record_error(&self, message: String) {
        let mut slot = self.error.lock();
        if slot.is_none() {
            *slot = Some(MmapIoError::WatchFailed {
                path: self.path.clone(),
                message,
            });
        }
    }

    /// Runs the callback for `kind`, unless the watch has stopped.
    fn deliver(&self, kind: ChangeKind) {
        let guard = self.callback.lock();
        // Only fails if the callback itself is running on this thread, which
        // notify (one delivery thread, no re-entrant handler calls) never
        // does. Skip rather than panic.
        let Ok(mut slot) = guard.try_borrow_mut() else {
            return;
        };
        let mut panicked = false;
        if !self.stopped.load(Ordering::Acquire) {
            if let Some(callback) = slot.as_mut() {
                let event = ChangeEvent {
                    kind,
                    path: self.path.clone(),
                    offset: None,
                    len: None,
                };
                panicked = catch_unwind(AssertUnwindSafe(|| callback(event))).is_err();
            }
        }
        if panicked {
            self.stopped.store(true, Ordering::Release);
        }
        // Stopped before the call, by the call (a callback that dropped its
        // own handle) or by a panic: drop the callback, outside the lock.
        let finished = if self.stopped.load(Ordering::Acquire) {
            slot.take()
        } else {
            None
        };
        drop(slot);
        drop(guard);
        drop(finished);
        if panicked {
            self.record_error("the callback panicked; the watch delivers no more events".into());
        }
    }
}

/// Keeps a watch started by [`MemoryMappedFile::watch`] running; dropping it
/// stops the watch.
///
/// When `drop` returns, no callback is running and none will run again, and
/// the callback has been dropped (if `drop` is called from inside the
/// callback, the callback is dropped as soon as it returns). notify's
/// delivery thread is told to shut down and exits on its own shortly after.
///
/// Do not move a `WatchHandle` into its own callback: the two would keep
/// each other alive forever. A callback may drop its handle (taken, for
/// example, out of an `Arc<Mutex<Option<WatchHandle>>>`); that stops the
/// watch without deadlocking.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("h.bin");
/// let map = mmapio::MemoryMappedFile::create_rw(&path, 16)?;
/// let handle = map.watch(|_event| {})?;
/// assert_eq!(handle.path(), map.path());
/// drop(handle); // no callback runs after this line
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
#[must_use = "the watch stops as soon as the handle is dropped"]
pub struct WatchHandle {
    shared: Arc<WatchShared>,
    watcher: Option<RecommendedWatcher>,
}

impl WatchHandle {
    /// The path of the watched mapping, as [`MemoryMappedFile::path`]
    /// returns it.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("p.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 16)?;
    /// let handle = map.watch(|_event| {})?;
    /// assert_eq!(handle.path(), path.as_path());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Takes the first error the watch has hit since it started (or since
    /// the last call), as [`MmapIoError::WatchFailed`].
    ///
    /// Errors that happen after setup cannot be returned from
    /// [`MemoryMappedFile::watch`]: the backend failing to read its event
    /// queue, or the callback panicking (after which the watch delivers no
    /// more events). They are kept here; later errors are dropped until this
    /// one is taken.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("e.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 16)?;
    /// let handle = map.watch(|_event| {})?;
    /// assert!(handle.take_error().is_none());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn take_error(&self) -> Option<MmapIoError> {
        self.shared.error.lock().take()
    }

    /// Whether the watch still delivers events: true from a successful
    /// [`MemoryMappedFile::watch`] until the handle is dropped, unless the
    /// callback has panicked (which stops deliveries; the panic is kept for
    /// [`take_error`](Self::take_error)).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("a.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 16)?;
    /// let handle = map.watch(|_event| {})?;
    /// assert!(handle.is_active());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn is_active(&self) -> bool {
        self.watcher.is_some() && !self.shared.stopped.load(Ordering::Acquire)
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        let callback = {
            // Waits for a callback running on another thread to return. On
            // the delivery thread itself (a callback dropping its own
            // handle) the re-entrant lock is granted at once.
            let guard = self.shared.callback.lock();
            self.shared.stopped.store(true, Ordering::Release);
            // Borrowed only if the callback is running on this thread; then
            // `deliver` drops it when it returns.
            let taken = guard.try_borrow_mut().ok().and_then(|mut slot| slot.take());
            taken
        };
        drop(callback);
        if let Some(watcher) = self.watcher.take() {
            drop_watcher(watcher);
        }
    }
}

impl fmt::Debug for WatchHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchHandle")
            .field("path", &self.shared.path)
            .field("stopped", &self.shared.stopped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Drops a watcher, swallowing the panic notify's backend raises if its
/// event-loop thread is gone (a drop must not panic).
fn drop_watcher(watcher: RecommendedWatcher) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(watcher)));
}

/// Whether `event` concerns `target` and, if so, how it is reported.
fn classify(event: &Event, target: &Path) -> Option<ChangeKind> {
    if event.need_rescan() {
        return Some(ChangeKind::Modified);
    }
    if !event.paths.iter().any(|p| p == target) {
        return None;
    }
    match event.kind {
        EventKind::Modify(ModifyKind::Metadata(_)) => Some(ChangeKind::Metadata),
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => None,
        EventKind::Modify(ModifyKind::Name(_)) => Some(ChangeKind::Removed),
        EventKind::Modify(_) => Some(ChangeKind::Modified),
        EventKind::Remove(_) => Some(ChangeKind::Removed),
        EventKind::Access(_) | EventKind::Create(_) | EventKind::Any | EventKind::Other => None,
    }
}

impl MemoryMappedFile {
    /// Calls `callback` whenever the mapped file changes on disk, until the
    /// returned [`WatchHandle`] is dropped.
    ///
    /// Uses notify's recommended watcher (inotify on Linux, FSEvents on macOS,
    /// `ReadDirectoryChangesW` on Windows) on the file's parent directory,
    /// filtered to this file; see [`ChangeKind`] for how notify's events are
    /// reported, which are ignored (opens, reads and closes are) and what
    /// differs per platform. The callback runs on notify's delivery thread, one event
    /// at a time; keep it short, since it delays the events behind it and a
    /// concurrent `drop` of the handle waits for it.
    ///
    /// Works in every mode. The watch follows the *path*, as it resolves
    /// now (symbolic links are followed once, here): after
    /// [`ChangeKind::Removed`], changes to a new file created at the same
    /// path are reported too, although the mapping still maps the old one.
    /// The handle does not keep the mapping alive.
    ///
    /// # What is not seen
    /// Writes made through a memory mapping (this one or another process's)
    /// are not reported by inotify, and no backend promises them; writes
    /// through file descriptors are reported. Either way,
    /// treat events as hints, not as a log: one change may produce several
    /// events, and a backend may merge them.
    ///
    /// # Errors
    /// [`MmapIoError::WatchFailed`] if the path cannot be resolved (for
    /// example the file was already removed, or the mapping came from
    /// [`from_file`](Self::from_file) with a path that names nothing) or
    /// notify cannot set up the watch (for example the inotify watch limit
    /// is reached).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::time::{Duration, Instant};
    /// use mmapio::{ChangeKind, MemoryMappedFile};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("watched.bin");
    /// let map = MemoryMappedFile::create_rw(&path, 4096)?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let handle = map.watch(move |event| {
    ///     let _ = tx.send(event.kind);
    /// })?;
    ///
    /// // Someone else writes to the file.
    /// let mut other = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    /// other.write_all(b"changed").unwrap();
    /// other.sync_all().unwrap();
    ///
    /// let deadline = Instant::now() + Duration::from_secs(10);
    /// let mut seen = false;
    /// while let Some(left) = deadline.checked_duration_since(Instant::now()) {
    ///     match rx.recv_timeout(left) {
    ///         Ok(ChangeKind::Modified) => { seen = true; break; }
    ///         Ok(_) => continue,
    ///         Err(_) => break,
    ///     }
    /// }
    /// assert!(seen);
    /// drop(handle); // stops the watch
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn watch<F>(&self, callback: F) -> Result<WatchHandle>
    where
        F: FnMut(ChangeEvent) + Send + 'static,
    {
        let path = self.path().to_path_buf();
        let failed = |message: String| MmapIoError::WatchFailed {
            path: path.clone(),
            message,
        };
        let target = std::fs::canonicalize(&path)
            .map_err(|e| failed(format!("cannot resolve the path: {e}")))?;
        let dir = match (target.parent(), target.file_name()) {
            (Some(dir), Some(_)) => dir.to_path_buf(),
            _ => return Err(failed("the path has no parent directory".into())),
        };

        let shared = Arc::new(WatchShared {
            callback: ReentrantMutex::new(RefCell::new(Some(Box::new(callback)))),
            stopped: AtomicBool::new(false),
            error: Mutex::new(None),
            path: path.clone(),
        });
        let handler_shared = Arc::clone(&shared);
        let handler = move |result: notify::Result<Event>| match result {
            Ok(event) => {
                if let Some(kind) = classify(&event, &target) {
                    handler_shared.deliver(kind);
                }
            }
            Err(e) => handler_shared.record_error(e.to_string()),
        };

        let mut watcher = RecommendedWatcher::new(handler, notify::Config::default())
            .map_err(|e| failed(e.to_string()))?;
        match catch_unwind(AssertUnwindSafe(|| {
            watcher.watch(&dir, RecursiveMode::NonRecursive)
        })) {
            Ok(Ok(())) => Ok(WatchHandle {
                shared,
                watcher: Some(watcher),
            }),
            Ok(Err(e)) => {
                drop_watcher(watcher);
                Err(failed(e.to_string()))
            }
            Err(_) => {
                drop_watcher(watcher);
                Err(failed("the watcher's event loop is not running".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::Flag;
    use notify::event::{AccessKind, CreateKind, DataChange, MetadataKind, RemoveKind};

    fn ev(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(PathBuf::from(path))
    }

    #[test]
    fn kinds_are_mapped_as_documented() {
        let t = Path::new("/d/f");
        let cases = [
            (
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                Some(ChangeKind::Modified),
            ),
            (
                EventKind::Modify(ModifyKind::Any),
                Some(ChangeKind::Modified),
            ),
            (
                EventKind::Modify(ModifyKind::Other),
                Some(ChangeKind::Modified),
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Permissions)),
                Some(ChangeKind::Metadata),
            ),
            (
                EventKind::Remove(RemoveKind::File),
                Some(ChangeKind::Removed),
            ),
            (
                EventKind::Modify(ModifyKind::Name(RenameMode::From)),
                Some(ChangeKind::Removed),
            ),
            (
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                Some(ChangeKind::Removed),
            ),
            (EventKind::Modify(ModifyKind::Name(RenameMode::Both)), None),
            (EventKind::Access(AccessKind::Any), None),
            (EventKind::Create(CreateKind::File), None),
            (EventKind::Any, None),
            (EventKind::Other, None),
        ];
        for (kind, expected) in cases {
            assert_eq!(classify(&ev(kind, "/d/f"), t), expected, "{kind:?}");
            assert_eq!(classify(&ev(kind, "/d/g"), t), None, "other file: {kind:?}");
        }
        let rescan = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert_eq!(classify(&rescan, t), Some(ChangeKind::Modified));
    }

    #[test]
    fn handle_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<WatchHandle>();
        check::<ChangeEvent>();
    }
}
