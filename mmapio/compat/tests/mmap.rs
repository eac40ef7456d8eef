//! `mmap_io::mmap`, used as mmap-io 1.1.0 code uses it: `MemoryMappedFile`
//! (constructors `create_rw`/`open_ro`/`open_rw`/`open_cow`/`open_cow_writable`/
//! `open_or_create`/`from_file`, `len`/`is_empty`/`path`/`mode`/
//! `current_len`, views and copies, `try_*` forms, raw pointers, `resize`,
//! `unmap`, page touching, huge pages, `Clone`/`Debug`, the `async` methods
//! and `bytes` interop), `MemoryMappedFileBuilder`, `MmapMode`, `TouchHint`,
//! `MappedSlice`, `MappedSliceMut` and `MmapReader` (`Read`, `BufRead`,
//! `Seek`, `position`, `set_position`).

use std::fs::OpenOptions;
use std::io::{BufRead, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use mmap_io::errors::{MmapIoError, Result};
use mmap_io::flush::FlushPolicy;
use mmap_io::mmap::{
    MappedSlice, MappedSliceMut, MemoryMappedFile, MemoryMappedFileBuilder, MmapMode, MmapReader,
    TouchHint,
};

/// The `io::ErrorKind` inside an `MmapIoError::Io`, found through
/// `std::error::Error::source` (mmap-io's and mmapio's `Io` variants differ
/// in shape, their source does not).
fn io_kind(err: &MmapIoError) -> Option<ErrorKind> {
    std::error::Error::source(err)?
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)?;
    Ok(())
}

#[test]
fn create_rw_then_reopen_in_every_mode() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("data.bin");

    let map: MemoryMappedFile = MemoryMappedFile::create_rw(&path, 4096)?;
    assert_eq!(map.mode(), MmapMode::ReadWrite);
    assert_eq!(map.len(), 4096);
    assert!(!map.is_empty());
    assert_eq!(map.path(), path.as_path());
    let n: u64 = map.current_len()?;
    assert_eq!(n, 4096);
    map.update_region(100, b"hello")?;
    map.flush()?;
    assert_eq!(&std::fs::read(&path)?[100..105], b"hello");

    // create_rw never truncates an existing file.
    let again = MemoryMappedFile::create_rw(&path, 8);
    assert!(matches!(again, Err(MmapIoError::Io { .. })));
    assert_eq!(io_kind(&again.unwrap_err()), Some(ErrorKind::AlreadyExists));
    assert_eq!(std::fs::metadata(&path)?.len(), 4096);
    drop(map);

    let ro = MemoryMappedFile::open_ro(&path)?;
    assert_eq!(ro.mode(), MmapMode::ReadOnly);
    assert_eq!(ro.len(), 4096);
    let bytes: &[u8] = ro.as_slice_bytes(100, 5)?;
    assert_eq!(bytes, b"hello");
    assert!(matches!(
        ro.update_region(0, b"x"),
        Err(MmapIoError::InvalidMode { .. })
    ));
    assert!(matches!(
        ro.as_slice_mut(0, 1),
        Err(MmapIoError::InvalidMode { .. })
    ));
    drop(ro);

    let rw = MemoryMappedFile::open_rw(&path)?;
    assert_eq!(rw.mode(), MmapMode::ReadWrite);
    assert_eq!(rw.as_slice(100, 5)?.as_slice(), b"hello");
    // The 0.9.6 shim only lends memory nothing can write.
    assert!(matches!(
        rw.as_slice_bytes(0, 4),
        Err(MmapIoError::InvalidMode { .. })
    ));
    Ok(())
}

#[test]
fn open_missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.bin");
    for result in [
        MemoryMappedFile::open_ro(&path),
        MemoryMappedFile::open_rw(&path),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, MmapIoError::Io { .. }), "{err:?}");
        assert_eq!(io_kind(&err), Some(ErrorKind::NotFound));
    }
}

#[test]
fn open_cow_reads_the_file_and_never_writes_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cow.bin");
    write_file(&path, b"original")?;
    let cow = MemoryMappedFile::open_cow(&path)?;
    assert_eq!(cow.mode(), MmapMode::CopyOnWrite);
    assert_eq!(cow.len(), 8);
    assert_eq!(cow.as_slice(0, 8)?, b"original");
    let mut buf = [0u8; 4];
    cow.read_into(4, &mut buf)?;
    assert_eq!(&buf, b"inal");
    assert!(matches!(
        cow.update_region(0, b"X"),
        Err(MmapIoError::InvalidMode { .. })
    ));
    cow.flush()?; // nothing to write back
    drop(cow);
    assert_eq!(std::fs::read(&path)?, b"original");
    Ok(())
}

#[test]
fn open_cow_writable_writes_private_pages_through_a_shared_reference() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cow-w.bin");
    write_file(&path, b"original")?;
    let cow: MemoryMappedFile = MemoryMappedFile::open_cow_writable(&path)?;
    let is_writable: bool = cow.is_cow_writable();
    assert!(is_writable);
    cow.update_region(0, b"EDIT")?;
    assert_eq!(&*cow.as_slice(0, 8)?, b"EDITinal");
    cow.flush()?; // no-op: private pages are never written back
    assert_eq!(cow.pending_bytes(), 0);
    assert_eq!(std::fs::read(&path)?, b"original");
    let built: MemoryMappedFile = MemoryMappedFile::builder(&path)
        .mode(MmapMode::CopyOnWrite)
        .cow_writable(true)
        .open()?;
    assert!(built.is_cow_writable());
    assert!(!MemoryMappedFile::open_cow(&path)?.is_cow_writable());
    Ok(())
}

#[test]
fn open_or_create_creates_then_keeps_the_length() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("oc.bin");
    let created = MemoryMappedFile::open_or_create(&path, 1024)?;
    assert_eq!(created.len(), 1024);
    assert_eq!(created.mode(), MmapMode::ReadWrite);
    created.update_region(0, b"kept")?;
    created.flush()?;
    drop(created);

    let reopened = MemoryMappedFile::open_or_create(&path, 1 << 20)?;
    assert_eq!(reopened.len(), 1024);
    assert_eq!(reopened.as_slice(0, 4)?, b"kept");
    Ok(())
}

#[test]
fn from_file_maps_an_open_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("from_file.bin");
    write_file(&path, b"0123456789")?;

    let file = OpenOptions::new().read(true).write(true).open(&path)?;
    let map = MemoryMappedFile::from_file(file, MmapMode::ReadWrite, &path)?;
    assert_eq!(map.mode(), MmapMode::ReadWrite);
    assert_eq!(map.path(), path.as_path());
    assert_eq!(map.len(), 10);
    map.update_region(0, b"ab")?;
    map.flush()?;
    drop(map);
    assert_eq!(std::fs::read(&path)?, b"ab23456789");

    let file = std::fs::File::open(&path)?;
    let ro = MemoryMappedFile::from_file(file, MmapMode::ReadOnly, &path)?;
    assert_eq!(ro.mode(), MmapMode::ReadOnly);
    assert_eq!(ro.as_slice(2, 3)?, b"234");
    Ok(())
}

#[test]
fn unmap_returns_the_file_only_for_the_last_handle() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("unmap.bin");
    let map = MemoryMappedFile::create_rw(&path, 64)?;
    map.update_region(0, b"data")?;

    let clone = map.clone();
    let map = match map.unmap() {
        Ok(_) => panic!("unmap must refuse while a clone is alive"),
        Err(map) => map,
    };
    assert_eq!(map.as_slice(0, 4)?, b"data");
    drop(clone);

    let file: std::fs::File = map.unmap().expect("the only handle");
    assert_eq!(file.metadata()?.len(), 64);
    assert_eq!(&std::fs::read(&path)?[..4], b"data");
    Ok(())
}

#[test]
fn clones_share_one_mapping_and_debug_names_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("clone.bin");
    let map = MemoryMappedFile::create_rw(&path, 16)?;
    let clone: MemoryMappedFile = map.clone();
    clone.update_region(3, b"xyz")?;
    assert_eq!(map.as_slice(3, 3)?, b"xyz");
    assert_eq!(clone.path(), map.path());
    let debug = format!("{map:?}");
    assert!(debug.contains("MemoryMappedFile"), "{debug}");
    Ok(())
}

#[test]
fn bounds_and_zero_length_ranges() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bounds.bin");
    let map = MemoryMappedFile::create_rw(&path, 4096)?;

    match map.as_slice(4090, 10) {
        Err(MmapIoError::OutOfBounds { offset, len, total }) => {
            assert_eq!((offset, len, total), (4090, 10, 4096));
        }
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
    assert!(matches!(
        map.as_slice(u64::MAX, 2),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        map.update_region(4095, b"ab"),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    let mut buf = [0u8; 2];
    assert!(matches!(
        map.read_into(4095, &mut buf),
        Err(MmapIoError::OutOfBounds { .. })
    ));

    // Zero-length ranges are valid at every offset up to the length.
    assert!(map.as_slice(4096, 0)?.is_empty());
    assert!(map.as_slice(0, 0)?.is_empty());
    map.update_region(4096, &[])?;
    assert!(matches!(
        map.as_slice(4097, 0),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    Ok(())
}

#[test]
fn empty_file_opens_as_an_empty_mapping() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("empty.bin");
    write_file(&path, b"")?;
    let map = MemoryMappedFile::open_ro(&path)?;
    assert!(map.is_empty());
    assert_eq!(map.len(), 0);
    assert!(map.as_slice(0, 0)?.is_empty());
    assert!(matches!(
        map.as_slice(0, 1),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    Ok(())
}

#[test]
fn mapped_slice_compares_derefs_and_debugs() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("slice.bin");
    write_file(&path, b"abcabc")?;
    let map = MemoryMappedFile::open_ro(&path)?;

    let first: MappedSlice<'_> = map.as_slice(0, 3)?;
    let second: MappedSlice<'_> = map.as_slice(3, 3)?;
    assert_eq!(first.len(), 3);
    assert!(!first.is_empty());
    assert_eq!(first.as_slice(), b"abc");
    // PartialEq<Self>, Eq, [u8; N], &[u8; N], [u8], &[u8].
    assert_eq!(first, second);
    assert!(first == *b"abc");
    assert!(first == b"abc");
    assert!(first == b"abc"[..]);
    let expected: &[u8] = b"abc";
    assert!(first == expected);
    assert!(first != *b"abd");
    // AsRef<[u8]> and Deref<Target = [u8]>.
    let as_ref: &[u8] = first.as_ref();
    assert_eq!(as_ref, b"abc");
    let deref: &[u8] = &first;
    assert_eq!(deref[1], b'b');
    assert_eq!(first.iter().filter(|&&b| b == b'c').count(), 1);
    assert!(!format!("{first:?}").is_empty());

    let empty = map.as_slice(6, 0)?;
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    Ok(())
}

#[test]
fn mapped_slice_mut_writes_and_counts_pending_bytes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("slice_mut.bin");
    let map = MemoryMappedFile::create_rw(&path, 32)?;
    assert_eq!(map.pending_bytes(), 0);
    {
        let mut view: MappedSliceMut<'_> = map.as_slice_mut(8, 4)?;
        assert_eq!(view.len(), 4);
        assert!(!view.is_empty());
        view.as_mut().copy_from_slice(b"wxyz");
        view[0] = b'W'; // DerefMut
        let read: &[u8] = &view; // Deref
        assert_eq!(read, b"Wxyz");
        assert!(!format!("{view:?}").is_empty());
    } // dropped: the write lock is released and the bytes count as pending
    assert_eq!(map.pending_bytes(), 4);
    assert_eq!(map.as_slice(8, 4)?, b"Wxyz");
    map.flush()?;
    assert_eq!(map.pending_bytes(), 0);
    assert_eq!(&std::fs::read(&path)?[8..12], b"Wxyz");

    let empty = map.as_slice_mut(32, 0)?;
    assert!(empty.is_empty());
    Ok(())
}

#[test]
fn try_forms_report_a_busy_lock_instead_of_waiting() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("try.bin");
    let map = MemoryMappedFile::create_rw(&path, 8)?;

    let writer = map.as_slice_mut(0, 4)?;
    let busy: Option<MappedSlice<'_>> = map.try_as_slice(4, 4)?;
    assert!(busy.is_none());
    assert!(map.try_as_slice(6, 4).is_err()); // out of bounds either way
    drop(writer);
    let free = map.try_as_slice(4, 4)?.expect("no writer any more");
    assert_eq!(free, [0u8; 4]);

    // A live reader keeps mutable views and writes out.
    let busy_mut: Option<MappedSliceMut<'_>> = map.try_as_slice_mut(0, 4)?;
    assert!(busy_mut.is_none());
    let written: bool = map.try_update_region(0, b"late")?;
    assert!(!written);
    drop(free);

    map.try_as_slice_mut(0, 4)?
        .expect("no reader any more")
        .copy_from_slice(b"done");
    assert!(map.try_update_region(4, b"now!")?);
    assert_eq!(map.as_slice(0, 8)?, b"donenow!");
    assert!(matches!(
        map.try_update_region(6, b"long"),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    Ok(())
}

#[test]
fn raw_pointers_of_the_mapping() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ptr.bin");
    let map = MemoryMappedFile::create_rw(&path, 16)?;
    map.update_region(0, b"ptr!")?;
    map.flush()?;

    // SAFETY: nothing writes or resizes the mapping while these run.
    let first = unsafe { *map.as_ptr() };
    assert_eq!(first, b'p');
    // SAFETY: no view of the mapping exists and no other thread uses it.
    let ptr: *mut u8 = unsafe { map.as_mut_ptr()? };
    // SAFETY: as above; offset 15 is inside the 16-byte mapping.
    unsafe { ptr.add(15).write(b'!') };
    // Writes through the pointer are invisible: the whole length is pending.
    assert_eq!(map.pending_bytes(), 16);
    assert_eq!(map.as_slice(15, 1)?, b"!");
    drop(map);

    let ro = MemoryMappedFile::open_ro(&path)?;
    // SAFETY: a read-only mapping: nothing can write it.
    assert_eq!(unsafe { *ro.as_ptr().add(1) }, b't');
    // SAFETY: the call is refused before any pointer is handed out.
    let refused = unsafe { ro.as_mut_ptr() };
    assert!(matches!(refused, Err(MmapIoError::InvalidMode { .. })));
    Ok(())
}

#[test]
fn resize_grows_shrinks_and_refuses_what_it_cannot_do() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("resize.bin");
    let map = MemoryMappedFile::create_rw(&path, 4)?;
    map.update_region(0, b"abcd")?;

    map.resize(8)?;
    assert_eq!(map.len(), 8);
    assert_eq!(map.current_len()?, 8);
    assert_eq!(map.as_slice(0, 8)?, b"abcd\0\0\0\0");
    assert_eq!(std::fs::metadata(&path)?.len(), 8);

    map.resize(2)?;
    assert_eq!(map.len(), 2);
    assert_eq!(map.as_slice(0, 2)?, b"ab");
    assert_eq!(std::fs::metadata(&path)?.len(), 2);

    // Far past what the file system or the address space allows: the
    // mapping keeps its length and bytes.
    assert!(matches!(
        map.resize(1 << 62),
        Err(MmapIoError::ResizeFailed { .. })
    ));
    assert_eq!(map.len(), 2);
    assert_eq!(map.as_slice(0, 2)?, b"ab");
    drop(map);

    let ro = MemoryMappedFile::open_ro(&path)?;
    assert!(matches!(
        ro.resize(16),
        Err(MmapIoError::InvalidMode { .. })
    ));
    Ok(())
}

#[test]
fn touch_pages_and_hugepage_query() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("touch.bin");
    let map = MemoryMappedFile::create_rw(&path, 3 * 4096 + 10)?;
    map.touch_pages()?;
    map.touch_pages_range(4095, 2)?;
    map.touch_pages_range(map.len(), 0)?;
    assert!(matches!(
        map.touch_pages_range(4096 * 3, 11),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    let backed: Option<bool> = map.is_hugepage_backed();
    if cfg!(target_os = "linux") {
        assert!(backed.is_some(), "smaps is readable on Linux");
    }
    Ok(())
}

#[test]
fn builder_sets_every_option() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("builder.bin");

    let builder: MemoryMappedFileBuilder = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadWrite)
        .size(64 * 1024)
        .flush_policy(FlushPolicy::EveryBytes(4096))
        .touch_hint(TouchHint::Eager)
        .huge_pages(true);
    let map = builder.create()?;
    assert_eq!(map.len(), 64 * 1024);
    assert_eq!(map.mode(), MmapMode::ReadWrite);
    assert_eq!(map.flush_policy(), FlushPolicy::EveryBytes(4096));
    if cfg!(target_os = "linux") {
        assert!(map.is_hugepage_backed().is_some());
    }
    map.update_region(0, b"built")?;
    map.flush()?;
    drop(map);

    // create and create_new never touch an existing file.
    for result in [
        MemoryMappedFile::builder(&path).size(8).create(),
        MemoryMappedFile::builder(&path).size(8).create_new(),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, MmapIoError::Io { .. }), "{err:?}");
        assert_eq!(io_kind(&err), Some(ErrorKind::AlreadyExists));
    }
    assert_eq!(std::fs::metadata(&path)?.len(), 64 * 1024);

    let ro = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadOnly)
        .touch_hint(TouchHint::Lazy)
        .open()?;
    assert_eq!(ro.mode(), MmapMode::ReadOnly);
    assert_eq!(ro.as_slice(0, 5)?, b"built");
    drop(ro);

    // open_or_create: an existing file keeps its length.
    let existing = MemoryMappedFile::builder(&path)
        .size(1 << 20)
        .open_or_create()?;
    assert_eq!(existing.len(), 64 * 1024);
    drop(existing);
    let fresh_path = dir.path().join("fresh.bin");
    let fresh = MemoryMappedFile::builder(&fresh_path)
        .size(100)
        .touch_hint(TouchHint::Never)
        .open_or_create()?;
    assert_eq!(fresh.len(), 100);
    assert_eq!(fresh.flush_policy(), FlushPolicy::default());

    let new_path = dir.path().join("new.bin");
    let created = MemoryMappedFile::builder(&new_path).size(10).create_new()?;
    assert_eq!(created.len(), 10);
    Ok(())
}

#[test]
fn modes_and_touch_hints_are_plain_values() {
    let modes = [
        MmapMode::ReadOnly,
        MmapMode::ReadWrite,
        MmapMode::CopyOnWrite,
    ];
    for (i, a) in modes.iter().enumerate() {
        for (j, b) in modes.iter().enumerate() {
            assert_eq!(a == b, i == j);
        }
    }
    let copied: MmapMode = modes[1];
    #[allow(clippy::clone_on_copy)]
    let cloned = copied.clone();
    assert_eq!(cloned, MmapMode::ReadWrite);
    assert_eq!(format!("{:?}", MmapMode::CopyOnWrite), "CopyOnWrite");

    assert_eq!(TouchHint::default(), TouchHint::Never);
    let hints = [TouchHint::Never, TouchHint::Eager, TouchHint::Lazy];
    assert_ne!(hints[1], hints[2]);
    #[allow(clippy::clone_on_copy)]
    let hint = hints[2].clone();
    assert_eq!(format!("{hint:?}"), "Lazy");
}

#[test]
fn reader_reads_seeks_and_buffers() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("lines.txt");
    write_file(&path, b"first line\nsecond line\n")?;
    let map = MemoryMappedFile::open_ro(&path)?;

    let mut reader: MmapReader<'_> = map.reader();
    assert_eq!(reader.position(), 0);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    assert_eq!(line, "first line\n");
    assert_eq!(reader.position(), 11);

    let buffered: &[u8] = reader.fill_buf()?;
    assert_eq!(buffered, b"second line\n");
    reader.consume(7);
    let mut word = [0u8; 4];
    reader.read_exact(&mut word)?;
    assert_eq!(&word, b"line");

    assert_eq!(reader.seek(SeekFrom::End(-5))?, 18);
    let mut tail = String::new();
    reader.read_to_string(&mut tail)?;
    assert_eq!(tail, "line\n");
    assert_eq!(reader.position(), 23);
    assert!(reader.seek(SeekFrom::Current(-24)).is_err());
    assert_eq!(reader.position(), 23);

    reader.set_position(6);
    let mut buf = [0u8; 4];
    assert_eq!(reader.read(&mut buf)?, 4);
    assert_eq!(&buf, b"line");
    assert_eq!(reader.seek(SeekFrom::Start(100))?, 100);
    assert_eq!(reader.read(&mut buf)?, 0); // past the end: like io::Cursor
    assert_eq!(reader.seek(SeekFrom::Current(-100))?, 0);
    Ok(())
}

#[test]
fn reader_of_a_read_write_mapping_sees_its_writes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rw_reader.bin");
    let map = MemoryMappedFile::create_rw(&path, 8)?;
    map.update_region(0, b"mmapio!!")?;
    let mut bytes = Vec::new();
    {
        let mut reader = map.reader();
        reader.read_to_end(&mut bytes)?;
    } // the reader holds the read lock until here
    assert_eq!(bytes, b"mmapio!!");
    map.update_region(0, b"after")?;
    Ok(())
}

#[test]
fn async_methods_run_on_any_executor() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("async.bin");
    let map = MemoryMappedFile::create_rw(&path, 8192)?;
    futures_lite::future::block_on(async {
        map.update_region_async(8, b"async").await?;
        map.flush_async().await?;
        map.update_region_async(4096, &b"page two"[..]).await?;
        map.flush_range_async(4096, 8).await?;
        let oob = map.flush_range_async(8192, 1).await;
        assert!(matches!(oob, Err(MmapIoError::OutOfBounds { .. })));
        let oob = map.update_region_async(8190, b"xyz").await;
        assert!(matches!(oob, Err(MmapIoError::OutOfBounds { .. })));
        Ok::<(), MmapIoError>(())
    })?;
    assert_eq!(map.as_slice(8, 5)?, b"async");
    let on_disk = std::fs::read(&path)?;
    assert_eq!(&on_disk[8..13], b"async");
    assert_eq!(&on_disk[4096..4104], b"page two");
    Ok(())
}

#[test]
fn bytes_interop_copies_out_of_the_mapping() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bytes.bin");
    let map = MemoryMappedFile::create_rw(&path, 16)?;
    map.update_region(4, b"body")?;

    let body: bytes::Bytes = map.read_bytes(4, 4)?;
    assert!(matches!(
        map.read_bytes(14, 4),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    let view = map.as_slice(4, 4)?;
    let borrowed = bytes::Bytes::from(&view);
    assert_eq!(view, b"body"); // still usable
    let owned = bytes::Bytes::from(view);
    drop(map); // the copies do not depend on the mapping
    assert_eq!(&body[..], b"body");
    assert_eq!(borrowed, owned);
    assert_eq!(owned, "body");
    Ok(())
}
