//! Every public method in every mode, the exact error variants, bad input,
//! builder options, empty and externally truncated files, `unmap`, and the
//! trait implementations of handles and views.

mod common;

use std::error::Error as _;
use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;

use mmapio::{FlushPolicy, MappedSlice, MemoryMappedFile, MmapIoError, MmapMode, TouchHint};

use common::{assert_invalid_mode, assert_oob, file_with};

// Compile-time: handles can be shared across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MemoryMappedFile>();
};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ 0x5A).collect()
}

fn assert_io_kind<T: Debug>(result: mmapio::Result<T>, kind: ErrorKind) -> MmapIoError {
    match result {
        Err(e @ MmapIoError::Io { .. }) => {
            let source = e
                .source()
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .expect("Io error exposes its io::Error as source");
            assert_eq!(source.kind(), kind, "{e}");
            if let MmapIoError::Io { source, path, op } = &e {
                assert_eq!(source.kind(), kind);
                assert!(!op.is_empty());
                assert!(path.as_ref().is_some_and(|p| !p.as_os_str().is_empty()));
            }
            e
        }
        other => panic!("expected Io({kind:?}), got {other:?}"),
    }
}

fn assert_not_a_file<T: Debug>(result: mmapio::Result<T>, expected: &Path) {
    match result {
        Err(MmapIoError::NotAFile { path }) => assert_eq!(path, expected),
        other => panic!("expected NotAFile, got {other:?}"),
    }
}

/// Every method that reads, in any mode, against the expected contents.
fn check_reads(map: &MemoryMappedFile, content: &[u8], mode: MmapMode, path: &Path) {
    let total = content.len() as u64;
    assert_eq!(map.mode(), mode);
    assert_eq!(map.len(), total);
    assert_eq!(map.is_empty(), content.is_empty());
    assert_eq!(map.path(), path);
    assert_eq!(map.pending_bytes(), 0);

    // as_slice
    assert_eq!(map.as_slice(0, total).unwrap(), content);
    let view = map.as_slice(3, 10).unwrap();
    assert_eq!(view, &content[3..13]);
    assert_eq!(view.offset(), 3);
    assert_eq!(view.as_bytes(), &content[3..13]);
    assert_eq!(view.as_ref(), &content[3..13]);
    drop(view);
    assert!(map.as_slice(total, 0).unwrap().is_empty());
    assert_oob(map.as_slice(total, 1), total, 1, total);
    assert_oob(map.as_slice(total + 1, 0), total + 1, 0, total);
    assert_oob(map.as_slice(0, total + 1), 0, total + 1, total);
    assert_oob(map.as_slice(u64::MAX, 1), u64::MAX, 1, total);
    assert_oob(map.as_slice(1, u64::MAX), 1, u64::MAX, total);

    // read_into
    let mut buf = vec![0u8; 20];
    map.read_into(total - 20, &mut buf).unwrap();
    assert_eq!(buf, &content[content.len() - 20..]);
    map.read_into(total, &mut []).unwrap();
    assert_oob(map.read_into(total - 19, &mut buf), total - 19, 20, total);
    assert_oob(map.read_into(u64::MAX, &mut buf), u64::MAX, 20, total);

    // flush and flush_range (nothing to write back unless RW)
    map.flush().unwrap();
    map.flush_range(0, total).unwrap();
    map.flush_range(total, 0).unwrap();
    assert_oob(map.flush_range(total, 1), total, 1, total);
    assert_oob(
        map.flush_range(u64::MAX, u64::MAX),
        u64::MAX,
        u64::MAX,
        total,
    );

    // page touching and the length check
    map.touch_pages().unwrap();
    map.touch_pages_range(0, total).unwrap();
    map.touch_pages_range(5, 1).unwrap();
    map.touch_pages_range(total, 0).unwrap();
    assert_oob(map.touch_pages_range(1, total), 1, total, total);
    assert_oob(map.touch_pages_range(u64::MAX, 2), u64::MAX, 2, total);
    map.check_file_len().unwrap();

    #[cfg(feature = "iterator")]
    {
        let chunks: Vec<_> = map.chunks(1000).collect();
        assert_eq!(chunks.len(), content.len().div_ceil(1000));
        for (i, chunk) in chunks.iter().enumerate() {
            assert_eq!(chunk.offset(), i as u64 * 1000);
            let end = (i * 1000 + 1000).min(content.len());
            assert_eq!(*chunk, &content[i * 1000..end]);
        }
        drop(chunks);
        let mut it = map.chunks(7);
        assert_eq!(it.len(), content.len().div_ceil(7));
        it.next();
        assert_eq!(it.size_hint().0, content.len().div_ceil(7) - 1);
        drop(it);
        let joined: Vec<u8> = map.pages().flat_map(|p| p.to_vec()).collect();
        assert_eq!(joined, content);
        assert!(map
            .pages()
            .all(|p| p.len() <= mmapio::page_size() && !p.is_empty()));
        let owned: Vec<u8> = map.chunks_owned(333).flat_map(|c| c.unwrap()).collect();
        assert_eq!(owned, content);
        let owned_pages: Vec<u8> = map.pages_owned().flat_map(|c| c.unwrap()).collect();
        assert_eq!(owned_pages, content);
        // A chunk size of 0 yields nothing; the `try_` forms report it.
        assert_eq!((map.chunks(0).count(), map.chunks_owned(0).count()), (0, 0));
        assert_eq!((map.chunks(0).len(), map.chunks_owned(0).len()), (0, 0));
        assert!(matches!(
            map.try_chunks(0),
            Err(MmapIoError::InvalidChunkSize)
        ));
        assert!(matches!(
            map.try_chunks_owned(0),
            Err(MmapIoError::InvalidChunkSize)
        ));
        assert_eq!(map.try_chunks(333).unwrap().len(), map.chunks(333).len());
    }
}

/// Every writing method is refused with `InvalidMode` naming the method.
fn check_writes_refused(map: &MemoryMappedFile, content: &[u8], mode: MmapMode) {
    assert_invalid_mode(map.update_region(0, b"x"), "update_region", mode);
    assert_invalid_mode(map.as_slice_mut(0, 1), "as_slice_mut", mode);
    assert_invalid_mode(map.resize(2 * content.len() as u64), "resize", mode);
    assert_invalid_mode(map.resize(1), "resize", mode);
    #[cfg(feature = "iterator")]
    {
        let mut called = false;
        assert_invalid_mode(
            map.chunks_mut(16).for_each_mut(|_, _| {
                called = true;
                Ok(())
            }),
            "chunks_mut",
            mode,
        );
        assert!(!called, "closure ran on a {mode:?} mapping");
    }
    // Nothing changed, nothing is pending.
    assert_eq!(map.len(), content.len() as u64);
    assert_eq!(map.as_slice(0, map.len()).unwrap(), content);
    assert_eq!(map.pending_bytes(), 0);
    let s = map.flush_stats();
    assert_eq!(
        (s.flushes, s.range_flushes, s.file_syncs, s.pending_writes),
        (0, 0, 0, 0)
    );
}

// ------------------------------------------------------------------ modes

#[test]
fn read_only_mode_reads_everything_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(10_000);
    let path = file_with(&dir, "ro.bin", &content);
    let map = MemoryMappedFile::open_ro(&path).unwrap();
    check_reads(&map, &content, MmapMode::ReadOnly, &path);
    check_writes_refused(&map, &content, MmapMode::ReadOnly);
    assert_eq!(map.flush_policy(), FlushPolicy::Manual);
    assert_eq!(map.touch_hint(), TouchHint::Never);
    assert_eq!(map.huge_pages(), (false, false));
    drop(map);
    assert_eq!(std::fs::read(&path).unwrap(), content);
}

#[test]
fn read_write_mode_reads_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(10_000);
    let path = file_with(&dir, "rw.bin", &content);
    let map = MemoryMappedFile::open_rw(&path).unwrap();
    check_reads(&map, &content, MmapMode::ReadWrite, &path);
    let total = content.len() as u64;

    // update_region
    map.update_region(100, b"hello").unwrap();
    assert_eq!(map.as_slice(100, 5).unwrap(), b"hello");
    map.update_region(total, &[]).unwrap();
    assert_oob(map.update_region(total - 4, b"hello"), total - 4, 5, total);
    assert_oob(map.update_region(u64::MAX, b"x"), u64::MAX, 1, total);
    assert_oob(map.update_region(total + 1, &[]), total + 1, 0, total);
    assert_eq!(
        map.as_slice(total - 4, 4).unwrap(),
        &content[content.len() - 4..]
    );

    // as_slice_mut
    {
        let mut view = map.as_slice_mut(200, 4).unwrap();
        assert_eq!(view.len(), 4);
        assert!(!view.is_empty());
        assert_eq!(view.offset(), 200);
        assert_eq!(&view[..], &content[200..204]);
        view.copy_from_slice(b"WXYZ");
        view.as_mut()[0] = b'w';
        assert_eq!(view.as_ref(), b"wXYZ");
    }
    assert_eq!(map.as_slice(200, 4).unwrap(), b"wXYZ");
    assert!(map.as_slice_mut(total, 0).unwrap().is_empty());
    assert_oob(map.as_slice_mut(total, 1), total, 1, total);
    assert_oob(map.as_slice_mut(1, u64::MAX), 1, u64::MAX, total);

    // chunks_mut
    #[cfg(feature = "iterator")]
    {
        let mut seen = Vec::new();
        map.chunks_mut(4096)
            .for_each_mut(|offset, chunk| {
                seen.push((offset, chunk.len()));
                chunk[0] = 0xC0;
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, [(0, 4096), (4096, 4096), (8192, 10_000 - 8192)]);
        assert_eq!(map.as_slice(4096, 1).unwrap(), [0xC0]);
        assert!(matches!(
            map.chunks_mut(0).for_each_mut(|_, _| Ok(())),
            Err(MmapIoError::InvalidChunkSize)
        ));
    }

    // resize
    map.resize(20_000).unwrap();
    assert_eq!(map.len(), 20_000);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 20_000);
    assert!(matches!(
        map.resize(0),
        Err(MmapIoError::InvalidSize { size: 0, .. })
    ));
    map.resize(total).unwrap();

    // Everything went to the file (it is a shared mapping).
    map.flush().unwrap();
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(&on_disk[100..105], b"hello");
    assert_eq!(&on_disk[200..204], b"wXYZ");
    assert!(map.pending_bytes() == 0);
}

#[cfg(feature = "cow")]
#[test]
fn copy_on_write_mode_reads_everything_refuses_writes_and_never_changes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(10_000);
    let path = file_with(&dir, "cow.bin", &content);
    let map = MemoryMappedFile::open_cow(&path).unwrap();
    check_reads(&map, &content, MmapMode::CopyOnWrite, &path);
    check_writes_refused(&map, &content, MmapMode::CopyOnWrite);
    let via_builder = MemoryMappedFile::builder(&path)
        .mode(MmapMode::CopyOnWrite)
        .open()
        .unwrap();
    check_reads(&via_builder, &content, MmapMode::CopyOnWrite, &path);
    drop((map, via_builder));
    assert_eq!(std::fs::read(&path).unwrap(), content);
}

#[cfg(not(feature = "cow"))]
#[test]
fn copy_on_write_needs_the_cow_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "cow.bin", &pattern(100));
    for result in [
        MemoryMappedFile::builder(&path)
            .mode(MmapMode::CopyOnWrite)
            .open(),
        MemoryMappedFile::from_file(File::open(&path).unwrap(), MmapMode::CopyOnWrite, &path),
    ] {
        match result {
            Err(MmapIoError::InvalidMode { op, mode }) => {
                assert_eq!(mode, MmapMode::CopyOnWrite);
                assert!(op.starts_with("open"), "{op}");
            }
            other => panic!("expected InvalidMode, got {other:?}"),
        }
    }
}

#[test]
fn from_file_maps_in_each_mode() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(5000);
    let path = file_with(&dir, "ff.bin", &content);
    let recorded = dir.path().join("only-a-label");

    let ro = MemoryMappedFile::from_file(File::open(&path).unwrap(), MmapMode::ReadOnly, &recorded)
        .unwrap();
    check_reads(&ro, &content, MmapMode::ReadOnly, &recorded);
    check_writes_refused(&ro, &content, MmapMode::ReadOnly);
    // A read-write mapping waits for the views of the file's other handles,
    // which a lock-free read-only mapping does not count: one at a time.
    drop(ro);

    let rw_file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let rw = MemoryMappedFile::from_file(rw_file, MmapMode::ReadWrite, &path).unwrap();
    let ro = MemoryMappedFile::from_file(File::open(&path).unwrap(), MmapMode::ReadOnly, &recorded)
        .unwrap();
    assert_eq!(
        ro.path(),
        recorded,
        "each handle keeps the path it was given"
    );
    check_reads(&rw, &content, MmapMode::ReadWrite, &path);
    assert_eq!(rw.flush_policy(), FlushPolicy::Manual);
    rw.update_region(0, b"from_file").unwrap();
    assert_eq!(ro.as_slice(0, 9).unwrap(), b"from_file", "shared mappings");

    #[cfg(feature = "cow")]
    {
        let expected = rw.as_slice(0, 5000).unwrap().to_vec();
        drop((ro, rw));
        let cow =
            MemoryMappedFile::from_file(File::open(&path).unwrap(), MmapMode::CopyOnWrite, &path)
                .unwrap();
        assert_eq!(cow.mode(), MmapMode::CopyOnWrite);
        assert_eq!(cow.as_slice(0, 9).unwrap(), b"from_file");
        check_writes_refused(&cow, &expected, MmapMode::CopyOnWrite);
    }
}

#[test]
fn from_file_with_a_read_only_file_in_read_write_mode_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(3000);
    let path = file_with(&dir, "ro-file.bin", &content);
    let result =
        MemoryMappedFile::from_file(File::open(&path).unwrap(), MmapMode::ReadWrite, &path);
    let e = assert_io_kind(result, ErrorKind::PermissionDenied);
    if let MmapIoError::Io { path: p, .. } = &e {
        assert_eq!(p.as_deref(), Some(path.as_path()));
    }
    assert_eq!(std::fs::read(&path).unwrap(), content, "file changed");
}

// ------------------------------------------------------------- bad input

#[test]
fn create_rw_refuses_bad_sizes_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad-size.bin");
    for size in [0, u64::MAX, isize::MAX as u64 + 1] {
        match MemoryMappedFile::create_rw(&path, size) {
            Err(MmapIoError::InvalidSize { size: s, reason }) => {
                assert_eq!(s, size);
                assert!(!reason.is_empty());
            }
            other => panic!("create_rw({size}) gave {other:?}"),
        }
        assert!(!path.exists(), "create_rw({size}) left a file behind");
        assert!(matches!(
            MemoryMappedFile::open_or_create(&path, size),
            Err(MmapIoError::InvalidSize { size: s, .. }) if s == size
        ));
        assert!(!path.exists(), "open_or_create({size}) left a file behind");
    }
}

#[test]
fn builder_create_needs_a_size_and_read_write_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.bin");
    assert!(matches!(
        MemoryMappedFile::builder(&path).create(),
        Err(MmapIoError::InvalidSize { size: 0, .. })
    ));
    assert!(!path.exists());
    assert_invalid_mode(
        MemoryMappedFile::builder(&path)
            .mode(MmapMode::ReadOnly)
            .size(10)
            .create(),
        "create",
        MmapMode::ReadOnly,
    );
    assert_invalid_mode(
        MemoryMappedFile::builder(&path)
            .mode(MmapMode::CopyOnWrite)
            .size(10)
            .create(),
        "create",
        MmapMode::CopyOnWrite,
    );
    assert!(!path.exists());
}

#[test]
fn create_rw_on_an_existing_file_fails_and_keeps_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "exists.bin", b"precious data");
    assert_io_kind(
        MemoryMappedFile::create_rw(&path, 4096),
        ErrorKind::AlreadyExists,
    );
    assert_io_kind(
        MemoryMappedFile::builder(&path).size(1).create(),
        ErrorKind::AlreadyExists,
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"precious data");
}

#[test]
fn directories_are_not_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("subdir");
    std::fs::create_dir(&d).unwrap();
    assert_not_a_file(MemoryMappedFile::open_ro(&d), &d);
    assert_not_a_file(MemoryMappedFile::open_rw(&d), &d);
    #[cfg(feature = "cow")]
    assert_not_a_file(MemoryMappedFile::open_cow(&d), &d);
    assert_not_a_file(MemoryMappedFile::open_or_create(&d, 4096), &d);
    for mode in [MmapMode::ReadOnly, MmapMode::ReadWrite] {
        assert_not_a_file(MemoryMappedFile::builder(&d).mode(mode).open(), &d);
    }
    assert_not_a_file(MemoryMappedFile::builder(&d).size(10).open_or_create(), &d);
    // A directory handle passed to from_file (Windows opens a directory as
    // a `File` only with FILE_FLAG_BACKUP_SEMANTICS, which `File::open`
    // does not set).
    #[cfg(unix)]
    assert_not_a_file(
        MemoryMappedFile::from_file(File::open(&d).unwrap(), MmapMode::ReadOnly, &d),
        &d,
    );
    assert!(d.is_dir());
}

#[test]
fn missing_files_are_io_not_found_and_are_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.bin");
    #[cfg_attr(not(feature = "cow"), allow(unused_mut))]
    let mut results = vec![
        MemoryMappedFile::open_ro(&path),
        MemoryMappedFile::open_rw(&path),
        MemoryMappedFile::builder(&path).size(4096).open(),
    ];
    #[cfg(feature = "cow")]
    results.push(MemoryMappedFile::open_cow(&path));
    for result in results {
        let e = assert_io_kind(result, ErrorKind::NotFound);
        match &e {
            MmapIoError::Io { op, path: p, .. } => {
                assert_eq!(*op, "open");
                assert_eq!(p.as_deref(), Some(path.as_path()));
            }
            _ => unreachable!(),
        }
        assert!(e.to_string().contains("missing.bin"), "{e}");
    }
    assert!(!path.exists());
    // Creating inside a missing directory fails the same way.
    let deep = dir.path().join("no/such/dir/f.bin");
    assert_io_kind(MemoryMappedFile::create_rw(&deep, 10), ErrorKind::NotFound);
    assert_io_kind(
        MemoryMappedFile::open_or_create(&deep, 10),
        ErrorKind::NotFound,
    );
}

// ------------------------------------------------------- builder options

#[test]
fn builder_options_are_honoured_on_create() {
    let dir = tempfile::tempdir().unwrap();
    for (i, hint) in [TouchHint::Never, TouchHint::Eager, TouchHint::Lazy]
        .into_iter()
        .enumerate()
    {
        for huge in [false, true] {
            let path = dir.path().join(format!("c{i}{huge}.bin"));
            let map = MemoryMappedFile::builder(&path)
                .mode(MmapMode::ReadWrite)
                .size(3 * 4096 + 5)
                .flush_policy(FlushPolicy::EveryWrites(7))
                .touch_hint(hint)
                .huge_pages(huge)
                .create()
                .unwrap();
            assert_eq!(map.mode(), MmapMode::ReadWrite);
            assert_eq!(map.len(), 3 * 4096 + 5);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 * 4096 + 5);
            assert_eq!(map.flush_policy(), FlushPolicy::EveryWrites(7));
            assert_eq!(map.touch_hint(), hint);
            assert_eq!(map.huge_pages().0, huge);
            if !huge {
                assert!(!map.huge_pages().1, "advice accepted without a request");
            }
            assert!(map.as_slice(0, map.len()).unwrap().iter().all(|&b| b == 0));
            // Options are re-applied after resize; the mapping keeps working.
            map.update_region(0, b"abc").unwrap();
            map.resize(64 * 1024).unwrap();
            assert_eq!(map.huge_pages().0, huge);
            assert_eq!(map.as_slice(0, 3).unwrap(), b"abc");
            map.touch_pages().unwrap();
        }
    }
}

#[test]
fn builder_options_are_honoured_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(5000);
    let path = file_with(&dir, "o.bin", &content);
    for hint in [TouchHint::Eager, TouchHint::Lazy] {
        for mode in [MmapMode::ReadOnly, MmapMode::ReadWrite] {
            let map = MemoryMappedFile::builder(&path)
                .mode(mode)
                .flush_policy(FlushPolicy::EveryBytes(99))
                .touch_hint(hint)
                .huge_pages(true)
                .open()
                .unwrap();
            assert_eq!(map.mode(), mode);
            assert_eq!(map.flush_policy(), FlushPolicy::EveryBytes(99));
            assert_eq!(map.touch_hint(), hint);
            assert!(map.huge_pages().0);
            assert_eq!(map.as_slice(0, 5000).unwrap(), content.as_slice());
        }
    }
    #[cfg(feature = "cow")]
    {
        let map = MemoryMappedFile::builder(&path)
            .mode(MmapMode::CopyOnWrite)
            .touch_hint(TouchHint::Eager)
            .huge_pages(true)
            .open()
            .unwrap();
        assert_eq!(map.touch_hint(), TouchHint::Eager);
        assert_eq!(map.as_slice(0, 5000).unwrap(), content.as_slice());
    }
}

#[test]
fn builder_size_on_open_is_a_minimum_length() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(1000);
    let path = file_with(&dir, "min.bin", &content);

    // Read-only (and copy-on-write) refuse a shorter file, leaving it alone.
    let mut refusing = vec![MmapMode::ReadOnly];
    if cfg!(feature = "cow") {
        refusing.push(MmapMode::CopyOnWrite);
    }
    for mode in refusing {
        assert!(matches!(
            MemoryMappedFile::builder(&path)
                .mode(mode)
                .size(1001)
                .open(),
            Err(MmapIoError::InvalidSize { size: 1001, .. })
        ));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 1000);
        // A size up to the file's length is fine.
        let map = MemoryMappedFile::builder(&path)
            .mode(mode)
            .size(1000)
            .open()
            .unwrap();
        assert_eq!(map.len(), 1000);
        let map = MemoryMappedFile::builder(&path)
            .mode(mode)
            .size(10)
            .open()
            .unwrap();
        assert_eq!(map.len(), 1000, "a smaller size never truncates");
    }

    // Read-write grows a shorter file, zero-filled, keeping the content.
    let map = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadWrite)
        .size(3000)
        .open()
        .unwrap();
    assert_eq!(map.len(), 3000);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 3000);
    assert_eq!(map.as_slice(0, 1000).unwrap(), content.as_slice());
    assert!(map.as_slice(1000, 2000).unwrap().iter().all(|&b| b == 0));
    drop(map);
    // ... and never truncates a longer one.
    let map = MemoryMappedFile::builder(&path).size(10).open().unwrap();
    assert_eq!(map.len(), 3000);
    drop(map);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 3000);
    // Unmappable or zero minimum sizes are refused without touching the file.
    for size in [0, u64::MAX] {
        assert!(matches!(
            MemoryMappedFile::builder(&path).size(size).open(),
            Err(MmapIoError::InvalidSize { size: s, .. }) if s == size
        ));
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 3000);
}

#[test]
fn open_or_create_keeps_existing_content_and_honours_options() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(2000);
    let path = file_with(&dir, "ooc.bin", &content);

    // Existing, longer than the default size: opened as is.
    let map = MemoryMappedFile::open_or_create(&path, 100).unwrap();
    assert_eq!(map.mode(), MmapMode::ReadWrite);
    assert_eq!(map.len(), 2000);
    assert_eq!(map.as_slice(0, 2000).unwrap(), content.as_slice());
    drop(map);

    // Existing and non-empty: no size is needed, and 0 is not refused.
    let map = MemoryMappedFile::open_or_create(&path, 0).unwrap();
    assert_eq!(map.len(), 2000);
    drop(map);
    let map = MemoryMappedFile::builder(&path).open_or_create().unwrap();
    assert_eq!((map.len(), map.mode()), (2000, MmapMode::ReadWrite));
    drop(map);
    // `open` without a mode maps read-only, as in mmap-io.
    let map = MemoryMappedFile::builder(&path).open().unwrap();
    assert_eq!(map.mode(), MmapMode::ReadOnly);
    drop(map);
    // So does a read-only `open_or_create`, whatever the size says.
    for size in [0, 4096] {
        let map = MemoryMappedFile::builder(&path)
            .mode(MmapMode::ReadOnly)
            .size(size)
            .open_or_create()
            .unwrap();
        assert_eq!((map.len(), map.mode()), (2000, MmapMode::ReadOnly));
    }

    // Existing, shorter than the size: the size is for a file to create,
    // so the existing one is mapped as it is, on disk too.
    let map = MemoryMappedFile::builder(&path)
        .size(4096)
        .open_or_create()
        .unwrap();
    assert_eq!(map.len(), 2000);
    assert_eq!(map.as_slice(0, 2000).unwrap(), content.as_slice());
    drop(map);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 2000);

    // Existing and empty: sized as if created (as mmap-io does), which
    // needs a size.
    let empty = file_with(&dir, "empty.bin", b"");
    assert!(matches!(
        MemoryMappedFile::open_or_create(&empty, 0),
        Err(MmapIoError::InvalidSize { size: 0, .. })
    ));
    let map = MemoryMappedFile::open_or_create(&empty, 300).unwrap();
    assert_eq!(map.len(), 300);
    drop(map);
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 300);

    // Existing, shorter, and growing asked for: grown, content kept.
    let map = MemoryMappedFile::builder(&path)
        .size(4096)
        .grow_existing(true)
        .flush_policy(FlushPolicy::EveryBytes(10))
        .touch_hint(TouchHint::Eager)
        .huge_pages(true)
        .open_or_create()
        .unwrap();
    assert_eq!(map.len(), 4096);
    assert_eq!(map.as_slice(0, 2000).unwrap(), content.as_slice());
    assert!(map.as_slice(2000, 2096).unwrap().iter().all(|&b| b == 0));
    assert_eq!(map.flush_policy(), FlushPolicy::EveryBytes(10));
    assert_eq!(map.touch_hint(), TouchHint::Eager);
    assert!(map.huge_pages().0);
    drop(map);

    // Missing: created with the size and the options.
    let fresh = dir.path().join("fresh.bin");
    let map = MemoryMappedFile::builder(&fresh)
        .size(777)
        .flush_policy(FlushPolicy::Always)
        .touch_hint(TouchHint::Lazy)
        .open_or_create()
        .unwrap();
    assert_eq!(map.len(), 777);
    assert_eq!(std::fs::metadata(&fresh).unwrap().len(), 777);
    assert_eq!(map.flush_policy(), FlushPolicy::Always);
    assert_eq!(map.touch_hint(), TouchHint::Lazy);
    map.update_region(0, b"x").unwrap();
    assert_eq!(map.flush_stats().flushes, 1);
}

// ------------------------------------------------------------ empty files

fn check_empty(map: &MemoryMappedFile) {
    assert_eq!(map.len(), 0);
    assert!(map.is_empty());
    assert!(map.as_slice(0, 0).unwrap().is_empty());
    map.read_into(0, &mut []).unwrap();
    map.flush().unwrap();
    map.flush_range(0, 0).unwrap();
    map.touch_pages().unwrap();
    map.touch_pages_range(0, 0).unwrap();
    map.check_file_len().unwrap();

    assert_oob(map.as_slice(0, 1), 0, 1, 0);
    assert_oob(map.as_slice(1, 0), 1, 0, 0);
    assert_oob(map.as_slice(u64::MAX, 0), u64::MAX, 0, 0);
    assert_oob(map.read_into(0, &mut [0u8; 1]), 0, 1, 0);
    assert_oob(map.read_into(1, &mut []), 1, 0, 0);
    assert_oob(map.flush_range(0, 1), 0, 1, 0);
    assert_oob(map.flush_range(1, 0), 1, 0, 0);
    assert_oob(map.touch_pages_range(0, 1), 0, 1, 0);
    assert_oob(map.touch_pages_range(1, 0), 1, 0, 0);

    #[cfg(feature = "iterator")]
    {
        assert_eq!(map.chunks(1).count(), 0);
        assert_eq!(map.chunks(1).len(), 0);
        assert_eq!(map.pages().count(), 0);
        assert_eq!(map.chunks_owned(1).count(), 0);
        assert_eq!(map.pages_owned().count(), 0);
    }
}

#[test]
fn an_empty_file_opens_as_an_empty_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "empty.bin", b"");

    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    check_empty(&ro);
    assert_invalid_mode(
        ro.update_region(0, &[]),
        "update_region",
        MmapMode::ReadOnly,
    );
    drop(ro);

    #[cfg(feature = "cow")]
    check_empty(&MemoryMappedFile::open_cow(&path).unwrap());

    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    check_empty(&rw);
    rw.update_region(0, &[]).unwrap();
    assert_oob(rw.update_region(0, b"x"), 0, 1, 0);
    assert_oob(rw.update_region(1, &[]), 1, 0, 0);
    assert!(rw.as_slice_mut(0, 0).unwrap().is_empty());
    assert_oob(rw.as_slice_mut(0, 1), 0, 1, 0);
    #[cfg(feature = "iterator")]
    {
        let mut calls = 0;
        rw.chunks_mut(16)
            .for_each_mut(|_, _| {
                calls += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(calls, 0);
    }
    assert!(matches!(
        rw.resize(0),
        Err(MmapIoError::InvalidSize { size: 0, .. })
    ));
    // An empty mapping can grow.
    rw.resize(10).unwrap();
    assert_eq!(rw.as_slice(0, 10).unwrap(), [0u8; 10]);
    rw.update_region(0, b"grown").unwrap();
    drop(rw);
    assert_eq!(std::fs::read(&path).unwrap(), b"grown\0\0\0\0\0");
}

#[test]
fn empty_file_with_options_and_open_or_create() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "empty2.bin", b"");
    let map = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadOnly)
        .touch_hint(TouchHint::Eager)
        .huge_pages(true)
        .open()
        .unwrap();
    check_empty(&map);
    drop(map);
    // open_or_create grows an existing empty file to the default size.
    let map = MemoryMappedFile::open_or_create(&path, 64).unwrap();
    assert_eq!(map.len(), 64);
}

// ---------------------------------------------------- external truncation

#[test]
#[cfg_attr(
    windows,
    ignore = "Windows refuses to cut a file that has a mapped view (ERROR_USER_MAPPED_FILE), \
              so no other handle can truncate it under the mapping"
)]
fn truncation_by_another_handle_is_reported_not_faulted() {
    let dir = tempfile::tempdir().unwrap();
    let len = 16 * 4096u64;
    let path = dir.path().join("trunc.bin");
    let rw = MemoryMappedFile::create_rw(&path, len).unwrap();
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    rw.check_file_len().unwrap();
    ro.check_file_len().unwrap();

    let other = OpenOptions::new().write(true).open(&path).unwrap();
    for actual in [4096u64, 0] {
        other.set_len(actual).unwrap();
        for map in [&rw, &ro] {
            // From here on the mapped bytes must not be touched (SIGBUS).
            for (what, result) in [
                ("check_file_len", map.check_file_len()),
                ("touch_pages", map.touch_pages()),
                ("touch_pages_range", map.touch_pages_range(0, 1)),
                ("touch_pages_range tail", map.touch_pages_range(len - 1, 1)),
            ] {
                match result {
                    Err(MmapIoError::FileTruncated {
                        path: p,
                        expected,
                        actual: a,
                    }) => {
                        assert_eq!(p, path, "{what}");
                        assert_eq!((expected, a), (len, actual), "{what}");
                    }
                    other => panic!("{what} after truncation to {actual}: {other:?}"),
                }
            }
            assert_eq!(map.len(), len, "the mapping keeps its length");
        }
        // An eager open beside the mappings walks no page past the new end.
        let mut modes = vec![MmapMode::ReadOnly, MmapMode::ReadWrite];
        if cfg!(feature = "cow") {
            modes.push(MmapMode::CopyOnWrite);
        }
        for mode in modes {
            let eager = MemoryMappedFile::builder(&path)
                .mode(mode)
                .touch_hint(TouchHint::Eager)
                .open();
            match eager {
                Err(MmapIoError::FileTruncated { expected, .. }) => assert_eq!(expected, len),
                other => panic!("eager {mode:?} open after truncation to {actual}: {other:?}"),
            }
        }
    }
    // Restoring the length makes the check pass again.
    other.set_len(len).unwrap();
    rw.check_file_len().unwrap();
    ro.touch_pages().unwrap();
}

// ------------------------------------------------------------------ unmap

#[test]
fn unmap_returns_the_file_only_for_the_only_handle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.bin");
    let map = MemoryMappedFile::create_rw(&path, 100).unwrap();
    map.update_region(0, b"unmapped").unwrap();
    let clone = map.clone();

    let map = match map.unmap() {
        Ok(_) => panic!("unmap succeeded while a clone was alive"),
        Err(map) => map,
    };
    // The handle given back works, and so does the clone.
    assert_eq!(map.as_slice(0, 8).unwrap(), b"unmapped");
    map.update_region(8, b"!").unwrap();
    assert_eq!(clone.as_slice(0, 9).unwrap(), b"unmapped!");
    drop(clone);

    let mut file = map.unmap().expect("only handle now");
    let mut back = Vec::new();
    file.read_to_end(&mut back).unwrap();
    assert_eq!(back.len(), 100);
    assert_eq!(&back[..9], b"unmapped!");
}

#[test]
fn unmap_works_in_lock_free_modes() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "u2.bin", b"read only content");
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    let ro2 = ro.clone();
    let ro = ro.unmap().expect_err("a clone is alive");
    drop(ro2);
    let mut file = ro.unmap().expect("only handle");
    let mut s = String::new();
    file.read_to_string(&mut s).unwrap();
    assert_eq!(s, "read only content");

    #[cfg(feature = "cow")]
    {
        let cow = MemoryMappedFile::open_cow(&path).unwrap();
        let file = cow.unmap().expect("only handle");
        assert_eq!(file.metadata().unwrap().len(), 17);
    }
}

// ------------------------------------------------------- trait behaviour

#[test]
fn mapped_slice_debug_is_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let map = MemoryMappedFile::create_rw(&path, 1 << 20).unwrap();
    map.update_region(0, &[0xAB; 1 << 20]).unwrap();
    let view = map.as_slice(0, 1 << 20).unwrap();
    let debug = format!("{view:?}");
    assert!(debug.len() < 200, "{} chars: {debug}", debug.len());
    assert!(debug.contains("MappedSlice"), "{debug}");
    assert!(debug.contains("1048576"), "length missing: {debug}");
    assert!(debug.contains("abab"), "head missing: {debug}");
    let pretty = format!("{view:#?}");
    assert!(pretty.len() < 300, "{pretty}");
    drop(view);

    let mut view = map.as_slice_mut(0, 1 << 20).unwrap();
    view[0] = 1;
    let debug = format!("{view:?}");
    assert!(debug.len() < 200, "{debug}");
    assert!(debug.contains("MappedSliceMut"), "{debug}");
    drop(view);

    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    let debug = format!("{:?}", ro.as_slice(0, 1 << 20).unwrap());
    assert!(debug.len() < 200, "{debug}");
}

#[test]
fn memory_mapped_file_debug_names_path_mode_and_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dbg.bin");
    let map = MemoryMappedFile::builder(&path)
        .size(4321)
        .flush_policy(FlushPolicy::EveryWrites(3))
        .create()
        .unwrap();
    let debug = format!("{map:?}");
    assert!(debug.starts_with("MemoryMappedFile"), "{debug}");
    assert!(debug.contains("dbg.bin"), "{debug}");
    assert!(debug.contains("ReadWrite"), "{debug}");
    assert!(debug.contains("4321"), "{debug}");
    assert!(debug.contains("EveryWrites(3)"), "{debug}");
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    assert!(format!("{ro:?}").contains("ReadOnly"));
}

#[test]
fn mapped_slice_equality_against_every_byte_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eq.bin");
    let map = MemoryMappedFile::create_rw(&path, 8).unwrap();
    map.update_region(0, b"abcdabcd").unwrap();
    let ro = MemoryMappedFile::open_ro(&path).unwrap();

    let view: MappedSlice<'_> = map.as_slice(0, 4).unwrap();
    let bytes: &[u8] = b"abcd";
    let other: &[u8] = b"abce";
    // [u8]
    assert!(view == *bytes);
    assert!(view != *other);
    assert!(*bytes == view);
    assert!(*other != view);
    // &[u8]
    assert!(view == bytes);
    assert!(view != other);
    assert!(bytes == view);
    assert!(other != view);
    // [u8; N] and &[u8; N]
    assert!(view == [b'a', b'b', b'c', b'd']);
    assert!(view != [b'a', b'b', b'c']);
    assert!(view == b"abcd");
    assert!(view != b"abcde");
    assert!(view != b"abcz");
    // Another MappedSlice: same mapping, and a different mapping in
    // another mode.
    let second = map.as_slice(4, 4).unwrap();
    let shifted = map.as_slice(1, 4).unwrap();
    let from_ro = ro.as_slice(4, 4).unwrap();
    assert!(view == second);
    assert!(view != shifted);
    assert!(view == from_ro);
    assert!(from_ro == view);
    assert_eq!(view, from_ro);
    // Empty views.
    assert!(map.as_slice(8, 0).unwrap() == *b"");
    assert!(map.as_slice(0, 0).unwrap() == ro.as_slice(3, 0).unwrap());
    // Borrow<[u8]> / AsRef<[u8]> agree.
    let borrowed: &[u8] = std::borrow::Borrow::borrow(&view);
    assert_eq!(borrowed, b"abcd");
}

#[test]
fn clones_share_one_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::create_rw(dir.path().join("cl.bin"), 64).unwrap();
    let clone = map.clone();
    map.update_region(0, b"from original").unwrap();
    assert_eq!(clone.as_slice(0, 13).unwrap(), b"from original");
    clone
        .as_slice_mut(20, 10)
        .unwrap()
        .copy_from_slice(b"from clone");
    assert_eq!(map.as_slice(20, 10).unwrap(), b"from clone");
    clone.resize(128).unwrap();
    assert_eq!(map.len(), 128);
    assert_eq!(map.as_slice(0, 13).unwrap(), b"from original");
    assert_eq!(map.pending_bytes(), clone.pending_bytes());
    assert_eq!(map.path(), clone.path());

    // Across threads.
    let sent = map.clone();
    std::thread::spawn(move || sent.update_region(100, b"from a thread").unwrap())
        .join()
        .unwrap();
    assert_eq!(clone.as_slice(100, 13).unwrap(), b"from a thread");
    drop(map);
    // The mapping lives on in the remaining clone.
    assert_eq!(clone.as_slice(20, 10).unwrap(), b"from clone");
}

#[test]
fn free_functions_and_small_types() {
    let page = mmapio::page_size();
    assert!(page >= 4096 && page.is_power_of_two(), "{page}");

    assert_eq!(mmapio::validate_range(2, 3, 5).unwrap(), 2..5);
    assert_eq!(mmapio::validate_range(5, 0, 5).unwrap(), 5..5);
    assert!(matches!(
        mmapio::validate_range(5, 1, 5),
        Err(MmapIoError::OutOfBounds {
            offset: 5,
            len: 1,
            total: 5
        })
    ));
    assert!(matches!(
        mmapio::validate_range(u64::MAX, u64::MAX, u64::MAX),
        Err(MmapIoError::OutOfBounds { .. })
    ));

    assert_eq!(MmapMode::ReadOnly.to_string(), "read-only");
    assert_eq!(MmapMode::ReadWrite.to_string(), "read-write");
    assert_eq!(MmapMode::CopyOnWrite.to_string(), "copy-on-write");
    assert_eq!(TouchHint::default(), TouchHint::Never);

    // Error messages carry the details.
    let e = MmapIoError::OutOfBounds {
        offset: 7,
        len: 9,
        total: 11,
    };
    let msg = e.to_string();
    assert!(
        msg.contains('7') && msg.contains('9') && msg.contains("11"),
        "{msg}"
    );
    let e = MmapIoError::InvalidMode {
        op: "update_region",
        mode: MmapMode::ReadOnly,
    };
    assert!(e.to_string().contains("update_region"));
}

#[test]
fn read_only_open_or_create_opens_existing_and_refuses_to_create() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "ro.bin", b"existing bytes");
    let map = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadOnly)
        .size(4)
        .open_or_create()
        .unwrap();
    assert_eq!(map.mode(), MmapMode::ReadOnly);
    assert_eq!(map.as_slice(0, 14).unwrap(), b"existing bytes");

    let missing = dir.path().join("missing.bin");
    assert_invalid_mode(
        MemoryMappedFile::builder(&missing)
            .mode(MmapMode::ReadOnly)
            .size(4)
            .open_or_create(),
        "create",
        MmapMode::ReadOnly,
    );
    assert!(!missing.exists());
}
