//! `mmap_io::manager::{create_mmap, load_mmap, write_mmap, update_region,
//! flush, copy_mmap, delete_mmap}`, the same functions re-exported at the
//! crate root, and `mmap_io::manager::r#async::{create_mmap_async,
//! copy_mmap_async, delete_mmap_async}` run with `futures_lite`.

use std::io::ErrorKind;

use mmap_io::errors::{MmapIoError, Result};
use mmap_io::manager::r#async::{copy_mmap_async, create_mmap_async, delete_mmap_async};
use mmap_io::manager::{
    copy_mmap, create_mmap, delete_mmap, flush, load_mmap, update_region, write_mmap,
};
use mmap_io::mmap::{MemoryMappedFile, MmapMode};

fn io_kind(err: &MmapIoError) -> Option<ErrorKind> {
    std::error::Error::source(err)?
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
}

#[test]
fn manager_functions_round_trip() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("m.bin");
    let backup = dir.path().join("m.bak");

    let map: MemoryMappedFile = create_mmap(&path, 64)?;
    assert_eq!(map.len(), 64);
    assert_eq!(map.mode(), MmapMode::ReadWrite);
    update_region(&map, 2, b"hi")?;
    flush(&map)?;
    assert_eq!(map.as_slice(2, 2)?, b"hi");
    drop(map);

    write_mmap(&path, 10, b"saved")?; // flushed before it returns
    assert_eq!(&std::fs::read(&path)?[10..15], b"saved");
    assert!(matches!(
        write_mmap(&path, 62, b"long"),
        Err(MmapIoError::OutOfBounds { .. })
    ));

    copy_mmap(&path, &backup)?;
    assert_eq!(std::fs::read(&backup)?, std::fs::read(&path)?);

    delete_mmap(&path)?;
    assert!(!path.exists());
    assert!(delete_mmap(&path).is_err());

    let ro: MemoryMappedFile = load_mmap(&backup, MmapMode::ReadOnly)?;
    assert_eq!(ro.mode(), MmapMode::ReadOnly);
    assert_eq!(ro.as_slice(10, 5)?, b"saved");
    drop(ro);
    let rw = load_mmap(&backup, MmapMode::ReadWrite)?;
    rw.update_region(0, b"rw")?;
    drop(rw);
    let cow = load_mmap(&backup, MmapMode::CopyOnWrite)?;
    assert_eq!(cow.mode(), MmapMode::CopyOnWrite);
    assert_eq!(cow.as_slice(0, 4)?, b"rwhi");
    Ok(())
}

#[test]
fn manager_never_overwrites_existing_files() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("keep.bin");
    let other = dir.path().join("other.bin");
    std::fs::write(&path, b"precious")?;
    std::fs::write(&other, b"also precious")?;

    let err = create_mmap(&path, 4).unwrap_err();
    assert!(matches!(err, MmapIoError::Io { .. }));
    assert_eq!(io_kind(&err), Some(ErrorKind::AlreadyExists));
    let err = copy_mmap(&path, &other).unwrap_err();
    assert_eq!(io_kind(&err), Some(ErrorKind::AlreadyExists));
    assert_eq!(std::fs::read(&path)?, b"precious");
    assert_eq!(std::fs::read(&other)?, b"also precious");

    let missing = load_mmap(dir.path().join("missing"), MmapMode::ReadOnly).unwrap_err();
    assert_eq!(io_kind(&missing), Some(ErrorKind::NotFound));
    Ok(())
}

#[test]
fn root_reexports_of_the_manager() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("root.bin");
    let copy = dir.path().join("root.copy");

    let map: mmap_io::MemoryMappedFile = mmap_io::create_mmap(&path, 16)?;
    mmap_io::update_region(&map, 0, b"root")?;
    mmap_io::flush(&map)?;
    drop(map);
    mmap_io::write_mmap(&path, 4, b"!")?;
    mmap_io::copy_mmap(&path, &copy)?;
    mmap_io::delete_mmap(&path)?;
    let loaded = mmap_io::load_mmap(&copy, mmap_io::MmapMode::ReadOnly)?;
    assert_eq!(loaded.as_slice(0, 5)?, b"root!");
    Ok(())
}

#[test]
fn async_manager_functions() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("a.bin");
    let copy = dir.path().join("b.bin");
    futures_lite::future::block_on(async {
        let map: MemoryMappedFile = create_mmap_async(&path, 16).await?;
        assert_eq!(map.len(), 16);
        map.update_region(0, b"async")?;
        map.flush()?;
        drop(map);
        copy_mmap_async(&path, &copy).await?;
        delete_mmap_async(&path).await?;
        assert!(!path.exists());
        let again = create_mmap_async(&copy, 16).await;
        assert!(matches!(again, Err(MmapIoError::Io { .. })));
        assert!(delete_mmap_async(&path).await.is_err());
        Ok::<(), MmapIoError>(())
    })?;
    assert_eq!(&std::fs::read(&copy)?[..5], b"async");
    Ok(())
}
