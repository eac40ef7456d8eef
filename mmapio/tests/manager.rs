//! The path-level convenience functions of `mmapio::manager` (also at the
//! crate root): what each does, that none of them loses data (no
//! truncating create, no overwriting copy, no self-copy), and that every
//! error names the file involved.

use std::error::Error as _;
use std::fmt::Debug;
use std::io::ErrorKind;
use std::path::Path;

use mmapio::{manager, MemoryMappedFile, MmapIoError, MmapMode};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 253) as u8 ^ 0x3C).collect()
}

/// Expects `Io` with an `io::Error` of `kind` as its source and `path` as
/// its path; returns the operation name.
#[track_caller]
fn assert_io<T: Debug>(result: mmapio::Result<T>, kind: ErrorKind, path: &Path) -> &'static str {
    match result {
        Err(e @ MmapIoError::Io { .. }) => {
            let source = e
                .source()
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .expect("Io exposes its io::Error as source");
            assert_eq!(source.kind(), kind, "{e}");
            assert!(
                e.to_string().contains(&path.display().to_string()),
                "message lacks the path: {e}"
            );
            match e {
                MmapIoError::Io { op, path: p, .. } => {
                    assert_eq!(p.as_deref(), Some(path));
                    assert!(!op.is_empty());
                    op
                }
                _ => unreachable!(),
            }
        }
        other => panic!(
            "expected Io({kind:?}) for {}, got {other:?}",
            path.display()
        ),
    }
}

#[track_caller]
fn assert_not_a_file<T: Debug>(result: mmapio::Result<T>, path: &Path) {
    match result {
        Err(MmapIoError::NotAFile { path: p }) => assert_eq!(p, path),
        other => panic!("expected NotAFile({}), got {other:?}", path.display()),
    }
}

#[test]
fn root_and_module_paths_are_the_same_functions() {
    // Each re-export coerces to the module function's type.
    let _: fn(&MemoryMappedFile) -> mmapio::Result<()> = mmapio::flush;
    let _: fn(&MemoryMappedFile) -> mmapio::Result<()> = manager::flush;
    let _: fn(&MemoryMappedFile, u64, &[u8]) -> mmapio::Result<()> = mmapio::update_region;
}

#[test]
fn create_mmap_creates_zeroed_and_never_truncates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.bin");
    let map = mmapio::create_mmap(&path, 4096).unwrap();
    assert_eq!(map.mode(), MmapMode::ReadWrite);
    assert_eq!(map.len(), 4096);
    assert!(map.as_slice(0, 4096).unwrap().iter().all(|&b| b == 0));
    map.update_region(0, b"precious").unwrap();
    map.flush().unwrap();
    drop(map);

    assert_io(
        mmapio::create_mmap(&path, 16),
        ErrorKind::AlreadyExists,
        &path,
    );
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(on_disk.len(), 4096);
    assert_eq!(&on_disk[..8], b"precious");

    let zero = dir.path().join("zero.bin");
    assert!(matches!(
        mmapio::create_mmap(&zero, 0),
        Err(MmapIoError::InvalidSize { size: 0, .. })
    ));
    assert!(!zero.exists());
}

#[test]
fn load_mmap_opens_in_each_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(300);
    let path = dir.path().join("l.bin");
    std::fs::write(&path, &data).unwrap();

    let ro = mmapio::load_mmap(&path, MmapMode::ReadOnly).unwrap();
    assert_eq!(ro.mode(), MmapMode::ReadOnly);
    assert_eq!(ro.as_slice(0, 300).unwrap(), data.as_slice());
    assert!(matches!(
        ro.update_region(0, b"x"),
        Err(MmapIoError::InvalidMode { .. })
    ));

    // Beside a read-only mapping of the same file, whose state it shares
    // (and whose views its writes wait for).
    let rw = mmapio::load_mmap(&path, MmapMode::ReadWrite).unwrap();
    rw.update_region(0, &data[..1]).unwrap();
    assert_eq!(ro.as_slice(0, 300).unwrap(), data.as_slice());
    drop(ro);
    assert_eq!(rw.mode(), MmapMode::ReadWrite);
    let ro = mmapio::load_mmap(&path, MmapMode::ReadOnly).unwrap();
    assert_eq!(ro.mode(), MmapMode::ReadOnly);
    mmapio::update_region(&rw, 0, b"rw").unwrap();
    mmapio::flush(&rw).unwrap();
    assert_eq!(rw.flush_stats().flushes, 1);
    assert_eq!(&std::fs::read(&path).unwrap()[..2], b"rw");
    assert!(matches!(
        mmapio::update_region(&ro, 0, b"x"),
        Err(MmapIoError::InvalidMode { .. })
    ));
    mmapio::flush(&ro).unwrap(); // nothing to write back: a no-op
    drop((ro, rw));

    let cow = mmapio::load_mmap(&path, MmapMode::CopyOnWrite);
    #[cfg(feature = "cow")]
    assert_eq!(cow.unwrap().mode(), MmapMode::CopyOnWrite);
    #[cfg(not(feature = "cow"))]
    assert!(matches!(
        cow,
        Err(MmapIoError::InvalidMode {
            mode: MmapMode::CopyOnWrite,
            ..
        })
    ));

    let missing = dir.path().join("missing.bin");
    for mode in [MmapMode::ReadOnly, MmapMode::ReadWrite] {
        assert_io(
            mmapio::load_mmap(&missing, mode),
            ErrorKind::NotFound,
            &missing,
        );
        assert!(!missing.exists(), "load_mmap created a file");
    }
    assert_not_a_file(
        mmapio::load_mmap(dir.path(), MmapMode::ReadOnly),
        dir.path(),
    );
}

#[test]
fn write_mmap_writes_in_place_and_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.bin");
    let mut model = pattern(1000);
    std::fs::write(&path, &model).unwrap();

    mmapio::write_mmap(&path, 990, b"0123456789").unwrap();
    model[990..].copy_from_slice(b"0123456789");
    mmapio::write_mmap(&path, 0, b"").unwrap();
    mmapio::write_mmap(&path, 1000, b"").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), model);

    // Never grows the file and writes nothing when out of range.
    for (offset, len) in [(991u64, 10usize), (1000, 1), (u64::MAX, 1)] {
        match mmapio::write_mmap(&path, offset, &vec![0xAB; len]) {
            Err(MmapIoError::OutOfBounds {
                offset: o,
                len: l,
                total,
            }) => assert_eq!((o, l, total), (offset, len as u64, 1000)),
            other => panic!("({offset}, {len}) gave {other:?}"),
        }
    }
    assert_eq!(std::fs::read(&path).unwrap(), model);

    // A live read-write mapping of the same file shares its state with
    // write_mmap, which waits for its views and is seen by it.
    let map = MemoryMappedFile::open_rw(&path).unwrap();
    mmapio::write_mmap(&path, 0, b"live").unwrap();
    assert_eq!(map.as_slice(0, 4).unwrap(), b"live");
    drop(map);
    // So does a live read-only mapping, opened first: its views are
    // counted by the same gate, and the write shows through it.
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    mmapio::write_mmap(&path, 0, b"LIVE").unwrap();
    assert_eq!(ro.as_slice(0, 4).unwrap(), b"LIVE");
    drop(ro);

    let missing = dir.path().join("nope.bin");
    assert_io(
        mmapio::write_mmap(&missing, 0, b"x"),
        ErrorKind::NotFound,
        &missing,
    );
    assert!(!missing.exists());
}

#[test]
fn copy_mmap_copies_bytes_and_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(200_000); // several copy buffers long
    let src = dir.path().join("src.bin");
    let dst = dir.path().join("dst.bin");
    let map = mmapio::create_mmap(&src, data.len() as u64).unwrap();
    map.update_region(0, &data).unwrap();
    map.flush().unwrap();

    mmapio::copy_mmap(&src, &dst).unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    assert_eq!(
        std::fs::metadata(&dst).unwrap().permissions(),
        std::fs::metadata(&src).unwrap().permissions()
    );
    // The copy is an independent file.
    map.update_region(0, b"changed").unwrap();
    map.flush().unwrap();
    let copy = mmapio::load_mmap(&dst, MmapMode::ReadOnly).unwrap();
    assert_eq!(copy.as_slice(0, 7).unwrap(), &data[..7]);

    // An empty file copies to an empty file.
    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let empty_copy = dir.path().join("empty-copy.bin");
    mmapio::copy_mmap(&empty, &empty_copy).unwrap();
    assert_eq!(std::fs::metadata(&empty_copy).unwrap().len(), 0);
}

#[test]
fn copy_mmap_never_overwrites_and_never_copies_onto_itself() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("a.bin");
    let dst = dir.path().join("b.bin");
    std::fs::write(&src, pattern(5000)).unwrap();
    std::fs::write(&dst, b"do not lose me").unwrap();

    assert_io(
        mmapio::copy_mmap(&src, &dst),
        ErrorKind::AlreadyExists,
        &dst,
    );
    assert_eq!(std::fs::read(&dst).unwrap(), b"do not lose me");

    // Onto itself, by the same path or another name for the same file.
    assert_io(
        mmapio::copy_mmap(&src, &src),
        ErrorKind::AlreadyExists,
        &src,
    );
    let dotted = dir.path().join(".").join("a.bin");
    assert_io(
        mmapio::copy_mmap(&src, &dotted),
        ErrorKind::AlreadyExists,
        &dotted,
    );
    #[cfg(unix)]
    {
        let link = dir.path().join("link.bin");
        std::os::unix::fs::symlink(&src, &link).unwrap();
        assert_io(
            mmapio::copy_mmap(&src, &link),
            ErrorKind::AlreadyExists,
            &link,
        );
        assert_io(
            mmapio::copy_mmap(&link, &src),
            ErrorKind::AlreadyExists,
            &src,
        );
    }
    assert_eq!(std::fs::read(&src).unwrap(), pattern(5000));

    // An existing directory as the destination is refused too.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert!(mmapio::copy_mmap(&src, &sub).is_err());
    assert!(sub.is_dir());
}

#[test]
fn copy_mmap_errors_name_the_right_file_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.bin");
    let dst = dir.path().join("out.bin");
    assert_io(
        mmapio::copy_mmap(&missing, &dst),
        ErrorKind::NotFound,
        &missing,
    );
    assert!(!dst.exists(), "a failed copy left a destination behind");

    assert_not_a_file(mmapio::copy_mmap(dir.path(), &dst), dir.path());
    assert!(!dst.exists());

    let src = dir.path().join("in.bin");
    std::fs::write(&src, b"data").unwrap();
    let bad_dst = dir.path().join("no-such-dir").join("out.bin");
    assert_io(
        mmapio::copy_mmap(&src, &bad_dst),
        ErrorKind::NotFound,
        &bad_dst,
    );
}

#[test]
fn delete_mmap_removes_the_file_and_open_mappings_stay_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.bin");
    let map = mmapio::create_mmap(&path, 8192).unwrap();
    map.update_region(0, b"still here").unwrap();

    #[cfg(unix)]
    {
        mmapio::delete_mmap(&path).unwrap();
        assert!(!path.exists());
        // The unnamed file lives on while mapped: reads, writes, flushes and
        // even resizes keep working.
        assert_eq!(map.as_slice(0, 10).unwrap(), b"still here");
        map.update_region(10, b"!").unwrap();
        map.flush().unwrap();
        map.resize(4096).unwrap();
        assert_eq!(map.as_slice(0, 11).unwrap(), b"still here!");
        drop(map);
        assert!(!path.exists(), "the last handle recreated the file");
    }
    #[cfg(not(unix))]
    {
        drop(map);
        mmapio::delete_mmap(&path).unwrap();
        assert!(!path.exists());
    }

    assert_io(mmapio::delete_mmap(&path), ErrorKind::NotFound, &path);
    assert_not_a_file(mmapio::delete_mmap(dir.path()), dir.path());
    assert!(dir.path().is_dir());
}

#[test]
fn a_full_round_trip_through_the_manager() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.bin"), dir.path().join("b.bin"));
    let map = manager::create_mmap(&a, 64).unwrap();
    manager::update_region(&map, 0, b"round trip").unwrap();
    manager::flush(&map).unwrap();
    drop(map);
    manager::write_mmap(&a, 6, b"TRIP").unwrap();
    manager::copy_mmap(&a, &b).unwrap();
    manager::delete_mmap(&a).unwrap();
    let back = manager::load_mmap(&b, MmapMode::ReadOnly).unwrap();
    assert_eq!(back.as_slice(0, 10).unwrap(), b"round TRIP");
    assert!(!a.exists());
}
