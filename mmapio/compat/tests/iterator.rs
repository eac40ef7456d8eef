//! `mmap_io::iterator::{ChunkIterator, PageIterator, ChunkIteratorMut,
//! ChunkIteratorOwned, PageIteratorOwned}` (and the root `ChunkIterator`,
//! `PageIterator`), as returned by `MemoryMappedFile::chunks`, `pages`,
//! `chunks_mut`, `chunks_owned` and `pages_owned`: their item types,
//! `ExactSizeIterator` lengths, `size_hint`, and
//! `ChunkIteratorMut::for_each_mut`.

use mmap_io::errors::{MmapIoError, Result};
use mmap_io::iterator::{
    ChunkIterator, ChunkIteratorMut, ChunkIteratorOwned, PageIterator, PageIteratorOwned,
};
use mmap_io::mmap::{MappedSlice, MemoryMappedFile};
use mmap_io::utils::page_size;

fn numbered(path: &std::path::Path, len: usize) -> Result<MemoryMappedFile> {
    let map = MemoryMappedFile::create_rw(path, len as u64)?;
    let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    map.update_region(0, &bytes)?;
    Ok(map)
}

#[test]
fn chunks_yield_zero_copy_slices() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let map = numbered(&dir.path().join("chunks.bin"), 10)?;

    let it: ChunkIterator<'_> = map.chunks(4);
    assert_eq!(it.len(), 3);
    assert_eq!(it.size_hint(), (3, Some(3)));
    let chunks: Vec<MappedSlice<'_>> = it.collect();
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[0], [0u8, 1, 2, 3]);
    assert_eq!(chunks[1], [4u8, 5, 6, 7]);
    assert_eq!(chunks[2], [8u8, 9]);
    drop(chunks); // items hold the read lock of a read-write mapping

    let mut it = map.chunks(4);
    let first: MappedSlice<'_> = it.next().expect("three chunks");
    assert_eq!(first.len(), 4);
    assert_eq!(it.len(), 2);
    assert_eq!(it.size_hint(), (2, Some(2)));
    drop(first);
    drop(it);

    let total: u64 = map
        .chunks(3)
        .map(|c| c.iter().map(|&b| u64::from(b)).sum::<u64>())
        .sum();
    assert_eq!(total, 45);
    // Now that every iterator is gone, writers proceed.
    map.update_region(0, b"w")?;
    Ok(())
}

#[test]
fn pages_are_page_sized() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let page = page_size();
    let map = numbered(&dir.path().join("pages.bin"), 2 * page + 100)?;

    let pages: PageIterator<'_> = map.pages();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages.size_hint(), (3, Some(3)));
    let lens: Vec<usize> = pages.map(|p| p.len()).collect();
    assert_eq!(lens, [page, page, 100]);

    let root: mmap_io::PageIterator<'_> = map.pages();
    let last = root.last().expect("three pages");
    assert_eq!(last.as_slice()[0], ((2 * page) % 251) as u8);

    let root_chunks: mmap_io::ChunkIterator<'_> = map.chunks(page);
    assert_eq!(root_chunks.count(), 3);
    Ok(())
}

#[test]
fn owned_chunks_are_results_of_vecs() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let map = numbered(&dir.path().join("owned.bin"), 10)?;

    let owned: ChunkIteratorOwned<'_> = map.chunks_owned(4);
    assert_eq!(owned.len(), 3);
    assert_eq!(owned.size_hint(), (3, Some(3)));
    let mut collected = Vec::new();
    for chunk in owned {
        let chunk: Vec<u8> = chunk?;
        collected.push(chunk);
    }
    assert_eq!(
        collected,
        vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]
    );

    // Owned items hold no lock: writing between items is fine.
    let mut owned = map.chunks_owned(5);
    let first: Result<Vec<u8>> = owned.next().expect("two chunks");
    map.update_region(5, b"HELLO")?;
    let second = owned.next().expect("two chunks")?;
    assert_eq!(first?, [0, 1, 2, 3, 4]);
    assert_eq!(second, b"HELLO");
    assert!(owned.next().is_none());
    Ok(())
}

#[test]
fn owned_chunks_past_a_shrink_are_out_of_bounds() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let map = numbered(&dir.path().join("shrink.bin"), 12)?;
    let mut owned = map.chunks_owned(4);
    assert_eq!(owned.next().expect("first")?, [0, 1, 2, 3]);
    map.resize(6)?;
    assert!(matches!(
        owned.next().expect("second"),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    Ok(())
}

#[test]
fn owned_pages() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let page = page_size();
    let map = numbered(&dir.path().join("owned_pages.bin"), page + 1)?;
    let pages: PageIteratorOwned<'_> = map.pages_owned();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages.size_hint(), (2, Some(2)));
    let pages: Vec<Vec<u8>> = pages.collect::<Result<_>>()?;
    assert_eq!(pages[0].len(), page);
    assert_eq!(pages[1], [(page % 251) as u8]);
    Ok(())
}

#[test]
fn for_each_mut_walks_every_chunk_in_order() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("walk.bin");
    let map = MemoryMappedFile::create_rw(&path, 10)?;

    let walk: ChunkIteratorMut<'_> = map.chunks_mut(4);
    let mut offsets = Vec::new();
    walk.for_each_mut(|offset: u64, chunk: &mut [u8]| {
        offsets.push((offset, chunk.len()));
        chunk.fill(offset as u8);
        Ok(())
    })?;
    assert_eq!(offsets, [(0, 4), (4, 4), (8, 2)]);
    assert_eq!(map.as_slice(0, 10)?, [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]);
    // Every chunk handed out counts as written.
    assert_eq!(map.pending_bytes(), 10);
    map.flush()?;
    assert_eq!(std::fs::read(&path)?, [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]);

    // The closure's first error stops the walk and is returned.
    let mut seen = 0;
    let result = map.chunks_mut(4).for_each_mut(|offset, _chunk| {
        seen += 1;
        if offset == 4 {
            return Err(MmapIoError::OutOfBounds {
                offset,
                len: 4,
                total: 10,
            });
        }
        Ok(())
    });
    assert!(matches!(
        result,
        Err(MmapIoError::OutOfBounds { offset: 4, .. })
    ));
    assert_eq!(seen, 2);
    Ok(())
}

#[test]
fn chunks_of_a_read_only_mapping() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ro.bin");
    std::fs::write(&path, b"abcdefg")?;
    let map = MemoryMappedFile::open_ro(&path)?;
    let joined: Vec<u8> = map.chunks(2).flat_map(|c| c.to_vec()).collect();
    assert_eq!(joined, b"abcdefg");
    assert!(matches!(
        map.chunks_mut(2).for_each_mut(|_, _| Ok(())),
        Err(MmapIoError::InvalidMode { .. })
    ));
    Ok(())
}
