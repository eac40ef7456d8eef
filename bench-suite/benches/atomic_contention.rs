//! `atomic_contention`: 1, 2, 4 and 8 threads doing `fetch_add` on one
//! `AtomicU64` of a read-write mapping (`same_line`), or each on its own
//! cache line (`separate_lines`), through `mmapio` `atomic_u64` views, the
//! published `mmap-io`'s, and a raw `AtomicU64` inside a `memmap2` mapping.
//!
//! Threads are spawned before timing and released together by a barrier;
//! the timed region ends when the last one is done (`timed_on_threads`).
//! One iteration is one `fetch_add` per thread, and every run checks that
//! the counters moved by exactly `threads * iterations`.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    map_memmap2_mut, open_mmap_io, open_mmapio, scratch_file, timed_on_threads, Access,
    CountingAllocator, Profile, WorkloadReport, ATOMIC_THREAD_COUNTS, CACHE_LINE,
};
use criterion::Throughput;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "atomic_contention";

/// Where the threads' counters are.
#[derive(Clone, Copy)]
enum Layout {
    /// One counter shared by every thread.
    SameLine,
    /// Thread `i` uses the counter at byte `i * CACHE_LINE`.
    SeparateLines,
}

impl Layout {
    fn offsets(self, threads: usize) -> Vec<usize> {
        match self {
            Layout::SameLine => vec![0],
            Layout::SeparateLines => (0..threads).map(|i| i * CACHE_LINE).collect(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Layout::SameLine => "same_line",
            Layout::SeparateLines => "separate_lines",
        }
    }
}

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    let max_threads = ATOMIC_THREAD_COUNTS.iter().copied().max().unwrap_or(1);
    let path = scratch_file(WORKLOAD, (max_threads * CACHE_LINE).max(4096));

    for layout in [Layout::SameLine, Layout::SeparateLines] {
        for threads in ATOMIC_THREAD_COUNTS {
            let parameter = format!("{}_{threads}_threads", layout.name());
            let offsets = layout.offsets(threads);
            group.throughput(Throughput::Elements(threads as u64));
            let mut raw = map_memmap2_mut(&path);
            let base = raw.as_mut_ptr();
            let counters: Vec<&AtomicU64> = offsets
                .iter()
                .map(|&offset| {
                    assert!(offset + 8 <= raw.len());
                    // SAFETY: `base + offset` is inside the mapping (checked
                    // above) and 8-byte aligned (the mapping is page-aligned
                    // and `offset` a multiple of 64). The mapping outlives
                    // `counters` (declared before them), and every access to
                    // these bytes while they live is atomic.
                    unsafe { &*(base.add(offset) as *const AtomicU64) }
                })
                .collect();
            let map = open_mmapio(&path, Access::ReadWrite);
            let views: Vec<_> = offsets
                .iter()
                .map(|&offset| map.atomic_u64(offset as u64).expect("aligned, in range"))
                .collect();
            let peer = open_mmap_io(&path, Access::ReadWrite);
            let peer_views: Vec<_> = offsets
                .iter()
                .map(|&offset| peer.atomic_u64(offset as u64).expect("aligned, in range"))
                .collect();
            let mut batch = Batch::new(WORKLOAD, parameter);
            batch.add("memmap2_raw_atomic_u64", 10_000, |iterations| {
                contend(&counters, threads, iterations)
            });
            batch.add("mmapio_atomic_u64", 10_000, |iterations| {
                contend(&views, threads, iterations)
            });
            batch.add("mmap_io_atomic_u64", 10_000, |iterations| {
                contend(&peer_views, threads, iterations)
            });
            batch.run(&mut report, &mut group);
        }
    }
    group.finish();
    report.finish();
    criterion.final_summary();
}

/// Spawns `threads` threads; thread `i` does `iterations` `fetch_add`s on
/// `counters[i % counters.len()]`. Only the time from their release to the
/// end of the last one is measured ([`timed_on_threads`]).
fn contend<C>(counters: &[C], threads: usize, iterations: u64) -> Duration
where
    C: Deref<Target = AtomicU64> + Sync,
{
    let total = || {
        counters
            .iter()
            .fold(0u64, |sum, c| sum.wrapping_add(c.load(Ordering::SeqCst)))
    };
    let before = total();
    let mut assigned: Vec<&C> = (0..threads)
        .map(|thread| &counters[thread % counters.len()])
        .collect();
    let (elapsed, _) = timed_on_threads(&mut assigned, |counter| {
        for _ in 0..iterations {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let moved = total().wrapping_sub(before);
    assert_eq!(moved, threads as u64 * iterations, "lost fetch_adds");
    elapsed
}
