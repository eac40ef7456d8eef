//! `random_read`: requests of 64 B, 256 B, 4 KiB and 64 KiB at offsets
//! drawn by a seeded xorshift64 over a 256 MiB file (request-aligned, so
//! every request is in range), each request checksummed byte by byte.
//! The variants are those of `sequential_read`; copying variants copy each
//! request into one reused buffer of the request's size.

use std::hint::black_box;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    add_read_variants, input_file, map_memmap2, size_label, CountingAllocator, Memmap2Slices,
    Profile, RangeReader, ReaderSource, ReaderVariants, TimedRegion, WorkloadReport, Xorshift64,
    RANDOM_READ_REQUEST_SIZES, REQUEST_SEED,
};
use criterion::Throughput;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "random_read";

/// Requests compared with memmap2 before a variant is timed.
const CHECKED_REQUESTS: usize = 1000;

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    let file_len = profile.random_read_file_size();
    let path = input_file(file_len);
    for request_len in RANDOM_READ_REQUEST_SIZES {
        group.throughput(Throughput::Bytes(request_len as u64));
        let requests = Requests::new(file_len, request_len);
        let expected = requests.checksum_first(&mut Memmap2Slices(map_memmap2(&path)));
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

/// The request stream: `request_len`-byte requests at request-aligned
/// offsets chosen by xorshift64 from [`REQUEST_SEED`].
#[derive(Clone, Copy)]
struct Requests {
    request_len: usize,
    /// `file_len / request_len - 1`; both are powers of two.
    slot_mask: usize,
}

impl Requests {
    fn new(file_len: usize, request_len: usize) -> Self {
        assert!(file_len.is_power_of_two() && request_len.is_power_of_two());
        assert!(request_len <= file_len);
        Requests {
            request_len,
            slot_mask: file_len / request_len - 1,
        }
    }

    #[inline(always)]
    fn next_offset(&self, rng: &mut Xorshift64) -> usize {
        (rng.next_u64() as usize & self.slot_mask) * self.request_len
    }

    /// The checksums of the first [`CHECKED_REQUESTS`] requests, summed.
    fn checksum_first(&self, reader: &mut impl RangeReader) -> u64 {
        let mut rng = Xorshift64::new(REQUEST_SEED);
        (0..CHECKED_REQUESTS).fold(0u64, |sum, _| {
            let offset = self.next_offset(&mut rng);
            sum.wrapping_add(reader.checksum_range(offset, self.request_len))
        })
    }
}

/// One request size: every variant is checked against memmap2, then timed.
struct Variants {
    batch: Batch<'static>,
    requests: Requests,
    expected: u64,
}

impl ReaderVariants for Variants {
    fn add(&mut self, function: &str, mut source: impl ReaderSource + 'static) {
        let requests = self.requests;
        assert_eq!(
            requests.checksum_first(&mut source.reader()),
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
            let mut sum = 0u64;
            for _ in 0..iterations {
                let offset = requests.next_offset(&mut rng);
                sum = sum.wrapping_add(reader.checksum_range(offset, requests.request_len));
            }
            black_box(sum);
            region.stop()
        });
    }
}
