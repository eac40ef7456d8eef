//! `sequential_read`: read a whole file (1, 16 and 256 MiB) and checksum
//! every byte, through `mmapio` `as_slice` (read-only and read-write
//! mappings) and `read_into`, the same three through the published
//! `mmap-io`, raw `memmap2` slicing (the floor) and `std::fs` positional
//! reads. Copying variants go through one reused 1 MiB buffer.

use std::hint::black_box;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    add_read_variants, checksum_whole_file, input_file, map_memmap2, size_label, CountingAllocator,
    Memmap2Slices, Profile, ReaderSource, ReaderVariants, TimedRegion, WorkloadReport,
    COPY_BUFFER_SIZE, MIB,
};
use criterion::Throughput;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "sequential_read";

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    for file_len in profile.sequential_read_sizes() {
        let path = input_file(file_len);
        group.throughput(Throughput::Bytes(file_len as u64));
        group.sample_size(if file_len >= 64 * MIB {
            profile.large_sample_size()
        } else {
            profile.sample_size()
        });
        let expected = checksum_whole_file(&mut Memmap2Slices(map_memmap2(&path)), file_len);
        let buffer_len = COPY_BUFFER_SIZE.min(file_len);
        let mut variants = Variants {
            batch: Batch::new(WORKLOAD, size_label(file_len)),
            file_len,
            expected,
        };
        add_read_variants(&mut variants, &path, buffer_len);
        variants.batch.run(&mut report, &mut group);
    }
    group.finish();
    report.finish();
    criterion.final_summary();
}

/// One file size: every variant is checked against `expected`, then timed.
struct Variants {
    batch: Batch<'static>,
    file_len: usize,
    expected: u64,
}

impl ReaderVariants for Variants {
    fn add(&mut self, function: &str, mut source: impl ReaderSource + 'static) {
        let (file_len, expected) = (self.file_len, self.expected);
        assert_eq!(
            checksum_whole_file(&mut source.reader(), file_len),
            expected,
            "{function} read other bytes than memmap2"
        );
        self.batch.add(function, 1, move |iterations| {
            // Made (and dropped, after the tail expression) outside the
            // timed region.
            let mut reader = source.reader();
            let region = TimedRegion::start();
            for _ in 0..iterations {
                let sum = checksum_whole_file(&mut reader, file_len);
                assert_eq!(black_box(sum), expected);
            }
            region.stop()
        });
    }
}
