//! Heap allocations made by the iterators, counted by a global allocator.
//!
//! Only allocations made by the current thread while `count_allocs` runs are
//! counted, so other tests in this binary cannot disturb the figures.

#![cfg(feature = "iterator")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use mmapio::MemoryMappedFile;

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the counter only observes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded as given; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded as given.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the number of allocations this
/// thread made meanwhile.
fn count_allocs<R>(f: impl FnOnce() -> R) -> (R, u64) {
    // Serialise the counting windows of concurrently running tests.
    static WINDOW: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _window = WINDOW.lock().unwrap_or_else(|e| e.into_inner());
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    (result, ALLOCATIONS.load(Ordering::Relaxed))
}

const FILE_LEN: u64 = 64 << 20;

/// A 64 MiB file with a byte pattern, mapped read-only and read-write.
fn maps() -> (tempfile::TempDir, MemoryMappedFile, MemoryMappedFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alloc.bin");
    let rw = MemoryMappedFile::create_rw(&path, FILE_LEN).unwrap();
    rw.chunks_mut(1 << 20)
        .for_each_mut(|offset, chunk| {
            chunk.fill((offset >> 20) as u8);
            Ok(())
        })
        .unwrap();
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    (dir, ro, rw)
}

/// Sums every byte of every item, so each chunk is really read.
fn consume<'a>(iter: impl Iterator<Item = mmapio::MappedSlice<'a>>) -> (u64, u64) {
    let mut items = 0;
    let mut sum = 0u64;
    for chunk in iter {
        items += 1;
        sum += chunk.iter().map(|&b| u64::from(b)).sum::<u64>();
    }
    (items, sum)
}

fn expected_sum() -> u64 {
    (0..64u64).map(|mib| mib * (1 << 20)).sum()
}

/// A thread's first view of a read-write mapping claims the thread's
/// record of the reader gate: a recycled one, or one allocated once for the
/// thread's whole life. Done before counting, so that the counts below are
/// those of the operations themselves.
fn claim_this_threads_record(map: &MemoryMappedFile) {
    drop(map.as_slice(0, 1).unwrap());
}

#[test]
fn a_threads_first_view_allocates_at_most_its_record() {
    let (_dir, _ro, rw) = maps();
    std::thread::scope(|s| {
        s.spawn(|| {
            let (_, first) = count_allocs(|| drop(rw.as_slice(0, 64).unwrap()));
            assert!(first <= 1, "{first} allocations by a thread's first view");
            let (_, later) = count_allocs(|| {
                for i in 0..100u64 {
                    drop(rw.as_slice(i * 4096, 64).unwrap());
                }
            });
            assert_eq!(later, 0, "allocations by later views");
        });
    });
}

#[test]
fn borrowed_iterators_allocate_nothing() {
    let (_dir, ro, rw) = maps();
    claim_this_threads_record(&rw);
    let page = mmapio::page_size() as u64;
    for (name, map) in [("ro", &ro), ("rw", &rw)] {
        // Creation and the whole walk, through `next` (a `for` loop) and
        // through `fold`, which has its own loop.
        let ((items, sum), allocs) = count_allocs(|| consume(map.chunks(4096)));
        assert_eq!(allocs, 0, "{name}: allocations by chunks(4096)");
        assert_eq!(items, FILE_LEN / 4096);
        assert_eq!(sum, expected_sum());

        let (sum, allocs) = count_allocs(|| {
            map.chunks(4096).fold(0u64, |sum, chunk| {
                sum + chunk.iter().map(|&b| u64::from(b)).sum::<u64>()
            })
        });
        assert_eq!(allocs, 0, "{name}: allocations by chunks(4096).fold");
        assert_eq!(sum, expected_sum());

        // Items lent by the iterator (`for chunk in &chunks`).
        let ((items, sum), allocs) = count_allocs(|| {
            let chunks = map.chunks(4096);
            let lent: mmapio::BorrowedChunks<'_> = (&chunks).into_iter();
            consume(lent)
        });
        assert_eq!(allocs, 0, "{name}: allocations by &chunks(4096)");
        assert_eq!(items, FILE_LEN / 4096);
        assert_eq!(sum, expected_sum());

        let ((items, sum), allocs) = count_allocs(|| consume(map.pages()));
        assert_eq!(allocs, 0, "{name}: allocations by pages()");
        assert_eq!(items, FILE_LEN.div_ceil(page));
        assert_eq!(sum, expected_sum());
        println!("{name}: chunks(4096), &chunks(4096) and pages() over 64 MiB: 0 allocations");
    }
}

#[test]
fn many_live_read_write_iterators_allocate_only_beyond_the_thread_slots() {
    let dir = tempfile::tempdir().unwrap();
    let rw = MemoryMappedFile::create_rw(dir.path().join("small.bin"), 4 << 10).unwrap();
    rw.update_region(0, &[7; 4 << 10]).unwrap();
    // More live iterators than a thread has shared-lock slots (32): each of
    // the 8 later ones allocates a slot for its count when it is created,
    // and nothing while iterating; all yield the same bytes.
    let (mut iters, creation_allocs) = count_allocs(|| {
        let iters: [Option<mmapio::Chunks<'_>>; 40] =
            std::array::from_fn(|_| Some(rw.chunks(1000)));
        iters
    });
    assert_eq!(creation_allocs, 8, "one slot per iterator beyond the 32");
    let (sums, walk_allocs) = count_allocs(|| {
        let mut sums = [0u64; 40];
        for (iter, sum) in iters.iter_mut().zip(&mut sums) {
            let (_, s) = consume(iter.take().unwrap());
            *sum = s;
        }
        sums
    });
    assert_eq!(walk_allocs, 0);
    assert!(sums.iter().all(|&s| s == 7 * (4 << 10)), "{sums:?}");
    // Every slot was given back: the next 32 iterators allocate nothing.
    let (_live, allocs) = count_allocs(|| {
        let iters: [mmapio::Chunks<'_>; 32] = std::array::from_fn(|_| rw.chunks(1000));
        iters
    });
    assert_eq!(allocs, 0);
}

#[test]
fn owned_iterators_allocate_once_per_item() {
    let (_dir, ro, rw) = maps();
    for (name, map) in [("ro", &ro), ("rw", &rw)] {
        let iter = map.chunks_owned(65536);
        let expected_items = iter.len() as u64;
        let (items, allocs) = count_allocs(|| {
            let mut items = 0u64;
            for chunk in iter {
                assert_eq!(chunk.unwrap().len(), 65536);
                items += 1;
            }
            items
        });
        assert_eq!(items, expected_items);
        assert_eq!(
            allocs, items,
            "{name}: chunks_owned allocates once per item"
        );
        println!("{name}: chunks_owned(65536): {allocs} allocations for {items} items");
    }
}

#[test]
fn as_slice_and_read_into_allocate_nothing() {
    let (_dir, ro, rw) = maps();
    claim_this_threads_record(&rw);
    let mut buf = [0u8; 64];
    for map in [&ro, &rw] {
        let (_, allocs) = count_allocs(|| {
            for i in 0..1000u64 {
                let view = map.as_slice(i * 4096, 64).unwrap();
                assert_eq!(view[0], ((i * 4096) >> 20) as u8);
                map.read_into(i * 4096 + 1, &mut buf).unwrap();
            }
        });
        assert_eq!(allocs, 0);
    }
}
