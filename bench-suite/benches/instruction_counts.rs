//! `instruction_counts`: iai-callgrind benches of the user-space hot paths
//! at small, cache-resident sizes, beside the same operation through raw
//! `memmap2` and the published `mmap-io`. Callgrind counts instructions, so
//! the figures repeat exactly from run to run; setup (opening, mapping,
//! warming) and teardown (unmapping) are not counted: mappings are made in
//! `setup` functions and handed back by the benchmark so they are dropped
//! outside the measured function.
//!
//! Needs `iai-callgrind-runner` 0.16.1 (see `scripts/install-iai-runner.sh`)
//! and valgrind; without them it prints what is missing and exits 0. When
//! they are there, iai-callgrind's home is the current run's folder and its
//! JSON summaries are saved there ([`bench_suite::iai_runner`]).

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use bench_suite::harness::{
    checksum, checksum_whole_file, first_and_last_byte, input_file, map_memmap2, map_memmap2_mut,
    open_mmap_io, open_mmapio, scratch_file, volatile_touch, Access, Memmap2Copies, Memmap2Input,
    Memmap2Slices, MmapioCopies, MmapioInput, MmapioSlices, RandomRequests, RangeReader,
    SharedCountItems, Xorshift64, COPY_BUFFER_SIZE, DATA_SEED, MIB, REQUEST_SEED,
    SEQUENTIAL_WRITE_SIZE,
};
use iai_callgrind::{
    library_benchmark, library_benchmark_group, main, Callgrind, LibraryBenchmarkConfig,
};

/// The file the read benches map: small enough to stay in cache.
const READ_FILE_LEN: usize = MIB;
/// Offset and length of the small reads and writes.
const OFFSET: u64 = 4096 + 64;
const LEN: usize = 64;
/// The warm range of the `touch_pages_range` benches.
const TOUCH_LEN: usize = 16 * MIB;
/// `fetch_add`s per atomic bench.
const FETCH_ADDS: u64 = 1000;

fn mmapio_map(access: Access) -> mmapio::MemoryMappedFile {
    open_mmapio(&input_file(READ_FILE_LEN), access)
}

fn mmap_io_map(access: Access) -> mmap_io::MemoryMappedFile {
    open_mmap_io(&input_file(READ_FILE_LEN), access)
}

fn memmap2_map(_access: Access) -> memmap2::Mmap {
    map_memmap2(&input_file(READ_FILE_LEN))
}

// --- as_slice: a 64-byte view, every byte read -----------------------------

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_map)]
fn mmapio_as_slice(map: mmapio::MemoryMappedFile) -> (u64, mmapio::MemoryMappedFile) {
    let sum = checksum(
        &map.as_slice(black_box(OFFSET), LEN as u64)
            .expect("in range"),
    );
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmap_io_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmap_io_map)]
fn mmap_io_as_slice(map: mmap_io::MemoryMappedFile) -> (u64, mmap_io::MemoryMappedFile) {
    let sum = checksum(
        &map.as_slice(black_box(OFFSET), LEN as u64)
            .expect("in range"),
    );
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_map)]
fn memmap2_slice(map: memmap2::Mmap) -> (u64, memmap2::Mmap) {
    let offset = black_box(OFFSET) as usize;
    let sum = checksum(&map[offset..offset + LEN]);
    (sum, map)
}

// --- read_into: 64 bytes copied into a buffer -------------------------------

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_map)]
fn mmapio_read_into(map: mmapio::MemoryMappedFile) -> (u64, mmapio::MemoryMappedFile) {
    let mut buffer = [0u8; LEN];
    map.read_into(black_box(OFFSET), &mut buffer)
        .expect("in range");
    (checksum(&buffer), map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmap_io_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmap_io_map)]
fn mmap_io_read_into(map: mmap_io::MemoryMappedFile) -> (u64, mmap_io::MemoryMappedFile) {
    let mut buffer = [0u8; LEN];
    map.read_into(black_box(OFFSET), &mut buffer)
        .expect("in range");
    (checksum(&buffer), map)
}

// --- update_region: 64 bytes written (Manual policy: no flush) ---------------

fn write_target() -> std::path::PathBuf {
    scratch_file("instruction_counts", READ_FILE_LEN)
}

fn mmapio_writable() -> mmapio::MemoryMappedFile {
    open_mmapio(&write_target(), Access::ReadWrite)
}

fn mmap_io_writable() -> mmap_io::MemoryMappedFile {
    open_mmap_io(&write_target(), Access::ReadWrite)
}

fn memmap2_writable() -> memmap2::MmapMut {
    map_memmap2_mut(&write_target())
}

#[library_benchmark]
#[bench::rw(setup = mmapio_writable)]
fn mmapio_update_region(map: mmapio::MemoryMappedFile) -> mmapio::MemoryMappedFile {
    map.update_region(black_box(OFFSET), black_box(&[7u8; LEN]))
        .expect("in range");
    map
}

#[library_benchmark]
#[bench::rw(setup = mmap_io_writable)]
fn mmap_io_update_region(map: mmap_io::MemoryMappedFile) -> mmap_io::MemoryMappedFile {
    map.update_region(black_box(OFFSET), black_box(&[7u8; LEN]))
        .expect("in range");
    map
}

#[library_benchmark]
#[bench::rw(setup = memmap2_writable)]
fn memmap2_copy_from_slice(mut map: memmap2::MmapMut) -> memmap2::MmapMut {
    let offset = black_box(OFFSET) as usize;
    map[offset..offset + LEN].copy_from_slice(black_box(&[7u8; LEN]));
    map
}

// --- chunks(4096) over 1 MiB, every byte read --------------------------------

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_map)]
fn mmapio_chunks_4096(map: mmapio::MemoryMappedFile) -> (u64, mmapio::MemoryMappedFile) {
    let sum = map
        .chunks(black_box(4096))
        .fold(0u64, |sum, chunk| sum.wrapping_add(checksum(&chunk)));
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmap_io_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmap_io_map)]
fn mmap_io_chunks_4096(map: mmap_io::MemoryMappedFile) -> (u64, mmap_io::MemoryMappedFile) {
    let sum = map
        .chunks(black_box(4096))
        .fold(0u64, |sum, chunk| sum.wrapping_add(checksum(&chunk)));
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_map)]
fn memmap2_chunks_exact_4096(map: memmap2::Mmap) -> (u64, memmap2::Mmap) {
    let sum = map
        .chunks_exact(black_box(4096))
        .fold(0u64, |sum, chunk| sum.wrapping_add(checksum(chunk)));
    (sum, map)
}

// --- chunks(4096) over 1 MiB, trivial body: the cost per item -------------

/// Reads the first and last byte of `chunk` into `sum`.
#[inline(always)]
fn add_two_bytes(sum: u64, chunk: &[u8]) -> u64 {
    sum.wrapping_add(first_and_last_byte(chunk))
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_map)]
fn mmapio_chunks_4096_two_bytes(map: mmapio::MemoryMappedFile) -> (u64, mmapio::MemoryMappedFile) {
    let sum = map
        .chunks(black_box(4096))
        .fold(0u64, |sum, chunk| add_two_bytes(sum, &chunk));
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmap_io_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmap_io_map)]
fn mmap_io_chunks_4096_two_bytes(
    map: mmap_io::MemoryMappedFile,
) -> (u64, mmap_io::MemoryMappedFile) {
    let sum = map
        .chunks(black_box(4096))
        .fold(0u64, |sum, chunk| add_two_bytes(sum, &chunk));
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_map)]
fn memmap2_chunks_exact_4096_two_bytes(map: memmap2::Mmap) -> (u64, memmap2::Mmap) {
    let sum = map.chunks_exact(black_box(4096)).fold(0u64, add_two_bytes);
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_map)]
fn memmap2_chunks_4096_two_bytes(map: memmap2::Mmap) -> (u64, memmap2::Mmap) {
    let sum = map.chunks(black_box(4096)).fold(0u64, add_two_bytes);
    (sum, map)
}

// The same walks as `for` loops, which drive `next` one item at a time.

/// Sums the first and last byte of every chunk in a `for` loop.
#[inline(always)]
fn for_two_bytes<C: std::ops::Deref<Target = [u8]>>(chunks: impl IntoIterator<Item = C>) -> u64 {
    let mut sum = 0u64;
    for chunk in chunks {
        sum = add_two_bytes(sum, &chunk);
    }
    sum
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_map)]
fn mmapio_for_chunks_4096_two_bytes(
    map: mmapio::MemoryMappedFile,
) -> (u64, mmapio::MemoryMappedFile) {
    let sum = for_two_bytes(map.chunks(black_box(4096)));
    (sum, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_map)]
fn memmap2_for_chunks_exact_4096_two_bytes(map: memmap2::Mmap) -> (u64, memmap2::Mmap) {
    let sum = for_two_bytes(map.chunks_exact(black_box(4096)));
    (sum, map)
}

// The `for` loop over `&chunks`: items lent by the iterator, which hold
// nothing of their own.
#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_map)]
fn mmapio_for_lent_chunks_4096_two_bytes(
    map: mmapio::MemoryMappedFile,
) -> (u64, mmapio::MemoryMappedFile) {
    let chunks = map.chunks(black_box(4096));
    let lent: mmapio::BorrowedChunks<'_> = (&chunks).into_iter();
    let sum = for_two_bytes(lent);
    drop(chunks);
    (sum, map)
}

// The raw `for` loop over `chunks_exact` whose items count down and may call
// when dropped, as a read-write `mmapio` item does.
#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_map)]
fn memmap2_for_chunks_exact_4096_call_per_item_two_bytes(
    map: memmap2::Mmap,
) -> (u64, memmap2::Mmap) {
    let count = Cell::new(usize::MAX);
    let items = SharedCountItems::new(map.chunks_exact(black_box(4096)), black_box(&count));
    let sum = for_two_bytes(items);
    (sum, map)
}

// The raw `for` loop whose items have the shape of `mmapio`'s chunks: the
// last may be shorter.
#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_map)]
fn memmap2_for_chunks_4096_two_bytes(map: memmap2::Mmap) -> (u64, memmap2::Mmap) {
    let sum = for_two_bytes(map.chunks(black_box(4096)));
    (sum, map)
}

// --- touch_pages_range over a warm 16 MiB -----------------------------------

fn mmapio_warm(access: Access) -> mmapio::MemoryMappedFile {
    let map = open_mmapio(&input_file(TOUCH_LEN), access);
    map.touch_pages().expect("touch");
    map
}

fn mmap_io_warm(access: Access) -> mmap_io::MemoryMappedFile {
    let map = open_mmap_io(&input_file(TOUCH_LEN), access);
    map.touch_pages().expect("touch");
    map
}

fn memmap2_warm(_access: Access) -> memmap2::Mmap {
    let map = map_memmap2(&input_file(TOUCH_LEN));
    volatile_touch(&map, mmapio::page_size());
    map
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_warm)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_warm)]
fn mmapio_touch_pages_range(map: mmapio::MemoryMappedFile) -> mmapio::MemoryMappedFile {
    map.touch_pages_range(0, black_box(TOUCH_LEN as u64))
        .expect("touch");
    map
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmap_io_warm)]
#[bench::rw(args = (Access::ReadWrite), setup = mmap_io_warm)]
fn mmap_io_touch_pages_range(map: mmap_io::MemoryMappedFile) -> mmap_io::MemoryMappedFile {
    map.touch_pages_range(0, black_box(TOUCH_LEN as u64))
        .expect("touch");
    map
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = memmap2_warm)]
fn memmap2_volatile_loop(map: memmap2::Mmap) -> (usize, memmap2::Mmap) {
    let pages = volatile_touch(&map[..black_box(TOUCH_LEN)], mmapio::page_size());
    (pages, map)
}

// --- atomic_u64: 1000 fetch_adds on one view ---------------------------------
// The views borrow their mapping, so setup leaks the mapping (one per
// benchmark process) to hand over a view that needs no setup in the bench.

fn atomic_target() -> std::path::PathBuf {
    scratch_file("instruction_counts_atomic", 4096)
}

fn mmapio_counter() -> mmapio::AtomicView<'static, AtomicU64> {
    let map: &'static _ = Box::leak(Box::new(open_mmapio(&atomic_target(), Access::ReadWrite)));
    map.atomic_u64(0).expect("aligned, in range")
}

fn mmap_io_counter() -> mmap_io::atomic::AtomicView<'static, AtomicU64> {
    let map: &'static _ = Box::leak(Box::new(open_mmap_io(&atomic_target(), Access::ReadWrite)));
    map.atomic_u64(0).expect("aligned, in range")
}

fn memmap2_counter() -> &'static AtomicU64 {
    let map: &'static mut memmap2::MmapMut = Box::leak(Box::new(map_memmap2_mut(&atomic_target())));
    assert!(map.len() >= 8);
    // SAFETY: the mapping is leaked, so it stays mapped for the rest of the
    // process; its base is page-aligned, hence aligned for `AtomicU64`, and
    // its first 8 bytes are only ever accessed through this atomic.
    unsafe { &*(map.as_mut_ptr() as *const AtomicU64) }
}

#[library_benchmark]
#[bench::rw(setup = mmapio_counter)]
fn mmapio_atomic_u64(
    counter: mmapio::AtomicView<'static, AtomicU64>,
) -> mmapio::AtomicView<'static, AtomicU64> {
    for _ in 0..black_box(FETCH_ADDS) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    counter
}

#[library_benchmark]
#[bench::rw(setup = mmap_io_counter)]
fn mmap_io_atomic_u64(
    counter: mmap_io::atomic::AtomicView<'static, AtomicU64>,
) -> mmap_io::atomic::AtomicView<'static, AtomicU64> {
    for _ in 0..black_box(FETCH_ADDS) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    counter
}

#[library_benchmark]
#[bench::rw(setup = memmap2_counter)]
fn memmap2_raw_atomic_u64(counter: &'static AtomicU64) -> &'static AtomicU64 {
    for _ in 0..black_box(FETCH_ADDS) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    counter
}

// --- loop twins of the timed workloads --------------------------------------
// Each runs the timed workload's own loop (the same harness code) over a
// small file, beside the raw memmap2 loop doing the same work: hundreds of
// operations, so their estimated cycles (cache misses included) repeat from
// build to build and are gated, not only their instructions. Setup maps and
// faults the file in as the timed workload does before each run.

/// The file of the sequential twins: 256 pages.
const SEQUENTIAL_LEN: usize = MIB;
/// The file of the random-read twins and the request count.
const RANDOM_FILE_LEN: usize = 16 * MIB;
const RANDOM_REQUESTS: u64 = 1000;
/// The request size of the random-read twins.
const RANDOM_REQUEST_LEN: usize = 64;
/// Writes of the sequential-write twins, of the workload's write size.
const WRITES: usize = 256;

fn mmapio_sequential_slices(access: Access) -> MmapioSlices {
    MmapioSlices(MmapioInput::new(&input_file(SEQUENTIAL_LEN), access).map())
}

fn mmapio_sequential_copies() -> MmapioCopies {
    let map = MmapioInput::new(&input_file(SEQUENTIAL_LEN), Access::ReadOnly).map();
    MmapioCopies::new(map, COPY_BUFFER_SIZE.min(SEQUENTIAL_LEN))
}

fn memmap2_sequential_slices() -> Memmap2Slices {
    Memmap2Slices(Memmap2Input::new(&input_file(SEQUENTIAL_LEN)).map())
}

fn memmap2_sequential_copies() -> Memmap2Copies {
    let map = Memmap2Input::new(&input_file(SEQUENTIAL_LEN)).map();
    Memmap2Copies::new(map, COPY_BUFFER_SIZE.min(SEQUENTIAL_LEN))
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_sequential_slices)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_sequential_slices)]
fn mmapio_sequential_as_slice(mut reader: MmapioSlices) -> (u64, MmapioSlices) {
    (checksum_whole_file(&mut reader, SEQUENTIAL_LEN), reader)
}

#[library_benchmark]
#[bench::ro(setup = mmapio_sequential_copies)]
fn mmapio_sequential_read_into(mut reader: MmapioCopies) -> (u64, MmapioCopies) {
    (checksum_whole_file(&mut reader, SEQUENTIAL_LEN), reader)
}

#[library_benchmark]
#[bench::ro(setup = memmap2_sequential_slices)]
fn memmap2_sequential_slice(mut reader: Memmap2Slices) -> (u64, Memmap2Slices) {
    (checksum_whole_file(&mut reader, SEQUENTIAL_LEN), reader)
}

#[library_benchmark]
#[bench::ro(setup = memmap2_sequential_copies)]
fn memmap2_sequential_copy(mut reader: Memmap2Copies) -> (u64, Memmap2Copies) {
    (checksum_whole_file(&mut reader, SEQUENTIAL_LEN), reader)
}

fn random_requests() -> RandomRequests {
    RandomRequests::new(RANDOM_FILE_LEN, RANDOM_REQUEST_LEN)
}

fn mmapio_random_slices(access: Access) -> MmapioSlices {
    MmapioSlices(MmapioInput::new(&input_file(RANDOM_FILE_LEN), access).map())
}

fn mmapio_random_copies() -> MmapioCopies {
    let map = MmapioInput::new(&input_file(RANDOM_FILE_LEN), Access::ReadOnly).map();
    MmapioCopies::new(map, RANDOM_REQUEST_LEN)
}

fn memmap2_random_slices() -> Memmap2Slices {
    Memmap2Slices(Memmap2Input::new(&input_file(RANDOM_FILE_LEN)).map())
}

fn memmap2_random_copies() -> Memmap2Copies {
    Memmap2Copies::new(
        Memmap2Input::new(&input_file(RANDOM_FILE_LEN)).map(),
        RANDOM_REQUEST_LEN,
    )
}

/// [`RANDOM_REQUESTS`] requests of the random-read stream through `reader`.
#[inline(always)]
fn random_reads(reader: &mut impl RangeReader) -> u64 {
    let mut rng = Xorshift64::new(REQUEST_SEED);
    random_requests().checksum_next(reader, &mut rng, black_box(RANDOM_REQUESTS))
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_random_slices)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_random_slices)]
fn mmapio_random_as_slice(mut reader: MmapioSlices) -> (u64, MmapioSlices) {
    (random_reads(&mut reader), reader)
}

#[library_benchmark]
#[bench::ro(setup = mmapio_random_copies)]
fn mmapio_random_read_into(mut reader: MmapioCopies) -> (u64, MmapioCopies) {
    (random_reads(&mut reader), reader)
}

#[library_benchmark]
#[bench::ro(setup = memmap2_random_slices)]
fn memmap2_random_slice(mut reader: Memmap2Slices) -> (u64, Memmap2Slices) {
    (random_reads(&mut reader), reader)
}

#[library_benchmark]
#[bench::ro(setup = memmap2_random_copies)]
fn memmap2_random_copy(mut reader: Memmap2Copies) -> (u64, Memmap2Copies) {
    (random_reads(&mut reader), reader)
}

/// The bytes every write of the sequential-write twins copies.
fn write_source() -> Vec<u8> {
    let mut source = vec![0u8; SEQUENTIAL_WRITE_SIZE];
    Xorshift64::new(DATA_SEED).fill(&mut source);
    source
}

fn sequential_write_target() -> std::path::PathBuf {
    scratch_file("instruction_counts_writes", WRITES * SEQUENTIAL_WRITE_SIZE)
}

fn mmapio_write_subject() -> (mmapio::MemoryMappedFile, Vec<u8>) {
    let map = open_mmapio(&sequential_write_target(), Access::ReadWrite);
    map.touch_pages().expect("touch");
    (map, write_source())
}

fn memmap2_write_subject() -> (memmap2::MmapMut, Vec<u8>) {
    let map = map_memmap2_mut(&sequential_write_target());
    volatile_touch(&map, mmapio::page_size());
    (map, write_source())
}

#[library_benchmark]
#[bench::rw(setup = mmapio_write_subject)]
fn mmapio_sequential_update_region(
    (map, source): (mmapio::MemoryMappedFile, Vec<u8>),
) -> (mmapio::MemoryMappedFile, Vec<u8>) {
    for offset in (0..WRITES * SEQUENTIAL_WRITE_SIZE).step_by(SEQUENTIAL_WRITE_SIZE) {
        map.update_region(offset as u64, black_box(&source))
            .expect("write");
    }
    (map, source)
}

#[library_benchmark]
#[bench::rw(setup = memmap2_write_subject)]
fn memmap2_sequential_copy_from_slice(
    (mut map, source): (memmap2::MmapMut, Vec<u8>),
) -> (memmap2::MmapMut, Vec<u8>) {
    for offset in (0..WRITES * SEQUENTIAL_WRITE_SIZE).step_by(SEQUENTIAL_WRITE_SIZE) {
        map[offset..offset + SEQUENTIAL_WRITE_SIZE].copy_from_slice(black_box(&source));
    }
    (map, source)
}

// --- rejection of an out-of-range request ------------------------------------

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmapio_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmapio_map)]
fn mmapio_out_of_range(map: mmapio::MemoryMappedFile) -> (bool, mmapio::MemoryMappedFile) {
    let rejected = map.as_slice(black_box(READ_FILE_LEN as u64), 1).is_err();
    assert!(rejected, "a read past the end was accepted");
    (rejected, map)
}

#[library_benchmark]
#[bench::ro(args = (Access::ReadOnly), setup = mmap_io_map)]
#[bench::rw(args = (Access::ReadWrite), setup = mmap_io_map)]
fn mmap_io_out_of_range(map: mmap_io::MemoryMappedFile) -> (bool, mmap_io::MemoryMappedFile) {
    let rejected = map.as_slice(black_box(READ_FILE_LEN as u64), 1).is_err();
    assert!(rejected, "a read past the end was accepted");
    (rejected, map)
}

library_benchmark_group!(
    name = views;
    benchmarks = mmapio_as_slice, mmap_io_as_slice, memmap2_slice
);
library_benchmark_group!(
    name = copies;
    benchmarks = mmapio_read_into, mmap_io_read_into
);
library_benchmark_group!(
    name = writes;
    benchmarks = mmapio_update_region, mmap_io_update_region, memmap2_copy_from_slice
);
library_benchmark_group!(
    name = iterators;
    benchmarks = mmapio_chunks_4096, mmap_io_chunks_4096, memmap2_chunks_exact_4096
);
library_benchmark_group!(
    name = per_item;
    benchmarks = mmapio_chunks_4096_two_bytes,
        mmap_io_chunks_4096_two_bytes,
        memmap2_chunks_exact_4096_two_bytes,
        memmap2_chunks_4096_two_bytes,
        mmapio_for_chunks_4096_two_bytes,
        mmapio_for_lent_chunks_4096_two_bytes,
        memmap2_for_chunks_exact_4096_two_bytes,
        memmap2_for_chunks_exact_4096_call_per_item_two_bytes,
        memmap2_for_chunks_4096_two_bytes
);
library_benchmark_group!(
    name = touch;
    benchmarks = mmapio_touch_pages_range, mmap_io_touch_pages_range, memmap2_volatile_loop
);
library_benchmark_group!(
    name = atomics;
    benchmarks = mmapio_atomic_u64, mmap_io_atomic_u64, memmap2_raw_atomic_u64
);
library_benchmark_group!(
    name = loops;
    benchmarks = mmapio_sequential_as_slice,
        mmapio_sequential_read_into,
        memmap2_sequential_slice,
        memmap2_sequential_copy,
        mmapio_random_as_slice,
        mmapio_random_read_into,
        memmap2_random_slice,
        memmap2_random_copy,
        mmapio_sequential_update_region,
        memmap2_sequential_copy_from_slice
);
library_benchmark_group!(
    name = rejections;
    benchmarks = mmapio_out_of_range, mmap_io_out_of_range
);

/// The simulated caches, the same on every machine: callgrind would
/// otherwise take the host CPU's, and the estimated cycles would differ
/// between an AMD EPYC and an Intel Xeon running the same binary.
const PINNED_CACHES: [&str; 3] = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64"];

/// Writes every file the benches map before callgrind starts, so that no
/// setup writes a file under the simulation (which would leave its lines in
/// the simulated cache only on a first run).
fn generate_inputs() {
    for len in [READ_FILE_LEN, TOUCH_LEN, SEQUENTIAL_LEN, RANDOM_FILE_LEN] {
        input_file(len);
    }
    write_target();
    atomic_target();
    sequential_write_target();
}

main!(
    // Runs before iai-callgrind starts its runner: without the runner or
    // valgrind this bench says so in one line and steps aside, so that the
    // rest of `cargo bench -p bench-suite` still runs.
    config = {
        bench_suite::iai_runner::prepare_or_step_aside(option_env!("IAI_CALLGRIND_RUNNER"));
        generate_inputs();
        LibraryBenchmarkConfig::default()
            // Where the input files are (`bench_suite::store::target_dir`).
            .pass_through_env("CARGO_TARGET_DIR")
            .tool(Callgrind::with_args(PINNED_CACHES))
    };
    library_benchmark_groups = views,
    copies,
    writes,
    iterators,
    per_item,
    touch,
    atomics,
    loops,
    rejections
);
