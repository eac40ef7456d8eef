//! `resize` against live views and iterators, data across grow and shrink,
//! and a bounded multi-threaded stress run of every reader and writer.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mmapio::{FlushPolicy, MemoryMappedFile, MmapIoError};

use common::{assert_blocks_until, create_rw_with, spawn_waiter, Waiter};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A `resize` running on another thread (through a clone of the handle).
struct PendingResize(Waiter<mmapio::Result<()>>);

/// Returns once the other thread is about to call `resize`.
fn spawn_resize(map: &MemoryMappedFile, new_len: u64) -> PendingResize {
    let map = map.clone();
    PendingResize(spawn_waiter(move || map.resize(new_len)))
}

impl PendingResize {
    #[track_caller]
    fn assert_blocked(&self, what: &str) {
        self.0
            .assert_blocked(&format!("resize while {what} was alive"));
    }

    #[track_caller]
    fn finish(self, what: &str) {
        self.0
            .finish(&format!("resize after {what} was dropped"))
            .expect("resize failed");
    }
}

// ---------------------------------------------------- resize waits for views

#[test]
fn resize_waits_for_a_mapped_slice() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(8192, 1);
    let map = create_rw_with(&dir.path().join("s.bin"), &data);

    let view = map.as_slice(100, 1000).unwrap();
    let pending = spawn_resize(&map, 16384);
    pending.assert_blocked("a MappedSlice");
    // The view still sees the old mapping and the old length.
    assert_eq!(view, &data[100..1100]);
    assert_eq!(map.len(), 8192);
    // Another view on this thread is fine while the resize waits.
    assert_eq!(map.as_slice(0, 4).unwrap(), &data[..4]);
    let mut buf = [0u8; 8];
    map.read_into(8184, &mut buf).unwrap();
    assert_eq!(buf, data[8184..]);
    pending.assert_blocked("a MappedSlice");
    drop(view);
    pending.finish("the MappedSlice");

    assert_eq!(map.len(), 16384);
    assert_eq!(map.as_slice(0, 8192).unwrap(), data.as_slice());
    assert!(map.as_slice(8192, 8192).unwrap().iter().all(|&b| b == 0));
}

#[test]
fn resize_waits_for_a_mapped_slice_mut() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(8192, 2);
    let map = create_rw_with(&dir.path().join("m.bin"), &data);

    let mut view = map.as_slice_mut(0, 16).unwrap();
    let pending = spawn_resize(&map, 4096);
    pending.assert_blocked("a MappedSliceMut");
    view.copy_from_slice(b"written-by-view!");
    pending.assert_blocked("a MappedSliceMut");
    drop(view);
    pending.finish("the MappedSliceMut");

    assert_eq!(map.len(), 4096);
    assert_eq!(map.as_slice(0, 16).unwrap(), b"written-by-view!");
    assert_eq!(map.as_slice(16, 4080).unwrap(), &data[16..4096]);
    assert!(matches!(
        map.as_slice(4096, 1),
        Err(MmapIoError::OutOfBounds { total: 4096, .. })
    ));
}

#[test]
fn writers_wait_for_a_mapped_slice_too() {
    let dir = tempfile::tempdir().unwrap();
    let map = create_rw_with(&dir.path().join("w.bin"), &[0; 64]);
    let view = map.as_slice(0, 8).unwrap();
    let writer = map.clone();
    assert_blocks_until(
        "update_region under a live MappedSlice",
        move || writer.update_region(0, b"12345678"),
        || {
            assert_eq!(view, [0u8; 8], "bytes changed under a live view");
            drop(view);
        },
    )
    .unwrap();
    assert_eq!(map.as_slice(0, 8).unwrap(), b"12345678");
}

#[cfg(feature = "iterator")]
#[test]
fn resize_waits_for_a_live_chunks_iterator() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(10_000, 3);
    let map = create_rw_with(&dir.path().join("c.bin"), &data);

    let mut chunks = map.chunks(1000);
    let first = chunks.next().unwrap();
    assert_eq!(first, &data[..1000]);
    drop(first); // only the iterator is left holding the lock
    let pending = spawn_resize(&map, 20_000);
    pending.assert_blocked("a chunks() iterator");
    // The iterator keeps yielding the old, unchanged mapping.
    let rest: Vec<u8> = chunks.by_ref().flat_map(|c| c.to_vec()).collect();
    assert_eq!(rest, &data[1000..]);
    // Yielding its last item handed the iterator's last share of the lock
    // to that item; with every item dropped, nothing holds it any more.
    pending.finish("the items of an exhausted chunks() iterator");
    assert!(
        chunks.next().is_none(),
        "an exhausted iterator stays exhausted"
    );
    drop(chunks);

    assert_eq!(map.len(), 20_000);
    assert_eq!(map.chunks(10_000).count(), 2);
    assert_eq!(map.as_slice(0, 10_000).unwrap(), data.as_slice());
}

#[cfg(feature = "iterator")]
#[test]
fn resize_waits_for_the_chunks_iterator_that_lent_its_items() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(10_000, 5);
    let map = create_rw_with(&dir.path().join("b.bin"), &data);

    let chunks = map.chunks(1000);
    let pending = spawn_resize(&map, 3000);
    let mut lent = Vec::new();
    for item in &chunks {
        if item.offset() == 0 {
            pending.assert_blocked("an item lent by a chunks() iterator");
        }
        lent.extend_from_slice(&item);
    }
    assert_eq!(lent, data, "the lent items read the old, unchanged mapping");
    // Every lent item is gone; the iterator, which has yielded none of its
    // own, still holds the lock for them.
    pending.assert_blocked("a chunks() iterator whose lent items are gone");
    drop(chunks);
    pending.finish("the chunks() iterator");

    assert_eq!(map.len(), 3000);
    assert_eq!(map.as_slice(0, 3000).unwrap(), &data[..3000]);
}

#[cfg(feature = "iterator")]
#[test]
fn resize_waits_for_an_item_of_a_dropped_chunks_iterator() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(10_000, 4);
    let map = create_rw_with(&dir.path().join("i.bin"), &data);

    let item = {
        let mut chunks = map.chunks(1000);
        chunks.nth(3).unwrap()
    }; // the iterator is dropped here
    let pending = spawn_resize(&map, 2000);
    pending.assert_blocked("an item of a dropped chunks() iterator");
    assert_eq!(item.offset(), 3000);
    assert_eq!(item, &data[3000..4000]);
    pending.assert_blocked("an item of a dropped chunks() iterator");
    drop(item);
    pending.finish("the chunk item");

    assert_eq!(map.len(), 2000);
    assert_eq!(map.as_slice(0, 2000).unwrap(), &data[..2000]);
}

#[cfg(feature = "iterator")]
#[test]
fn items_keep_the_lock_when_their_count_lives_on_the_heap() {
    let dir = tempfile::tempdir().unwrap();
    // 32 live iterators over another mapping take every shared-lock slot of
    // this thread, so the next iterators count their items' shares in a
    // slot on the heap, freed with the last share.
    let other = create_rw_with(&dir.path().join("other.bin"), &pattern(100, 6));
    let hoarded: Vec<_> = (0..32).map(|_| other.chunks(10)).collect();
    let data = pattern(10_000, 7);
    let map = create_rw_with(&dir.path().join("f.bin"), &data);

    let (item, folded) = {
        let chunks = map.chunks(1000);
        let mut items: Vec<_> = chunks.fold(Vec::new(), |mut items, c| {
            items.push(c);
            items
        });
        (items.swap_remove(5), items)
    };
    assert_eq!(folded.len(), 9);
    drop(folded);
    let pending = spawn_resize(&map, 2000);
    pending.assert_blocked("an item of a dropped chunks() iterator counted on the heap");
    assert_eq!(item, &data[5000..6000]);
    drop(hoarded);
    pending.assert_blocked("the same item after the slots were freed");
    drop(item);
    pending.finish("the chunk item counted on the heap");
    assert_eq!(map.as_slice(0, 2000).unwrap(), &data[..2000]);
}

#[cfg(feature = "iterator")]
#[test]
fn resize_waits_for_an_item_of_a_dropped_pages_iterator() {
    let dir = tempfile::tempdir().unwrap();
    let page = mmapio::page_size();
    let data = pattern(3 * page, 5);
    let map = create_rw_with(&dir.path().join("p.bin"), &data);

    let items: Vec<_> = map.pages().collect();
    assert_eq!(items.len(), 3);
    let last = items.into_iter().last().unwrap();
    let pending = spawn_resize(&map, page as u64);
    pending.assert_blocked("an item of a pages() iterator");
    assert_eq!(last, &data[2 * page..]);
    drop(last);
    pending.finish("the page item");
    assert_eq!(map.len(), page as u64);
}

#[cfg(feature = "iterator")]
#[test]
fn chunks_owned_does_not_block_resize_and_reports_vanished_items() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(4000, 6);
    let map = create_rw_with(&dir.path().join("o.bin"), &data);

    let mut owned = map.chunks_owned(1000);
    assert_eq!(owned.len(), 4);
    assert_eq!(owned.next().unwrap().unwrap(), &data[..1000]);
    // The iterator holds no lock between items: resize proceeds.
    let pending = spawn_resize(&map, 2500);
    pending
        .0
        .finish("resize beside a chunks_owned() iterator")
        .unwrap();
    assert_eq!(owned.next().unwrap().unwrap(), &data[1000..2000]);
    // The number of items was fixed up front; ranges past the new end fail.
    for expected_offset in [2000u64, 3000] {
        match owned.next() {
            Some(Err(MmapIoError::OutOfBounds { offset, len, total })) => {
                assert_eq!((offset, len, total), (expected_offset, 1000, 2500));
            }
            other => panic!("expected OutOfBounds, got {other:?}"),
        }
    }
    assert!(owned.next().is_none());
}

// ---------------------------------------------------- grow / shrink contents

#[test]
fn data_round_trips_across_grow_and_shrink() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.bin");
    let page = mmapio::page_size();
    let first_len = 3 * page + 123;
    let data = pattern(first_len, 7);
    let map = create_rw_with(&path, &data);

    let check = |len: usize, prefix: &[u8]| {
        assert_eq!(map.len(), len as u64);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len as u64);
        let all = map.as_slice(0, len as u64).unwrap();
        assert_eq!(&all[..prefix.len()], prefix, "kept bytes changed");
        assert!(
            all[prefix.len()..].iter().all(|&b| b == 0),
            "new bytes are not zero"
        );
        let mut copy = vec![0xAA; len];
        map.read_into(0, &mut copy).unwrap();
        assert_eq!(&copy[..], &all[..]);
    };

    // Grow: old bytes kept, new bytes zero (including the rest of the
    // previously partial last page).
    map.resize(5 * page as u64 + 7).unwrap();
    check(5 * page + 7, &data);
    // Write into the grown tail, then shrink below it and grow again: the
    // re-grown bytes must be zero, not the old tail.
    map.update_region(4 * page as u64, &[0xEE; 100]).unwrap();
    map.resize(page as u64 + 1).unwrap();
    check(page + 1, &data[..page + 1]);
    map.resize(6 * page as u64).unwrap();
    check(6 * page, &data[..page + 1]);
    // Same length: nothing changes.
    map.resize(6 * page as u64).unwrap();
    check(6 * page, &data[..page + 1]);
    // A tiny mapping, then back.
    map.resize(1).unwrap();
    check(1, &data[..1]);
    map.resize(2 * page as u64).unwrap();
    check(2 * page, &data[..1]);

    // Writes after a resize land in the new mapping and reach the file.
    map.update_region(page as u64, b"after resize").unwrap();
    map.flush().unwrap();
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(on_disk.len(), 2 * page);
    assert_eq!(on_disk[0], data[0]);
    assert_eq!(&on_disk[page..page + 12], b"after resize");
    drop(map);
    let reopened = MemoryMappedFile::open_ro(&path).unwrap();
    assert_eq!(
        reopened.as_slice(0, on_disk.len() as u64).unwrap(),
        on_disk.as_slice()
    );
}

#[test]
fn failed_resize_keeps_length_and_contents() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(5000, 8);
    let map = create_rw_with(&dir.path().join("f.bin"), &data);
    for bad in [0, u64::MAX, isize::MAX as u64 + 1] {
        assert!(
            matches!(map.resize(bad), Err(MmapIoError::InvalidSize { size, .. }) if size == bad),
            "resize({bad})"
        );
        assert_eq!(map.len(), 5000);
        assert_eq!(map.as_slice(0, 5000).unwrap(), data.as_slice());
    }
}

// ----------------------------------------------------- concurrent own resize

/// `check_file_len()`/`touch_pages()` must only report `FileTruncated` when
/// something *else* shortened the file. A `resize` of the same mapping is
/// not "behind the mapping's back": every view waits for it under the lock.
///
/// One thread calls `check_file_len()` in a tight loop, another
/// `touch_pages()`, while this thread shrinks and grows the mapping (for at
/// most 3 s, stopping early once a few spurious errors were seen).
#[test]
fn own_shrinking_resize_is_not_reported_as_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let big = 64 * 1024u64;
    let map = MemoryMappedFile::create_rw(dir.path().join("t.bin"), big).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spawn_checker = |touch: bool| {
        let map = map.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut spurious = Vec::new();
            while !stop.load(Ordering::Relaxed) && spurious.len() < 3 {
                if touch {
                    match map.touch_pages() {
                        // Documented: the walk re-checks the length under the
                        // lock and may see the shrink.
                        Ok(()) | Err(MmapIoError::OutOfBounds { .. }) => {}
                        Err(e) => spurious.push(format!("touch_pages: {e}")),
                    }
                } else if let Err(e) = map.check_file_len() {
                    spurious.push(format!("check_file_len: {e}"));
                }
            }
            spurious
        })
    };
    let checkers = [spawn_checker(false), spawn_checker(true)];
    let deadline = Instant::now() + Duration::from_secs(3);
    for i in 0..5000 {
        map.resize(if i % 2 == 0 { big / 2 } else { big }).unwrap();
        if checkers.iter().any(|c| c.is_finished()) || Instant::now() > deadline {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let spurious: Vec<String> = checkers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        spurious.is_empty(),
        "the mapping's own resize was reported as external truncation: {spurious:#?}"
    );
}

// ------------------------------------------------------------ stress test

const BLOCK: usize = 4096;
const MIN_BLOCKS: u64 = 8;
const MAX_BLOCKS: u64 = 16;
const ITERATIONS: u32 = 1500;
const STRESS_DEADLINE: Duration = Duration::from_secs(20);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn value(&mut self) -> u8 {
        (self.next() % 255) as u8 + 1
    }
}

fn assert_uniform(bytes: &[u8], what: &str) {
    let first = bytes[0];
    if let Some(pos) = bytes.iter().position(|&b| b != first) {
        panic!(
            "torn read in {what}: byte 0 is {first:#x} but byte {pos} is {:#x}",
            bytes[pos]
        );
    }
}

/// Every block of `bytes` (a multiple of BLOCK long) holds one value.
fn assert_blocks_uniform(bytes: &[u8], what: &str) {
    assert_eq!(
        bytes.len() % BLOCK,
        0,
        "{what}: length not a block multiple"
    );
    for block in bytes.chunks(BLOCK) {
        assert_uniform(block, what);
    }
}

fn accept_out_of_bounds<T>(result: mmapio::Result<T>, what: &str) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(MmapIoError::OutOfBounds { total, .. }) => {
            assert!(
                total == MIN_BLOCKS * BLOCK as u64 || total == MAX_BLOCKS * BLOCK as u64,
                "{what}: unexpected total {total}"
            );
            None
        }
        Err(e) => panic!("{what}: {e}"),
    }
}

#[test]
fn concurrent_readers_writers_resize_flush_and_touch() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::builder(dir.path().join("stress.bin"))
        .size(MAX_BLOCKS * BLOCK as u64)
        .flush_policy(FlushPolicy::EveryWrites(50))
        .create()
        .unwrap();
    let reads = Arc::new(AtomicU64::new(0));
    let mut threads: Vec<(&str, JoinHandle<()>)> = Vec::new();

    let spawn = |name: &'static str,
                 threads: &mut Vec<(&str, JoinHandle<()>)>,
                 f: Box<dyn FnOnce(MemoryMappedFile, Arc<AtomicU64>) + Send>| {
        let map = map.clone();
        let reads = Arc::clone(&reads);
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || f(map, reads))
            .unwrap();
        threads.push((name, handle));
    };

    // Reader: single-block views and copies.
    spawn(
        "reader-slices",
        &mut threads,
        Box::new(|map, reads| {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            let mut buf = vec![0u8; BLOCK];
            for _ in 0..ITERATIONS {
                let block = rng.below(MAX_BLOCKS) * BLOCK as u64;
                if let Some(view) =
                    accept_out_of_bounds(map.as_slice(block, BLOCK as u64), "as_slice")
                {
                    assert_uniform(&view, "as_slice");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
                let block = rng.below(MAX_BLOCKS) * BLOCK as u64;
                if accept_out_of_bounds(map.read_into(block, &mut buf), "read_into").is_some() {
                    assert_uniform(&buf, "read_into");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
                // Two blocks that always exist, under one view.
                let view = map.as_slice(0, 2 * BLOCK as u64).unwrap();
                assert_blocks_uniform(&view, "two-block view");
            }
        }),
    );

    // Reader: whole-mapping walks.
    spawn(
        "reader-walks",
        &mut threads,
        Box::new(|map, reads| {
            for _ in 0..ITERATIONS / 3 {
                #[cfg(feature = "iterator")]
                {
                    let mut total = 0;
                    for chunk in map.chunks(BLOCK) {
                        assert_eq!(chunk.len(), BLOCK);
                        assert_uniform(&chunk, "chunks");
                        total += chunk.len();
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    let total = total as u64;
                    assert!(
                        total == MIN_BLOCKS * BLOCK as u64 || total == MAX_BLOCKS * BLOCK as u64
                    );
                    for page in map.chunks_owned(BLOCK) {
                        if let Some(page) = accept_out_of_bounds(page, "chunks_owned") {
                            assert_uniform(&page, "chunks_owned");
                        }
                    }
                }
                let len = map.len();
                if let Some(all) = accept_out_of_bounds(map.as_slice(0, len), "whole view") {
                    assert_blocks_uniform(&all, "whole view");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            }
        }),
    );

    // Writer: update_region and mutable views, one whole block at a time.
    spawn(
        "writer-blocks",
        &mut threads,
        Box::new(|map, _| {
            let mut rng = Rng(0xD1B5_4A32_D192_ED03);
            for _ in 0..ITERATIONS {
                let block = rng.below(MAX_BLOCKS) * BLOCK as u64;
                let value = rng.value();
                accept_out_of_bounds(map.update_region(block, &[value; BLOCK]), "update_region");
                let block = rng.below(MAX_BLOCKS) * BLOCK as u64;
                let value = rng.value();
                if let Some(mut view) =
                    accept_out_of_bounds(map.as_slice_mut(block, BLOCK as u64), "as_slice_mut")
                {
                    // Byte by byte, so a reader racing this would see a mix.
                    for b in view.iter_mut() {
                        *b = value;
                    }
                }
            }
        }),
    );

    // Writer: whole-mapping mutable walks (or whole-mapping views).
    spawn(
        "writer-walks",
        &mut threads,
        Box::new(|map, _| {
            let mut rng = Rng(0x2545_F491_4F6C_DD1D);
            for _ in 0..ITERATIONS / 3 {
                #[cfg(feature = "iterator")]
                {
                    let base = rng.value();
                    map.chunks_mut(BLOCK)
                        .for_each_mut(|offset, chunk| {
                            let v = base.wrapping_add((offset / BLOCK as u64) as u8).max(1);
                            for b in chunk.iter_mut() {
                                *b = v;
                            }
                            Ok(())
                        })
                        .unwrap();
                }
                let value = rng.value();
                let len = map.len();
                if let Some(mut all) = accept_out_of_bounds(map.as_slice_mut(0, len), "whole mut") {
                    all.fill(value);
                }
            }
        }),
    );

    // One thread resizing, flushing and touching pages.
    spawn(
        "resize-flush-touch",
        &mut threads,
        Box::new(|map, _| {
            for i in 0..ITERATIONS / 3 {
                let blocks = if i % 2 == 0 { MIN_BLOCKS } else { MAX_BLOCKS };
                map.resize(blocks * BLOCK as u64).unwrap();
                assert_eq!(map.len(), blocks * BLOCK as u64);
                map.flush().unwrap();
                map.flush_range(BLOCK as u64, BLOCK as u64).unwrap();
                // This thread is the only resizer, so the length it walks is
                // the current one.
                map.touch_pages().unwrap();
                map.touch_pages_range(0, 3 * BLOCK as u64).unwrap();
                map.check_file_len().unwrap();
            }
            map.resize(MAX_BLOCKS * BLOCK as u64).unwrap();
        }),
    );

    let start = Instant::now();
    while !threads.iter().all(|(_, h)| h.is_finished()) {
        if start.elapsed() > STRESS_DEADLINE {
            let stuck: Vec<&str> = threads
                .iter()
                .filter(|(_, h)| !h.is_finished())
                .map(|(n, _)| *n)
                .collect();
            panic!("deadlock? threads still running after {STRESS_DEADLINE:?}: {stuck:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    for (name, handle) in threads {
        if let Err(panic) = handle.join() {
            eprintln!("thread {name} panicked");
            std::panic::resume_unwind(panic);
        }
    }

    assert!(reads.load(Ordering::Relaxed) > 0, "no read succeeded");
    let stats = map.flush_stats();
    assert!(stats.flushes >= u64::from(ITERATIONS / 3));
    assert_eq!(stats.range_flushes, u64::from(ITERATIONS / 3));
    assert!(stats.file_syncs >= u64::from(ITERATIONS / 3));
    assert_eq!(map.len(), MAX_BLOCKS * BLOCK as u64);
    let all = map.as_slice(0, map.len()).unwrap();
    assert_blocks_uniform(&all, "final contents");
    drop(all);
    map.check_file_len().unwrap();
    map.touch_pages().unwrap();
}
