//! `reader_gate`: the reader gate of a read-write file (`as_slice` views
//! announce themselves in a slot of their own thread while the gate is
//! biased; a writer revokes the bias) under the two loads the bias is
//! against and for, each next to raw `memmap2` on the same file. Requests
//! are 64 B at request-aligned offsets drawn by a seeded xorshift64 over a
//! 256 MiB scratch file (16 MiB in the quick profile), each checksummed
//! byte by byte, as in `random_read`.
//!
//! * `64B_1_write_per_64_reads`, one thread: an iteration reads 64
//!   requests through views, then copies the bytes of the last one out of
//!   its view and writes them back where they came from (`update_region`;
//!   `copy_from_slice` for the raw floor), so the file never changes and
//!   every variant reads the bytes memmap2 reads. A write revokes the bias
//!   when the reads since the last one turned it back on; the mmapio
//!   variant's `bias_revocations()` per iteration, that is per write, is
//!   recorded beside its time (the table printed at the end, the stored
//!   records and the report's *revocations* column; times 1000, per 1000
//!   writes).
//! * `64B_2_threads`: two threads, each reading a stream of requests of its
//!   own through one mapping of the file, read-write or read-only; an
//!   iteration is one request on each thread. A biased view writes only
//!   its own thread's slot, so the ratio to the raw floor should stay what
//!   one thread's is (`random_read` at 64B, over files of the same sizes):
//!   a cache line that both threads wrote would show here as a multiple.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    checksum, map_memmap2_mut, open_mmapio, scratch_file, timed_on_threads, Access,
    CountingAllocator, Memmap2Input, MmapioInput, Profile, RandomRequests, RevocationCount,
    TimedRegion, WorkloadReport, Xorshift64, DATA_SEED, REQUEST_SEED,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Throughput};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "reader_gate";

/// Bytes of every request, and of every write.
const REQUEST: usize = 64;
/// Requests read per write in the mix: one iteration.
const READS_PER_WRITE: u64 = 64;
/// Reading threads of the batch on threads.
const THREADS: usize = 2;
/// Iterations compared with memmap2 before a variant is timed, and over
/// which its allocations are counted.
const CHECKED_ITERATIONS: u64 = 1000;

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    let file_len = profile.sizes(WORKLOAD)[0];
    // Written by the mix (with the bytes it already holds): a scratch file.
    let path = scratch_file(WORKLOAD, file_len);
    let requests = RandomRequests::new(file_len, REQUEST);
    reads_and_writes(&path, file_len, requests, (&mut report, &mut group));
    reads_on_threads(&path, requests, (&mut report, &mut group));
    group.finish();
    report.finish();
    criterion.final_summary();
}

/// The mix, one thread. Both variants keep one mapping across runs: in a
/// mapping made for the run, the first write to each page faults, and that
/// would be most of a run's writes. For the same reason every page is
/// written once through each mapping before the batch runs (a page the
/// kernel writes back later faults once more, alike for both). The mmapio
/// mapping is dropped on return, before the batch on threads maps the
/// file read-only.
fn reads_and_writes(
    path: &Path,
    file_len: usize,
    requests: RandomRequests,
    (report, group): (&mut WorkloadReport, &mut BenchmarkGroup<'_, WallTime>),
) {
    group.throughput(Throughput::Bytes((READS_PER_WRITE + 1) * REQUEST as u64));
    let mut raw = map_memmap2_mut(path);
    let map = open_mmapio(path, Access::ReadWrite);
    rewrite_every_page(&mut raw, file_len);
    rewrite_every_page(&mut &map, file_len);
    let function = "mmapio_as_slice_and_update_region";
    let expected = mix(&mut raw, requests, &mut stream(0), CHECKED_ITERATIONS);
    let pending = map.pending_bytes();
    assert_eq!(
        mix(&mut &map, requests, &mut stream(0), CHECKED_ITERATIONS),
        expected,
        "{function} read other bytes than memmap2"
    );
    assert_eq!(
        map.pending_bytes() - pending,
        CHECKED_ITERATIONS * REQUEST as u64,
        "{function} wrote other bytes than one request per iteration"
    );

    let mut batch = Batch::new(
        WORKLOAD,
        format!("{REQUEST}B_1_write_per_{READS_PER_WRITE}_reads"),
    );
    // One stream per variant, continued across samples, as in random_read.
    let mut rng = stream(0);
    batch.add(
        "memmap2_slice_and_copy_from_slice",
        CHECKED_ITERATIONS,
        move |iterations| {
            let region = TimedRegion::start();
            black_box(mix(&mut raw, requests, &mut rng, iterations));
            region.stop()
        },
    );
    let map = &map;
    let mut rng = stream(0);
    batch.add_counting_revocations(
        function,
        CHECKED_ITERATIONS,
        move |iterations| {
            let region = TimedRegion::start();
            black_box(mix(&mut &*map, requests, &mut rng, iterations));
            region.stop()
        },
        // Read around each call, which writes only in its timed loop.
        RevocationCount::new(move || map.bias_revocations()),
    );
    batch.run(report, group);
}

/// The batch on threads. Every variant maps the file afresh for each run,
/// as the read workloads do ([`MmapioInput`], [`Memmap2Input`]): a
/// read-only open beside a live read-write handle of the file would share
/// that handle's state, and so would not be a read-only mapping.
fn reads_on_threads(
    path: &Path,
    requests: RandomRequests,
    (report, group): (&mut WorkloadReport, &mut BenchmarkGroup<'_, WallTime>),
) {
    group.throughput(Throughput::Bytes((THREADS * REQUEST) as u64));
    let raw = Memmap2Input::new(path);
    let (_, expected) = read_on_threads(&raw.map(), requests, &mut streams(), CHECKED_ITERATIONS);
    let mut batch = Batch::new(WORKLOAD, format!("{REQUEST}B_{THREADS}_threads"));
    let mut rngs = streams();
    batch.add("memmap2_slice", CHECKED_ITERATIONS, move |iterations| {
        // Made (and dropped, after the tail expression) outside the timed
        // region.
        let map = raw.map();
        read_on_threads(&map, requests, &mut rngs, iterations).0
    });
    for access in [Access::ReadWrite, Access::ReadOnly] {
        let function = format!("mmapio_as_slice_{}", access.suffix());
        let input = MmapioInput::new(path, access);
        let (_, sum) = read_on_threads(&input.map(), requests, &mut streams(), CHECKED_ITERATIONS);
        assert_eq!(sum, expected, "{function} read other bytes than memmap2");
        let mut rngs = streams();
        batch.add(function, CHECKED_ITERATIONS, move |iterations| {
            let map = input.map();
            read_on_threads(&map, requests, &mut rngs, iterations).0
        });
    }
    batch.run(report, group);
}

/// Request stream `i`: `random_read`'s first, then seeds far apart.
fn stream(i: u64) -> Xorshift64 {
    Xorshift64::new(REQUEST_SEED ^ i.wrapping_mul(DATA_SEED))
}

/// One stream per reading thread.
fn streams() -> Vec<Xorshift64> {
    (0..THREADS as u64).map(stream).collect()
}

/// A mapping as the variants read it, through its own library's calls: one
/// trait, so that the raw floor and mmapio run the same loops.
trait Views {
    /// [`checksum`] of the `len` bytes at `offset`, read through a view.
    fn checksum_view(&self, offset: usize, len: usize) -> u64;
}

/// A mapping as the mix writes it.
trait WriteBack: Views {
    /// [`checksum`] of the `copy.len()` bytes at `offset`, read through a
    /// view, and a copy of them out of the same view into `copy`.
    fn checksum_and_copy(&self, offset: usize, copy: &mut [u8]) -> u64;

    /// Writes `bytes` at `offset`.
    fn write(&mut self, offset: usize, bytes: &[u8]);
}

impl<V: Views + ?Sized> Views for &V {
    #[inline]
    fn checksum_view(&self, offset: usize, len: usize) -> u64 {
        (**self).checksum_view(offset, len)
    }
}

impl Views for memmap2::Mmap {
    #[inline]
    fn checksum_view(&self, offset: usize, len: usize) -> u64 {
        checksum(black_box(&self[offset..offset + len]))
    }
}

impl Views for memmap2::MmapMut {
    #[inline]
    fn checksum_view(&self, offset: usize, len: usize) -> u64 {
        checksum(black_box(&self[offset..offset + len]))
    }
}

impl Views for mmapio::MemoryMappedFile {
    #[inline]
    fn checksum_view(&self, offset: usize, len: usize) -> u64 {
        let view = self.as_slice(offset as u64, len as u64).expect("in range");
        checksum(black_box(&view))
    }
}

impl WriteBack for memmap2::MmapMut {
    #[inline]
    fn checksum_and_copy(&self, offset: usize, copy: &mut [u8]) -> u64 {
        let view = &self[offset..offset + copy.len()];
        let sum = checksum(black_box(view));
        copy.copy_from_slice(view);
        sum
    }

    #[inline]
    fn write(&mut self, offset: usize, bytes: &[u8]) {
        self[offset..offset + bytes.len()].copy_from_slice(bytes);
    }
}

impl WriteBack for &mmapio::MemoryMappedFile {
    #[inline]
    fn checksum_and_copy(&self, offset: usize, copy: &mut [u8]) -> u64 {
        let view = self
            .as_slice(offset as u64, copy.len() as u64)
            .expect("in range");
        let sum = checksum(black_box(&view));
        copy.copy_from_slice(&view);
        sum
    }

    #[inline]
    fn write(&mut self, offset: usize, bytes: &[u8]) {
        self.update_region(offset as u64, bytes).expect("write");
    }
}

/// `iterations` iterations of the mix over `map`, at the offsets of `rng`'s
/// stream: [`READS_PER_WRITE`] requests read through views, then the bytes
/// of the last one written back where they came from. Returns the sum of
/// the requests' checksums.
#[inline]
fn mix(
    map: &mut impl WriteBack,
    requests: RandomRequests,
    rng: &mut Xorshift64,
    iterations: u64,
) -> u64 {
    let mut copy = [0u8; REQUEST];
    let mut sum = 0u64;
    for _ in 0..iterations {
        for _ in 1..READS_PER_WRITE {
            let offset = requests.next_offset(rng);
            sum = sum.wrapping_add(map.checksum_view(offset, REQUEST));
        }
        let offset = requests.next_offset(rng);
        sum = sum.wrapping_add(map.checksum_and_copy(offset, &mut copy));
        // Opaque, so that writing back what was just read is never elided.
        map.write(offset, black_box(&copy));
    }
    sum
}

/// Writes the byte it holds back into every page of `map`, untimed (see
/// [`reads_and_writes`]).
fn rewrite_every_page(map: &mut impl WriteBack, file_len: usize) {
    let mut byte = [0u8; 1];
    for offset in (0..file_len).step_by(mmapio::page_size()) {
        map.checksum_and_copy(offset, &mut byte);
        map.write(offset, &byte);
    }
}

/// The next `count` requests of every stream of `rngs`, each stream read
/// through `map` on a thread of its own ([`timed_on_threads`]). Returns the
/// time from the threads' release to the end of the last one, and the sum
/// of every request's checksum.
fn read_on_threads(
    map: &(impl Views + Sync),
    requests: RandomRequests,
    rngs: &mut [Xorshift64],
    count: u64,
) -> (Duration, u64) {
    let (elapsed, sums) = timed_on_threads(rngs, |rng| {
        let mut sum = 0u64;
        for _ in 0..count {
            let offset = requests.next_offset(rng);
            sum = sum.wrapping_add(map.checksum_view(offset, REQUEST));
        }
        black_box(sum)
    });
    (elapsed, sums.into_iter().fold(0, u64::wrapping_add))
}
