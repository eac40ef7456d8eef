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
    checksum, first_and_last_byte, input_file, map_memmap2, map_memmap2_mut, open_mmap_io,
    open_mmapio, scratch_file, volatile_touch, Access, SharedCountItems, MIB,
};
use iai_callgrind::{library_benchmark, library_benchmark_group, main, LibraryBenchmarkConfig};

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
    name = rejections;
    benchmarks = mmapio_out_of_range, mmap_io_out_of_range
);

main!(
    // Runs before iai-callgrind starts its runner: without the runner or
    // valgrind this bench says so in one line and steps aside, so that the
    // rest of `cargo bench -p bench-suite` still runs.
    config = {
        bench_suite::iai_runner::prepare_or_step_aside(option_env!("IAI_CALLGRIND_RUNNER"));
        LibraryBenchmarkConfig::default()
    };
    library_benchmark_groups = views,
    copies,
    writes,
    iterators,
    per_item,
    touch,
    atomics,
    rejections
);
