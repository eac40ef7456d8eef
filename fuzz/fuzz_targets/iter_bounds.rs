//! `iter_bounds`: the chunk and page iterators tile the file exactly.
//!
//! For an arbitrary file length (0 to a few hundred KiB, not only page
//! multiples), mode and chunk size (0, 1, the page size and its neighbours,
//! huge values, `usize::MAX`), over `chunks`, `pages`, `chunks_owned`,
//! `pages_owned` and `chunks_mut().for_each_mut`:
//!
//! * the items concatenate to exactly the file's bytes, in order, with the
//!   offsets they report;
//! * `len()`/`size_hint()` equal the number of items still to come, before
//!   every step, and the iterators stay exhausted (fused);
//! * no item is empty or longer than the chunk size; every item but the last
//!   is exactly the chunk size; the last ends at the file length;
//! * zero-copy items stay valid after their iterator is dropped;
//! * iterating `&chunks` after any number of items lends exactly the rest,
//!   through `next` and `fold`, and leaves `chunks` where it was;
//! * `for_each_mut` reports exact offsets, its writes land (and reach the
//!   file), it stops at the closure's first error and returns that error,
//!   and every chunk it handed out counts as pending bytes;
//! * errors happen only where documented: `InvalidChunkSize` for a chunk
//!   size of 0, `InvalidMode` for `chunks_mut` on a mapping that is not
//!   read-write; owned items never fail while nothing resizes.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mmapio::{FlushPolicy, MemoryMappedFile, MmapIoError};
use mmapio_fuzz::{
    assert_file_eq, assert_invalid_mode, assert_mapping_eq, check_chunk, chunk_count, map_bytes,
    page, pattern, scratch_file, FileLen, FlushModel, Mode, MAX_FILE,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ChunkSize {
    Zero,
    One,
    Page,
    PageMinusOne,
    PagePlusOne,
    Pages(u8),
    Small(u16),
    /// The file length plus a small delta.
    NearLen(i16),
    Huge(u64),
    Max,
}

impl ChunkSize {
    fn resolve(self, len: usize) -> usize {
        let page = page();
        match self {
            ChunkSize::Zero => 0,
            ChunkSize::One => 1,
            ChunkSize::Page => page,
            ChunkSize::PageMinusOne => page - 1,
            ChunkSize::PagePlusOne => page + 1,
            ChunkSize::Pages(n) => page * usize::from(n),
            ChunkSize::Small(n) => usize::from(n),
            ChunkSize::NearLen(d) => (len as i64 + i64::from(d)).max(0) as usize,
            ChunkSize::Huge(n) => n as usize,
            ChunkSize::Max => usize::MAX,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Walk {
    Chunks {
        size: ChunkSize,
        keep_items: bool,
    },
    Pages {
        keep_items: bool,
    },
    /// `&chunks` after `after` calls of `next`.
    Lent {
        size: ChunkSize,
        after: u16,
    },
    ChunksOwned {
        size: ChunkSize,
    },
    PagesOwned,
    ChunksMut {
        size: ChunkSize,
        /// Index of the chunk whose closure call returns an error.
        fail_at: Option<u16>,
        xor: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    len: FileLen,
    mode: Mode,
    seed: u64,
    walks: Vec<Walk>,
}

/// The error the closure returns to stop a walk (never produced by mmapio
/// for a walk: its `total` is impossible).
fn stop_error(index: usize) -> MmapIoError {
    MmapIoError::OutOfBounds {
        offset: index as u64,
        len: 0xF0CC,
        total: u64::MAX,
    }
}

fn zero_copy(map: &MemoryMappedFile, model: &[u8], chunk: Option<usize>, keep_items: bool) {
    let (iter, size) = match chunk {
        Some(size) => {
            let result = map.try_chunks(size);
            if size == 0 {
                assert!(
                    matches!(result, Err(MmapIoError::InvalidChunkSize)),
                    "try_chunks(0) gave {result:?}"
                );
                assert_eq!(map.chunks(0).count(), 0, "chunks(0) yields nothing");
                return;
            }
            (result.expect("chunks(n > 0) never fails"), size)
        }
        None => (map.pages(), page()),
    };
    let mut iter = iter;
    let count = chunk_count(model.len(), size);
    let mut kept = Vec::new();
    let mut pos = 0;
    let mut produced = 0;
    loop {
        let left = count - produced;
        assert_eq!(iter.len(), left, "len() before item {produced}");
        assert_eq!(iter.size_hint(), (left, Some(left)));
        let Some(item) = iter.next() else { break };
        pos = check_chunk(model, pos, item.offset(), &item, size);
        produced += 1;
        if keep_items {
            kept.push(item);
        }
    }
    assert_eq!(produced, count, "number of items");
    assert_eq!(pos, model.len(), "the last item ends at the file length");
    assert!(iter.next().is_none(), "fused");
    assert_eq!(iter.len(), 0);
    drop(iter);
    // Items outlive their iterator and still see the same bytes.
    let mut pos = 0;
    for item in &kept {
        pos = check_chunk(model, pos, item.offset(), item, size);
    }
}

fn lent(map: &MemoryMappedFile, model: &[u8], size: usize, after: u16) {
    let mut chunks = match map.try_chunks(size) {
        Ok(chunks) => chunks,
        Err(MmapIoError::InvalidChunkSize) if size == 0 => return,
        Err(e) => panic!("chunks({size}) gave {e:?}"),
    };
    assert_ne!(size, 0, "chunks(0) must fail");
    let mut start = 0;
    for _ in 0..after {
        match chunks.next() {
            Some(item) => start = check_chunk(model, start, item.offset(), &item, size),
            None => break,
        }
    }
    let left = chunks.len();
    let lent = (&chunks).into_iter();
    assert_eq!(lent.len(), left, "len() of the lent items");
    let mut pos = start;
    let mut count = 0;
    for item in lent {
        pos = check_chunk(model, pos, item.offset(), &item, size);
        count += 1;
    }
    assert_eq!(count, left, "number of lent items");
    assert_eq!(
        pos,
        model.len(),
        "the last lent item ends at the file length"
    );
    let folded = (&chunks).into_iter().fold(start, |pos, item| {
        check_chunk(model, pos, item.offset(), &item, size)
    });
    assert_eq!(folded, model.len(), "fold over the lent items");
    assert_eq!(chunks.len(), left, "lending does not advance the iterator");
    let pos = chunks.fold(start, |pos, item| {
        check_chunk(model, pos, item.offset(), &item, size)
    });
    assert_eq!(pos, model.len());
}

fn owned(map: &MemoryMappedFile, model: &[u8], chunk: Option<usize>) {
    let (iter, size) = match chunk {
        Some(size) => {
            let result = map.try_chunks_owned(size);
            if size == 0 {
                assert!(
                    matches!(result, Err(MmapIoError::InvalidChunkSize)),
                    "try_chunks_owned(0) gave {result:?}"
                );
                assert_eq!(
                    map.chunks_owned(0).count(),
                    0,
                    "chunks_owned(0) yields nothing"
                );
                return;
            }
            (result.expect("chunks_owned(n > 0) never fails"), size)
        }
        None => (map.pages_owned(), page()),
    };
    let mut iter = iter;
    let count = chunk_count(model.len(), size);
    let mut pos = 0;
    let mut produced = 0;
    loop {
        let left = count - produced;
        assert_eq!(iter.len(), left, "len() before item {produced}");
        assert_eq!(iter.size_hint(), (left, Some(left)));
        let Some(item) = iter.next() else { break };
        let bytes = item.unwrap_or_else(|e| panic!("owned item {produced} failed: {e:?}"));
        pos = check_chunk(model, pos, pos as u64, &bytes, size);
        produced += 1;
    }
    assert_eq!(produced, count, "number of items");
    assert_eq!(pos, model.len(), "the last item ends at the file length");
    assert!(iter.next().is_none(), "fused");
}

fn walk_mut(
    map: &MemoryMappedFile,
    mode: Mode,
    model: &mut [u8],
    stats: &mut FlushModel,
    size: usize,
    fail_at: Option<u16>,
    xor: u8,
) {
    let fail_at = fail_at.map(usize::from);
    let mut calls = 0usize;
    let mut pos = 0usize;
    let mut handed = 0u64;
    let result = map.chunks_mut(size).for_each_mut(|offset, chunk| {
        let index = calls;
        calls += 1;
        pos = check_chunk(model, pos, offset, chunk, size);
        handed += chunk.len() as u64;
        for (b, m) in chunk.iter_mut().zip(&mut model[offset as usize..]) {
            *b ^= xor;
            *m ^= xor;
        }
        if fail_at == Some(index) {
            return Err(stop_error(index));
        }
        Ok(())
    });
    if size == 0 {
        assert!(
            matches!(result, Err(MmapIoError::InvalidChunkSize)),
            "chunks_mut(0) gave {result:?}"
        );
        assert_eq!(calls, 0);
        return;
    }
    if mode != Mode::ReadWrite {
        assert_invalid_mode(result, "chunks_mut", mode.mmap_mode());
        assert_eq!(calls, 0);
        return;
    }
    let count = chunk_count(model.len(), size);
    match fail_at.filter(|&i| i < count) {
        Some(i) => {
            match result {
                Err(MmapIoError::OutOfBounds {
                    offset,
                    len: 0xF0CC,
                    total: u64::MAX,
                }) if offset == i as u64 => {}
                other => panic!("walk stopped at {i}: expected the closure's error, got {other:?}"),
            }
            assert_eq!(calls, i + 1, "the walk stops at the closure's first error");
            stats.walk(handed, false);
        }
        None => {
            result.unwrap_or_else(|e| panic!("walk failed: {e:?}"));
            assert_eq!(calls, count, "number of chunks");
            assert_eq!(pos, model.len(), "the last chunk ends at the file length");
            stats.walk(handed, true);
        }
    }
}

fuzz_target!(|input: Input| {
    let len = input.len.resolve(MAX_FILE);
    let original = pattern(input.seed, len);
    let mut model = original.clone();
    let path = scratch_file("iter_bounds.bin");
    let map = map_bytes(&path, &original, input.mode, FlushPolicy::Manual);
    let mut stats = FlushModel::new(FlushPolicy::Manual);

    for walk in input.walks.into_iter().take(6) {
        match walk {
            Walk::Chunks { size, keep_items } => {
                zero_copy(&map, &model, Some(size.resolve(len)), keep_items)
            }
            Walk::Pages { keep_items } => zero_copy(&map, &model, None, keep_items),
            Walk::Lent { size, after } => lent(&map, &model, size.resolve(len), after),
            Walk::ChunksOwned { size } => owned(&map, &model, Some(size.resolve(len))),
            Walk::PagesOwned => owned(&map, &model, None),
            Walk::ChunksMut { size, fail_at, xor } => walk_mut(
                &map,
                input.mode,
                &mut model,
                &mut stats,
                size.resolve(len),
                fail_at,
                xor,
            ),
        }
        assert_mapping_eq(&map, &model);
        if input.mode == Mode::ReadWrite {
            stats.assert_matches(&map);
        } else {
            FlushModel::new(FlushPolicy::Manual).assert_matches(&map);
        }
    }

    drop(map);
    // Read-write walks reach the file; other modes never change it.
    if input.mode == Mode::ReadWrite {
        assert_file_eq(&path, &model);
    } else {
        assert_eq!(model, original);
        assert_file_eq(&path, &original);
    }
});
