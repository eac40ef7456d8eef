//! `random_read`: requests of 64 B, 256 B, 4 KiB and 64 KiB at offsets
//! drawn by a seeded xorshift64 over a 256 MiB file (request-aligned, so
//! every request is in range), each request checksummed byte by byte.
//! The variants are those of `sequential_read`; copying variants copy each
//! request into one reused buffer of the request's size.

use std::hint::black_box;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    add_read_variants, input_file, map_memmap2, size_label, CountingAllocator, Memmap2Slices,
    Profile, RandomRequests, ReaderSource, ReaderVariants, TimedRegion, WorkloadReport, Xorshift64,
    RANDOM_READ_REQUEST_SIZES, REQUEST_SEED,
};
use criterion::Throughput;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "random_read";

/// Requests compared with memmap2 before a variant is timed.
const CHECKED_REQUESTS: u64 = 1000;

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    let file_len = profile.random_read_file_size();
    let path = input_file(file_len);
    for request_len in RANDOM_READ_REQUEST_SIZES {
        group.throughput(Throughput::Bytes(request_len as u64));
        let requests = RandomRequests::new(file_len, request_len);
        let expected =
            requests.checksum_first(&mut Memmap2Slices(map_memmap2(&path)), CHECKED_REQUESTS);
        let mut variants = Variants {
            batch: Batch::new(WORKLOAD, size_label(request_len)),
            requests,
            expected,
        };
        add_read_variants(&mut variants, &path, request_len);
        variants.batch.run(&mut report, &mut group);
    }
    group.finish();
    report.finish();
    criterion.final_summary();
}

/// One request size: every variant is checked against memmap2, then timed.
struct Variants {
    batch: Batch<'static>,
    requests: RandomRequests,
    expected: u64,
}

impl ReaderVariants for Variants {
    fn add(&mut self, function: &str, mut source: impl ReaderSource + 'static) {
        let requests = self.requests;
        assert_eq!(
            requests.checksum_first(&mut source.reader(), CHECKED_REQUESTS),
            self.expected,
            "{function} read other bytes than memmap2"
        );
        // One stream per variant, continued across samples so no sample
        // replays offsets that an earlier one left in the cache.
        let mut rng = Xorshift64::new(REQUEST_SEED);
        self.batch.add(function, 1000, move |iterations| {
            // Made (and dropped, after the tail expression) outside the
            // timed region.
            let mut reader = source.reader();
            let region = TimedRegion::start();
            black_box(requests.checksum_next(&mut reader, &mut rng, iterations));
            region.stop()
        });
    }
}
