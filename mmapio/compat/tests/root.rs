//! The crate-root re-exports of mmap-io 1.1.0 (`mmap_io::{MemoryMappedFile,
//! MmapMode, TouchHint, MappedSlice, MappedSliceMut, MmapIoError,
//! MmapAdvice, ChunkIterator, PageIterator, AnonymousMmap, ChangeEvent,
//! ChangeKind, WatchHandle}`): each is the same type as its module path
//! (a value of one is passed where the other is expected) and works.

use mmap_io::{
    AnonymousMmap, ChunkIterator, MappedSlice, MappedSliceMut, MemoryMappedFile, MmapAdvice,
    MmapIoError, MmapMode, PageIterator, TouchHint,
};

fn module_map(map: &mmap_io::mmap::MemoryMappedFile) -> u64 {
    map.len()
}

fn module_slice(slice: mmap_io::mmap::MappedSlice<'_>) -> Vec<u8> {
    slice.as_slice().to_vec()
}

fn module_slice_mut(mut slice: mmap_io::mmap::MappedSliceMut<'_>, byte: u8) {
    slice.as_mut().fill(byte);
}

fn module_error(err: mmap_io::errors::MmapIoError) -> bool {
    matches!(err, mmap_io::errors::MmapIoError::OutOfBounds { .. })
}

#[test]
fn root_types_are_the_module_types() -> Result<(), MmapIoError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("root.bin");
    let map: MemoryMappedFile = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadWrite)
        .touch_hint(TouchHint::Lazy)
        .size(10)
        .create()?;
    assert_eq!(module_map(&map), 10);
    let mode: mmap_io::mmap::MmapMode = map.mode();
    assert_eq!(mode, MmapMode::ReadWrite);
    let hint: mmap_io::mmap::TouchHint = TouchHint::Eager;
    assert_ne!(hint, TouchHint::default());

    let view: MappedSliceMut<'_> = map.as_slice_mut(0, 3)?;
    module_slice_mut(view, b'r');
    let view: MappedSlice<'_> = map.as_slice(0, 3)?;
    assert_eq!(module_slice(view), b"rrr");

    let err: MmapIoError = map.as_slice(8, 8).unwrap_err();
    assert!(module_error(err));

    let chunks: ChunkIterator<'_> = map.chunks(4);
    let chunks: mmap_io::iterator::ChunkIterator<'_> = chunks;
    assert_eq!(chunks.len(), 3);
    drop(chunks);
    let pages: PageIterator<'_> = map.pages();
    let pages: mmap_io::iterator::PageIterator<'_> = pages;
    assert_eq!(pages.len(), 1);
    drop(pages);

    map.advise(0, 10, MmapAdvice::Sequential)?;
    let advice: mmap_io::advise::MmapAdvice = MmapAdvice::Normal;
    map.advise(0, 10, advice)?;

    let anon: AnonymousMmap = AnonymousMmap::new(8)?;
    let anon: mmap_io::anonymous::AnonymousMmap = anon;
    anon.update_region(0, b"anon")?;
    assert_eq!(anon.as_slice(0, 4)?, b"anon");
    Ok(())
}

#[test]
fn root_watch_types_are_the_module_types() -> Result<(), MmapIoError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("w.bin");
    let map = MemoryMappedFile::create_rw(&path, 16)?;
    let handle: mmap_io::WatchHandle = map.watch(|event: mmap_io::ChangeEvent| {
        let kind: mmap_io::ChangeKind = event.kind;
        let _: mmap_io::watch::ChangeKind = kind;
    })?;
    let handle: mmap_io::watch::WatchHandle = handle;
    assert!(handle.is_active());
    Ok(())
}
