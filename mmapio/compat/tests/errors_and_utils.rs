//! `mmap_io::errors::{MmapIoError, Result}` (every variant mmapio shares
//! with mmap-io, matched with `{ .. }`; `From<io::Error>`, `?` on an
//! `io::Error`, `Display`, `Debug`, `Error::source`) and
//! `mmap_io::utils::{align_up, ensure_in_bounds, page_size, slice_range}`.

use std::error::Error as _;
use std::io;

use mmap_io::errors::{MmapIoError, Result};
use mmap_io::mmap::MemoryMappedFile;
use mmap_io::utils::{align_up, ensure_in_bounds, page_size, slice_range};

/// The mmap-io name of an error's variant. Every variant mmap-io 1.1.0 has
/// (but `UnlockFailed`, which mmapio folds into `LockFailed`) is named here
/// by its path.
fn variant(err: &MmapIoError) -> &'static str {
    match err {
        MmapIoError::Io { .. } => "Io",
        MmapIoError::InvalidMode { .. } => "InvalidMode",
        MmapIoError::OutOfBounds { .. } => "OutOfBounds",
        MmapIoError::Misaligned { .. } => "Misaligned",
        MmapIoError::FlushFailed { .. } => "FlushFailed",
        MmapIoError::ResizeFailed { .. } => "ResizeFailed",
        MmapIoError::LockFailed { .. } => "LockFailed",
        MmapIoError::AdviceFailed { .. } => "AdviceFailed",
        MmapIoError::WatchFailed { .. } => "WatchFailed",
        _ => "other",
    }
}

#[test]
fn from_io_error() {
    let err = MmapIoError::from(io::Error::other("boom"));
    assert_eq!(variant(&err), "Io");
    assert!(err.to_string().contains("boom"), "{err}");
    assert!(!format!("{err:?}").is_empty());
    let source = err
        .source()
        .expect("an Io error has its io::Error as source");
    let inner = source.downcast_ref::<io::Error>().expect("an io::Error");
    assert_eq!(inner.kind(), io::ErrorKind::Other);

    let converted: MmapIoError = io::Error::from(io::ErrorKind::NotFound).into();
    assert!(matches!(converted, MmapIoError::Io { .. }));
}

fn open_missing(path: &std::path::Path) -> Result<u64> {
    // `?` on an io::Error in a function returning mmap_io's Result.
    let meta = std::fs::metadata(path)?;
    Ok(meta.len())
}

#[test]
fn question_mark_converts_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = open_missing(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(err, MmapIoError::Io { .. }));
    let inner = err.source().unwrap().downcast_ref::<io::Error>().unwrap();
    assert_eq!(inner.kind(), io::ErrorKind::NotFound);
}

#[test]
fn question_mark_on_io_error_inside_for_each_mut() -> Result<()> {
    use std::io::Write;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("walk.bin");
    let map = MemoryMappedFile::create_rw(&path, 8)?;

    map.chunks_mut(4).for_each_mut(|offset, chunk| {
        let mut out: &mut [u8] = chunk;
        write!(out, "{offset:>4}")?; // io::Error -> MmapIoError
        Ok(())
    })?;
    assert_eq!(map.as_slice(0, 8)?, b"   0   4");

    // Writing 5 bytes into a 4-byte chunk fails with WriteZero, and `?`
    // stops the walk with it.
    let mut calls = 0;
    let result = map.chunks_mut(4).for_each_mut(|_offset, chunk| {
        calls += 1;
        let mut out: &mut [u8] = chunk;
        out.write_all(b"12345")?;
        Ok(())
    });
    let err = result.unwrap_err();
    assert_eq!(variant(&err), "Io");
    let inner = err.source().unwrap().downcast_ref::<io::Error>().unwrap();
    assert_eq!(inner.kind(), io::ErrorKind::WriteZero);
    assert_eq!(calls, 1);
    Ok(())
}

#[test]
fn errors_of_each_kind_come_from_the_operations() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("errors.bin");
    let map = MemoryMappedFile::create_rw(&path, 64)?;

    let oob = map.as_slice(60, 8).unwrap_err();
    assert_eq!(variant(&oob), "OutOfBounds");
    assert!(matches!(
        oob,
        MmapIoError::OutOfBounds {
            offset: 60,
            len: 8,
            total: 64
        }
    ));
    assert!(oob.to_string().contains("60"), "{oob}");

    let misaligned = map.atomic_u64(4).unwrap_err();
    assert!(matches!(
        misaligned,
        MmapIoError::Misaligned {
            required: 8,
            offset: 4
        }
    ));

    let resize = map.resize(1 << 62).unwrap_err();
    assert_eq!(variant(&resize), "ResizeFailed");
    assert!(resize.source().is_some());
    drop(map);

    let ro = MemoryMappedFile::open_ro(&path)?;
    let mode = ro.update_region(0, b"x").unwrap_err();
    assert_eq!(variant(&mode), "InvalidMode");
    assert!(!mode.to_string().is_empty());

    let missing = MemoryMappedFile::open_ro(dir.path().join("missing")).unwrap_err();
    assert_eq!(variant(&missing), "Io");

    // A watch needs a path that names a file.
    let file = std::fs::File::open(&path)?;
    let elsewhere = MemoryMappedFile::from_file(
        file,
        mmap_io::mmap::MmapMode::ReadOnly,
        dir.path().join("no-such-dir").join("f"),
    )?;
    let watch = elsewhere.watch(|_event| {}).unwrap_err();
    assert_eq!(variant(&watch), "WatchFailed");

    // mlock either works or fails with LockFailed (no privileges).
    match ro.lock(0, 64) {
        Ok(()) => ro.unlock(0, 64)?,
        Err(err) => assert_eq!(variant(&err), "LockFailed", "{err}"),
    }
    Ok(())
}

#[test]
fn result_alias_is_mmap_io_error() {
    fn parse(ok: bool) -> Result<u8> {
        if ok {
            Ok(1)
        } else {
            Err(MmapIoError::from(io::Error::from(
                io::ErrorKind::InvalidData,
            )))
        }
    }
    assert_eq!(parse(true).unwrap(), 1);
    let err: MmapIoError = parse(false).unwrap_err();
    assert!(matches!(err, MmapIoError::Io { .. }));
    // Errors cross threads and box into dyn Error.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    assert!(!boxed.to_string().is_empty());
}

#[test]
fn align_up_rounds_to_any_alignment() {
    let page = page_size() as u64;
    assert!(page.is_power_of_two());
    assert_eq!(align_up(0, page), 0);
    assert_eq!(align_up(1, page), page);
    assert_eq!(align_up(page, page), page);
    assert_eq!(align_up(page + 1, page), 2 * page);
    assert_eq!(align_up(10, 3), 12);
    assert_eq!(align_up(10, 0), 10);
    assert_eq!(align_up(u64::MAX, 4096), u64::MAX);
}

#[test]
fn page_size_matches_the_raw_offset_granularity_on_unix() {
    let page: usize = page_size();
    assert!(page >= 4096);
    if cfg!(unix) {
        assert_eq!(mmap_io::raw::offset_granularity().unwrap(), page);
    }
}

#[test]
fn ensure_in_bounds_checks_offset_plus_len() {
    ensure_in_bounds(0, 8, 8).unwrap();
    ensure_in_bounds(8, 0, 8).unwrap();
    ensure_in_bounds(4, 4, 8).unwrap();
    assert!(matches!(
        ensure_in_bounds(4, 5, 8),
        Err(MmapIoError::OutOfBounds {
            offset: 4,
            len: 5,
            total: 8
        })
    ));
    assert!(matches!(
        ensure_in_bounds(9, 0, 8),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        ensure_in_bounds(u64::MAX, 1, 8),
        Err(MmapIoError::OutOfBounds { .. })
    ));
}

#[test]
fn slice_range_gives_usize_bounds() -> Result<()> {
    let bytes = b"0123456789";
    let (start, end): (usize, usize) = slice_range(3, 4, bytes.len() as u64)?;
    assert_eq!((start, end), (3, 7));
    assert_eq!(&bytes[start..end], b"3456");
    assert_eq!(slice_range(10, 0, 10)?, (10, 10));
    assert!(matches!(
        slice_range(8, 4, 10),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        slice_range(u64::MAX, u64::MAX, 10),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    Ok(())
}
