//! `touch_pages_large`: pre-fault a 1 GiB mapping of a cached file.
//!
//! * `warm_*`: `touch_pages` over a mapping whose pages were all touched
//!   before timing starts (so only the walk itself is measured);
//! * `fresh_*`: each iteration maps the (page-cached) file anew and touches
//!   every page, so page-table population is measured; unmapping happens
//!   outside the timed region.
//!
//! Against the raw floor: a loop of one volatile read per page over a
//! `memmap2` mapping. One byte per page is a touch, not a read: these
//! variants are never compared with the read workloads.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    input_file, map_memmap2, open_mmap_io, open_mmapio, size_label, volatile_touch, Access,
    CountingAllocator, Memmap2Input, MmapioInput, Profile, TimedRegion, WorkloadReport,
};
use criterion::Throughput;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "touch_pages_large";

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    group.sample_size(profile.large_sample_size());
    let file_len = profile.touch_file_size();
    let path = input_file(file_len);
    let page_size = mmapio::page_size();
    let pages = file_len.div_ceil(page_size);
    group.throughput(Throughput::Elements(pages as u64));

    let raw = map_memmap2(&path);
    assert_eq!(volatile_touch(&raw, page_size), pages);
    let mut warm = Batch::new(WORKLOAD, format!("warm_{}", size_label(file_len)));
    // Mapped (and touched) afresh for every run, outside the timed region,
    // as the mmapio variants are: see `Memmap2Input`.
    let raw_input = Memmap2Input::new(&path);
    warm.add("memmap2_volatile_loop", 1, move |iterations| {
        let raw = raw_input.map();
        let region = TimedRegion::start();
        for _ in 0..iterations {
            black_box(volatile_touch(&raw, page_size));
        }
        region.stop()
    });
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let mode = access.suffix();
        // Mapped (and touched) afresh for every run, outside the timed
        // region: see `MmapioInput`.
        let input = MmapioInput::new(&path, access);
        warm.add(format!("mmapio_touch_pages_{mode}"), 1, move |iterations| {
            let map = input.map();
            let region = TimedRegion::start();
            for _ in 0..iterations {
                map.touch_pages().expect("touch");
            }
            region.stop()
        });
        let peer = open_mmap_io(&path, access);
        peer.touch_pages().expect("touch");
        warm.add(
            format!("mmap_io_touch_pages_{mode}"),
            1,
            move |iterations| {
                let region = TimedRegion::start();
                for _ in 0..iterations {
                    peer.touch_pages().expect("touch");
                }
                region.stop()
            },
        );
    }
    warm.run(&mut report, &mut group);

    let mut fresh = Batch::new(WORKLOAD, format!("fresh_{}", size_label(file_len)));
    fresh.add("memmap2_volatile_loop", 1, |iterations| {
        each_fresh(iterations, || {
            let raw = map_memmap2(&path);
            assert_eq!(volatile_touch(&raw, page_size), pages);
            raw
        })
    });
    fresh.add("mmapio_touch_pages_ro", 1, |iterations| {
        each_fresh(iterations, || fresh_mmapio(&path))
    });
    fresh.add("mmap_io_touch_pages_ro", 1, |iterations| {
        each_fresh(iterations, || fresh_mmap_io(&path))
    });
    fresh.run(&mut report, &mut group);
    group.finish();
    report.finish();
    criterion.final_summary();
}

/// Times `map_and_touch` `iterations` times; the mapping it returns is
/// dropped (unmapped) outside the timed region.
fn each_fresh<M>(iterations: u64, mut map_and_touch: impl FnMut() -> M) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iterations {
        let region = TimedRegion::start();
        let map = map_and_touch();
        total += region.stop();
        drop(black_box(map));
    }
    total
}

fn fresh_mmapio(path: &Path) -> mmapio::MemoryMappedFile {
    let map = open_mmapio(path, Access::ReadOnly);
    map.touch_pages().expect("touch");
    map
}

fn fresh_mmap_io(path: &Path) -> mmap_io::MemoryMappedFile {
    let map = open_mmap_io(path, Access::ReadOnly);
    map.touch_pages().expect("touch");
    map
}
