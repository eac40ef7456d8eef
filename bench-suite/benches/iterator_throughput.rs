//! `iterator_throughput`: walk a 1 GiB file in chunks and consume every
//! byte of every chunk (checksum), through `mmapio` `chunks(4096)`,
//! `chunks(65536)` and `pages()` on read-only and read-write mappings,
//! their owning forms `chunks_owned` / `pages_owned`, the same through the
//! published `mmap-io`, and raw `memmap2` loops over `chunks_exact` (the
//! floors: over views for `chunks` and `pages`, copying every chunk into a
//! new `Vec` for the owning forms) and over `chunks` (shown, never a floor).
//!
//! The per-item variants (parameter `two_bytes_*`) run a trivial loop body
//! that reads the first and last byte of each 4 KiB chunk, so the cost per
//! item shows; they run over the 1 GiB file and over a cache-resident
//! 1 MiB file, and are only compared with each other. They run once
//! through `fold` and once as a `for` loop (`*_for_*`), which drives `next`
//! one item at a time; `mmapio` also as a `for` loop over `&chunks`
//! (`*_for_lent_*`), whose items borrow the iterator. A raw `for` loop whose
//! items count down and may call when dropped, like a read-write `mmapio`
//! item (`*_call_per_item`), shows what that costs a raw loop.

use std::cell::Cell;
use std::hint::black_box;

use bench_suite::harness::Batch;
use bench_suite::harness::{
    checksum, first_and_last_byte, input_file, map_memmap2, open_mmap_io, size_label, Access,
    CountingAllocator, Memmap2Input, MmapioInput, Profile, SharedCountItems, TimedRegion,
    WorkloadReport, CACHE_RESIDENT_SIZE,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Throughput};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKLOAD: &str = "iterator_throughput";

fn main() {
    let profile = Profile::from_env();
    let mut criterion = profile.criterion();
    let mut report = WorkloadReport::new(WORKLOAD, profile);
    let mut group = criterion.benchmark_group(WORKLOAD);
    group.sample_size(profile.large_sample_size());
    let file_len = profile.iterator_file_size();
    every_byte(&mut report, &mut group, file_len);
    two_bytes_per_chunk(&mut report, &mut group, file_len);
    group.sample_size(profile.sample_size());
    two_bytes_per_chunk(&mut report, &mut group, CACHE_RESIDENT_SIZE);
    group.finish();
    report.finish();
    criterion.final_summary();
}

/// Adds `function`, timing `pass` (one full walk returning its sum) and
/// checking every iteration's sum against `expected`.
fn walk<'b>(
    batch: &mut Batch<'b>,
    function: impl Into<String>,
    expected: u64,
    mut pass: impl FnMut() -> u64 + 'b,
) {
    walk_over(batch, function, expected, || (), move |()| pass());
}

/// As [`walk`], for a `mmapio` variant that maps `input` afresh for every
/// run (outside the timed region; see [`MmapioInput`]) and passes over it.
fn walk_mapped<'b>(
    batch: &mut Batch<'b>,
    function: impl Into<String>,
    expected: u64,
    input: MmapioInput,
    pass: impl FnMut(&mmapio::MemoryMappedFile) -> u64 + 'b,
) {
    walk_over(batch, function, expected, move || input.map(), pass);
}

/// As [`walk`], for a raw `memmap2` variant that maps `input` afresh for
/// every run (outside the timed region; see [`Memmap2Input`]).
fn walk_raw<'b>(
    batch: &mut Batch<'b>,
    function: impl Into<String>,
    expected: u64,
    input: Memmap2Input,
    pass: impl FnMut(&memmap2::Mmap) -> u64 + 'b,
) {
    walk_over(batch, function, expected, move || input.map(), pass);
}

/// Adds `function`: every run makes its subject with `setup` (untimed),
/// then times `pass` over it, checking every iteration's sum against
/// `expected`; the subject is dropped after the timed region.
fn walk_over<'b, S>(
    batch: &mut Batch<'b>,
    function: impl Into<String>,
    expected: u64,
    mut setup: impl FnMut() -> S + 'b,
    mut pass: impl FnMut(&S) -> u64 + 'b,
) {
    let function = function.into();
    let message = format!("{function} read other bytes");
    batch.add(function, 1, move |iterations| {
        let subject = setup();
        let region = TimedRegion::start();
        for _ in 0..iterations {
            assert_eq!(black_box(pass(&subject)), expected, "{message}");
        }
        region.stop()
    });
}

/// Adds the checksum of every byte of `chunk` to `sum`.
#[inline(always)]
fn add_checksum(sum: u64, chunk: &[u8]) -> u64 {
    sum.wrapping_add(checksum(black_box(chunk)))
}

fn every_byte(
    report: &mut WorkloadReport,
    group: &mut BenchmarkGroup<'_, WallTime>,
    file_len: usize,
) {
    let path = input_file(file_len);
    group.throughput(Throughput::Bytes(file_len as u64));
    let expected = checksum(&map_memmap2(&path));
    let page_size = mmapio::page_size();
    assert_eq!(page_size, mmap_io::utils::page_size());
    // Each variant maps the file itself (the page cache is shared), raw
    // ones too, so that none finds the page tables or TLB entries of its
    // mapping warm from the variant before it in a round.
    let mut batch = Batch::new(WORKLOAD, format!("every_byte_{}", size_label(file_len)));

    for chunk_size in [4096, 65536] {
        assert_eq!(file_len % chunk_size, 0);
        let raw = Memmap2Input::new(&path);
        walk_raw(
            &mut batch,
            format!("memmap2_chunks_exact_{chunk_size}"),
            expected,
            raw,
            move |raw| raw.chunks_exact(chunk_size).fold(0, add_checksum),
        );
        let raw = Memmap2Input::new(&path);
        walk_raw(
            &mut batch,
            format!("memmap2_chunks_{chunk_size}"),
            expected,
            raw,
            move |raw| raw.chunks(chunk_size).fold(0, add_checksum),
        );
        for access in [Access::ReadOnly, Access::ReadWrite] {
            let mode = access.suffix();
            let map = MmapioInput::new(&path, access);
            walk_mapped(
                &mut batch,
                format!("mmapio_chunks_{chunk_size}_{mode}"),
                expected,
                map,
                move |map| {
                    map.chunks(chunk_size)
                        .fold(0, |sum, chunk| add_checksum(sum, &chunk))
                },
            );
            let peer = open_mmap_io(&path, access);
            walk(
                &mut batch,
                format!("mmap_io_chunks_{chunk_size}_{mode}"),
                expected,
                move || {
                    peer.chunks(chunk_size)
                        .fold(0, |sum, chunk| add_checksum(sum, &chunk))
                },
            );
        }
    }

    // The floor of the pages is the raw loop over chunks of a page, and the
    // floor of the owning iterators the raw loop that copies every chunk
    // into a new `Vec`.
    if ![4096, 65536].contains(&page_size) {
        let raw = Memmap2Input::new(&path);
        walk_raw(
            &mut batch,
            format!("memmap2_chunks_exact_{page_size}"),
            expected,
            raw,
            move |raw| raw.chunks_exact(page_size).fold(0, add_checksum),
        );
    }
    let owned_chunk_sizes: &[usize] = if page_size == 4096 {
        &[4096]
    } else {
        &[4096, page_size]
    };
    for &chunk_size in owned_chunk_sizes {
        let raw = Memmap2Input::new(&path);
        walk_raw(
            &mut batch,
            format!("memmap2_chunks_exact_{chunk_size}_to_vec"),
            expected,
            raw,
            move |raw| {
                raw.chunks_exact(chunk_size)
                    .map(<[u8]>::to_vec)
                    .fold(0, |sum, chunk| add_checksum(sum, &chunk))
            },
        );
    }
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let mode = access.suffix();
        let map = MmapioInput::new(&path, access);
        walk_mapped(
            &mut batch,
            format!("mmapio_pages_{mode}"),
            expected,
            map,
            move |map| map.pages().fold(0, |sum, page| add_checksum(sum, &page)),
        );
        let peer = open_mmap_io(&path, access);
        walk(
            &mut batch,
            format!("mmap_io_pages_{mode}"),
            expected,
            move || peer.pages().fold(0, |sum, page| add_checksum(sum, &page)),
        );
        let map = MmapioInput::new(&path, access);
        walk_mapped(
            &mut batch,
            format!("mmapio_chunks_owned_4096_{mode}"),
            expected,
            map,
            move |map| {
                map.chunks_owned(4096)
                    .fold(0, |sum, chunk| add_checksum(sum, &chunk.expect("in range")))
            },
        );
        let peer = open_mmap_io(&path, access);
        walk(
            &mut batch,
            format!("mmap_io_chunks_owned_4096_{mode}"),
            expected,
            move || {
                peer.chunks_owned(4096)
                    .fold(0, |sum, chunk| add_checksum(sum, &chunk.expect("in range")))
            },
        );
        let map = MmapioInput::new(&path, access);
        walk_mapped(
            &mut batch,
            format!("mmapio_pages_owned_{mode}"),
            expected,
            map,
            move |map| {
                map.pages_owned()
                    .fold(0, |sum, page| add_checksum(sum, &page.expect("in range")))
            },
        );
        let peer = open_mmap_io(&path, access);
        walk(
            &mut batch,
            format!("mmap_io_pages_owned_{mode}"),
            expected,
            move || {
                peer.pages_owned()
                    .fold(0, |sum, page| add_checksum(sum, &page.expect("in range")))
            },
        );
    }
    batch.run(report, group);
}

/// Adds the first and last byte of `chunk` to `sum`.
#[inline(always)]
fn add_two_bytes(sum: u64, chunk: &[u8]) -> u64 {
    sum.wrapping_add(first_and_last_byte(chunk))
}

/// [`add_two_bytes`] over `chunks` in a `for` loop, which drives `next`
/// one item at a time (unlike `fold`). Inlined, so each variant gets its
/// own loop.
#[inline(always)]
fn for_loop_two_bytes<C: std::ops::Deref<Target = [u8]>>(
    chunks: impl IntoIterator<Item = C>,
) -> u64 {
    let mut sum = 0;
    for chunk in chunks {
        sum = add_two_bytes(sum, &chunk);
    }
    sum
}

fn two_bytes_per_chunk(
    report: &mut WorkloadReport,
    group: &mut BenchmarkGroup<'_, WallTime>,
    file_len: usize,
) {
    const CHUNK: usize = 4096;
    let path = input_file(file_len);
    group.throughput(Throughput::Elements((file_len / CHUNK) as u64));
    let expected = map_memmap2(&path)
        .chunks_exact(CHUNK)
        .fold(0, add_two_bytes);
    // Every variant maps the file itself, as in `every_byte`.
    let mut batch = Batch::new(WORKLOAD, format!("two_bytes_{}", size_label(file_len)));
    let raw = Memmap2Input::new(&path);
    walk_raw(
        &mut batch,
        "memmap2_chunks_exact_4096",
        expected,
        raw,
        move |raw| raw.chunks_exact(CHUNK).fold(0, add_two_bytes),
    );
    // `slice::chunks` compiles to a different loop whose speed on this body
    // moves between runs of the same binary; the target table reports it as
    // a stricter floor, no variant declares it as its floor.
    let raw = Memmap2Input::new(&path);
    walk_raw(
        &mut batch,
        "memmap2_chunks_4096",
        expected,
        raw,
        move |raw| raw.chunks(CHUNK).fold(0, add_two_bytes),
    );
    // The same walks written as `for` loops, which drive `next` one item
    // at a time instead of `fold`. `slice::chunks`, whose last chunk may be
    // shorter, is the raw loop with the items of `mmapio`'s `chunks`.
    let raw = Memmap2Input::new(&path);
    walk_raw(
        &mut batch,
        "memmap2_for_chunks_exact_4096",
        expected,
        raw,
        move |raw| for_loop_two_bytes(raw.chunks_exact(CHUNK)),
    );
    let raw = Memmap2Input::new(&path);
    walk_raw(
        &mut batch,
        "memmap2_for_chunks_4096",
        expected,
        raw,
        move |raw| for_loop_two_bytes(raw.chunks(CHUNK)),
    );
    // The raw `for` loop over `chunks_exact` with items that count a share
    // down when dropped and may call out of line, as a read-write
    // `mmapio` item does: what that alone costs, without `mmapio`. Shown,
    // never a floor.
    let raw = Memmap2Input::new(&path);
    walk_raw(
        &mut batch,
        "memmap2_for_chunks_exact_4096_call_per_item",
        expected,
        raw,
        move |raw| {
            let count = Cell::new(usize::MAX);
            for_loop_two_bytes(SharedCountItems::new(
                raw.chunks_exact(CHUNK),
                black_box(&count),
            ))
        },
    );
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let mode = access.suffix();
        let map = MmapioInput::new(&path, access);
        walk_mapped(
            &mut batch,
            format!("mmapio_for_chunks_4096_{mode}"),
            expected,
            map,
            move |map| for_loop_two_bytes(map.chunks(CHUNK)),
        );
        // The `for` loop over `&chunks`: items lent by the iterator, which
        // keeps the lock, so they hold nothing of their own.
        let lending = MmapioInput::new(&path, access);
        walk_mapped(
            &mut batch,
            format!("mmapio_for_lent_chunks_4096_{mode}"),
            expected,
            lending,
            move |lending| {
                let chunks = lending.chunks(CHUNK);
                let lent: mmapio::BorrowedChunks<'_> = (&chunks).into_iter();
                for_loop_two_bytes(lent)
            },
        );
        let peer = open_mmap_io(&path, access);
        walk(
            &mut batch,
            format!("mmap_io_for_chunks_4096_{mode}"),
            expected,
            move || for_loop_two_bytes(peer.chunks(CHUNK)),
        );
    }
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let mode = access.suffix();
        let map = MmapioInput::new(&path, access);
        walk_mapped(
            &mut batch,
            format!("mmapio_chunks_4096_{mode}"),
            expected,
            map,
            move |map| {
                map.chunks(CHUNK)
                    .fold(0, |sum, chunk| add_two_bytes(sum, &chunk))
            },
        );
        let peer = open_mmap_io(&path, access);
        walk(
            &mut batch,
            format!("mmap_io_chunks_4096_{mode}"),
            expected,
            move || {
                peer.chunks(CHUNK)
                    .fold(0, |sum, chunk| add_two_bytes(sum, &chunk))
            },
        );
    }
    batch.run(report, group);
}
