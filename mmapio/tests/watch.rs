//! `MemoryMappedFile::watch`: changes made by others are reported with the
//! documented kinds, and dropping the `WatchHandle` stops delivery at once.
//!
//! Every wait is bounded: events are awaited on a channel with
//! `recv_timeout` (up to `EVENT_WAIT`), and "nothing happens" is asserted
//! after `QUIET_WAIT`. The tests in this file run one at a time (`serial`),
//! so that the check for leftover notify threads sees only its own.
#![cfg(feature = "watch")]

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mmapio::{ChangeEvent, ChangeKind, MemoryMappedFile, MmapIoError, WatchHandle};
use tempfile::TempDir;

const EVENT_WAIT: Duration = Duration::from_secs(5);
const QUIET_WAIT: Duration = Duration::from_millis(300);

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn new_map(dir: &TempDir, name: &str) -> (MemoryMappedFile, PathBuf) {
    let path = dir.path().join(name);
    let map = MemoryMappedFile::create_rw(&path, 4096).expect("create mapping");
    (map, path)
}

/// Starts a watch whose callback forwards every event to a channel.
fn watch_into_channel(map: &MemoryMappedFile) -> (WatchHandle, Receiver<ChangeEvent>) {
    let (tx, rx) = channel();
    let handle = map
        .watch(move |event| {
            let _ = tx.send(event);
        })
        .expect("start watch");
    (handle, rx)
}

/// Writes through a separate file handle, as another process would.
fn write_externally(path: &Path, offset_byte: u8) {
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for writing");
    file.write_all(&[offset_byte; 16]).expect("write");
    file.sync_all().expect("sync");
}

/// Flips the file's read-only flag through an open handle, as another
/// program would. Not `fs::set_permissions`: on Windows that goes through
/// `SetFileAttributesW`, which wine implements by opening the file without
/// sharing, and a mapped file refuses such an open (a sharing violation).
fn toggle_readonly_externally(path: &Path) {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for attributes");
    let mut perms = file.metadata().expect("metadata").permissions();
    perms.set_readonly(!perms.readonly());
    file.set_permissions(perms).expect("set permissions");
}

/// The kind a permission change is reported as: ReadDirectoryChangesW, the
/// Windows backend, reports attribute changes and writes alike
/// (`FILE_ACTION_MODIFIED`), as documented on `ChangeKind::Metadata`.
const PERMISSION_CHANGE: ChangeKind = if cfg!(windows) {
    ChangeKind::Modified
} else {
    ChangeKind::Metadata
};

/// Waits (bounded) for an event of `kind`, skipping other kinds. Returns
/// every event seen on the way, for failure messages.
fn wait_for(rx: &Receiver<ChangeEvent>, kind: ChangeKind) -> Result<ChangeEvent, Vec<ChangeEvent>> {
    let deadline = Instant::now() + EVENT_WAIT;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(event) if event.kind == kind => return Ok(event),
            Ok(event) => seen.push(event),
            Err(_) => break,
        }
    }
    Err(seen)
}

/// Names of this process's threads that belong to notify's inotify backend
/// (`/proc/self/task/*/comm`, truncated to 15 bytes by the kernel).
#[cfg(target_os = "linux")]
fn notify_threads() -> usize {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| fs::read_to_string(t.path().join("comm")).ok())
        .filter(|name| name.starts_with("notify-rs"))
        .count()
}

#[cfg(target_os = "linux")]
fn wait_for_no_notify_threads() -> usize {
    let deadline = Instant::now() + EVENT_WAIT;
    loop {
        let n = notify_threads();
        if n == 0 || Instant::now() >= deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn external_write_is_reported_as_modified() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let (handle, rx) = watch_into_channel(&map);

    write_externally(&path, 7);
    let event = wait_for(&rx, ChangeKind::Modified)
        .unwrap_or_else(|seen| panic!("no Modified within {EVENT_WAIT:?}; saw {seen:?}"));
    assert_eq!(event.path, map.path());
    assert_eq!(event.path, path);
    // The mapping sees the bytes written through the other handle.
    assert_eq!(map.as_slice(0, 16).unwrap(), [7u8; 16]);
    assert!(handle.take_error().is_none());
}

#[test]
fn truncation_is_reported_as_modified() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let (_handle, rx) = watch_into_channel(&map);

    // Growing, never shrinking: shrinking a mapped file is the SIGBUS case.
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(8192).unwrap();
    file.sync_all().unwrap();
    wait_for(&rx, ChangeKind::Modified)
        .unwrap_or_else(|seen| panic!("no Modified within {EVENT_WAIT:?}; saw {seen:?}"));
}

#[test]
fn permission_change_is_reported_as_metadata() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let (_handle, rx) = watch_into_channel(&map);

    toggle_readonly_externally(&path);
    let event = wait_for(&rx, PERMISSION_CHANGE).unwrap_or_else(|seen| {
        panic!("no {PERMISSION_CHANGE:?} within {EVENT_WAIT:?}; saw {seen:?}")
    });
    assert_eq!(event.path, path);
    // Writable again, so that the temporary directory can be removed on
    // Windows.
    toggle_readonly_externally(&path);
}

#[test]
fn removing_the_file_is_reported_while_the_mapping_lives() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    map.update_region(0, b"still here").unwrap();
    let (_handle, rx) = watch_into_channel(&map);

    fs::remove_file(&path).unwrap();
    // The mapping keeps the removed file alive.
    assert_eq!(map.as_slice(0, 10).unwrap(), b"still here");
    // On Windows a removed file that is still open or mapped may keep its
    // name until the last handle closes (it does under wine, and on file
    // systems without POSIX delete semantics); only then is the removal
    // reported. Elsewhere it is reported while the mapping lives.
    if cfg!(windows) {
        drop(map);
    }
    let event = wait_for(&rx, ChangeKind::Removed)
        .unwrap_or_else(|seen| panic!("no Removed within {EVENT_WAIT:?}; saw {seen:?}"));
    assert_eq!(event.path, path);
}

#[test]
fn renaming_the_file_away_is_reported_as_removed() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let (_handle, rx) = watch_into_channel(&map);

    fs::rename(&path, dir.path().join("elsewhere.bin")).unwrap();
    wait_for(&rx, ChangeKind::Removed)
        .unwrap_or_else(|seen| panic!("no Removed within {EVENT_WAIT:?}; saw {seen:?}"));
}

#[test]
fn reads_and_sibling_files_are_not_reported() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let (_handle, rx) = watch_into_channel(&map);

    // Open, read, close: access events are ignored.
    let _ = fs::read(&path).unwrap();
    // Another file in the same directory: filtered out.
    let sibling = dir.path().join("sibling.bin");
    fs::write(&sibling, b"other").unwrap();
    toggle_readonly_externally(&sibling);
    // Writable again before removing: Windows refuses to delete a read-only
    // file.
    toggle_readonly_externally(&sibling);
    fs::remove_file(&sibling).unwrap();

    match rx.recv_timeout(QUIET_WAIT) {
        Err(RecvTimeoutError::Timeout) => {}
        other => panic!("expected no event, got {other:?}"),
    }
}

#[test]
fn no_callback_after_drop() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    let counter = Arc::clone(&calls);
    let handle = map
        .watch(move |event| {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(event);
        })
        .unwrap();

    // The watch works...
    write_externally(&path, 1);
    wait_for(&rx, ChangeKind::Modified)
        .unwrap_or_else(|seen| panic!("no Modified within {EVENT_WAIT:?}; saw {seen:?}"));

    // ...and once dropped, it is silent.
    drop(handle);
    let after_drop = calls.load(Ordering::SeqCst);
    // Drop also dropped the callback, and with it the sender: the channel
    // disconnects once the events delivered before the drop are drained.
    let deadline = Instant::now() + EVENT_WAIT;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(_) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the callback was not dropped with the handle")
            }
        }
    }

    write_externally(&path, 2);
    toggle_readonly_externally(&path);
    toggle_readonly_externally(&path);
    std::thread::sleep(QUIET_WAIT);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        after_drop,
        "callback ran after drop"
    );

    #[cfg(target_os = "linux")]
    assert_eq!(
        wait_for_no_notify_threads(),
        0,
        "notify's thread outlived the handle"
    );
}

#[test]
fn drop_waits_for_a_running_callback() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let (entered_tx, entered_rx) = channel();
    let finished = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let (f, c) = (Arc::clone(&finished), Arc::clone(&calls));
    let handle = map
        .watch(move |_event| {
            c.fetch_add(1, Ordering::SeqCst);
            let _ = entered_tx.send(());
            std::thread::sleep(Duration::from_millis(200));
            f.store(true, Ordering::SeqCst);
        })
        .unwrap();

    write_externally(&path, 3);
    entered_rx
        .recv_timeout(EVENT_WAIT)
        .expect("callback never started");
    drop(handle); // the callback is mid-sleep on notify's thread
    assert!(
        finished.load(Ordering::SeqCst),
        "drop returned while the callback was still running"
    );
    let after_drop = calls.load(Ordering::SeqCst);
    write_externally(&path, 4);
    std::thread::sleep(QUIET_WAIT);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        after_drop,
        "callback ran after drop"
    );
}

#[test]
fn a_callback_can_drop_its_own_handle() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let slot: Arc<Mutex<Option<WatchHandle>>> = Arc::new(Mutex::new(None));
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    let (s, c) = (Arc::clone(&slot), Arc::clone(&calls));
    let handle = map
        .watch(move |_event| {
            c.fetch_add(1, Ordering::SeqCst);
            let taken = s.lock().unwrap().take();
            drop(taken); // re-entrant drop: must not deadlock
            let _ = tx.send(());
        })
        .unwrap();
    *slot.lock().unwrap() = Some(handle);

    write_externally(&path, 5);
    rx.recv_timeout(EVENT_WAIT).expect("callback never ran");
    assert!(slot.lock().unwrap().is_none());
    // The callback is dropped once it returns: the channel disconnects.
    match rx.recv_timeout(EVENT_WAIT) {
        Err(RecvTimeoutError::Disconnected) => {}
        other => panic!("expected the callback to be dropped, got {other:?}"),
    }
    write_externally(&path, 6);
    std::thread::sleep(QUIET_WAIT);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    #[cfg(target_os = "linux")]
    assert_eq!(
        wait_for_no_notify_threads(),
        0,
        "notify's thread outlived the handle"
    );
}

#[test]
fn a_panicking_callback_stops_the_watch_and_is_reported() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let handle = map
        .watch(move |_event| {
            c.fetch_add(1, Ordering::SeqCst);
            panic!("callback panic (expected by this test)");
        })
        .unwrap();

    write_externally(&path, 8);
    let deadline = Instant::now() + EVENT_WAIT;
    let error = loop {
        if let Some(error) = handle.take_error() {
            break error;
        }
        assert!(Instant::now() < deadline, "no error reported for the panic");
        std::thread::sleep(Duration::from_millis(10));
    };
    match error {
        MmapIoError::WatchFailed { path: p, message } => {
            assert_eq!(p, path);
            assert!(message.contains("panicked"), "{message}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    write_externally(&path, 9);
    std::thread::sleep(QUIET_WAIT);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "called again after panicking"
    );
    drop(handle); // must not panic
}

#[test]
fn watching_a_missing_file_fails_with_watch_failed() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (map, path) = new_map(&dir, "data.bin");
    // Renamed away rather than removed: on Windows a removed file can keep
    // its name while it is mapped (see the removal test above).
    fs::rename(&path, dir.path().join("moved.bin")).unwrap();
    match map.watch(|_| {}) {
        Err(MmapIoError::WatchFailed { path: p, message }) => {
            assert_eq!(p, path);
            assert!(!message.is_empty());
        }
        other => panic!("expected WatchFailed, got {other:?}"),
    }
}

#[test]
fn read_only_mappings_and_clones_can_be_watched() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (rw, path) = new_map(&dir, "data.bin");
    drop(rw);
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    let (handle, rx) = watch_into_channel(&ro.clone());
    write_externally(&path, 10);
    wait_for(&rx, ChangeKind::Modified)
        .unwrap_or_else(|seen| panic!("no Modified within {EVENT_WAIT:?}; saw {seen:?}"));
    assert_eq!(handle.path(), path);
}
