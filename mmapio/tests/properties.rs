//! Property tests for the public contracts of `mmapio`, each checked against
//! a plain model written in the tests rather than against the implementation
//! (here, or in `model/` when the fuzz targets check against it too):
//!
//! * **Bounds**: every ranged method (`as_slice`, `as_slice_mut`,
//!   `read_into`, `update_region`, `flush_range`, `touch_pages_range`,
//!   `validate_range`) succeeds exactly when `offset.checked_add(len) <=
//!   total` (`model/bounds.rs`) and otherwise returns `OutOfBounds` carrying exactly
//!   `(offset, len, total)`, for any `u64` (near the end of the file and near
//!   `u64::MAX` included).
//! * **Data**: sequences of writes (`update_region`, `as_slice_mut`) and
//!   resizes read back (`as_slice`, `read_into`, a fresh `open_ro`) exactly
//!   like a `Vec<u8>` model; clones share one mapping.
//! * **Iterators** (feature `iterator`): `chunks`, `pages`, `chunks_owned`,
//!   `pages_owned` tile the file exactly, report exact lengths and contiguous
//!   offsets; `chunks_mut` walks report exact offsets and stop at the
//!   closure's first error.
//! * **Flush accounting**: `flush_stats()` follows a model of every
//!   `FlushPolicy` rule (`model/flush.rs`: what counts as pending, when a
//!   policy fires, what a full or ranged flush resets). Flushing is judged
//!   by the counters only, never by re-reading the file.
//! * **Modes**: read-only (and copy-on-write, feature `cow`) mappings refuse
//!   every write with `InvalidMode`, whatever the arguments.
//!
//! File sizes are small (at most a few pages, deliberately not only page
//! multiples) so the whole binary runs in seconds even in debug builds.

mod common;
#[path = "model/flush.rs"]
mod flush_model;

use std::cell::Cell;
#[cfg(feature = "iterator")]
use std::cell::RefCell;
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

use mmapio::{validate_range, FlushPolicy, FlushStats, MemoryMappedFile, MmapIoError, MmapMode};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{TestCaseError, TestCaseResult, TestRunner};
use tempfile::TempDir;

use common::in_bounds;
use flush_model::FlushModel;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// Runs one property for `cases` cases (no failure persistence: every run
/// draws new cases) and panics with proptest's (shrunk) report when it
/// fails.
fn check<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult) {
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

/// One temporary directory per property, reused by all its cases; each case
/// gets a fresh file name that is removed again when the case ends.
struct Scratch {
    dir: TempDir,
    next: Cell<u64>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
            next: Cell::new(0),
        }
    }

    fn file(&self) -> CaseFile {
        let n = self.next.get();
        self.next.set(n + 1);
        CaseFile(self.dir.path().join(format!("case-{n}.bin")))
    }
}

/// A per-case path, deleted on drop.
struct CaseFile(PathBuf);

impl CaseFile {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for CaseFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn page() -> usize {
    mmapio::page_size()
}

/// Deterministic pseudo-random bytes (xorshift), so big buffers need not be
/// generated (and shrunk) byte by byte.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Checks `res` against the bounds model: `Ok` exactly when in bounds,
/// otherwise `OutOfBounds` with exactly the requested fields.
fn check_bounds<T: Debug>(
    what: &str,
    res: mmapio::Result<T>,
    offset: u64,
    len: u64,
    total: u64,
) -> Result<Option<T>, TestCaseError> {
    match (in_bounds(offset, len, total), res) {
        (true, Ok(v)) => Ok(Some(v)),
        (
            false,
            Err(MmapIoError::OutOfBounds {
                offset: o,
                len: l,
                total: t,
            }),
        ) => {
            prop_assert_eq!(
                (o, l, t),
                (offset, len, total),
                "{} reported the wrong OutOfBounds fields",
                what
            );
            Ok(None)
        }
        (expect_ok, other) => Err(TestCaseError::fail(format!(
            "{what}(offset {offset}, len {len}) on {total} bytes: expected {}, got {other:?}",
            if expect_ok { "Ok" } else { "OutOfBounds" }
        ))),
    }
}

fn expect_invalid_mode<T: Debug>(
    what: &str,
    res: mmapio::Result<T>,
    op: &str,
    mode: MmapMode,
) -> TestCaseResult {
    match res {
        Err(MmapIoError::InvalidMode { op: o, mode: m }) => {
            prop_assert_eq!(o, op, "{} reported the wrong op", what);
            prop_assert_eq!(m, mode, "{} reported the wrong mode", what);
            Ok(())
        }
        other => Err(TestCaseError::fail(format!(
            "{what} on a {mode:?} mapping: expected InvalidMode, got {other:?}"
        ))),
    }
}

fn modes_without_writes() -> Vec<MmapMode> {
    #[allow(unused_mut)]
    let mut modes = vec![MmapMode::ReadOnly];
    #[cfg(feature = "cow")]
    modes.push(MmapMode::CopyOnWrite);
    modes
}

fn all_modes() -> Vec<MmapMode> {
    let mut modes = modes_without_writes();
    modes.push(MmapMode::ReadWrite);
    modes
}

/// Opens an existing file with the constructor specific to `mode`.
fn open_in(mode: MmapMode, path: &Path) -> mmapio::Result<MemoryMappedFile> {
    match mode {
        MmapMode::ReadOnly => MemoryMappedFile::open_ro(path),
        MmapMode::ReadWrite => MemoryMappedFile::open_rw(path),
        #[cfg(feature = "cow")]
        MmapMode::CopyOnWrite => MemoryMappedFile::open_cow(path),
        #[cfg(not(feature = "cow"))]
        MmapMode::CopyOnWrite => MemoryMappedFile::builder(path).mode(mode).open(),
    }
}

/// Writes `bytes` to a fresh file and maps it in `mode`.
fn file_with(mode: MmapMode, path: &Path, bytes: &[u8]) -> Result<MemoryMappedFile, TestCaseError> {
    fs::write(path, bytes)?;
    Ok(open_in(mode, path)?)
}

fn whole(map: &MemoryMappedFile) -> Result<Vec<u8>, TestCaseError> {
    Ok(map.as_slice(0, map.len())?.to_vec())
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// A non-zero file length: tiny, around one and two pages, or anything up to
/// a few pages (mostly not page multiples).
fn file_len() -> BoxedStrategy<usize> {
    let p = page();
    prop_oneof![
        2 => 1..=64usize,
        1 => (p - 3)..=(p + 3),
        1 => (2 * p - 2)..=(2 * p + 2),
        3 => 1..=(3 * p + 123),
    ]
    .boxed()
}

/// A file length that may be 0 (only for files that already exist).
fn file_len_or_empty() -> BoxedStrategy<usize> {
    prop_oneof![1 => Just(0usize), 6 => file_len()].boxed()
}

/// A `u64` for an offset or a length, described relative to the file so that
/// values near the boundaries are common, mixed with the full `u64` range.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// Anything at all.
    Any(u64),
    /// A small absolute value.
    Small(u64),
    /// `total + d` (wrapping).
    NearTotal(i8),
    /// `total - offset + d` (wrapping): lengths that end right at the file end.
    Rest(i8),
    /// `u64::MAX - k`.
    NearMax(u8),
    /// Around `2^63`.
    Half(i8),
}

impl Pick {
    fn resolve(self, total: u64, offset: u64) -> u64 {
        match self {
            Pick::Any(v) | Pick::Small(v) => v,
            Pick::NearTotal(d) => total.wrapping_add_signed(i64::from(d)),
            Pick::Rest(d) => total.wrapping_sub(offset).wrapping_add_signed(i64::from(d)),
            Pick::NearMax(k) => u64::MAX - u64::from(k),
            Pick::Half(d) => (1u64 << 63).wrapping_add_signed(i64::from(d)),
        }
    }
}

fn pick() -> BoxedStrategy<Pick> {
    prop_oneof![
        3 => any::<u64>().prop_map(Pick::Any),
        3 => (0u64..=8).prop_map(Pick::Small),
        4 => (-3i8..=3).prop_map(Pick::NearTotal),
        4 => (-3i8..=3).prop_map(Pick::Rest),
        2 => (0u8..=3).prop_map(Pick::NearMax),
        1 => (-2i8..=2).prop_map(Pick::Half),
    ]
    .boxed()
}

/// Offsets for writes: mostly inside `0..=total`, sometimes anywhere.
#[derive(Clone, Copy, Debug)]
enum Loc {
    Within(Index),
    Edge(Pick),
}

impl Loc {
    fn resolve(self, total: u64) -> u64 {
        match self {
            Loc::Within(i) => i.index(total as usize + 1) as u64,
            Loc::Edge(p) => p.resolve(total, 0),
        }
    }
}

fn loc() -> BoxedStrategy<Loc> {
    prop_oneof![
        8 => any::<Index>().prop_map(Loc::Within),
        1 => pick().prop_map(Loc::Edge),
    ]
    .boxed()
}

/// Write payloads: short literal bytes (empty included) or a longer pattern.
fn payload() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => vec(any::<u8>(), 0..=48),
        1 => (any::<u64>(), 0usize..=5000).prop_map(|(seed, n)| pattern(seed, n)),
    ]
    .boxed()
}

/// A buffer length for `read_into`/`update_region` derived from a requested
/// length: kept when a buffer of it is cheap, otherwise replaced by a length
/// just past the end (still out of bounds for offset 0).
fn buffer_len(len: u64, total: u64) -> u64 {
    if len <= total + 64 {
        len
    } else {
        total + 1 + len % 64
    }
}

fn policy() -> BoxedStrategy<FlushPolicy> {
    prop_oneof![
        Just(FlushPolicy::Manual),
        Just(FlushPolicy::Never),
        Just(FlushPolicy::Always),
        // Small powers of two are often hit exactly by the writes below.
        prop_oneof![
            select(vec![1usize, 2, 4, 8, 16, 32]),
            1usize..=64,
            65usize..=6000
        ]
        .prop_map(FlushPolicy::EveryBytes),
        (1usize..=8).prop_map(FlushPolicy::EveryWrites),
    ]
    .boxed()
}

#[cfg(feature = "iterator")]
fn chunk_size() -> BoxedStrategy<usize> {
    let p = page();
    prop_oneof![
        Just(1usize),
        2usize..=64,
        Just(p),
        Just(p - 1),
        Just(p + 1),
        1usize..=(3 * p),
        Just(1usize << 40),
        Just(usize::MAX / 2 + 1),
        Just(usize::MAX),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------
// 1. Bounds
// ---------------------------------------------------------------------------

#[test]
fn validate_range_matches_checked_model() {
    let total = prop_oneof![
        any::<u64>(),
        0u64..=16,
        (0u8..=3).prop_map(|k| u64::MAX - u64::from(k)),
    ];
    check(
        1024,
        (total, pick(), pick()),
        |(total, off_pick, len_pick)| {
            let offset = off_pick.resolve(total, 0);
            let len = len_pick.resolve(total, offset);
            let res = validate_range(offset, len, total);
            if let Some(range) = check_bounds("validate_range", res, offset, len, total)? {
                prop_assert_eq!(range, offset..offset + len);
            }
            Ok(())
        },
    );
}

#[test]
fn read_only_ranged_methods_match_bounds_model() {
    let scratch = Scratch::new();
    check(
        512,
        (
            select(modes_without_writes()),
            file_len_or_empty(),
            any::<u64>(),
            pick(),
            pick(),
        ),
        |(mode, n, seed, off_pick, len_pick)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            let total = n as u64;
            prop_assert_eq!(map.len(), total);
            let offset = off_pick.resolve(total, 0);
            let len = len_pick.resolve(total, offset);

            if let Some(view) =
                check_bounds("as_slice", map.as_slice(offset, len), offset, len, total)?
            {
                prop_assert_eq!(view.offset(), offset);
                prop_assert_eq!(&*view, &model[offset as usize..(offset + len) as usize]);
            }

            let blen = buffer_len(len, total);
            let mut buf = vec![0xA5u8; blen as usize];
            let res = map.read_into(offset, &mut buf);
            if check_bounds("read_into", res, offset, blen, total)?.is_some() {
                prop_assert_eq!(&buf[..], &model[offset as usize..(offset + blen) as usize]);
            } else {
                prop_assert!(
                    buf.iter().all(|&b| b == 0xA5),
                    "failed read_into wrote to buf"
                );
            }

            check_bounds(
                "flush_range",
                map.flush_range(offset, len),
                offset,
                len,
                total,
            )?;
            check_bounds(
                "touch_pages_range",
                map.touch_pages_range(offset, len),
                offset,
                len,
                total,
            )?;
            check_bounds(
                "validate_range",
                validate_range(offset, len, total),
                offset,
                len,
                total,
            )?;

            // Nothing above may count as a flush on a mapping without writes.
            prop_assert_eq!(map.flush_stats(), FlushStats::default());
            prop_assert_eq!(whole(&map)?, model);
            Ok(())
        },
    );
}

#[test]
fn read_write_ranged_methods_match_bounds_model() {
    let scratch = Scratch::new();
    check(
        512,
        (
            file_len_or_empty(),
            any::<u64>(),
            pick(),
            pick(),
            any::<u64>(),
        ),
        |(n, seed, off_pick, len_pick, wseed)| {
            let file = scratch.file();
            let mut model = pattern(seed, n);
            let map = file_with(MmapMode::ReadWrite, file.path(), &model)?;
            let total = n as u64;
            let offset = off_pick.resolve(total, 0);
            let len = len_pick.resolve(total, offset);
            let ok = in_bounds(offset, len, total);
            let mut range_flushes = 0;

            if let Some(view) =
                check_bounds("as_slice", map.as_slice(offset, len), offset, len, total)?
            {
                prop_assert_eq!(view.offset(), offset);
                prop_assert_eq!(&*view, &model[offset as usize..(offset + len) as usize]);
            }

            let res = map.as_slice_mut(offset, len);
            if let Some(mut view) = check_bounds("as_slice_mut", res, offset, len, total)? {
                prop_assert_eq!(view.offset(), offset);
                prop_assert_eq!(view.len() as u64, len);
                let data = pattern(wseed, len as usize);
                view.copy_from_slice(&data);
                model[offset as usize..(offset + len) as usize].copy_from_slice(&data);
            }

            let blen = buffer_len(len, total);
            let mut buf = vec![0x5Au8; blen as usize];
            let res = map.read_into(offset, &mut buf);
            if check_bounds("read_into", res, offset, blen, total)?.is_some() {
                prop_assert_eq!(&buf[..], &model[offset as usize..(offset + blen) as usize]);
            } else {
                prop_assert!(
                    buf.iter().all(|&b| b == 0x5A),
                    "failed read_into wrote to buf"
                );
            }

            let data = pattern(wseed.rotate_left(17), blen as usize);
            let res = map.update_region(offset, &data);
            if check_bounds("update_region", res, offset, blen, total)?.is_some() {
                model[offset as usize..(offset + blen) as usize].copy_from_slice(&data);
            }

            if check_bounds(
                "flush_range",
                map.flush_range(offset, len),
                offset,
                len,
                total,
            )?
            .is_some()
                && len > 0
            {
                // An empty range has nothing to flush, and is not counted.
                range_flushes += 1;
            }
            check_bounds(
                "touch_pages_range",
                map.touch_pages_range(offset, len),
                offset,
                len,
                total,
            )?;
            check_bounds(
                "validate_range",
                validate_range(offset, len, total),
                offset,
                len,
                total,
            )?;

            prop_assert_eq!(map.len(), total);
            prop_assert_eq!(map.flush_stats().range_flushes, range_flushes);
            prop_assert_eq!(map.flush_stats().flushes, 0);
            prop_assert_eq!(ok && len > 0, range_flushes == 1);
            prop_assert_eq!(whole(&map)?, model);
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------
// 2. Data round trips
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum DataOp {
    /// `update_region(loc, bytes)`.
    Update(Loc, Vec<u8>),
    /// `as_slice_mut(loc, len)` and fill the view with a pattern.
    Fill(Loc, usize, u64),
    /// `as_slice(loc, len)` and `read_into` compared with the model.
    Read(Loc, usize),
    /// `resize(len)` (0 included, which must be refused).
    Resize(usize),
}

fn data_op(with_resize: bool) -> BoxedStrategy<DataOp> {
    let update = (loc(), payload()).prop_map(|(l, d)| DataOp::Update(l, d));
    let fill = (loc(), 0usize..=3000, any::<u64>()).prop_map(|(l, n, s)| DataOp::Fill(l, n, s));
    let read = (loc(), 0usize..=4500).prop_map(|(l, n)| DataOp::Read(l, n));
    if with_resize {
        let resize = prop_oneof![1 => Just(0usize), 8 => file_len()].prop_map(DataOp::Resize);
        prop_oneof![4 => update, 2 => fill, 2 => read, 2 => resize].boxed()
    } else {
        prop_oneof![4 => update, 2 => fill, 2 => read].boxed()
    }
}

/// Applies one op to both the mapping and the model, checking every result.
fn apply_data_op(map: &MemoryMappedFile, model: &mut Vec<u8>, op: &DataOp) -> TestCaseResult {
    let total = model.len() as u64;
    match op {
        DataOp::Update(l, data) => {
            let offset = l.resolve(total);
            let len = data.len() as u64;
            if check_bounds(
                "update_region",
                map.update_region(offset, data),
                offset,
                len,
                total,
            )?
            .is_some()
            {
                model[offset as usize..(offset + len) as usize].copy_from_slice(data);
            }
        }
        DataOp::Fill(l, n, seed) => {
            let offset = l.resolve(total);
            let len = *n as u64;
            let res = map.as_slice_mut(offset, len);
            if let Some(mut view) = check_bounds("as_slice_mut", res, offset, len, total)? {
                let data = pattern(*seed, *n);
                view.copy_from_slice(&data);
                model[offset as usize..(offset + len) as usize].copy_from_slice(&data);
            }
        }
        DataOp::Read(l, n) => {
            let offset = l.resolve(total);
            let len = *n as u64;
            let expected = in_bounds(offset, len, total)
                .then(|| model[offset as usize..(offset + len) as usize].to_vec());
            if let Some(view) =
                check_bounds("as_slice", map.as_slice(offset, len), offset, len, total)?
            {
                prop_assert_eq!(Some(view.to_vec()), expected.clone());
            }
            let mut buf = vec![0u8; *n];
            if check_bounds(
                "read_into",
                map.read_into(offset, &mut buf),
                offset,
                len,
                total,
            )?
            .is_some()
            {
                prop_assert_eq!(Some(buf), expected);
            }
        }
        DataOp::Resize(n) => {
            let before = map.flush_stats().file_syncs;
            match map.resize(*n as u64) {
                Ok(()) => {
                    prop_assert!(*n > 0);
                    let changed = *n != model.len();
                    model.resize(*n, 0);
                    prop_assert_eq!(map.flush_stats().file_syncs, before + u64::from(changed));
                }
                Err(MmapIoError::InvalidSize { size, .. }) => {
                    prop_assert_eq!((*n, size), (0, 0));
                    prop_assert_eq!(map.flush_stats().file_syncs, before);
                }
                Err(e) => return Err(TestCaseError::fail(format!("resize({n}): {e:?}"))),
            }
        }
    }
    prop_assert_eq!(map.len(), model.len() as u64);
    Ok(())
}

#[test]
fn writes_then_reads_match_vec_model() {
    let scratch = Scratch::new();
    check(
        512,
        (file_len(), vec(data_op(false), 0..=16)),
        |(n, ops)| {
            let file = scratch.file();
            let map = MemoryMappedFile::create_rw(file.path(), n as u64)?;
            let mut model = vec![0u8; n];
            prop_assert_eq!(
                whole(&map)?,
                model.clone(),
                "a new file must be zero-filled"
            );
            for op in &ops {
                apply_data_op(&map, &mut model, op)?;
            }
            prop_assert_eq!(whole(&map)?, model.clone());
            let mut buf = vec![0u8; n];
            map.read_into(0, &mut buf)?;
            prop_assert_eq!(buf, model);
            Ok(())
        },
    );
}

#[test]
fn resize_keeps_prefix_and_zero_fills_growth() {
    let scratch = Scratch::new();
    check(
        256,
        (file_len(), any::<u64>(), vec(data_op(true), 0..=12)),
        |(n, seed, ops)| {
            let file = scratch.file();
            let mut model = pattern(seed, n);
            let map = file_with(MmapMode::ReadWrite, file.path(), &model)?;
            for op in &ops {
                apply_data_op(&map, &mut model, op)?;
                // The file's length follows the mapping's (a data check).
                prop_assert_eq!(fs::metadata(file.path())?.len(), model.len() as u64);
            }
            prop_assert_eq!(whole(&map)?, model);
            Ok(())
        },
    );
}

#[test]
fn reopened_read_only_equals_model() {
    let scratch = Scratch::new();
    check(
        256,
        (file_len(), policy(), vec(data_op(true), 0..=12)),
        |(n, policy, ops)| {
            let file = scratch.file();
            let map = MemoryMappedFile::builder(file.path())
                .size(n as u64)
                .flush_policy(policy)
                .create()?;
            let mut model = vec![0u8; n];
            for op in &ops {
                apply_data_op(&map, &mut model, op)?;
            }
            drop(map);
            let ro = MemoryMappedFile::open_ro(file.path())?;
            prop_assert_eq!(ro.mode(), MmapMode::ReadOnly);
            prop_assert_eq!(ro.len(), model.len() as u64);
            prop_assert_eq!(whole(&ro)?, model.clone());
            prop_assert_eq!(fs::read(file.path())?, model);
            Ok(())
        },
    );
}

#[test]
fn as_slice_equals_read_into_in_every_mode() {
    let scratch = Scratch::new();
    check(
        512,
        (
            select(all_modes()),
            file_len_or_empty(),
            any::<u64>(),
            vec((any::<Index>(), any::<Index>()), 1..=8),
        ),
        |(mode, n, seed, requests)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            prop_assert_eq!(map.mode(), mode);
            for (a, b) in requests {
                let offset = a.index(n + 1);
                let len = b.index(n - offset + 1);
                let view = map.as_slice(offset as u64, len as u64)?;
                prop_assert_eq!(view.offset(), offset as u64);
                let mut buf = vec![0u8; len];
                map.read_into(offset as u64, &mut buf)?;
                prop_assert_eq!(&*view, &buf[..]);
                prop_assert_eq!(&buf[..], &model[offset..offset + len]);
            }
            Ok(())
        },
    );
}

#[test]
fn clones_share_data_and_counters() {
    let scratch = Scratch::new();
    check(
        256,
        (file_len(), vec((any::<bool>(), data_op(false)), 0..=12)),
        |(n, ops)| {
            let file = scratch.file();
            let a = MemoryMappedFile::create_rw(file.path(), n as u64)?;
            let b = a.clone();
            let mut model = vec![0u8; n];
            for (through_a, op) in &ops {
                let (writer, other) = if *through_a { (&a, &b) } else { (&b, &a) };
                apply_data_op(writer, &mut model, op)?;
                prop_assert_eq!(whole(other)?, model.clone());
                prop_assert_eq!(writer.flush_stats(), other.flush_stats());
            }
            a.flush()?;
            prop_assert_eq!(b.flush_stats().flushes, 1);
            prop_assert_eq!(b.pending_bytes(), 0);
            drop(a);
            prop_assert_eq!(whole(&b)?, model);
            Ok(())
        },
    );
}

#[test]
fn creation_rejects_unmappable_sizes_and_zero_fills() {
    let scratch = Scratch::new();
    let size = prop_oneof![
        1 => Just(0u64),
        4 => 1u64..=(3 * page() as u64 + 7),
        1 => (isize::MAX as u64 + 1)..=u64::MAX,
    ];
    check(256, (size, any::<bool>()), |(size, via_open_or_create)| {
        let file = scratch.file();
        let res = if via_open_or_create {
            MemoryMappedFile::open_or_create(file.path(), size)
        } else {
            MemoryMappedFile::create_rw(file.path(), size)
        };
        let mappable = size > 0 && size <= isize::MAX as u64;
        match res {
            Ok(map) => {
                prop_assert!(mappable, "size {} was accepted", size);
                prop_assert_eq!(map.len(), size);
                prop_assert_eq!(map.mode(), MmapMode::ReadWrite);
                prop_assert!(whole(&map)?.iter().all(|&b| b == 0));
                prop_assert_eq!(fs::metadata(file.path())?.len(), size);
            }
            Err(MmapIoError::InvalidSize { size: s, .. }) => {
                prop_assert!(!mappable, "size {} was refused", size);
                prop_assert_eq!(s, size);
                prop_assert!(!file.path().exists(), "a refused create left a file");
            }
            Err(e) => return Err(TestCaseError::fail(format!("size {size}: {e:?}"))),
        }
        Ok(())
    });
}

#[test]
fn open_or_create_keeps_existing_files_and_never_truncates() {
    let scratch = Scratch::new();
    check(
        256,
        (
            file_len_or_empty(),
            any::<u64>(),
            prop_oneof![Just(0usize), file_len()],
        ),
        |(n, seed, wanted)| {
            let file = scratch.file();
            let original = pattern(seed, n);
            fs::write(file.path(), &original)?;

            // Read-only with a minimum size: a shorter file is refused, a
            // longer one is mapped whole.
            match MemoryMappedFile::builder(file.path())
                .mode(MmapMode::ReadOnly)
                .size(wanted as u64)
                .open()
            {
                Ok(ro) => {
                    prop_assert!(wanted > 0 && wanted <= n);
                    prop_assert_eq!(whole(&ro)?, original.clone());
                }
                Err(MmapIoError::InvalidSize { size, .. }) => {
                    prop_assert!(wanted == 0 || wanted > n);
                    prop_assert_eq!(size, wanted as u64);
                }
                Err(e) => return Err(TestCaseError::fail(format!("ro open: {e:?}"))),
            }
            prop_assert_eq!(fs::read(file.path())?, original.clone());

            // `open_or_create` maps an existing file as it is, sizing only an
            // empty one; with `grow_existing` it grows a shorter one too.
            // Neither ever truncates.
            for grow in [false, true] {
                let before = fs::read(file.path())?;
                let result = MemoryMappedFile::builder(file.path())
                    .size(wanted as u64)
                    .grow_existing(grow)
                    .open_or_create();
                // A size is needed (and 0 is refused) only to size a file:
                // an empty one, or one to grow.
                let needs_size = before.is_empty() || grow;
                match result {
                    Ok(map) => {
                        prop_assert!(wanted > 0 || !needs_size);
                        let mut expected = before.clone();
                        if before.is_empty() || grow {
                            expected.resize(before.len().max(wanted), 0);
                        }
                        prop_assert_eq!(map.len(), expected.len() as u64);
                        prop_assert_eq!(whole(&map)?, expected.clone());
                        drop(map);
                        prop_assert_eq!(fs::read(file.path())?, expected);
                    }
                    Err(MmapIoError::InvalidSize { size, .. }) => {
                        prop_assert_eq!((wanted, size), (0, 0));
                        prop_assert!(needs_size);
                        prop_assert_eq!(fs::read(file.path())?, before);
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("open_or_create: {e:?}"))),
                }
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------
// 3. Iterators
// ---------------------------------------------------------------------------

#[cfg(feature = "iterator")]
fn check_zero_copy_chunks(
    mut it: mmapio::Chunks<'_>,
    chunk: usize,
    model: &[u8],
) -> TestCaseResult {
    let expected_items = model.len().div_ceil(chunk);
    prop_assert_eq!(it.len(), expected_items);
    let mut items = Vec::new();
    loop {
        let before = it.len();
        prop_assert_eq!(it.size_hint(), (before, Some(before)));
        match it.next() {
            Some(item) => {
                prop_assert!(before > 0, "an item after len() reached 0");
                prop_assert_eq!(it.len(), before - 1);
                items.push(item);
            }
            None => {
                prop_assert_eq!(before, 0, "iteration ended early");
                break;
            }
        }
    }
    prop_assert!(it.next().is_none(), "not fused");
    prop_assert_eq!(items.len(), expected_items);
    let mut next_offset = 0u64;
    let mut joined = Vec::with_capacity(model.len());
    // Items outlive their iterator and stay valid.
    drop(it);
    for item in &items {
        prop_assert!(!item.is_empty(), "empty item");
        prop_assert!(item.len() <= chunk, "item longer than the chunk size");
        prop_assert_eq!(item.offset(), next_offset, "offsets not contiguous");
        next_offset += item.len() as u64;
        joined.extend_from_slice(item);
    }
    prop_assert_eq!(joined, model.to_vec());
    Ok(())
}

#[cfg(feature = "iterator")]
fn check_owned_chunks(
    mut it: mmapio::ChunksOwned<'_>,
    chunk: usize,
    model: &[u8],
) -> TestCaseResult {
    let expected_items = model.len().div_ceil(chunk);
    prop_assert_eq!(it.len(), expected_items);
    let mut joined = Vec::with_capacity(model.len());
    let mut count = 0;
    loop {
        let before = it.len();
        match it.next() {
            Some(item) => {
                let item = item?;
                prop_assert!(before > 0, "an item after len() reached 0");
                prop_assert_eq!(it.len(), before - 1);
                prop_assert!(
                    !item.is_empty() && item.len() <= chunk,
                    "bad item length {}",
                    item.len()
                );
                // Contiguity: each item is exactly the next bytes of the file.
                prop_assert_eq!(&item[..], &model[joined.len()..joined.len() + item.len()]);
                joined.extend_from_slice(&item);
                count += 1;
            }
            None => {
                prop_assert_eq!(before, 0, "iteration ended early");
                break;
            }
        }
    }
    prop_assert!(it.next().is_none(), "not fused");
    prop_assert_eq!(count, expected_items);
    prop_assert_eq!(joined, model.to_vec());
    Ok(())
}

#[cfg(feature = "iterator")]
#[test]
fn chunks_tile_the_file_exactly() {
    let scratch = Scratch::new();
    check(
        512,
        (
            select(all_modes()),
            file_len_or_empty(),
            any::<u64>(),
            chunk_size(),
        ),
        |(mode, n, seed, chunk)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            let chunks = map.chunks(chunk);
            check_zero_copy_chunks(chunks, chunk, &model)
        },
    );
}

#[cfg(feature = "iterator")]
#[test]
fn chunks_owned_tile_the_file_exactly() {
    let scratch = Scratch::new();
    check(
        512,
        (
            select(all_modes()),
            file_len_or_empty(),
            any::<u64>(),
            chunk_size(),
        ),
        |(mode, n, seed, chunk)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            let chunks = map.chunks_owned(chunk);
            check_owned_chunks(chunks, chunk, &model)
        },
    );
}

/// `fold` after `steps` calls of `next` (so possibly inside the short
/// tail, or past the end) yields exactly the items `next` would have, and
/// gives every share of the lock back: a write after the walk would wait
/// forever for a share left behind.
#[cfg(feature = "iterator")]
#[test]
fn fold_after_some_items_yields_the_rest() {
    check_walks_after_some_items(|mode, map, model, chunk, steps| {
        let n = model.len();
        let expected: Vec<(u64, Vec<u8>)> = map
            .chunks(chunk)
            .map(|item| (item.offset(), item.to_vec()))
            .collect();
        let mut it = map.chunks(chunk);
        let mut seen: Vec<(u64, Vec<u8>)> = Vec::new();
        for _ in 0..steps {
            if let Some(item) = it.next() {
                seen.push((item.offset(), item.to_vec()));
            }
        }
        prop_assert_eq!(it.len(), expected.len() - seen.len());
        // The position shown is where the next item starts, and the
        // file's end once every item is out (never past it).
        let pos: usize = seen.iter().map(|(_, bytes)| bytes.len()).sum();
        let shown = format!("{it:?}");
        prop_assert!(
            shown.contains(&format!("len: {n}, pos: {pos},")),
            "{}",
            shown
        );
        let seen = it.fold(seen, |mut seen, item| {
            seen.push((item.offset(), item.to_vec()));
            seen
        });
        prop_assert_eq!(seen, expected);
        if mode == MmapMode::ReadWrite && n > 0 {
            map.update_region(0, &[0xA5])?;
            prop_assert_eq!(map.as_slice(0, 1)?[0], 0xA5);
        }
        Ok(())
    });
}

/// Iterating `&chunks` after `steps` calls of `next` lends exactly the
/// items `next` would still yield, through `next` and through `fold`,
/// without advancing `chunks`; the lock of a read-write mapping stays with
/// `chunks` and is given back with it (the write afterwards would wait
/// forever otherwise).
#[cfg(feature = "iterator")]
#[test]
fn borrowed_chunks_lend_the_rest_without_advancing() {
    check_walks_after_some_items(|mode, map, model, chunk, steps| {
        let n = model.len();
        let as_pairs = |item: mmapio::MappedSlice<'_>| (item.offset(), item.to_vec());
        let mut it = map.chunks(chunk);
        let mut pos = 0;
        for _ in 0..steps {
            if let Some(item) = it.next() {
                pos += item.len();
            }
        }
        let rest: Vec<(u64, Vec<u8>)> = model[pos..]
            .chunks(chunk)
            .enumerate()
            .map(|(i, bytes)| ((pos + i * chunk) as u64, bytes.to_vec()))
            .collect();
        let lent = (&it).into_iter();
        prop_assert_eq!(lent.len(), rest.len());
        let shown = format!("{lent:?}");
        prop_assert!(
            shown.starts_with(&format!("BorrowedChunks {{ len: {n}, pos: {pos},")),
            "{}",
            shown
        );
        let mut by_next = Vec::new();
        for item in &it {
            by_next.push(as_pairs(item));
        }
        prop_assert_eq!(&by_next, &rest);
        let by_fold = (&it).into_iter().fold(Vec::new(), |mut all, item| {
            all.push(as_pairs(item));
            all
        });
        prop_assert_eq!(&by_fold, &rest);
        // `chunks` itself did not move: it still yields the same rest.
        prop_assert_eq!(it.len(), rest.len());
        let after: Vec<_> = it.map(as_pairs).collect();
        prop_assert_eq!(after, rest);
        if mode == MmapMode::ReadWrite && n > 0 {
            map.update_region(0, &[0xA5])?;
            prop_assert_eq!(map.as_slice(0, 1)?[0], 0xA5);
        }
        Ok(())
    });
}

/// Runs `test(mode, map, model, chunk, steps)` over 512 cases: a mapping
/// in any mode of a file of any length (`model` holds its bytes), a chunk
/// size, and a number of items (0 to 39) to take with `next` before the
/// walk under test.
#[cfg(feature = "iterator")]
fn check_walks_after_some_items(
    test: impl Fn(MmapMode, &MemoryMappedFile, &[u8], usize, usize) -> TestCaseResult,
) {
    let scratch = Scratch::new();
    check(
        512,
        (
            select(all_modes()),
            file_len_or_empty(),
            any::<u64>(),
            chunk_size(),
            0usize..40,
        ),
        |(mode, n, seed, chunk, steps)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            test(mode, &map, &model, chunk, steps)
        },
    );
}

#[cfg(feature = "iterator")]
#[test]
fn pages_and_pages_owned_tile_the_file_exactly() {
    let scratch = Scratch::new();
    check(
        256,
        (select(all_modes()), file_len_or_empty(), any::<u64>()),
        |(mode, n, seed)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            check_zero_copy_chunks(map.pages(), page(), &model)?;
            check_owned_chunks(map.pages_owned(), page(), &model)
        },
    );
}

#[cfg(feature = "iterator")]
#[test]
fn zero_chunk_size_is_invalid_in_every_mode() {
    let scratch = Scratch::new();
    check(
        256,
        (select(all_modes()), file_len_or_empty(), any::<u64>()),
        |(mode, n, seed)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            prop_assert_eq!(map.chunks(0).count(), 0);
            prop_assert_eq!(map.chunks_owned(0).count(), 0);
            prop_assert!(matches!(
                map.try_chunks(0),
                Err(MmapIoError::InvalidChunkSize)
            ));
            prop_assert!(matches!(
                map.try_chunks_owned(0),
                Err(MmapIoError::InvalidChunkSize)
            ));
            let calls = Cell::new(0);
            let res = map.chunks_mut(0).for_each_mut(|_, _| {
                calls.set(calls.get() + 1);
                Ok(())
            });
            prop_assert!(
                matches!(res, Err(MmapIoError::InvalidChunkSize)),
                "chunks_mut(0) gave {:?}",
                res
            );
            prop_assert_eq!(calls.get(), 0);
            prop_assert_eq!(map.flush_stats(), FlushStats::default());
            prop_assert_eq!(whole(&map)?, model);
            Ok(())
        },
    );
}

/// The error a test closure returns to stop a walk; `offset` tells walks'
/// calls apart, `required` marks it as ours.
#[cfg(feature = "iterator")]
fn stop_error(call: usize) -> MmapIoError {
    MmapIoError::Misaligned {
        required: 0x5EED,
        offset: call as u64,
    }
}

#[cfg(feature = "iterator")]
#[test]
fn chunks_mut_walk_offsets_are_exact() {
    let scratch = Scratch::new();
    check(
        512,
        (
            select(all_modes()),
            file_len_or_empty(),
            any::<u64>(),
            chunk_size(),
            any::<u64>(),
        ),
        |(mode, n, seed, chunk, wseed)| {
            let file = scratch.file();
            let mut model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            let seen = RefCell::new(Vec::new());
            let res = map.chunks_mut(chunk).for_each_mut(|offset, bytes| {
                seen.borrow_mut().push((offset, bytes.to_vec()));
                bytes.copy_from_slice(&pattern(wseed ^ offset, bytes.len()));
                Ok(())
            });
            if mode != MmapMode::ReadWrite {
                expect_invalid_mode("chunks_mut", res, "chunks_mut", mode)?;
                prop_assert!(seen.borrow().is_empty());
                prop_assert_eq!(whole(&map)?, model);
                return Ok(());
            }
            res?;
            let seen = seen.into_inner();
            prop_assert_eq!(seen.len(), n.div_ceil(chunk));
            let mut expected_offset = 0usize;
            for (offset, before) in &seen {
                prop_assert_eq!(*offset, expected_offset as u64);
                prop_assert_eq!(before.len(), chunk.min(n - expected_offset));
                // The closure saw the current bytes of exactly its chunk.
                prop_assert_eq!(
                    &before[..],
                    &model[expected_offset..expected_offset + before.len()]
                );
                let new = pattern(wseed ^ *offset, before.len());
                model[expected_offset..expected_offset + before.len()].copy_from_slice(&new);
                expected_offset += before.len();
            }
            prop_assert_eq!(expected_offset, n);
            prop_assert_eq!(whole(&map)?, model);
            // Every chunk handed out counts as pending (Manual policy).
            prop_assert_eq!(map.pending_bytes(), n as u64);
            prop_assert_eq!(map.flush_stats().pending_writes, 0);
            Ok(())
        },
    );
}

#[cfg(feature = "iterator")]
#[test]
fn chunks_mut_first_error_stops_the_walk() {
    let scratch = Scratch::new();
    check(
        512,
        (
            file_len_or_empty(),
            any::<u64>(),
            chunk_size(),
            0usize..=12,
            any::<u8>(),
        ),
        |(n, seed, chunk, fail_from, fill)| {
            let file = scratch.file();
            let mut model = pattern(seed, n);
            let map = file_with(MmapMode::ReadWrite, file.path(), &model)?;
            let calls = Cell::new(0usize);
            // Every call from `fail_from` on fails, each with its own error;
            // the walk must stop at (and return) the first one. The failing
            // call writes first, and that write is kept.
            let res = map.chunks_mut(chunk).for_each_mut(|_, bytes| {
                let call = calls.get();
                calls.set(call + 1);
                bytes.fill(fill);
                if call >= fail_from {
                    Err(stop_error(call))
                } else {
                    Ok(())
                }
            });
            let items = n.div_ceil(chunk);
            let handed_out = if fail_from < items {
                match res {
                    Err(MmapIoError::Misaligned {
                        required: 0x5EED,
                        offset,
                    }) => prop_assert_eq!(offset, fail_from as u64, "not the first error"),
                    other => {
                        return Err(TestCaseError::fail(format!(
                            "expected the closure's error, got {other:?}"
                        )))
                    }
                }
                prop_assert_eq!(calls.get(), fail_from + 1, "walk went on after an error");
                (chunk.saturating_mul(fail_from + 1)).min(n)
            } else {
                res?;
                prop_assert_eq!(calls.get(), items);
                n
            };
            model[..handed_out].fill(fill);
            prop_assert_eq!(whole(&map)?, model);
            prop_assert_eq!(map.pending_bytes(), handed_out as u64);
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------
// 4. Flush accounting
// ---------------------------------------------------------------------------

/// Checks `model` (the flush model shared with the fuzz targets) against
/// `map` after the step described by `after`.
fn check_flush_model(model: &FlushModel, map: &MemoryMappedFile, after: &str) -> TestCaseResult {
    model
        .compare(map)
        .map_err(|difference| TestCaseError::fail(format!("after {after}: {difference}")))
}

#[derive(Clone, Debug)]
enum FlushOp {
    Write(Loc, usize, u64),
    Flush,
    FlushRange(Pick, Pick),
    Dirty(Loc, usize),
    Resize(usize),
    #[cfg(feature = "iterator")]
    Walk(usize, Option<usize>),
}

fn flush_op() -> BoxedStrategy<FlushOp> {
    let write_len = prop_oneof![
        2 => Just(0usize),
        4 => select(vec![1usize, 2, 4, 8, 16]),
        4 => 1usize..=64,
        2 => 65usize..=3000,
    ];
    #[allow(unused_mut)]
    let mut arms: Vec<(u32, BoxedStrategy<FlushOp>)> = vec![
        (
            10,
            (loc(), write_len, any::<u64>())
                .prop_map(|(l, n, s)| FlushOp::Write(l, n, s))
                .boxed(),
        ),
        (2, Just(FlushOp::Flush).boxed()),
        (
            2,
            (pick(), pick())
                .prop_map(|(o, l)| FlushOp::FlushRange(o, l))
                .boxed(),
        ),
        (
            2,
            (loc(), 0usize..=2000)
                .prop_map(|(l, n)| FlushOp::Dirty(l, n))
                .boxed(),
        ),
        (
            1,
            prop_oneof![Just(0usize), file_len()]
                .prop_map(FlushOp::Resize)
                .boxed(),
        ),
    ];
    #[cfg(feature = "iterator")]
    arms.push((
        2,
        (
            prop_oneof![
                1usize..=64,
                Just(page()),
                1usize..=(3 * page()),
                Just(usize::MAX)
            ],
            proptest::option::of(0usize..=6),
        )
            .prop_map(|(c, f)| FlushOp::Walk(c, f))
            .boxed(),
    ));
    proptest::strategy::Union::new_weighted(arms).boxed()
}

#[test]
fn flush_stats_follow_policy_model() {
    let scratch = Scratch::new();
    check(
        512,
        (file_len(), policy(), vec(flush_op(), 0..=24)),
        |(n, policy, ops)| {
            let file = scratch.file();
            let map = MemoryMappedFile::builder(file.path())
                .size(n as u64)
                .flush_policy(policy)
                .create()?;
            prop_assert_eq!(map.flush_policy(), policy);
            let mut model = FlushModel::new(policy);
            check_flush_model(&model, &map, "create")?;
            for (i, op) in ops.iter().enumerate() {
                let total = map.len();
                match op {
                    FlushOp::Write(l, len, seed) => {
                        let offset = l.resolve(total);
                        let data = pattern(*seed, *len);
                        let res = map.update_region(offset, &data);
                        if check_bounds("update_region", res, offset, *len as u64, total)?.is_some()
                        {
                            model.update_region(*len as u64);
                        }
                    }
                    FlushOp::Flush => {
                        map.flush()?;
                        model.flush(total);
                    }
                    FlushOp::FlushRange(o, l) => {
                        let offset = o.resolve(total, 0);
                        let len = l.resolve(total, offset);
                        let res = map.flush_range(offset, len);
                        if check_bounds("flush_range", res, offset, len, total)?.is_some() {
                            model.flush_range(len);
                        }
                    }
                    FlushOp::Dirty(l, len) => {
                        let offset = l.resolve(total);
                        let res = map.as_slice_mut(offset, *len as u64);
                        if let Some(mut view) =
                            check_bounds("as_slice_mut", res, offset, *len as u64, total)?
                        {
                            view.fill(0xEE);
                            drop(view);
                            model.slice_mut_dropped(*len as u64);
                        }
                    }
                    FlushOp::Resize(new_len) => match map.resize(*new_len as u64) {
                        Ok(()) => {
                            prop_assert!(*new_len > 0);
                            model.resize(total, *new_len as u64);
                        }
                        Err(MmapIoError::InvalidSize { .. }) => prop_assert_eq!(*new_len, 0),
                        Err(e) => return Err(e.into()),
                    },
                    #[cfg(feature = "iterator")]
                    FlushOp::Walk(chunk, fail_at) => {
                        let calls = Cell::new(0usize);
                        let res = map.chunks_mut(*chunk).for_each_mut(|_, _| {
                            let call = calls.get();
                            calls.set(call + 1);
                            if Some(call) == *fail_at {
                                Err(stop_error(call))
                            } else {
                                Ok(())
                            }
                        });
                        let items = (total as usize).div_ceil(*chunk);
                        match fail_at {
                            Some(k) if *k < items => {
                                prop_assert!(res.is_err(), "walk ignored the closure's error");
                                let handed_out = chunk.saturating_mul(k + 1).min(total as usize);
                                model.walk(handed_out as u64, false);
                            }
                            _ => {
                                res?;
                                model.walk(total, true);
                            }
                        }
                    }
                }
                check_flush_model(&model, &map, &format!("op #{i} {op:?}"))?;
            }
            Ok(())
        },
    );
}

#[test]
fn zero_flush_policy_parameters_are_refused() {
    let scratch = Scratch::new();
    let bad = prop_oneof![
        Just(FlushPolicy::EveryBytes(0)),
        Just(FlushPolicy::EveryWrites(0)),
        Just(FlushPolicy::EveryMillis(0)),
    ];
    check(256, (bad, file_len(), 0u8..3), |(bad, n, how)| {
        let file = scratch.file();
        let builder = MemoryMappedFile::builder(file.path())
            .size(n as u64)
            .flush_policy(bad);
        let res = match how {
            0 => builder.create(),
            1 => builder.open_or_create(),
            _ => {
                fs::write(file.path(), pattern(n as u64, n))?;
                builder.open()
            }
        };
        match res {
            Err(MmapIoError::InvalidFlushPolicy { policy, .. }) => prop_assert_eq!(policy, bad),
            other => {
                return Err(TestCaseError::fail(format!(
                    "{bad:?} was not refused: {other:?}"
                )))
            }
        }
        if how < 2 {
            prop_assert!(!file.path().exists(), "a refused create left a file");
        } else {
            prop_assert_eq!(fs::read(file.path())?, pattern(n as u64, n));
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// 5. Modes
// ---------------------------------------------------------------------------

#[test]
fn writes_on_mappings_without_writes_are_invalid_mode() {
    let scratch = Scratch::new();
    check(
        1024,
        (
            select(modes_without_writes()),
            file_len_or_empty(),
            any::<u64>(),
            pick(),
            pick(),
            vec(any::<u8>(), 0..=16),
            prop_oneof![any::<u64>(), Just(0u64), 1u64..=20_000],
        ),
        |(mode, n, seed, off_pick, len_pick, data, new_len)| {
            let file = scratch.file();
            let model = pattern(seed, n);
            let map = file_with(mode, file.path(), &model)?;
            let total = n as u64;
            let offset = off_pick.resolve(total, 0);
            let len = len_pick.resolve(total, offset);

            expect_invalid_mode(
                "update_region",
                map.update_region(offset, &data),
                "update_region",
                mode,
            )?;
            expect_invalid_mode(
                "as_slice_mut",
                map.as_slice_mut(offset, len),
                "as_slice_mut",
                mode,
            )?;
            expect_invalid_mode("resize", map.resize(new_len), "resize", mode)?;

            // Flushing has nothing to do and counts nothing.
            map.flush()?;
            prop_assert_eq!(map.flush_stats(), FlushStats::default());
            prop_assert_eq!(map.len(), total);
            prop_assert_eq!(whole(&map)?, model.clone());
            prop_assert_eq!(fs::read(file.path())?, model);
            Ok(())
        },
    );
}
