//! `mmap_io::segment::{Segment, SegmentMut}` made the mmap-io way, with
//! `new(Arc<MemoryMappedFile>, offset, len)`: `as_slice`, `as_slice_mut`,
//! `write`, `offset`, `len`, `is_empty`, `is_valid` (after a `resize`),
//! `parent`, `Clone` and `Debug`.

use std::sync::Arc;

use mmap_io::errors::{MmapIoError, Result};
use mmap_io::mmap::{MappedSlice, MappedSliceMut, MemoryMappedFile};
use mmap_io::segment::{Segment, SegmentMut};

#[test]
fn segment_is_a_checked_window() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("seg.bin");
    let map = Arc::new(MemoryMappedFile::create_rw(&path, 17)?);
    map.update_region(0, b"headerPAYLOADtail")?;

    let seg: Segment = Segment::new(Arc::clone(&map), 6, 7)?;
    assert_eq!(seg.offset(), 6);
    assert_eq!(seg.len(), 7);
    assert!(!seg.is_empty());
    assert!(seg.is_valid());
    let parent: &MemoryMappedFile = seg.parent();
    assert_eq!(parent.len(), 17);
    assert_eq!(parent.path(), path.as_path());
    let view: MappedSlice<'_> = seg.as_slice()?;
    assert_eq!(view, b"PAYLOAD");
    drop(view);

    let copy: Segment = seg.clone();
    assert_eq!((copy.offset(), copy.len()), (6, 7));
    assert!(!format!("{copy:?}").is_empty());

    assert!(Segment::new(Arc::clone(&map), 12, 8).is_err());
    assert!(matches!(
        Segment::new(Arc::clone(&map), u64::MAX, 2),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    let empty = Segment::new(Arc::clone(&map), 17, 0)?;
    assert!(empty.is_empty());
    assert!(empty.as_slice()?.is_empty());

    // The segment keeps the mapping alive on its own.
    drop(map);
    assert_eq!(copy.as_slice()?, b"PAYLOAD");
    Ok(())
}

#[test]
fn segment_after_resize_is_invalid_until_regrown() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("resize.bin");
    let map = Arc::new(MemoryMappedFile::create_rw(&path, 64)?);
    let seg = Segment::new(Arc::clone(&map), 32, 16)?;
    let seg_mut = SegmentMut::new(Arc::clone(&map), 40, 8)?;
    assert!(seg.is_valid() && seg_mut.is_valid());

    map.resize(40)?;
    assert!(!seg.is_valid());
    assert!(!seg_mut.is_valid());
    assert!(matches!(
        seg.as_slice(),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        seg_mut.write(b"x"),
        Err(MmapIoError::OutOfBounds { .. })
    ));

    map.resize(64)?;
    assert!(seg.is_valid() && seg_mut.is_valid());
    assert_eq!(seg.as_slice()?, [0u8; 16]);
    Ok(())
}

#[test]
fn segment_mut_writes_inside_its_window() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("segmut.bin");
    let map = Arc::new(MemoryMappedFile::create_rw(&path, 32)?);

    let record: SegmentMut = SegmentMut::new(Arc::clone(&map), 8, 8)?;
    assert_eq!((record.offset(), record.len()), (8, 8));
    assert!(!record.is_empty());
    assert!(record.is_valid());
    assert_eq!(record.parent().len(), 32);

    record.write(b"record")?;
    assert_eq!(map.as_slice(8, 6)?, b"record");
    assert!(record.write(b"too long!").is_err());
    {
        let mut view: MappedSliceMut<'_> = record.as_slice_mut()?;
        assert_eq!(view.len(), 8);
        view[6..].copy_from_slice(b"!!");
    }
    assert_eq!(map.as_slice(8, 8)?, b"record!!");
    map.flush()?;
    assert_eq!(&std::fs::read(&path)?[8..16], b"record!!");

    let copy = record.clone();
    assert_eq!(copy.offset(), 8);
    assert!(!format!("{copy:?}").is_empty());
    assert!(SegmentMut::new(Arc::clone(&map), 30, 4).is_err());
    Ok(())
}

#[test]
fn segment_mut_needs_a_read_write_mapping() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ro.bin");
    std::fs::write(&path, b"0123456789")?;
    let map = Arc::new(MemoryMappedFile::open_ro(&path)?);
    assert!(matches!(
        SegmentMut::new(Arc::clone(&map), 0, 4),
        Err(MmapIoError::InvalidMode { .. })
    ));
    let seg = Segment::new(map, 2, 5)?;
    assert_eq!(seg.as_slice()?, b"23456");
    Ok(())
}
