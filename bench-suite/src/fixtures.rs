//! Everything the bench binaries share: the profile (`quick` / `full`) and
//! its sizes, the deterministic input files under `target/bench-data/`, the
//! seeded xorshift64 PRNG, the checksum every read variant runs, the peer
//! adapters for `memmap2`, `mmap-io` and `std::fs`, the counting global
//! allocator, and the per-variant report (allocations and flushes per
//! iteration) written next to criterion's results.
//!
//! Every bench times its variants through a
//! [`Batch`](crate::side_by_side::Batch), whose routines run `iterations`
//! iterations and bracket exactly the timed part with a [`TimedRegion`].
//! Allocations are counted in a separate pass over the same routine
//! (outside criterion's timed loop), restricted to the same region, so the
//! figure is what one timed iteration allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::catalog::Role;
use crate::side_by_side::{median_with_interval, rounds_path, save_rounds, RoundsRecord};

/// One kibibyte.
pub const KIB: usize = 1024;
/// One mebibyte.
pub const MIB: usize = 1024 * KIB;
/// One gibibyte.
pub const GIB: usize = 1024 * MIB;

/// Request sizes of the `random_read` workload.
pub const RANDOM_READ_REQUEST_SIZES: [usize; 4] = [64, 256, 4 * KIB, 64 * KIB];
/// Size of each write in the `sequential_write` workload.
pub const SEQUENTIAL_WRITE_SIZE: usize = 64 * KIB;
/// Threads of the `atomic_contention` workload.
pub const ATOMIC_THREAD_COUNTS: [usize; 4] = [1, 2, 4, 8];
/// Distance between the counters of the separate-cache-lines layout.
pub const CACHE_LINE: usize = 64;
/// Buffer size of the copying read variants (`read_into`, `std::fs`): each
/// copies the file through one reused buffer of this size.
pub const COPY_BUFFER_SIZE: usize = MIB;
/// Size of the cache-resident file of the per-item iterator variants.
pub const CACHE_RESIDENT_SIZE: usize = MIB;

/// Seed of the input files' contents.
pub const DATA_SEED: u64 = 0x6d6d_6170_696f_2d31;
/// Seed of the `random_read` request offsets.
pub const REQUEST_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// `1MiB`, `64KiB`, `256B`: the labels used in benchmark ids and file names.
pub fn size_label(bytes: usize) -> String {
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{}GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{}MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{}KiB", bytes / KIB)
    } else {
        format!("{bytes}B")
    }
}

// ---------------------------------------------------------------------------
// Profile
// ---------------------------------------------------------------------------

/// The environment variable that selects the profile: `quick` or `full`
/// (the default when unset).
pub const PROFILE_ENV: &str = "MMAPIO_BENCH_PROFILE";

/// How much work a run does.
///
/// * `Quick`: every workload and variant at reduced sizes and short
///   measurement times (the whole suite in minutes, for a smoke run).
/// * `Full`: the sizes of the benchmark specification (1/16/256 MiB reads, a
///   256 MiB random-read file, 64 MiB of writes, 1 GiB iterator and
///   touch-pages files).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Reduced sizes and sample counts.
    Quick,
    /// The specified sizes.
    Full,
}

impl Profile {
    /// Reads [`PROFILE_ENV`]; panics on a value other than `quick` or `full`
    /// so a typo never silently runs the wrong profile.
    pub fn from_env() -> Profile {
        match std::env::var(PROFILE_ENV) {
            Err(std::env::VarError::NotPresent) => Profile::Full,
            Ok(value) if value.eq_ignore_ascii_case("full") => Profile::Full,
            Ok(value) if value.eq_ignore_ascii_case("quick") => Profile::Quick,
            Ok(value) => panic!("{PROFILE_ENV}={value:?}: expected `quick` or `full`"),
            Err(e) => panic!("{PROFILE_ENV}: {e}"),
        }
    }

    /// The profile's name, as accepted by [`PROFILE_ENV`].
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }

    /// A criterion configured for this profile, then for the command line
    /// (so `cargo bench -- FILTER` and criterion's flags still work).
    pub fn criterion(self) -> Criterion {
        let criterion = Criterion::default()
            .without_plots()
            .sample_size(self.sample_size());
        let criterion = match self {
            Profile::Quick => criterion
                .warm_up_time(Duration::from_millis(100))
                .measurement_time(Duration::from_millis(300))
                .nresamples(2_000),
            Profile::Full => criterion
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(4))
                .nresamples(50_000),
        };
        criterion.configure_from_args()
    }

    /// Criterion's sample count for most variants.
    pub fn sample_size(self) -> usize {
        match self {
            Profile::Quick => 10,
            Profile::Full => 50,
        }
    }

    /// Sample count for variants whose iteration takes tens of
    /// milliseconds or more (large files, page faults, `msync`).
    pub fn large_sample_size(self) -> usize {
        match self {
            Profile::Quick => 10,
            Profile::Full => 20,
        }
    }

    /// File sizes of `sequential_read`.
    pub fn sequential_read_sizes(self) -> Vec<usize> {
        match self {
            Profile::Quick => vec![MIB, 16 * MIB],
            Profile::Full => vec![MIB, 16 * MIB, 256 * MIB],
        }
    }

    /// File size of `random_read`.
    pub fn random_read_file_size(self) -> usize {
        match self {
            Profile::Quick => 16 * MIB,
            Profile::Full => 256 * MIB,
        }
    }

    /// Bytes written per iteration of `sequential_write`.
    pub fn sequential_write_total(self) -> usize {
        match self {
            Profile::Quick => 8 * MIB,
            Profile::Full => 64 * MIB,
        }
    }

    /// File size of `iterator_throughput`.
    pub fn iterator_file_size(self) -> usize {
        match self {
            Profile::Quick => 64 * MIB,
            Profile::Full => GIB,
        }
    }

    /// File size of `touch_pages_large`.
    pub fn touch_file_size(self) -> usize {
        match self {
            Profile::Quick => 64 * MIB,
            Profile::Full => GIB,
        }
    }
}

// ---------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------

/// Marsaglia's xorshift64 (shifts 13, 7, 17): tiny, fast and deterministic,
/// so every run reads the same bytes at the same offsets.
#[derive(Clone, Debug)]
pub struct Xorshift64 {
    state: u64,
}

impl Xorshift64 {
    /// A generator seeded with `seed` (0, which xorshift cannot leave, is
    /// replaced by a fixed non-zero constant).
    pub const fn new(seed: u64) -> Xorshift64 {
        Xorshift64 {
            state: if seed == 0 { DATA_SEED } else { seed },
        }
    }

    /// The next value.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// Fills `buf` with the next values, little-endian.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut words = buf.chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let tail = words.into_remainder();
        let last = self.next_u64().to_le_bytes();
        let n = tail.len();
        tail.copy_from_slice(&last[..n]);
    }
}

// ---------------------------------------------------------------------------
// Data files
// ---------------------------------------------------------------------------

/// The workspace's cargo target directory: `CARGO_TARGET_DIR` when set,
/// otherwise `target/` at the workspace root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // bench-suite/ sits at the workspace root.
        None => match Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
            Some(workspace) => workspace.join("target"),
            None => PathBuf::from("target"),
        },
    }
}

/// `target/bench-data/`: the generated input files (on the target
/// directory's disk, not a tmpfs). Created on first use.
pub fn data_dir() -> PathBuf {
    let dir = target_dir().join("bench-data");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// `target/bench-suite/`: the suite's own results (allocation reports,
/// ratio tables). Created on first use.
pub fn results_dir() -> PathBuf {
    let dir = target_dir().join("bench-suite");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// A read-only input file of `len` bytes of xorshift64 output seeded with
/// [`DATA_SEED`], generated once and reused by later runs (its length and
/// first 64 KiB are checked, and it is regenerated if they are wrong).
/// Benches never write to it.
pub fn input_file(len: usize) -> PathBuf {
    let path = data_dir().join(format!("input-{}.bin", size_label(len)));
    if !has_expected_head(&path, len) {
        generate(&path, len);
    }
    path
}

/// A file of `len` bytes that a bench may write to (the write targets and
/// the atomic counters), named after `purpose`. Filled with the same
/// deterministic bytes as the inputs when first created, so it is never
/// sparse; reused afterwards if its length is right.
pub fn scratch_file(purpose: &str, len: usize) -> PathBuf {
    let path = data_dir().join(format!("scratch-{purpose}-{}.bin", size_label(len)));
    let right_len = fs::metadata(&path).map(|m| m.len() == len as u64);
    if !matches!(right_len, Ok(true)) {
        generate(&path, len);
    }
    path
}

fn has_expected_head(path: &Path, len: usize) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    if !matches!(file.metadata(), Ok(m) if m.len() == len as u64) {
        return false;
    }
    let head_len = len.min(64 * KIB);
    let mut expected = vec![0u8; head_len];
    Xorshift64::new(DATA_SEED).fill(&mut expected);
    let mut actual = vec![0u8; head_len];
    file.read_exact(&mut actual).is_ok() && actual == expected
}

/// Writes `len` bytes of the [`DATA_SEED`] stream to `path` through a
/// temporary file and a rename, so a half-written file is never reused.
fn generate(path: &Path, len: usize) {
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = File::create(&partial)?;
        let mut rng = Xorshift64::new(DATA_SEED);
        let mut block = vec![0u8; MIB];
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len());
            // Blocks are whole multiples of 8 bytes except possibly the last,
            // so the stream is the same whatever the file length.
            rng.fill(&mut block[..n]);
            file.write_all(&block[..n])?;
            left -= n;
        }
        file.sync_all()?;
        fs::rename(&partial, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&partial);
        panic!("generating {}: {e}", path.display());
    }
}

// ---------------------------------------------------------------------------
// What every read variant computes
// ---------------------------------------------------------------------------

/// Sum of `bytes` as little-endian `u64` words (plus any trailing bytes),
/// wrapping. Reads every byte; never inlined, so every variant runs the
/// same machine code, and callers pass its input through
/// [`std::hint::black_box`] so the call cannot be hoisted out of a loop.
/// Splitting a range at multiples of 8 bytes does not change the sum.
#[inline(never)]
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut lanes = [0u64; 4];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let word = u64::from_le_bytes(word.try_into().expect("8-byte chunk"));
            *lane = lane.wrapping_add(word);
        }
    }
    let mut sum = lanes.iter().fold(0u64, |a, &b| a.wrapping_add(b));
    let mut words = blocks.remainder().chunks_exact(8);
    for word in &mut words {
        sum = sum.wrapping_add(u64::from_le_bytes(word.try_into().expect("8-byte chunk")));
    }
    for &byte in words.remainder() {
        sum = sum.wrapping_add(u64::from(byte));
    }
    sum
}

/// The trivial per-chunk body of the per-item iterator variants: reads the
/// first and the last byte of the chunk.
#[inline(always)]
pub fn first_and_last_byte(chunk: &[u8]) -> u64 {
    u64::from(chunk[0]) + u64::from(chunk[chunk.len() - 1])
}

/// Items that, like a read-write `mmapio` chunk, give back a share of a
/// count when dropped and make an out-of-line call when it reaches 0. The
/// count starts far above the number of items, so the call never happens;
/// it is there because LLVM does not unroll a loop that may call. Wraps the
/// chunks of a raw loop, to measure what that costs a loop without
/// `mmapio` in it.
pub struct SharedCountItems<'a, I> {
    chunks: I,
    count: &'a Cell<usize>,
}

impl<'a, I> SharedCountItems<'a, I> {
    /// Wraps `chunks`; `count` must stay above the number of items.
    pub fn new(chunks: I, count: &'a Cell<usize>) -> Self {
        SharedCountItems { chunks, count }
    }
}

impl<'a, 'c, I: Iterator<Item = &'c [u8]>> Iterator for SharedCountItems<'a, I> {
    type Item = SharedCountItem<'a, 'c>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.chunks.next()?;
        Some(SharedCountItem {
            bytes,
            count: self.count,
        })
    }
}

/// An item of [`SharedCountItems`].
pub struct SharedCountItem<'a, 'c> {
    bytes: &'c [u8],
    count: &'a Cell<usize>,
}

impl std::ops::Deref for SharedCountItem<'_, '_> {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

impl Drop for SharedCountItem<'_, '_> {
    #[inline(always)]
    fn drop(&mut self) {
        let left = self.count.get() - 1;
        self.count.set(left);
        if left == 0 {
            count_reached_zero(self.count);
        }
    }
}

/// Never called: see [`SharedCountItems`].
#[cold]
#[inline(never)]
fn count_reached_zero(count: &Cell<usize>) {
    count.set(usize::MAX);
}

/// The raw floor of `touch_pages`: one volatile read of the first byte of
/// every `page_size` step of `bytes`. Returns the number of pages read.
#[inline(never)]
pub fn volatile_touch(bytes: &[u8], page_size: usize) -> usize {
    let base = bytes.as_ptr();
    let mut pages = 0;
    let mut at = 0;
    while at < bytes.len() {
        // SAFETY: `at < bytes.len()`, so `base + at` points into `bytes`,
        // which is valid for reads for the whole call.
        std::hint::black_box(unsafe { std::ptr::read_volatile(base.add(at)) });
        pages += 1;
        at += page_size;
    }
    pages
}

// ---------------------------------------------------------------------------
// Peer adapters: opening the same file with each implementation
// ---------------------------------------------------------------------------

/// How a mapping is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read-only.
    ReadOnly,
    /// Read-write (shared, writes reach the file).
    ReadWrite,
}

impl Access {
    /// `ro` or `rw`, the suffix used in benchmark ids.
    pub fn suffix(self) -> &'static str {
        match self {
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
        }
    }
}

/// Asks the kernel to map `bytes`, the whole of a new mapping, with base
/// pages only. Whether a file mapping gets 2 MiB entries depends on where
/// the kernel placed it and on the page cache's folio sizes: a draw made
/// anew for every mapping, which moved a variant's time over its floor's
/// by 10-20% between runs of the same code. With base pages everywhere,
/// variants differ only in the library. Every mapping constructor below
/// calls it before the mapping is first touched.
fn base_pages_only(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    // SAFETY: MADV_NOHUGEPAGE only restricts the page sizes the kernel may
    // use for the range; it changes neither the contents nor the validity
    // of the mapping, which `bytes` borrows and so keeps alive for the call.
    let rc = unsafe {
        libc::madvise(
            bytes.as_ptr() as *mut libc::c_void,
            bytes.len(),
            libc::MADV_NOHUGEPAGE,
        )
    };
    assert_eq!(
        rc,
        0,
        "madvise(MADV_NOHUGEPAGE): {}",
        std::io::Error::last_os_error()
    );
}

/// Maps `path` with `mmapio` (default flush policy, `Manual`).
pub fn open_mmapio(path: &Path, access: Access) -> mmapio::MemoryMappedFile {
    let result = match access {
        Access::ReadOnly => mmapio::MemoryMappedFile::open_ro(path),
        Access::ReadWrite => mmapio::MemoryMappedFile::open_rw(path),
    };
    mmapio_base_pages(result.unwrap_or_else(|e| panic!("mmapio: mapping {}: {e}", path.display())))
}

fn mmapio_base_pages(map: mmapio::MemoryMappedFile) -> mmapio::MemoryMappedFile {
    base_pages_only(&map.as_slice(0, map.len()).expect("whole mapping"));
    map
}

fn mmap_io_base_pages(map: mmap_io::MemoryMappedFile) -> mmap_io::MemoryMappedFile {
    base_pages_only(&map.as_slice(0, map.len()).expect("whole mapping"));
    map
}

/// An input file that a `mmapio` variant maps afresh for each run of it.
///
/// `mmapio` keeps one state per file in a process: a read-write mapping is
/// refused beside its own lock-free read-only mappings of the same file,
/// and a read-only one opened beside a read-write one shares its lock. So
/// a batch that times read-only and read-write `mmapio` variants of one
/// input cannot keep both mapped; each maps it only while it runs. Every
/// page is faulted in before the timed region starts, so the loop that is
/// timed meets the same warm mapping as a variant that keeps one, over the
/// same page-cache memory as its floor.
#[derive(Clone, Debug)]
pub struct MmapioInput {
    path: PathBuf,
    access: Access,
}

impl MmapioInput {
    /// `path`, to be mapped with `access`.
    pub fn new(path: &Path, access: Access) -> Self {
        MmapioInput {
            path: path.to_path_buf(),
            access,
        }
    }

    /// Maps the file and faults every page in: the untimed set-up of a run.
    pub fn map(&self) -> mmapio::MemoryMappedFile {
        let map = open_mmapio(&self.path, self.access);
        map.touch_pages().expect("faulting the mapping in");
        map
    }
}

/// Maps `path` read-write with `mmapio` under `policy`.
pub fn open_mmapio_with_policy(
    path: &Path,
    policy: mmapio::FlushPolicy,
) -> mmapio::MemoryMappedFile {
    let map = mmapio::MemoryMappedFile::builder(path)
        .mode(mmapio::MmapMode::ReadWrite)
        .flush_policy(policy)
        .open()
        .unwrap_or_else(|e| panic!("mmapio: mapping {}: {e}", path.display()));
    mmapio_base_pages(map)
}

/// Maps `path` with the published `mmap-io` crate.
pub fn open_mmap_io(path: &Path, access: Access) -> mmap_io::MemoryMappedFile {
    let result = match access {
        Access::ReadOnly => mmap_io::MemoryMappedFile::open_ro(path),
        Access::ReadWrite => mmap_io::MemoryMappedFile::open_rw(path),
    };
    mmap_io_base_pages(
        result.unwrap_or_else(|e| panic!("mmap-io: mapping {}: {e}", path.display())),
    )
}

/// Maps `path` read-write with `mmap-io` under `policy`.
pub fn open_mmap_io_with_policy(
    path: &Path,
    policy: mmap_io::flush::FlushPolicy,
) -> mmap_io::MemoryMappedFile {
    let map = mmap_io::MemoryMappedFile::builder(path)
        .mode(mmap_io::MmapMode::ReadWrite)
        .flush_policy(policy)
        .open()
        .unwrap_or_else(|e| panic!("mmap-io: mapping {}: {e}", path.display()));
    mmap_io_base_pages(map)
}

/// Maps `path` read-only with raw `memmap2`.
pub fn map_memmap2(path: &Path) -> memmap2::Mmap {
    let file = File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    // SAFETY: the bench files live in the suite's own data folder and no
    // process truncates or rewrites them while they are mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .unwrap_or_else(|e| panic!("memmap2: mapping {}: {e}", path.display()));
    base_pages_only(&map);
    map
}

/// Maps `path` read-write (shared) with raw `memmap2`.
pub fn map_memmap2_mut(path: &Path) -> memmap2::MmapMut {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    // SAFETY: as in `map_memmap2`; only this process writes the scratch
    // files, and only through this mapping while it lives.
    let map = unsafe { memmap2::MmapMut::map_mut(&file) }
        .unwrap_or_else(|e| panic!("memmap2: mapping {}: {e}", path.display()));
    base_pages_only(&map);
    map
}

/// A way of reading a byte range and checksumming every byte of it. The
/// read variants of `sequential_read` and `random_read` are the
/// implementations of this trait, so both workloads run identical code
/// per variant.
pub trait RangeReader {
    /// [`checksum`] of the `len` bytes at `offset`.
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64;

    /// How many bytes one call covers when reading a whole file: the whole
    /// file for zero-copy views, [`COPY_BUFFER_SIZE`] for copies.
    fn block_size(&self, file_len: usize) -> usize;
}

impl<R: RangeReader + ?Sized> RangeReader for &mut R {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        (**self).checksum_range(offset, len)
    }

    fn block_size(&self, file_len: usize) -> usize {
        (**self).block_size(file_len)
    }
}

/// What a read variant gets its reader from at the start of every run:
/// itself, for a reader that keeps its mapping, or a new reader over a
/// fresh mapping ([`PerRun`]).
pub trait ReaderSource {
    /// The reader of one run.
    type Reader<'s>: RangeReader
    where
        Self: 's;

    /// The reader for the next run (made outside the timed region).
    fn reader(&mut self) -> Self::Reader<'_>;
}

impl<R: RangeReader> ReaderSource for R {
    type Reader<'s>
        = &'s mut R
    where
        R: 's;

    fn reader(&mut self) -> &mut R {
        self
    }
}

/// A reader made anew for every run by the closure, for `mmapio` variants
/// that map their input only while they run (see [`MmapioInput`]).
pub struct PerRun<F>(pub F);

impl<R: RangeReader, F: FnMut() -> R> ReaderSource for PerRun<F> {
    type Reader<'s>
        = R
    where
        F: 's;

    fn reader(&mut self) -> R {
        (self.0)()
    }
}

/// Alignment of every [`CopyBuffer`]: a page.
const COPY_BUFFER_ALIGN: usize = 4096;

/// The reused destination of a copying read variant, starting on a page
/// boundary. `memcpy`'s speed depends on where the destination sits
/// relative to the source; heap buffers of the same size landed at
/// different offsets in a page (0x3f0 and 0x1b0 for the 4 KiB buffers of
/// `read_into` in one run), so two variants doing the same copy were
/// timed up to 15% apart. Aligned alike, they differ only in the library.
pub struct CopyBuffer {
    /// The buffer and up to a page less one byte before it.
    storage: Vec<u8>,
    /// Where the buffer starts in `storage`.
    start: usize,
}

impl CopyBuffer {
    /// `len` zero bytes starting on a page boundary.
    pub fn new(len: usize) -> Self {
        let storage = vec![0; len + COPY_BUFFER_ALIGN - 1];
        let misalignment = storage.as_ptr() as usize % COPY_BUFFER_ALIGN;
        let start = (COPY_BUFFER_ALIGN - misalignment) % COPY_BUFFER_ALIGN;
        CopyBuffer { storage, start }
    }

    /// The buffer's bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.len();
        &mut self.storage[self.start..self.start + len]
    }

    /// The buffer's length.
    pub fn len(&self) -> usize {
        self.storage.len() + 1 - COPY_BUFFER_ALIGN
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Defines the zero-copy (`$slices`) and copying (`$copies`) readers of one
/// crate whose `MemoryMappedFile` has `as_slice` and `read_into`. mmapio and
/// mmap-io share those names, so both get the same adapter code and the
/// comparison differs only in the library called.
macro_rules! peer_readers {
    ($crate_name:literal, $map:ty, $slices:ident, $copies:ident) => {
        #[doc = concat!("`", $crate_name, "` `as_slice` views (zero-copy).")]
        pub struct $slices(pub $map);

        impl RangeReader for $slices {
            #[inline]
            fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
                let view = self
                    .0
                    .as_slice(offset as u64, len as u64)
                    .expect("in range");
                checksum(std::hint::black_box(&view))
            }

            fn block_size(&self, file_len: usize) -> usize {
                file_len
            }
        }

        #[doc = concat!("`", $crate_name, "` `read_into` copies into one reused buffer.")]
        pub struct $copies {
            map: $map,
            buffer: CopyBuffer,
        }

        impl $copies {
            /// Copies from `map` through a buffer of `buffer_len` bytes.
            pub fn new(map: $map, buffer_len: usize) -> Self {
                $copies {
                    map,
                    buffer: CopyBuffer::new(buffer_len),
                }
            }
        }

        impl RangeReader for $copies {
            #[inline]
            fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
                let buffer = &mut self.buffer.bytes_mut()[..len];
                self.map.read_into(offset as u64, buffer).expect("in range");
                checksum(std::hint::black_box(buffer))
            }

            fn block_size(&self, _file_len: usize) -> usize {
                self.buffer.len()
            }
        }
    };
}

peer_readers!(
    "mmapio",
    mmapio::MemoryMappedFile,
    MmapioSlices,
    MmapioCopies
);
peer_readers!(
    "mmap-io",
    mmap_io::MemoryMappedFile,
    MmapIoSlices,
    MmapIoCopies
);

/// Raw `memmap2` slicing: the floor.
pub struct Memmap2Slices(pub memmap2::Mmap);

impl RangeReader for Memmap2Slices {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        checksum(std::hint::black_box(&self.0[offset..offset + len]))
    }

    fn block_size(&self, file_len: usize) -> usize {
        file_len
    }
}

/// Raw `memmap2` copies into one reused buffer: the floor of the copying
/// readers (`read_into`), which do the same copy through a library.
pub struct Memmap2Copies {
    map: memmap2::Mmap,
    buffer: CopyBuffer,
}

impl Memmap2Copies {
    /// Copies from `map` through a buffer of `buffer_len` bytes.
    pub fn new(map: memmap2::Mmap, buffer_len: usize) -> Self {
        Memmap2Copies {
            map,
            buffer: CopyBuffer::new(buffer_len),
        }
    }
}

impl RangeReader for Memmap2Copies {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        let buffer = &mut self.buffer.bytes_mut()[..len];
        buffer.copy_from_slice(&self.map[offset..offset + len]);
        checksum(std::hint::black_box(buffer))
    }

    fn block_size(&self, _file_len: usize) -> usize {
        self.buffer.len()
    }
}

/// `std::fs::File` positional reads (`pread`) into one reused buffer.
pub struct StdFsReads {
    file: File,
    buffer: CopyBuffer,
}

impl StdFsReads {
    /// Reads `path` through a buffer of `buffer_len` bytes.
    pub fn open(path: &Path, buffer_len: usize) -> Self {
        let file = File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
        StdFsReads {
            file,
            buffer: CopyBuffer::new(buffer_len),
        }
    }
}

impl RangeReader for StdFsReads {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        let buffer = &mut self.buffer.bytes_mut()[..len];
        self.file
            .read_exact_at(buffer, offset as u64)
            .expect("in range");
        checksum(std::hint::black_box(buffer))
    }

    fn block_size(&self, _file_len: usize) -> usize {
        self.buffer.len()
    }
}

/// Where a read workload registers a reader variant (`sequential_read`
/// and `random_read` run the same variants over different requests).
pub trait ReaderVariants {
    /// Adds the reader of `source` as `function`, in the declared `role`.
    fn add(&mut self, function: &str, role: Role, source: impl ReaderSource + 'static);
}

/// Registers the read variants of `path`, copying through buffers of
/// `buffer_len` bytes: raw memmap2 views and copies (the floors), mmapio
/// and mmap-io `as_slice` on read-only and read-write mappings and
/// `read_into`, and `std::fs` positional reads.
pub fn add_read_variants(variants: &mut impl ReaderVariants, path: &Path, buffer_len: usize) {
    use crate::catalog::Shape;
    variants.add(
        "memmap2_slice",
        Role::raw(Shape::View),
        Memmap2Slices(map_memmap2(path)),
    );
    variants.add(
        "memmap2_copy",
        Role::raw(Shape::CopyOut),
        Memmap2Copies::new(map_memmap2(path), buffer_len),
    );
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let ours = format!("mmapio_as_slice_{}", access.suffix());
        let peer = format!("mmap_io_as_slice_{}", access.suffix());
        let role = Role::mmapio(Shape::View).floor("memmap2_slice");
        let input = MmapioInput::new(path, access);
        variants.add(
            &ours,
            role.peer(&peer),
            PerRun(move || MmapioSlices(input.map())),
        );
        let role = Role::mmap_io(Shape::View).floor("memmap2_slice");
        variants.add(&peer, role, MmapIoSlices(open_mmap_io(path, access)));
    }
    variants.add(
        "mmapio_read_into_ro",
        Role::mmapio(Shape::CopyOut)
            .floor("memmap2_copy")
            .peer("mmap_io_read_into_ro"),
        {
            let input = MmapioInput::new(path, Access::ReadOnly);
            PerRun(move || MmapioCopies::new(input.map(), buffer_len))
        },
    );
    variants.add(
        "mmap_io_read_into_ro",
        Role::mmap_io(Shape::CopyOut).floor("memmap2_copy"),
        MmapIoCopies::new(open_mmap_io(path, Access::ReadOnly), buffer_len),
    );
    variants.add(
        "std_fs_read_at",
        Role::std_fs(Shape::CopyOut).floor("memmap2_copy"),
        StdFsReads::open(path, buffer_len),
    );
}

/// Reads all `file_len` bytes through `reader`, in its block size, and
/// returns the checksum of the whole file.
#[inline]
pub fn checksum_whole_file<R: RangeReader>(reader: &mut R, file_len: usize) -> u64 {
    let block = reader.block_size(file_len).max(1);
    let mut sum = 0u64;
    let mut offset = 0;
    while offset < file_len {
        let len = block.min(file_len - offset);
        sum = sum.wrapping_add(reader.checksum_range(offset, len));
        offset += len;
    }
    sum
}

// ---------------------------------------------------------------------------
// Counting allocator and timed regions
// ---------------------------------------------------------------------------

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);
static REGION_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static REGION_ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

/// The global allocator of every criterion bench binary: forwards to
/// [`System`] and, only while an allocation-counting pass runs, counts
/// allocations (`alloc`, `alloc_zeroed`, `realloc`) and their bytes on
/// every thread. Outside that pass it costs one relaxed load.
///
/// ```ignore
/// #[global_allocator]
/// static ALLOCATOR: bench_suite::fixtures::CountingAllocator =
///     bench_suite::fixtures::CountingAllocator;
/// ```
pub struct CountingAllocator;

#[inline]
fn note_allocation(bytes: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the counters only observe.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: forwarded as given; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: forwarded as given.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// The timed part of a routine. `start` it right before the measured work
/// and `stop` it right after: the elapsed time is what criterion records,
/// and during an allocation-counting pass the allocations made in between
/// (on any thread) are what the report shows.
#[must_use = "stop() gives the measured time"]
pub struct TimedRegion {
    started: Instant,
    allocations: u64,
    allocated_bytes: u64,
}

impl TimedRegion {
    /// Starts timing (and counting, during a counting pass).
    #[inline]
    pub fn start() -> TimedRegion {
        let allocations = ALLOCATIONS.load(Ordering::Relaxed);
        let allocated_bytes = ALLOCATED_BYTES.load(Ordering::Relaxed);
        TimedRegion {
            started: Instant::now(),
            allocations,
            allocated_bytes,
        }
    }

    /// Stops timing and returns the elapsed time.
    #[inline]
    pub fn stop(self) -> Duration {
        let elapsed = self.started.elapsed();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - self.allocations;
        let bytes = ALLOCATED_BYTES.load(Ordering::Relaxed) - self.allocated_bytes;
        REGION_ALLOCATIONS.fetch_add(allocations, Ordering::Relaxed);
        REGION_ALLOCATED_BYTES.fetch_add(bytes, Ordering::Relaxed);
        elapsed
    }
}

/// Runs `routine(iterations)` with counting on and returns the allocations
/// and bytes made inside its timed regions.
fn count_region_allocations(
    iterations: u64,
    routine: &mut dyn FnMut(u64) -> Duration,
) -> (u64, u64) {
    REGION_ALLOCATIONS.store(0, Ordering::Relaxed);
    REGION_ALLOCATED_BYTES.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::SeqCst);
    routine(iterations);
    COUNTING.store(false, Ordering::SeqCst);
    (
        REGION_ALLOCATIONS.load(Ordering::Relaxed),
        REGION_ALLOCATED_BYTES.load(Ordering::Relaxed),
    )
}

// ---------------------------------------------------------------------------
// Report: allocations (and flushes) per iteration, beside criterion's times
// ---------------------------------------------------------------------------

/// What the suite records about one variant besides its time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VariantRecord {
    /// Criterion's id within the workload's group: `function/parameter`.
    pub id: String,
    /// The variant's declared library, shape, floor and peer.
    pub role: Role,
    /// Profile of the run that measured it.
    pub profile: String,
    /// Heap allocations per timed iteration (every thread).
    pub allocations_per_iteration: f64,
    /// Heap bytes allocated per timed iteration.
    pub allocated_bytes_per_iteration: f64,
    /// Iterations the counting pass ran.
    pub counted_iterations: u64,
    /// When the counting pass ran, in seconds since the Unix epoch.
    #[serde(default)]
    pub measured_unix_seconds: u64,
    /// Full flushes (`flush_stats().flushes`) per timed iteration, over all
    /// of criterion's timed iterations; only for `mmapio` write variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flushes_per_iteration: Option<f64>,
    /// Whether the flush count depends on elapsed time (a timer policy),
    /// so that it is reported but is no exact metric.
    #[serde(default)]
    pub flushes_by_time: bool,
}

/// Reads a variant's flush counter (`flush_stats().flushes`), for
/// [`Batch::add_counting_flushes`](crate::side_by_side::Batch::add_counting_flushes).
pub struct FlushCount<'b> {
    read: Box<dyn Fn() -> u64 + 'b>,
    by_time: bool,
}

impl<'b> FlushCount<'b> {
    /// A counter whose count per iteration does not depend on time (a
    /// policy that flushes on bytes or writes, or only when asked): an
    /// exact metric.
    pub fn exact(read: impl Fn() -> u64 + 'b) -> Self {
        FlushCount {
            read: Box::new(read),
            by_time: false,
        }
    }

    /// A counter that depends on elapsed time (a timer policy): reported,
    /// not gated.
    pub fn by_time(read: impl Fn() -> u64 + 'b) -> Self {
        FlushCount {
            read: Box::new(read),
            by_time: true,
        }
    }
}

/// The records of one workload (one criterion group), written to
/// `target/bench-suite/allocations/<workload>.json` by
/// [`WorkloadReport::finish`] and printed as a table.
pub struct WorkloadReport {
    workload: &'static str,
    profile: Profile,
    records: Vec<VariantRecord>,
    rounds: Vec<RoundsRecord>,
}

impl WorkloadReport {
    /// An empty report for the group `workload`.
    pub fn new(workload: &'static str, profile: Profile) -> Self {
        WorkloadReport {
            workload,
            profile,
            records: Vec::new(),
            rounds: Vec::new(),
        }
    }

    /// The profile of the run.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Benchmarks `routine` as `function/parameter` in `group` (for
    /// [`Batch::run`](crate::side_by_side::Batch::run)), recording the
    /// variant's declared `role` with its counts.
    ///
    /// `routine(n)` runs `n` iterations and returns the time of its
    /// [`TimedRegion`]. Before criterion's first sample (so only when the
    /// benchmark is selected), it is run once for `counted_iterations`
    /// iterations with allocation counting on. With `flush_count`,
    /// `flush_count()` is read around every timed call and the differences
    /// are divided by the iterations criterion ran.
    ///
    /// Returns whether the benchmark ran (it does not when a command-line
    /// filter leaves it out).
    pub(crate) fn bench_variant(
        &mut self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        (function, role): (&str, &Role),
        parameter: &str,
        counted_iterations: u64,
        routine: &mut dyn FnMut(u64) -> Duration,
        flush_count: Option<&FlushCount<'_>>,
    ) -> bool {
        let id = format!("{function}/{parameter}");
        let mut counted: Option<(u64, u64)> = None;
        let (mut flushes, mut timed_iterations) = (0u64, 0u64);
        group.bench_function(BenchmarkId::new(function, parameter), |b| {
            if counted.is_none() {
                counted = Some(count_region_allocations(counted_iterations, routine));
            }
            b.iter_custom(|iterations| match flush_count {
                Some(flush_count) => {
                    let before = (flush_count.read)();
                    let elapsed = routine(iterations);
                    flushes += (flush_count.read)() - before;
                    timed_iterations += iterations;
                    elapsed
                }
                None => routine(iterations),
            });
        });
        let Some((allocations, bytes)) = counted else {
            return false; // filtered out on the command line
        };
        let per_iteration = |n: u64| n as f64 / counted_iterations.max(1) as f64;
        let flushes_per_iteration = match (flush_count, timed_iterations) {
            (Some(_), n) if n > 0 => Some(flushes as f64 / n as f64),
            _ => None,
        };
        self.records.push(VariantRecord {
            id,
            role: role.clone(),
            profile: self.profile.name().to_owned(),
            allocations_per_iteration: per_iteration(allocations),
            allocated_bytes_per_iteration: per_iteration(bytes),
            counted_iterations,
            measured_unix_seconds: unix_seconds_now(),
            flushes_per_iteration,
            flushes_by_time: flush_count.is_some_and(|f| f.by_time),
        });
        true
    }

    /// Keeps the side-by-side rounds of one batch, saved by
    /// [`finish`](Self::finish).
    pub(crate) fn add_rounds(&mut self, rounds: RoundsRecord) {
        self.rounds.push(rounds);
    }

    /// Prints the records and merges them into the workload's JSON file
    /// (records of variants not run this time are kept), and saves the
    /// side-by-side rounds the same way.
    pub fn finish(self) {
        if !self.rounds.is_empty() {
            print_rounds(self.workload, &self.rounds);
            save_rounds(self.workload, self.rounds);
        }
        if self.records.is_empty() {
            return;
        }
        println!();
        println!(
            "{}: allocations per iteration ({} profile)",
            self.workload,
            self.profile.name()
        );
        println!(
            "  {:<52} {:>12} {:>14} {:>10}",
            "variant", "allocations", "bytes", "flushes"
        );
        for r in &self.records {
            let flushes = r
                .flushes_per_iteration
                .map_or_else(|| "-".to_owned(), |f| format!("{f:.2}"));
            println!(
                "  {:<52} {:>12} {:>14} {:>10}",
                r.id,
                format_count(r.allocations_per_iteration),
                format_count(r.allocated_bytes_per_iteration),
                flushes
            );
        }
        let path = allocation_report_path(self.workload);
        merge_json_records(&path, self.records, |r| r.id.clone());
        println!("  (written to {})", path.display());
    }
}

/// Prints every variant's median time per iteration over its rounds.
fn print_rounds(workload: &str, rounds: &[RoundsRecord]) {
    println!();
    println!("{workload}: side by side, median time per iteration over rounds");
    for record in rounds {
        for (function, times) in &record.ns_per_iteration {
            if let Some(median) = median_with_interval(times) {
                println!(
                    "  {:<52} {:>14.1} ns  ({} rounds)",
                    format!("{function}/{}", record.parameter),
                    median.point,
                    times.len()
                );
            }
        }
    }
    println!("  (written to {})", rounds_path(workload).display());
}

/// Seconds since the Unix epoch.
pub fn unix_seconds_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn format_count(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

/// `target/bench-suite/allocations/<workload>.json`.
pub fn allocation_report_path(workload: &str) -> PathBuf {
    let dir = results_dir().join("allocations");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir.join(format!("{workload}.json"))
}

/// The records saved for `workload`, or none if there is no readable file.
pub fn read_allocation_report(workload: &str) -> Vec<VariantRecord> {
    read_json_records(&allocation_report_path(workload))
}

/// The records of a JSON file the suite wrote, or none if there is no
/// readable file.
pub fn read_json_records<T: DeserializeOwned>(path: &Path) -> Vec<T> {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Writes `records` into the JSON file at `path`, replacing the records
/// already there with the same `key` and keeping the others (those of
/// variants or parameters not run this time), in key order.
pub fn merge_json_records<T: Serialize + DeserializeOwned>(
    path: &Path,
    records: Vec<T>,
    key: impl Fn(&T) -> String,
) {
    let mut merged: BTreeMap<String, T> = read_json_records(path)
        .into_iter()
        .map(|r| (key(&r), r))
        .collect();
    for r in records {
        merged.insert(key(&r), r);
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    }
    let records: Vec<&T> = merged.values().collect();
    let json = serde_json::to_string_pretty(&records).expect("records serialize");
    fs::write(path, json + "\n").unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_buffers_start_on_a_page_whatever_their_size() {
        // Allocated between small allocations, so the heap places them at
        // assorted offsets; every one still starts on a page boundary.
        let mut keep = Vec::new();
        for len in [0, 1, 64, 256, 4096, 65536, MIB] {
            keep.push(vec![0u8; len % 97 + 1]);
            let mut buffer = CopyBuffer::new(len);
            assert_eq!(buffer.len(), len);
            assert_eq!(buffer.is_empty(), len == 0);
            let bytes = buffer.bytes_mut();
            assert_eq!(bytes.len(), len);
            assert!(bytes.iter().all(|&b| b == 0));
            assert_eq!(bytes.as_ptr() as usize % COPY_BUFFER_ALIGN, 0, "len {len}");
        }
    }

    #[test]
    fn xorshift64_matches_the_reference_sequence() {
        // Reference values of Marsaglia's 13/7/17 generator from seed 1.
        let mut rng = Xorshift64::new(1);
        assert_eq!(rng.next_u64(), 1_082_269_761);
        assert_eq!(rng.next_u64(), 1_152_992_998_833_853_505);
        assert_eq!(rng.next_u64(), 11_177_516_664_432_764_457);
    }

    #[test]
    fn checksum_reads_every_byte_and_splits_at_words() {
        let mut data = vec![0u8; 1000];
        Xorshift64::new(7).fill(&mut data);
        let whole = checksum(&data);
        for i in 0..data.len() {
            let mut changed = data.clone();
            changed[i] ^= 1;
            assert_ne!(checksum(&changed), whole, "byte {i} is not read");
        }
        for split in (0..=1000).step_by(8) {
            let parts = checksum(&data[..split]).wrapping_add(checksum(&data[split..]));
            assert_eq!(parts, whole, "split at {split}");
        }
    }

    #[test]
    fn sizes_are_labelled() {
        assert_eq!(size_label(64), "64B");
        assert_eq!(size_label(64 * KIB), "64KiB");
        assert_eq!(size_label(16 * MIB), "16MiB");
        assert_eq!(size_label(GIB), "1GiB");
    }

    #[test]
    fn volatile_touch_reads_one_byte_per_page() {
        let data = vec![1u8; 10_000];
        assert_eq!(volatile_touch(&data, 4096), 3);
        assert_eq!(volatile_touch(&data[..4096], 4096), 1);
        assert_eq!(volatile_touch(&[], 4096), 0);
    }
}
