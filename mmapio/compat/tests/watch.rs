//! `mmap_io::watch::{ChangeEvent, ChangeKind, WatchHandle}` (also at the
//! crate root, see `root.rs`) with `MemoryMappedFile::watch`: a callback taking
//! `ChangeEvent` (its `kind`, `offset`, `len` fields), events for writes
//! through a file descriptor and for removal, `WatchHandle::is_active`, and
//! no events after the handle is dropped.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

use mmap_io::errors::Result;
use mmap_io::mmap::MemoryMappedFile;
use mmap_io::watch::{ChangeEvent, ChangeKind, WatchHandle};

/// Waits (up to 5 s) for an event of `kind`, skipping others.
fn wait_for(rx: &Receiver<ChangeEvent>, kind: ChangeKind) -> Option<ChangeEvent> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(event) if event.kind == kind => return Some(event),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}

#[test]
fn watch_reports_writes_and_removal() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("watched.bin");
    let map = MemoryMappedFile::create_rw(&path, 4096)?;
    let (tx, rx) = mpsc::channel::<ChangeEvent>();
    let handle: WatchHandle = map.watch(move |event: ChangeEvent| {
        let _ = tx.send(event);
    })?;
    assert!(handle.is_active());

    // Someone else writes to the file.
    let mut other = std::fs::OpenOptions::new().write(true).open(&path)?;
    other.write_all(b"changed")?;
    other.sync_all()?;
    drop(other);
    let event = wait_for(&rx, ChangeKind::Modified).expect("a Modified event");
    let copy: ChangeEvent = event.clone();
    assert_eq!(copy.kind, ChangeKind::Modified);
    let (offset, len): (Option<u64>, Option<u64>) = (copy.offset, copy.len);
    if let (Some(offset), Some(len)) = (offset, len) {
        assert!(offset + len <= 4096);
    }
    assert!(format!("{event:?}").contains("Modified"));

    std::fs::remove_file(&path)?;
    let removed = wait_for(&rx, ChangeKind::Removed).expect("a Removed event");
    assert_eq!(removed.kind, ChangeKind::Removed);
    assert!(handle.is_active());

    // Dropping the handle stops the watch and drops the callback (with its
    // sender): once the events already sent are read, the channel is closed.
    drop(handle);
    while rx.try_recv().is_ok() {}
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
    Ok(())
}

#[test]
fn change_kinds_are_plain_values() {
    let kinds = [
        ChangeKind::Modified,
        ChangeKind::Metadata,
        ChangeKind::Removed,
    ];
    for (i, a) in kinds.iter().enumerate() {
        for (j, b) in kinds.iter().enumerate() {
            assert_eq!(a == b, i == j);
        }
    }
    let kind: ChangeKind = kinds[1];
    #[allow(clippy::clone_on_copy)]
    let cloned = kind.clone();
    assert_eq!(format!("{cloned:?}"), "Metadata");
}
