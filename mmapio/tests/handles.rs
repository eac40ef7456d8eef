//! Handles of one file opened separately in one process: they share one
//! state (or are refused), so no view ever changes or vanishes under a
//! write, `resize` or mutable view made through another handle.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use mmapio::{MemoryMappedFile, MmapIoError, MmapMode};

use common::{child_test_command, spawn_waiter, wait_with_output_within};

fn rw_file(dir: &tempfile::TempDir, name: &str, len: u64) -> PathBuf {
    let path = dir.path().join(name);
    let map = MemoryMappedFile::create_rw(&path, len).unwrap();
    map.update_region(0, b"A").unwrap();
    map.flush().unwrap();
    path
}

#[cfg(feature = "cow")]
fn assert_conflict<T: std::fmt::Debug>(
    result: mmapio::Result<T>,
    requested: MmapMode,
    existing: MmapMode,
) {
    match result {
        Err(MmapIoError::HandleConflict {
            requested: r,
            existing: e,
            ..
        }) if (r, e) == (requested, existing) => {}
        other => {
            panic!("expected HandleConflict({requested:?} beside {existing:?}), got {other:?}")
        }
    }
}

#[test]
fn a_write_through_another_handle_waits_for_a_live_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "w.bin", 4096);
    let a = MemoryMappedFile::open_rw(&path).unwrap();
    let b = MemoryMappedFile::open_rw(&path).unwrap();
    let view = a.as_slice(0, 1).unwrap();
    let writer = spawn_waiter(move || b.update_region(0, b"B"));
    writer.assert_blocked("update_region through b, under a's view");
    // The same `&[u8]`, read again: unchanged.
    assert_eq!(&*view, b"A");
    drop(view);
    writer.finish("update_region through b").unwrap();
    assert_eq!(a.as_slice(0, 1).unwrap(), b"B");
}

#[test]
fn mutable_views_are_granted_to_one_handle_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "m.bin", 4096);
    let a = MemoryMappedFile::open_rw(&path).unwrap();
    let b = MemoryMappedFile::open_rw(&path).unwrap();
    let mut mine = a.as_slice_mut(0, 8).unwrap();
    let other = spawn_waiter(move || {
        let mut view = b.as_slice_mut(0, 8).unwrap();
        view.copy_from_slice(b"from b!!");
    });
    other.assert_blocked("as_slice_mut through b, under a's as_slice_mut");
    mine.copy_from_slice(b"from a!!");
    assert_eq!(&*mine, b"from a!!");
    drop(mine);
    other.finish("as_slice_mut through b");
    assert_eq!(a.as_slice(0, 8).unwrap(), b"from b!!");
}

#[test]
fn write_mmap_waits_for_views_of_read_only_handles_opened_before_or_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "wm.bin", 4096);

    // A read-only handle opened first: the read-write open joins its state
    // and the write waits for its view.
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    let view = ro.as_slice(0, 1).unwrap();
    assert!(
        matches!(
            mmapio::write_mmap(&path, 0, b"X"),
            Err(MmapIoError::WouldDeadlock { .. })
        ),
        "this thread's own view of the read-only handle"
    );
    let target = path.clone();
    let writer = spawn_waiter(move || mmapio::write_mmap(&target, 0, b"X"));
    writer.assert_blocked("write_mmap under a read-only handle's view");
    assert_eq!(&*view, b"A");
    drop(view);
    writer.finish("write_mmap").unwrap();
    assert_eq!(ro.as_slice(0, 1).unwrap(), b"X");
    drop(ro);

    // A read-only handle opened after a read-write one shares its gate.
    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    let view = ro.as_slice(0, 1).unwrap();
    let target = path.clone();
    let writer = spawn_waiter(move || mmapio::write_mmap(&target, 0, b"Y"));
    writer.assert_blocked("write_mmap under a read-only handle's view");
    assert_eq!(&*view, b"X");
    drop(view);
    writer.finish("write_mmap").unwrap();
    assert_eq!(ro.as_slice(0, 1).unwrap(), b"Y");
    drop(rw);
}

#[cfg(feature = "cow")]
#[test]
fn copy_on_write_handles_take_part_in_the_files_gate_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "cow.bin", 4096);

    // Copy-on-write first: a write through the file waits for its view.
    let cow = MemoryMappedFile::open_cow(&path).unwrap();
    let view = cow.as_slice(0, 1).unwrap();
    assert!(
        matches!(
            mmapio::write_mmap(&path, 0, b"X"),
            Err(MmapIoError::WouldDeadlock { .. })
        ),
        "this thread's own copy-on-write view"
    );
    let target = path.clone();
    let writer = spawn_waiter(move || mmapio::write_mmap(&target, 0, b"X"));
    writer.assert_blocked("write_mmap under a copy-on-write view");
    assert_eq!(&*view, b"A");
    drop(view);
    writer.finish("write_mmap").unwrap();

    // Read-write first: a shrinking resize waits for the copy-on-write
    // view, and the mapping then ends where the file does.
    let mut cow = MemoryMappedFile::open_cow(&path).unwrap();
    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    cow.cow_update_region(1, b"private").unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap()[1],
        0,
        "never reaches the file"
    );
    let view = cow.as_slice(4000, 96).unwrap();
    let resizer = {
        let rw = rw.clone();
        spawn_waiter(move || rw.resize(100))
    };
    resizer.assert_blocked("resize under a copy-on-write view");
    assert!(view.iter().all(|&b| b == 0));
    drop(view);
    match resizer.finish("resize") {
        // Windows refuses to cut a file while any view of it is mapped, and
        // the private mapping is one: a typed error, the file as it was.
        Err(MmapIoError::ResizeFailed { .. }) if cfg!(windows) => {
            assert_eq!(cow.len(), 4096);
            assert_eq!(rw.len(), 4096);
        }
        other => {
            other.unwrap();
            assert_eq!(cow.len(), 100);
            assert!(matches!(
                cow.as_slice(100, 1),
                Err(MmapIoError::OutOfBounds { .. })
            ));
        }
    }
    assert_eq!(&cow.as_slice(1, 7).unwrap()[..], b"private");

    // A bare mutable borrow cannot be waited for: refused beside a
    // read-write handle, and keeping read-write opens out while it may live.
    assert_conflict(
        cow.cow_slice_mut(0, 1),
        MmapMode::CopyOnWrite,
        MmapMode::ReadWrite,
    );
    drop((rw, cow));
    let mut cow = MemoryMappedFile::open_cow(&path).unwrap();
    cow.cow_slice_mut(0, 1).unwrap()[0] = b'c';
    assert_conflict(
        MemoryMappedFile::open_rw(&path),
        MmapMode::ReadWrite,
        MmapMode::ReadOnly,
    );
    drop(cow);
    assert!(MemoryMappedFile::open_rw(&path).is_ok());
}

#[cfg(feature = "cow")]
#[test]
fn a_live_segment_blocks_private_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "seg.bin", 4096);
    let mut cow = MemoryMappedFile::open_cow(&path).unwrap();
    let segment = cow.segment(0, 16).unwrap();
    match cow.cow_update_region(0, b"Z") {
        Err(MmapIoError::SharedHandle { handles: 2, .. }) => {}
        other => panic!("expected SharedHandle, got {other:?}"),
    }
    assert_eq!(segment.as_slice().unwrap()[0], b'A');
    drop(segment);
    cow.cow_update_region(0, b"Z").unwrap();
    assert_eq!(cow.as_slice(0, 1).unwrap(), b"Z");
}

#[test]
fn handles_by_other_paths_to_the_same_file_share_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "target.bin", 4096);
    let a = MemoryMappedFile::open_rw(&path).unwrap();
    #[cfg(unix)]
    {
        let link = dir.path().join("hard-link.bin");
        std::fs::hard_link(&path, &link).unwrap();
        let b = MemoryMappedFile::open_rw(&link).unwrap();
        assert_eq!(b.path(), link, "each handle keeps its own path");
        let view = a.as_slice(0, 1).unwrap();
        let writer = spawn_waiter(move || b.update_region(0, b"L"));
        writer.assert_blocked("update_region through a hard link");
        drop(view);
        writer.finish("update_region through a hard link").unwrap();
        assert_eq!(a.as_slice(0, 1).unwrap(), b"L");
    }
    // A different file is a different state.
    let other = rw_file(&dir, "other.bin", 4096);
    let c = MemoryMappedFile::open_rw(&other).unwrap();
    let _view = a.as_slice(0, 1).unwrap();
    c.update_region(0, b"free").unwrap();
}

#[test]
fn a_handle_of_a_shared_state_can_grow_it_but_read_only_ones_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "grow.bin", 4096);
    let a = MemoryMappedFile::open_rw(&path).unwrap();
    let b = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadWrite)
        .size(8192)
        .open()
        .unwrap();
    assert_eq!((a.len(), b.len()), (8192, 8192), "one mapping, one length");
    match MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadOnly)
        .size(9000)
        .open()
    {
        Err(MmapIoError::InvalidSize { size: 9000, .. }) => {}
        other => panic!("expected InvalidSize, got {other:?}"),
    }
}

#[cfg(feature = "iterator")]
#[test]
fn writers_refuse_instead_of_waiting_for_the_calling_threads_own_iterator() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "it.bin", 3 * 4096);
    let a = MemoryMappedFile::open_rw(&path).unwrap();
    let b = MemoryMappedFile::open_rw(&path).unwrap();
    // On another thread, so a hang fails the test instead of stopping it.
    let attempt = spawn_waiter(move || {
        let mut chunks = a.chunks(4096);
        let first = chunks.next().unwrap();
        let results = (
            b.update_region(0, b"x").map(drop),
            b.resize(4096).map(drop),
            b.as_slice_mut(0, 1).map(drop),
        );
        drop((first, chunks));
        (results, b.update_region(0, b"x"))
    });
    let ((update, resize, slice_mut), after) =
        attempt.finish("writers beside this thread's iterator");
    for (op, result) in [
        ("update_region", update),
        ("resize", resize),
        ("as_slice_mut", slice_mut),
    ] {
        assert!(
            matches!(result, Err(MmapIoError::WouldDeadlock { op: o }) if o == op),
            "{op}: {result:?}"
        );
    }
    after.unwrap();
}

#[cfg(feature = "atomic")]
#[test]
fn flush_by_a_view_holder_does_not_deadlock_with_a_waiting_atomic_view() {
    use std::sync::{mpsc, Arc, Barrier};
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "atomic.bin", 4096);
    let map = MemoryMappedFile::open_rw(&path).unwrap();
    let (taken, view_taken) = mpsc::channel();
    let go = Arc::new(Barrier::new(2));
    let holder = {
        let (map, go) = (map.clone(), Arc::clone(&go));
        spawn_waiter(move || {
            let view = map.as_slice(0, 8).unwrap();
            taken.send(()).unwrap();
            go.wait();
            // Documented as allowed while views live.
            let flushed = map.flush();
            drop(view);
            flushed
        })
    };
    view_taken.recv().unwrap();
    let other = map.clone();
    let atomic = spawn_waiter(move || {
        other
            .atomic_u64(8)
            .map(|v| v.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    });
    atomic.assert_blocked("atomic_u64 under a byte view");
    go.wait();
    holder.finish("flush by the view's holder").unwrap();
    atomic.finish("atomic_u64 once the view is gone").unwrap();
    assert_eq!(map.as_slice(8, 8).unwrap(), 1u64.to_le_bytes());
}

/// Set in the child process of the SIGBUS test.
const CHILD: &str = "MMAPIO_HANDLES_RESIZE_CHILD";

#[test]
fn a_live_view_never_dies_of_sigbus_from_another_handles_resize() {
    if std::env::var_os(CHILD).is_some() {
        resize_under_a_view(Path::new(&std::env::var_os("MMAPIO_HANDLES_DIR").unwrap()));
        return;
    }
    // In a child process, so that a SIGBUS fails this test instead of
    // killing the whole test binary.
    let dir = tempfile::tempdir().unwrap();
    let child = child_test_command(
        "a_live_view_never_dies_of_sigbus_from_another_handles_resize",
        CHILD,
    )
    .env("MMAPIO_HANDLES_DIR", dir.path())
    .spawn()
    .unwrap();
    let (status, out, err) =
        wait_with_output_within(child, Duration::from_secs(60), "the resize child");
    assert!(status.success(), "child failed ({status}):\n{out}\n{err}");
    assert!(out.contains("view intact"), "child did not check: {out}");
    assert!(
        out.contains("read-only view intact"),
        "child did not check the read-only handle: {out}"
    );
}

fn resize_under_a_view(dir: &Path) {
    let len = 1 << 20;
    let path = dir.join("resize.bin");
    let a = MemoryMappedFile::create_rw(&path, len).unwrap();
    a.update_region(len - 4096, &[7; 4096]).unwrap();
    let b = MemoryMappedFile::open_rw(&path).unwrap();
    let view = a.as_slice(len - 4096, 4096).unwrap();
    let resizer = spawn_waiter(move || b.resize(1));
    resizer.assert_blocked("resize through b under a's view");
    // Touching the view's last page would raise SIGBUS had the file been
    // truncated under it.
    assert!(view.iter().all(|&b| b == 7));
    println!("view intact");
    drop(view);
    resizer.finish("resize").unwrap();
    assert_eq!(a.len(), 1);

    // A read-only handle opened first is not truncated under either: the
    // read-write open joins its state, and its resize waits for the view.
    let path = dir.join("resize-ro.bin");
    drop(MemoryMappedFile::create_rw(&path, len).unwrap());
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    let view = ro.as_slice(len - 4096, 4096).unwrap();
    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    let resizer = spawn_waiter(move || rw.resize(1));
    resizer.assert_blocked("resize through a read-write handle under a read-only one's view");
    assert!(view.iter().all(|&b| b == 0));
    println!("read-only view intact");
    drop(view);
    resizer.finish("resize").unwrap();
    assert_eq!(ro.len(), 1, "the read-only handle sees the new length");
    assert!(matches!(
        ro.as_slice(len - 1, 1),
        Err(MmapIoError::OutOfBounds { .. })
    ));
}

#[cfg(unix)]
mod advisory_lock {
    use std::fs::File;
    use std::os::fd::AsRawFd;

    use super::*;

    /// A lock taken through an independent open file description, as
    /// another process would hold it.
    fn foreign_lock(path: &Path, kind: libc::c_int) -> Option<File> {
        let file = File::open(path).unwrap();
        // SAFETY: flock only reads its arguments; the fd is owned by `file`.
        let rc = unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) };
        (rc == 0).then_some(file)
    }

    fn locked_open(path: &Path, mode: MmapMode) -> mmapio::Result<MemoryMappedFile> {
        MemoryMappedFile::builder(path)
            .mode(mode)
            .lock_file(true)
            .open()
    }

    #[test]
    fn lock_file_is_shared_for_readers_and_exclusive_for_writers() {
        let dir = tempfile::tempdir().unwrap();
        let path = rw_file(&dir, "lock.bin", 4096);

        let rw = locked_open(&path, MmapMode::ReadWrite).unwrap();
        assert!(foreign_lock(&path, libc::LOCK_SH).is_none(), "exclusive");
        // Handles of this process share the state and its lock.
        let ro = locked_open(&path, MmapMode::ReadOnly).unwrap();
        drop((rw, ro));
        let foreign = foreign_lock(&path, libc::LOCK_SH).expect("released with the state");
        drop(foreign);

        let ro = locked_open(&path, MmapMode::ReadOnly).unwrap();
        let second = locked_open(&path, MmapMode::ReadOnly).unwrap();
        let foreign = foreign_lock(&path, libc::LOCK_SH).expect("shared locks coexist");
        assert!(
            foreign_lock(&path, libc::LOCK_EX).is_none(),
            "but exclude writers"
        );
        drop((ro, second, foreign));
    }

    #[test]
    fn lock_file_refuses_a_file_locked_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = rw_file(&dir, "busy.bin", 4096);
        let foreign = foreign_lock(&path, libc::LOCK_EX).unwrap();
        for (mode, exclusive) in [(MmapMode::ReadOnly, false), (MmapMode::ReadWrite, true)] {
            match locked_open(&path, mode) {
                Err(MmapIoError::FileLocked {
                    exclusive: e,
                    path: p,
                }) => {
                    assert_eq!((e, p), (exclusive, path.clone()));
                }
                other => panic!("{mode:?}: expected FileLocked, got {other:?}"),
            }
        }
        // Without the option, the lock is not looked at (it is advisory).
        assert!(MemoryMappedFile::open_ro(&path).is_ok());
        drop(foreign);
        // The refused read-write open left no state behind.
        assert!(locked_open(&path, MmapMode::ReadWrite).is_ok());
    }
}

/// `flush` from the thread that holds the write lock for a mutable view or
/// walk runs (it has exclusive access already) instead of waiting for
/// itself; run on another thread so a hang fails the test.
#[test]
fn flush_runs_on_the_thread_holding_a_mutable_view_or_walk() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "self.bin", 3 * 4096);
    let map = MemoryMappedFile::open_rw(&path).unwrap();
    let other = MemoryMappedFile::open_rw(&path).unwrap();
    let attempt = spawn_waiter(move || {
        let mut view = map.as_slice_mut(0, 4).unwrap();
        view.copy_from_slice(b"self");
        let in_view = (map.flush(), other.flush(), map.flush_range(0, 4));
        let read = other.as_slice(0, 1).map(drop);
        drop(view);
        #[cfg(feature = "iterator")]
        let in_walk = map
            .chunks_mut(4096)
            .for_each_mut(|offset, chunk| {
                chunk[0] = 1;
                if offset == 4096 {
                    other.flush()?;
                }
                Ok(())
            })
            .map(|()| map.flush_stats().flushes);
        #[cfg(not(feature = "iterator"))]
        let in_walk = other.flush().map(|()| map.flush_stats().flushes);
        (in_view, read, in_walk)
    });
    let ((flush, other_flush, range), read, in_walk) =
        attempt.finish("flush from the thread holding a mutable view");
    flush.unwrap();
    other_flush.unwrap();
    range.unwrap();
    assert!(
        matches!(read, Err(MmapIoError::WouldDeadlock { op: "as_slice" })),
        "a read would wait for this thread's own mutable view: {read:?}"
    );
    // Two full flushes under the view, one in the walk, counted once for
    // the file's state that both handles share.
    assert_eq!(in_walk.unwrap(), 3, "the flush inside the walk ran");
}

/// An atomic view asked for by a thread that holds an iterator of the same
/// file is refused, and the refusal leaves the atomic mode and the lock as
/// they were.
#[cfg(all(feature = "atomic", feature = "iterator"))]
#[test]
fn an_atomic_view_beside_the_calling_threads_own_iterator_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = rw_file(&dir, "atomic-it.bin", 2 * 4096);
    let map = MemoryMappedFile::open_rw(&path).unwrap();
    let attempt = spawn_waiter(move || {
        let chunks = map.chunks(4096);
        let refused = map.atomic_u64(8).map(drop);
        drop(chunks);
        // The refusal took nothing: the atomic mode and byte access work.
        let counter = map
            .atomic_u64(8)
            .map(|c| c.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let after = map.update_region(0, b"ok");
        (refused, counter, after, map)
    });
    let (refused, counter, after, map) = attempt.finish("atomic_u64 beside this thread's iterator");
    assert!(
        matches!(
            refused,
            Err(MmapIoError::WouldDeadlock { op: "atomic_u64" })
        ),
        "{refused:?}"
    );
    counter.unwrap();
    after.unwrap();
    assert_eq!(map.as_slice(8, 8).unwrap(), 1u64.to_le_bytes());
}
