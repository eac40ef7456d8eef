//! `sequential_write`: 64 KiB writes filling a 64 MiB mapped file, through
//! `mmapio` `update_region` under three flush policies (`Manual`,
//! `EveryBytes(1 MiB)`, `EveryMillis(10)`), the same through the published
//! `mmap-io`, and raw `memmap2` `copy_from_slice` (the floor). Flushes per
//! iteration come from `mmapio`'s `flush_stats()`; `mmap-io` has no flush
//! counter.

use std::hint::black_box;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    map_memmap2_mut, open_mmap_io_with_policy, open_mmapio_with_policy, scratch_file, size_label,
    CountingAllocator, FlushCount, Profile, TimedRegion, WorkloadReport, Xorshift64, DATA_SEED,
    MIB, SEQUENTIAL_WRITE_SIZE,
};
use criterion::Throughput;
use mmap_io::flush::FlushPolicy as MmapIoPolicy;
use mmapio::FlushPolicy;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "sequential_write";

/// Iterations of the allocation-counting pass: several, because the
/// `EveryMillis` flusher thread allocates now and then.
const COUNTED_ITERATIONS: u64 = 4;

/// One flush policy, in both crates.
struct Policy {
    /// The variants' name suffix.
    suffix: &'static str,
    mmapio: FlushPolicy,
    mmap_io: MmapIoPolicy,
    /// Whether its flush count depends on elapsed time (a timer).
    flushes_by_time: bool,
    /// Whether it never flushes while it writes, so that its pages can be
    /// made dirty before timing (see [`dirty_every_page`]).
    never_flushes: bool,
}

const POLICIES: [Policy; 3] = [
    Policy {
        suffix: "manual",
        mmapio: FlushPolicy::Manual,
        mmap_io: MmapIoPolicy::Manual,
        flushes_by_time: false,
        never_flushes: true,
    },
    Policy {
        suffix: "every_bytes_1MiB",
        mmapio: FlushPolicy::EveryBytes(MIB),
        mmap_io: MmapIoPolicy::EveryBytes(MIB),
        flushes_by_time: false,
        never_flushes: false,
    },
    Policy {
        suffix: "every_millis_10",
        mmapio: FlushPolicy::EveryMillis(10),
        mmap_io: MmapIoPolicy::EveryMillis(10),
        flushes_by_time: true,
        never_flushes: false,
    },
];

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    let total = profile.sequential_write_total();
    let mut source = vec![0u8; SEQUENTIAL_WRITE_SIZE];
    Xorshift64::new(DATA_SEED ^ 0x5772_6974_6573).fill(&mut source);
    let source = source.as_slice();
    let offsets = move || (0..total).step_by(SEQUENTIAL_WRITE_SIZE);
    group.throughput(Throughput::Bytes(total as u64));
    group.sample_size(profile.large_sample_size());
    // Each variant writes a file of its own, whose first block it zeroes
    // first, so the check after the run sees what that variant wrote.
    let target = |function: &str| scratch_file(&format!("{WORKLOAD}-{function}"), total);
    let mut raw = map_memmap2_mut(&target("memmap2_copy_from_slice"));
    raw[..SEQUENTIAL_WRITE_SIZE].fill(0);
    let mut written: Vec<(String, mmapio::MemoryMappedFile)> = Vec::new();
    let mut peers_written: Vec<(String, mmap_io::MemoryMappedFile)> = Vec::new();
    for Policy {
        suffix,
        mmapio: policy,
        mmap_io: mmap_io_policy,
        ..
    } in POLICIES
    {
        let function = format!("mmapio_{suffix}");
        let map = open_mmapio_with_policy(&target(&function), policy);
        map.update_region(0, &[0; SEQUENTIAL_WRITE_SIZE])
            .expect("in range");
        written.push((function, map));
        let function = format!("mmap_io_{suffix}");
        let map = open_mmap_io_with_policy(&target(&function), mmap_io_policy);
        map.update_region(0, &[0; SEQUENTIAL_WRITE_SIZE])
            .expect("in range");
        peers_written.push((function, map));
    }

    let mut batch = Batch::new(WORKLOAD, size_label(total));
    batch.add(
        "memmap2_copy_from_slice",
        COUNTED_ITERATIONS,
        |iterations| {
            dirty_every_page(source, total, |offset, byte| raw[offset] = byte);
            let region = TimedRegion::start();
            for _ in 0..iterations {
                for offset in offsets() {
                    raw[offset..offset + SEQUENTIAL_WRITE_SIZE].copy_from_slice(black_box(source));
                }
            }
            region.stop()
        },
    );
    let variants = written.iter().zip(&peers_written).zip(&POLICIES);
    for (((function, map), (peer_function, peer)), policy) in variants {
        batch.add_counting_flushes(
            function.as_str(),
            COUNTED_ITERATIONS,
            move |iterations| {
                if policy.never_flushes {
                    dirty_every_page(source, total, |offset, byte| {
                        map.update_region(offset as u64, &[byte]).expect("write");
                    });
                }
                let region = TimedRegion::start();
                for _ in 0..iterations {
                    for offset in offsets() {
                        map.update_region(offset as u64, black_box(source))
                            .expect("write");
                    }
                }
                let elapsed = region.stop();
                if policy.flushes_by_time {
                    // What its timer has not flushed yet is flushed now,
                    // untimed, not while the next variant is timed.
                    map.flush().expect("flush");
                }
                elapsed
            },
            if policy.flushes_by_time {
                FlushCount::by_time(move || map.flush_stats().flushes)
            } else {
                FlushCount::exact(move || map.flush_stats().flushes)
            },
        );
        batch.add(
            peer_function.as_str(),
            COUNTED_ITERATIONS,
            move |iterations| {
                if policy.never_flushes {
                    dirty_every_page(source, total, |offset, byte| {
                        peer.update_region(offset as u64, &[byte]).expect("write");
                    });
                }
                let region = TimedRegion::start();
                for _ in 0..iterations {
                    for offset in offsets() {
                        peer.update_region(offset as u64, black_box(source))
                            .expect("write");
                    }
                }
                let elapsed = region.stop();
                if policy.flushes_by_time {
                    // What its timer has not flushed yet is flushed now,
                    // untimed, not while the next variant is timed.
                    peer.flush().expect("flush");
                }
                elapsed
            },
        );
    }

    // Their flusher threads go on syncing after each call returns.
    for policy in POLICIES.iter().filter(|p| p.flushes_by_time) {
        batch.keep_out_of_rounds(&format!("mmapio_{}", policy.suffix));
        batch.keep_out_of_rounds(&format!("mmap_io_{}", policy.suffix));
    }
    let ran = batch.run(&mut report, &mut group);
    let ran = |function: &str| ran.iter().any(|f| f == function);
    if ran("memmap2_copy_from_slice") {
        assert_written(&raw, source, "memmap2_copy_from_slice");
    }
    for (function, map) in &written {
        if ran(function) {
            let bytes = map.as_slice(0, total as u64).expect("in range");
            assert_written(&bytes, source, function);
        }
    }
    for (function, map) in &peers_written {
        if ran(function) {
            let bytes = map.as_slice(0, total as u64).expect("in range");
            assert_written(&bytes, source, function);
        }
    }
    group.finish();
    report.finish();
    criterion.final_summary();
}

/// Writes, through `write(offset, byte)`, one byte of every page of a
/// `total`-byte target, the byte the timed loop writes there, before a
/// variant that never flushes is timed. Pages written back by the kernel
/// since the last run are write-protected again, and the first write to
/// each then faults; how many have been written back when a round starts
/// is the kernel's choice, so without this the same variant's time would
/// swing with it. With every page dirty, the timed loop measures the copy.
fn dirty_every_page(source: &[u8], total: usize, mut write: impl FnMut(usize, u8)) {
    for offset in (0..total).step_by(mmapio::page_size()) {
        write(offset, source[offset % SEQUENTIAL_WRITE_SIZE]);
    }
}

/// Checks that every 64 KiB block of `mapped` holds `source` (each variant
/// zeroes the first block before it runs, so a variant that wrote nothing
/// fails here).
fn assert_written(mapped: &[u8], source: &[u8], function: &str) {
    for (i, block) in mapped.chunks(SEQUENTIAL_WRITE_SIZE).enumerate() {
        assert!(block == source, "{function}: block {i} was not written");
    }
}
