//! Unit tests of the view, iterator, bounds and flush-accounting code over a
//! heap-backed region, so they run under Miri (`cargo +nightly miri test
//! --lib`), which cannot `mmap`. They exercise the same code paths as real
//! mappings: only `Region`'s constructor and drop differ.

use std::sync::Arc;
use std::sync::Barrier;

use crate::{FlushPolicy, MemoryMappedFile, MmapIoError};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn ro_views_and_copies() {
    let data = pattern(100);
    let map = MemoryMappedFile::heap_ro(data.clone());
    let view = map.as_slice(10, 20).unwrap();
    assert_eq!(view, &data[10..30]);
    assert_eq!(view.offset(), 10);
    let mut buf = [0u8; 5];
    map.read_into(95, &mut buf).unwrap();
    assert_eq!(buf, data[95..]);
    assert_eq!(map.as_slice(100, 0).unwrap().len(), 0);
    assert!(matches!(
        map.as_slice(u64::MAX, u64::MAX),
        Err(MmapIoError::OutOfBounds { total: 100, .. })
    ));
    assert!(matches!(
        map.update_region(0, b"x"),
        Err(MmapIoError::InvalidMode {
            op: "update_region",
            ..
        })
    ));
    assert!(matches!(
        map.as_slice_mut(0, 1),
        Err(MmapIoError::InvalidMode {
            op: "as_slice_mut",
            ..
        })
    ));
}

#[test]
fn rw_writes_views_and_resize() {
    let map = MemoryMappedFile::heap_rw(vec![0; 64], FlushPolicy::Manual);
    map.update_region(60, b"abcd").unwrap();
    {
        let mut view = map.as_slice_mut(0, 4).unwrap();
        view.copy_from_slice(b"wxyz");
        assert_eq!(&view[..], b"wxyz");
    }
    // Two read views at once on the same thread (recursive read lock).
    let a = map.as_slice(0, 4).unwrap();
    let b = map.as_slice(60, 4).unwrap();
    assert_eq!(a, b"wxyz");
    assert_eq!(b, b"abcd");
    drop((a, b));
    map.resize(128).unwrap();
    assert_eq!(map.len(), 128);
    assert_eq!(map.as_slice(60, 4).unwrap(), b"abcd");
    assert!(map.as_slice(64, 64).unwrap().iter().all(|&x| x == 0));
    map.resize(2).unwrap();
    assert_eq!(map.as_slice(0, 2).unwrap(), b"wx");
    assert!(map.as_slice(0, 3).is_err());
    assert!(matches!(
        map.resize(0),
        Err(MmapIoError::InvalidSize { size: 0, .. })
    ));
}

#[test]
#[cfg(feature = "iterator")]
fn chunks_cover_exactly_and_items_outlive_iterator() {
    for map in [
        MemoryMappedFile::heap_ro(pattern(1000)),
        MemoryMappedFile::heap_rw(pattern(1000), FlushPolicy::Manual),
    ] {
        let iter = map.chunks(300);
        assert_eq!(iter.len(), 4);
        let items: Vec<_> = iter.collect(); // the iterator is gone now
        let lens: Vec<usize> = items.iter().map(|c| c.len()).collect();
        assert_eq!(lens, [300, 300, 300, 100]);
        let joined: Vec<u8> = items.iter().flat_map(|c| c.iter().copied()).collect();
        assert_eq!(joined, pattern(1000));
        assert_eq!(items[3].offset(), 900);
        assert_eq!(map.chunks(usize::MAX).count(), 1);
        assert_eq!(map.chunks(0).count(), 0);
        assert!(matches!(
            map.try_chunks(0),
            Err(MmapIoError::InvalidChunkSize)
        ));
        let owned: Vec<u8> = map.chunks_owned(7).flat_map(|c| c.unwrap()).collect();
        assert_eq!(owned, pattern(1000));
        assert_eq!(map.pages().map(|p| p.len()).sum::<usize>(), 1000);
    }
}

#[test]
#[cfg(feature = "iterator")]
fn borrowed_chunks_lend_the_same_views_and_leave_the_lock_to_the_iterator() {
    for map in [
        MemoryMappedFile::heap_ro(pattern(1000)),
        MemoryMappedFile::heap_rw(pattern(1000), FlushPolicy::Manual),
    ] {
        let mut chunks = map.chunks(300);
        let first = chunks.next().unwrap();
        let lent: Vec<(u64, Vec<u8>)> = (&chunks)
            .into_iter()
            .map(|c| (c.offset(), c.to_vec()))
            .collect();
        let expected: Vec<(u64, Vec<u8>)> = pattern(1000)[300..]
            .chunks(300)
            .enumerate()
            .map(|(i, c)| (300 + i as u64 * 300, c.to_vec()))
            .collect();
        assert_eq!(lent, expected);
        let folded = (&chunks).into_iter().fold(0, |n, c| n + c.len());
        assert_eq!(folded, 700);
        drop(first);
        if map.mode() == crate::MmapMode::ReadWrite {
            assert!(!lock_is_free(&map), "the iterator keeps the lock");
            drop(chunks);
            assert!(lock_is_free(&map), "and gives it back");
        }
    }
}

#[test]
#[cfg(feature = "iterator")]
fn chunk_items_keep_blocking_resize() {
    let map = Arc::new(MemoryMappedFile::heap_rw(pattern(64), FlushPolicy::Manual));
    let item = map.chunks(16).nth(2).unwrap();
    let started = Arc::new(Barrier::new(2));
    let resizer = {
        let (map, started) = (Arc::clone(&map), Arc::clone(&started));
        std::thread::spawn(move || {
            started.wait();
            map.resize(8).unwrap();
        })
    };
    started.wait();
    // The resizer is past the barrier: give it every chance to run.
    yield_many();
    assert!(!resizer.is_finished(), "resize ran under a live item");
    assert_eq!(item, &pattern(64)[32..48]);
    drop(item);
    resizer.join().unwrap();
    assert_eq!(map.len(), 8);
}

/// Lets the other threads run (Miri switches threads at yields).
#[cfg(any(feature = "iterator", feature = "atomic"))]
fn yield_many() {
    for _ in 0..50 {
        std::thread::yield_now();
    }
}

#[test]
#[cfg(feature = "iterator")]
fn fold_and_items_counted_on_the_heap_yield_the_same_views() {
    let map = MemoryMappedFile::heap_rw(pattern(1000), FlushPolicy::Manual);
    let collect = |iter: crate::Chunks<'_>| -> Vec<(u64, Vec<u8>)> {
        iter.fold(Vec::new(), |mut all, c| {
            all.push((c.offset(), c.to_vec()));
            all
        })
    };
    let expected: Vec<(u64, Vec<u8>)> = pattern(1000)
        .chunks(300)
        .enumerate()
        .map(|(i, c)| (i as u64 * 300, c.to_vec()))
        .collect();
    let in_slot = map.chunks(300);
    assert!(!in_slot.counts_on_heap());
    assert_eq!(collect(in_slot), expected);

    // Use up this thread's shared-lock slots; later iterators count their
    // items' shares in a slot on the heap.
    let hoard: Vec<_> = std::iter::repeat_with(|| map.chunks(1))
        .take_while(|iter| !iter.counts_on_heap())
        .collect();
    let on_heap = map.chunks(300);
    assert!(on_heap.counts_on_heap());
    let folded = map.chunks(300);
    assert!(folded.counts_on_heap());
    assert_eq!(collect(folded), expected);
    let mut items: Vec<_> = on_heap.collect();
    let last = items.pop().unwrap();
    assert_eq!((last.offset(), &*last), (900, &pattern(1000)[900..]));
    drop((items, hoard));
    assert!(
        !lock_is_free(&map),
        "the kept item holds a share of the lock"
    );
    assert!(!map.chunks(300).counts_on_heap());
    assert_eq!(&*last, &pattern(1000)[900..]);
    drop(last);
    assert!(lock_is_free(&map), "every share was given back");
}

/// Whether a writer could take the read-write mapping's lock right now.
#[cfg(feature = "iterator")]
fn lock_is_free(map: &MemoryMappedFile) -> bool {
    match &map.shared.storage {
        crate::shared_state::Storage::Locked(lock) => lock.try_write().is_some(),
        crate::shared_state::Storage::Private(private) => private.gate().try_write().is_some(),
        crate::shared_state::Storage::Unlocked(_) => unreachable!("a read-write mapping"),
    }
}

#[test]
#[cfg(feature = "iterator")]
fn fold_yields_every_chunk_for_any_count_of_whole_chunks() {
    // `fold` walks whole chunks four at a time, then one at a time, then
    // the tail: lengths of 1 to 9 whole chunks of 10 bytes, with and
    // without a tail, after 0, 1 or 5 items taken with `next`.
    for len in [1, 9, 10, 11, 20, 29, 30, 40, 41, 50, 59, 60, 70, 80, 89, 90] {
        let data = pattern(len);
        let map = MemoryMappedFile::heap_rw(data.clone(), FlushPolicy::Manual);
        let expected: Vec<(u64, Vec<u8>)> = data
            .chunks(10)
            .enumerate()
            .map(|(i, c)| (i as u64 * 10, c.to_vec()))
            .collect();
        for skip in [0, 1, 5] {
            let mut iter = map.chunks(10);
            let head: Vec<_> = iter.by_ref().take(skip).collect();
            let items = iter.fold(head, |mut items, c| {
                items.push(c);
                items
            });
            let seen: Vec<(u64, Vec<u8>)> =
                items.iter().map(|c| (c.offset(), c.to_vec())).collect();
            assert_eq!(seen, expected, "{len} bytes after {skip} items");
            assert!(!lock_is_free(&map), "the items hold the lock");
            drop(items);
            assert!(lock_is_free(&map), "{len} bytes: a share was not returned");
        }
    }
}

#[test]
#[cfg(feature = "iterator")]
fn a_panic_inside_fold_keeps_exactly_the_live_items_locked() {
    // 10 chunks: a panic at every position, inside and after the groups
    // of four that `fold` makes at once.
    for stop in 0..10 {
        let map = MemoryMappedFile::heap_rw(pattern(1000), FlushPolicy::Manual);
        let kept = std::cell::RefCell::new(Vec::new());
        let walk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            map.chunks(100).fold(0, |n, chunk| {
                if n == stop {
                    panic!("stop the walk");
                }
                kept.borrow_mut().push(chunk);
                n + 1
            })
        }));
        assert!(walk.is_err());
        let kept = kept.into_inner();
        assert_eq!(kept.len(), stop);
        if let Some(last) = kept.last() {
            assert_eq!(&**last, &pattern(1000)[(stop - 1) * 100..stop * 100]);
        }
        assert_eq!(lock_is_free(&map), stop == 0, "only kept items hold it");
        drop(kept);
        assert!(lock_is_free(&map), "nothing may hold it after the unwind");
    }
}

#[test]
#[cfg(feature = "iterator")]
fn for_each_mut_offsets_and_errors() {
    let map = MemoryMappedFile::heap_rw(vec![0; 10], FlushPolicy::Always);
    let mut seen = Vec::new();
    map.chunks_mut(4)
        .for_each_mut(|offset, chunk| {
            seen.push((offset, chunk.len()));
            chunk.fill(offset as u8 + 1);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, [(0, 4), (4, 4), (8, 2)]);
    assert_eq!(map.as_slice(0, 10).unwrap(), [1, 1, 1, 1, 5, 5, 5, 5, 9, 9]);
    assert_eq!(map.flush_stats().flushes, 1);

    let mut calls = 0;
    let err = map.chunks_mut(3).for_each_mut(|offset, _| {
        calls += 1;
        if offset == 3 {
            Err(MmapIoError::InvalidChunkSize)
        } else {
            Ok(())
        }
    });
    assert!(matches!(err, Err(MmapIoError::InvalidChunkSize)));
    assert_eq!(calls, 2);
    assert!(matches!(
        map.chunks_mut(0).for_each_mut(|_, _| Ok(())),
        Err(MmapIoError::InvalidChunkSize)
    ));
}

#[test]
fn flush_policies_count() {
    let map = MemoryMappedFile::heap_rw(vec![0; 32], FlushPolicy::EveryBytes(8));
    map.update_region(0, &[1; 5]).unwrap();
    assert_eq!(map.flush_stats().flushes, 0);
    assert_eq!(map.pending_bytes(), 5);
    map.update_region(5, &[1; 3]).unwrap();
    assert_eq!(map.flush_stats().flushes, 1);
    assert_eq!(map.pending_bytes(), 0);
    map.flush().unwrap();
    assert_eq!(
        map.flush_stats().flushes,
        2,
        "explicit flush always flushes"
    );
    map.flush_range(4, 4).unwrap();
    assert_eq!(map.flush_stats().range_flushes, 1);
}

#[test]
fn touch_pages_walks_the_region() {
    let map = MemoryMappedFile::heap_rw(pattern(3 * crate::page_size() + 5), FlushPolicy::Manual);
    map.touch_pages().unwrap();
    map.touch_pages_range(1, 2).unwrap();
    assert!(map.touch_pages_range(0, u64::MAX).is_err());
}

#[test]
fn concurrent_readers_and_writers_do_not_race() {
    // Miri's data-race detector checks that the lock really separates them.
    let map = Arc::new(MemoryMappedFile::heap_rw(vec![0; 256], FlushPolicy::Manual));
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let map = Arc::clone(&map);
            std::thread::spawn(move || {
                for round in 0..8u8 {
                    let block = u64::from(t) * 64;
                    if t % 2 == 0 {
                        map.update_region(block, &[round; 64]).unwrap();
                    } else {
                        let view = map.as_slice(block - 64, 64).unwrap();
                        let first = view[0];
                        assert!(view.iter().all(|&b| b == first), "torn read");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn every_millis_flusher_stops_on_drop() {
    let map = MemoryMappedFile::heap_rw(vec![0; 16], FlushPolicy::EveryMillis(1));
    let clone = map.clone();
    drop(map);
    clone.update_region(0, b"x").unwrap();
    drop(clone); // joins the flusher; a hang here fails the test run
}

#[test]
#[cfg(feature = "atomic")]
fn atomic_views_count_exactly_and_exclude_byte_views() {
    use std::sync::atomic::Ordering;
    let map = MemoryMappedFile::heap_rw(vec![0; 64], FlushPolicy::Manual);
    {
        let counter = map.atomic_u64(8).unwrap();
        let second = map.atomic_u32_slice(16, 2).unwrap(); // same thread: no deadlock
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for _ in 0..10 {
                        counter.fetch_add(1, Ordering::Relaxed);
                        second[1].fetch_add(2, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::Relaxed), 30);
        // Flushing needs no byte access, so it works in atomic mode (and on
        // the thread holding the views).
        map.flush().unwrap();
        map.flush_range(8, 8).unwrap();
        assert_eq!(map.flush_stats().flushes, 1);
        assert!(matches!(
            map.atomic_u64(4),
            Err(MmapIoError::Misaligned {
                required: 8,
                offset: 4
            })
        ));
        assert!(matches!(
            map.atomic_u64_slice(0, usize::MAX),
            Err(MmapIoError::OutOfBounds { len: u64::MAX, .. })
        ));
    }
    // Atomic mode is over: byte access works and sees the stored values.
    assert_eq!(map.as_slice(8, 8).unwrap(), 30u64.to_le_bytes());
    assert_eq!(map.as_slice(20, 4).unwrap(), 60u32.to_le_bytes());
    map.resize(128).unwrap();
}

#[test]
#[cfg(feature = "cow")]
fn private_writes_are_ordered_after_reads_through_a_dropped_clone() {
    // A reader thread reads through a clone and drops it; the writer sees
    // the clone gone and writes. The write must happen after the reads
    // (Miri's data-race detector checks it), which a relaxed look at the
    // clone count does not ensure.
    let mut map = MemoryMappedFile::heap_cow(pattern(64));
    let clone = map.clone();
    let reader = std::thread::spawn(move || {
        let sum: u64 = clone
            .as_slice(0, 64)
            .unwrap()
            .iter()
            .map(|&b| u64::from(b))
            .sum();
        drop(clone);
        sum
    });
    loop {
        match map.cow_update_region(0, &[0xAA; 64]) {
            Ok(()) => break,
            Err(MmapIoError::SharedHandle { .. }) => std::thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    }
    let expected: u64 = pattern(64).iter().map(|&b| u64::from(b)).sum();
    assert_eq!(reader.join().unwrap(), expected);
    assert_eq!(map.as_slice(0, 64).unwrap(), [0xAA; 64]);
}

#[test]
fn flush_runs_on_the_thread_holding_a_mutable_view() {
    let map = MemoryMappedFile::heap_rw(vec![0; 32], FlushPolicy::Manual);
    let mut view = map.as_slice_mut(0, 4).unwrap();
    view.copy_from_slice(b"abcd");
    // The thread already has exclusive access: flushing does not wait for
    // itself.
    map.flush().unwrap();
    map.flush_range(0, 4).unwrap();
    assert_eq!(
        (map.flush_stats().flushes, map.flush_stats().range_flushes),
        (1, 1)
    );
    // Anything that would wait for the view is refused instead of hanging.
    assert!(matches!(
        map.as_slice(0, 1),
        Err(MmapIoError::WouldDeadlock { op: "as_slice" })
    ));
    assert!(matches!(
        map.update_region(0, b"x"),
        Err(MmapIoError::WouldDeadlock { .. })
    ));
    assert!(matches!(
        map.resize(64),
        Err(MmapIoError::WouldDeadlock { .. })
    ));
    let mut buf = [0; 1];
    assert!(matches!(
        map.read_into(0, &mut buf),
        Err(MmapIoError::WouldDeadlock { .. })
    ));
    drop(view);
    assert_eq!(map.pending_bytes(), 4, "the view's bytes are pending");
    assert_eq!(map.as_slice(0, 4).unwrap(), b"abcd");
}

#[test]
#[cfg(feature = "iterator")]
fn flush_runs_inside_a_mutable_walk_and_a_panicking_walk_counts_its_bytes() {
    let map = MemoryMappedFile::heap_rw(vec![0; 40], FlushPolicy::Manual);
    map.chunks_mut(10)
        .for_each_mut(|offset, chunk| {
            chunk.fill(1);
            if offset == 10 {
                map.flush()?; // the walk's own thread: runs
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(map.flush_stats().flushes, 1);
    assert_eq!(map.pending_bytes(), 40, "every chunk handed out is pending");
    map.flush().unwrap();

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        map.chunks_mut(10).for_each_mut(|offset, chunk| {
            chunk.fill(2);
            assert!(offset < 20, "the closure fails half-way");
            Ok(())
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(
        map.pending_bytes(),
        30,
        "the chunks handed out before and at the panic are pending"
    );
    assert_eq!(
        map.as_slice(0, 40).unwrap()[..30],
        [2; 30],
        "the lock was released"
    );
}

#[test]
#[cfg(feature = "atomic")]
fn atomic_stores_are_pending_until_flushed() {
    use std::sync::atomic::Ordering;
    let map = MemoryMappedFile::heap_rw(vec![0; 64], FlushPolicy::Manual);
    {
        let counter = map.atomic_u64(8).unwrap();
        let slots = map.atomic_u32_slice(16, 4).unwrap();
        counter.fetch_add(1, Ordering::Relaxed);
        slots[3].store(7, Ordering::Relaxed);
    }
    assert_eq!(map.pending_bytes(), 8 + 16, "both views' bytes are pending");
    map.flush().unwrap();
    assert_eq!(map.pending_bytes(), 0);
}

#[test]
#[cfg(feature = "atomic")]
fn flush_while_an_atomic_view_waits_for_a_byte_view_does_not_deadlock() {
    let map = MemoryMappedFile::heap_rw(vec![0; 64], FlushPolicy::Manual);
    let started = Barrier::new(2);
    std::thread::scope(|s| {
        let view = map.as_slice(0, 8).unwrap();
        let atomic = s.spawn(|| {
            started.wait();
            let counter = map.atomic_u64(8).unwrap();
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        started.wait();
        yield_many(); // the atomic view now waits for `view`
                      // Allowed while views live, and must not wait behind the atomic view.
        map.flush().unwrap();
        map.flush_range(0, 8).unwrap();
        assert!(
            !atomic.is_finished(),
            "the atomic view waits for the byte view"
        );
        drop(view);
        atomic.join().unwrap();
    });
    assert_eq!(map.as_slice(8, 8).unwrap(), 1u64.to_le_bytes());
}

#[test]
fn try_forms_answer_at_once_and_act_like_the_blocking_ones_when_free() {
    let map = MemoryMappedFile::heap_rw(pattern(64), FlushPolicy::Manual);
    // Held by another thread: "not now".
    let (held, release) = (Barrier::new(2), Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            let writer = map.as_slice_mut(0, 8).unwrap();
            held.wait();
            release.wait();
            drop(writer);
        });
        held.wait();
        assert!(map.try_as_slice(8, 8).unwrap().is_none());
        assert!(map.try_as_slice_mut(8, 8).unwrap().is_none());
        assert!(!map.try_update_region(8, b"x").unwrap());
        // Bounds are checked even while the lock is busy.
        assert!(matches!(
            map.try_as_slice(60, 8),
            Err(MmapIoError::OutOfBounds { total: 64, .. })
        ));
        release.wait();
    });
    // Held by this thread: "not now" too, as in mmap-io.
    {
        let writer = map.as_slice_mut(0, 8).unwrap();
        assert!(map.try_as_slice(8, 8).unwrap().is_none());
        assert!(!map.try_update_region(8, b"x").unwrap());
        drop(writer);
    }
    let reader = map.try_as_slice(0, 4).unwrap().unwrap();
    assert_eq!(reader, &pattern(64)[..4]);
    assert!(map.try_as_slice_mut(0, 4).unwrap().is_none());
    assert!(!map.try_update_region(0, b"late").unwrap());
    drop(reader);
    assert!(map.try_update_region(0, b"done").unwrap());
    map.try_as_slice_mut(4, 4)
        .unwrap()
        .unwrap()
        .copy_from_slice(b"mut!");
    assert_eq!(map.as_slice(0, 8).unwrap(), b"donemut!");
    // Two mutable views of 8 bytes, the write (4) and the last view (4).
    assert_eq!(map.flush_stats().pending_writes, 1);
    assert_eq!(map.pending_bytes(), 24);
}

#[test]
fn pointers_and_plain_borrows() {
    let ro = MemoryMappedFile::heap_ro(pattern(16));
    let bytes: &[u8] = ro.as_slice_bytes(4, 4).unwrap();
    assert_eq!(bytes, &pattern(16)[4..8]);
    // SAFETY: nothing writes the read-only region.
    assert_eq!(unsafe { *ro.as_ptr().add(15) }, pattern(16)[15]);
    assert!(matches!(
        unsafe { ro.as_mut_ptr() },
        Err(MmapIoError::InvalidMode { .. })
    ));

    let rw = MemoryMappedFile::heap_rw(vec![0; 16], FlushPolicy::Manual);
    assert!(matches!(
        rw.as_slice_bytes(0, 1),
        Err(MmapIoError::InvalidMode {
            op: "as_slice_bytes",
            ..
        })
    ));
    // SAFETY: no view of `rw` exists and no other thread uses it.
    unsafe { rw.as_mut_ptr().unwrap().add(3).write(7) };
    assert_eq!(
        rw.pending_bytes(),
        16,
        "the whole mapping counts as written"
    );
    assert_eq!(rw.as_slice(3, 1).unwrap(), [7]);
}
