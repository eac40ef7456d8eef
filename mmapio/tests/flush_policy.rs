//! Every `FlushPolicy` flushes exactly when its documentation says it does.
//!
//! All assertions are made on `flush_stats()` counters, never by re-reading
//! the file: a `MAP_SHARED` write is visible through the page cache whether
//! or not it was flushed, so the file's contents cannot tell a flush apart
//! from no flush.
//!
//! # What is not observable
//! The documented difference between `Never` and `Manual` ("`Manual` flushes
//! once more when the last handle drops, `Never` does not") happens when the
//! *last* handle goes away, either by drop or by `unmap()`. At that point no
//! handle is left whose `flush_stats()` could be read, and the background
//! flusher (the only other holder of the state) is stopped first. So that
//! difference cannot be asserted through counters. What *is* observable, and
//! tested below, is everything up to that moment: with both policies the
//! counters show no automatic flush right before the final drop/unmap, and
//! dropping a non-last clone never flushes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mmapio::{FlushPolicy, FlushStats, MemoryMappedFile, MmapBuilder, MmapIoError, MmapMode};
use tempfile::TempDir;

const LEN: u64 = 4096;

fn path_in(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// A builder for `path` with size `len` and flush policy `policy`.
fn sized_builder(path: &Path, len: u64, policy: FlushPolicy) -> MmapBuilder {
    MemoryMappedFile::builder(path)
        .size(len)
        .flush_policy(policy)
}

fn rw_with(path: &Path, len: u64, policy: FlushPolicy) -> MemoryMappedFile {
    sized_builder(path, len, policy)
        .create()
        .expect("create mapping")
}

fn new_rw(dir: &TempDir, policy: FlushPolicy) -> MemoryMappedFile {
    rw_with(&path_in(dir, "data.bin"), LEN, policy)
}

/// (flushes, range_flushes, file_syncs, pending_bytes, pending_writes)
fn counters(s: FlushStats) -> (u64, u64, u64, u64, u64) {
    (
        s.flushes,
        s.range_flushes,
        s.file_syncs,
        s.pending_bytes,
        s.pending_writes,
    )
}

fn write_via_mut_view(map: &MemoryMappedFile, offset: u64, len: u64, value: u8) {
    let mut view = map.as_slice_mut(offset, len).expect("as_slice_mut");
    view.fill(value);
}

#[cfg(feature = "iterator")]
fn walk_chunks_mut(map: &MemoryMappedFile, chunk: usize, value: u8) {
    map.chunks_mut(chunk)
        .for_each_mut(|_, c| {
            c.fill(value);
            Ok(())
        })
        .expect("chunks_mut walk");
}

// ---------------------------------------------------------------- Never

#[test]
fn never_policy_never_flushes_automatically() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Never);
    assert_eq!(map.flush_policy(), FlushPolicy::Never);

    for i in 0..50u64 {
        map.update_region(i * 10, &[i as u8; 10]).unwrap();
    }
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 500, 50));

    write_via_mut_view(&map, 1000, 100, 7);
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 600, 50));

    #[cfg(feature = "iterator")]
    {
        walk_chunks_mut(&map, 512, 9);
        assert_eq!(counters(map.flush_stats()), (0, 0, 0, 600 + LEN, 50));
    }

    // Dropping a clone that is not the last handle does not flush either.
    let clone = map.clone();
    drop(clone);
    let before_last = map.flush_stats();
    assert_eq!(before_last.flushes, 0);
    assert!(before_last.pending_bytes > 0);
    assert_eq!(before_last.pending_writes, 50);

    // The last handle: `unmap` runs the same shutdown as the final drop.
    // Whether it flushed is not observable (see the module docs); check at
    // least that it hands the file back intact.
    let file = map.unmap().expect("only handle");
    assert_eq!(file.metadata().unwrap().len(), LEN);
}

#[test]
fn never_policy_still_flushes_on_explicit_request() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Never);
    map.update_region(0, b"abc").unwrap();
    map.flush().unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));
}

// ---------------------------------------------------------------- Manual

#[test]
fn manual_is_the_default_policy() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::create_rw(path_in(&dir, "d.bin"), LEN).unwrap();
    assert_eq!(map.flush_policy(), FlushPolicy::Manual);
    assert_eq!(FlushPolicy::default(), FlushPolicy::Manual);
    let built = MemoryMappedFile::builder(path_in(&dir, "e.bin"))
        .size(LEN)
        .create()
        .unwrap();
    assert_eq!(built.flush_policy(), FlushPolicy::Manual);
}

#[test]
fn manual_policy_flushes_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Manual);

    for i in 0..20u64 {
        map.update_region(i * 100, &[1; 100]).unwrap();
    }
    write_via_mut_view(&map, 0, 300, 2);
    #[cfg(feature = "iterator")]
    walk_chunks_mut(&map, 1000, 3);
    let chunk_bytes = if cfg!(feature = "iterator") { LEN } else { 0 };
    assert_eq!(
        counters(map.flush_stats()),
        (0, 0, 0, 2000 + 300 + chunk_bytes, 20)
    );

    // Dropping a non-last clone is not "the last handle drops".
    let clone = map.clone();
    clone.update_region(0, b"via clone").unwrap();
    drop(clone);
    let s = map.flush_stats();
    assert_eq!(s.flushes, 0);
    assert_eq!(s.pending_writes, 21);

    map.flush().unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));

    // Nothing happens automatically afterwards either.
    map.update_region(0, b"again").unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 5, 1));
    // Right before the final drop: still exactly one flush, bytes pending.
    // (The final-drop flush itself is not observable; see module docs.)
}

// ---------------------------------------------------------------- Always

#[test]
fn always_flushes_after_every_update_region() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Always);
    for i in 1..=10u64 {
        map.update_region(i * 3, &[i as u8; 3]).unwrap();
        assert_eq!(counters(map.flush_stats()), (i, 0, 0, 0, 0), "write {i}");
    }
    // An empty write does nothing, so it does not flush.
    map.update_region(5, &[]).unwrap();
    assert_eq!(map.flush_stats().flushes, 10);
    // A refused write neither counts nor flushes.
    assert!(matches!(
        map.update_region(LEN, b"x"),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert_eq!(counters(map.flush_stats()), (10, 0, 0, 0, 0));
}

#[test]
fn always_only_records_a_dropped_mut_view_and_flushes_on_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Always);
    write_via_mut_view(&map, 100, 200, 5);
    assert_eq!(
        counters(map.flush_stats()),
        (0, 0, 0, 200, 0),
        "a dropped MappedSliceMut only adds to the count"
    );
    map.update_region(0, b"z").unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));
}

#[cfg(feature = "iterator")]
#[test]
fn always_flushes_after_every_chunks_mut_walk() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Always);
    for i in 1..=3u64 {
        walk_chunks_mut(&map, 1024, i as u8);
        assert_eq!(counters(map.flush_stats()), (i, 0, 0, 0, 0), "walk {i}");
    }
    // A walk whose closure fails is not followed by a flush, but the chunks
    // handed out count as pending.
    let err = map.chunks_mut(1000).for_each_mut(|offset, _| {
        if offset == 1000 {
            Err(MmapIoError::InvalidChunkSize)
        } else {
            Ok(())
        }
    });
    assert!(matches!(err, Err(MmapIoError::InvalidChunkSize)));
    assert_eq!(counters(map.flush_stats()), (3, 0, 0, 2000, 0));
    // An invalid chunk size is refused before anything is counted.
    assert!(matches!(
        map.chunks_mut(0).for_each_mut(|_, _| Ok(())),
        Err(MmapIoError::InvalidChunkSize)
    ));
    assert_eq!(counters(map.flush_stats()), (3, 0, 0, 2000, 0));
}

// ------------------------------------------------------------ EveryBytes

#[test]
fn every_bytes_fires_exactly_at_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryBytes(100));

    map.update_region(0, &[1; 99]).unwrap();
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 99, 1));
    map.update_region(99, &[1; 1]).unwrap(); // exactly 100 pending
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));

    // One write far above the threshold flushes once.
    map.update_region(0, &[2; 250]).unwrap();
    assert_eq!(counters(map.flush_stats()), (2, 0, 0, 0, 0));

    // Crossing (not hitting) the threshold also flushes.
    map.update_region(0, &[3; 50]).unwrap();
    map.update_region(0, &[3; 49]).unwrap();
    assert_eq!(counters(map.flush_stats()), (2, 0, 0, 99, 2));
    map.update_region(0, &[3; 2]).unwrap();
    assert_eq!(counters(map.flush_stats()), (3, 0, 0, 0, 0));

    // Overwriting the same bytes counts them again ("every byte written").
    for _ in 0..9 {
        map.update_region(7, &[4; 11]).unwrap();
    }
    assert_eq!(counters(map.flush_stats()), (3, 0, 0, 99, 9));
    map.update_region(7, &[4; 1]).unwrap();
    assert_eq!(map.flush_stats().flushes, 4);
}

#[test]
fn every_bytes_one_flushes_after_every_nonempty_write() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryBytes(1));
    map.update_region(0, &[]).unwrap();
    assert_eq!(map.flush_stats().flushes, 0);
    map.update_region(0, &[1]).unwrap();
    map.update_region(1, &[1]).unwrap();
    assert_eq!(counters(map.flush_stats()), (2, 0, 0, 0, 0));
}

#[test]
fn every_bytes_counts_whole_mut_views_but_applies_on_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryBytes(100));
    // The whole view counts, even if only one byte changed.
    {
        let mut view = map.as_slice_mut(0, 200).unwrap();
        view[0] = 1;
    }
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 200, 0));
    map.update_region(500, &[1]).unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));
}

#[cfg(feature = "iterator")]
#[test]
fn every_bytes_is_applied_after_chunks_mut_walks() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryBytes(LEN as usize + 1));
    walk_chunks_mut(&map, 1000, 1);
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, LEN, 0));
    walk_chunks_mut(&map, 1000, 2);
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));

    let map2 = rw_with(
        &path_in(&dir, "two.bin"),
        LEN,
        FlushPolicy::EveryBytes(LEN as usize),
    );
    walk_chunks_mut(&map2, 4096, 1);
    assert_eq!(counters(map2.flush_stats()), (1, 0, 0, 0, 0));
}

// ----------------------------------------------------------- EveryWrites

#[test]
fn every_writes_counts_update_region_calls() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryWrites(3));

    map.update_region(0, &[1; 1000]).unwrap();
    map.update_region(0, &[1; 1]).unwrap();
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 1001, 2));
    map.update_region(0, &[1; 1]).unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));

    // Six more writes: exactly two more flushes, at the 3rd and 6th.
    let mut seen = Vec::new();
    for i in 0..6 {
        map.update_region(i, &[2]).unwrap();
        seen.push(map.flush_stats().flushes);
    }
    assert_eq!(seen, [1, 1, 2, 2, 2, 3]);

    // Empty and refused writes are not writes.
    map.update_region(0, &[]).unwrap();
    map.update_region(LEN, &[]).unwrap();
    assert!(map.update_region(LEN, &[1]).is_err());
    assert!(map.update_region(u64::MAX, &[1]).is_err());
    assert_eq!(counters(map.flush_stats()), (3, 0, 0, 0, 0));
}

#[test]
fn every_writes_ignores_mut_views_and_walks_as_writes() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryWrites(2));
    map.update_region(0, b"a").unwrap();
    write_via_mut_view(&map, 0, 10, 1);
    write_via_mut_view(&map, 0, 10, 1);
    #[cfg(feature = "iterator")]
    walk_chunks_mut(&map, 4096, 1);
    let s = map.flush_stats();
    assert_eq!(s.flushes, 0);
    assert_eq!(s.pending_writes, 1);
    map.update_region(0, b"b").unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));
}

#[test]
fn every_writes_one_is_like_always_for_update_region() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryWrites(1));
    for i in 1..=4 {
        map.update_region(0, b"x").unwrap();
        assert_eq!(counters(map.flush_stats()), (i, 0, 0, 0, 0));
    }
}

// --------------------------------------------------------- explicit flush

#[derive(Clone, Copy, Debug)]
enum WritePath {
    UpdateRegion,
    MutView,
    #[cfg(feature = "iterator")]
    ChunksMut,
}

const PATHS: &[WritePath] = &[
    WritePath::UpdateRegion,
    WritePath::MutView,
    #[cfg(feature = "iterator")]
    WritePath::ChunksMut,
];

const ALL_POLICIES: [FlushPolicy; 6] = [
    FlushPolicy::Never,
    FlushPolicy::Manual,
    FlushPolicy::Always,
    FlushPolicy::EveryBytes(1 << 40),
    FlushPolicy::EveryWrites(1 << 40),
    FlushPolicy::EveryMillis(3_600_000),
];

#[test]
fn explicit_flush_always_flushes_whatever_the_policy_and_write_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for policy in ALL_POLICIES {
        for &path in PATHS {
            n += 1;
            let map = rw_with(&path_in(&dir, &format!("f{n}.bin")), LEN, policy);
            match path {
                WritePath::UpdateRegion => map.update_region(10, &[9; 20]).unwrap(),
                WritePath::MutView => write_via_mut_view(&map, 10, 20, 9),
                #[cfg(feature = "iterator")]
                WritePath::ChunksMut => walk_chunks_mut(&map, 256, 9),
            }
            let before = map.flush_stats();
            map.flush().unwrap();
            let after = map.flush_stats();
            assert_eq!(
                after.flushes,
                before.flushes + 1,
                "{policy:?} / {path:?}: explicit flush must flush"
            );
            assert_eq!(
                (after.pending_bytes, after.pending_writes),
                (0, 0),
                "{policy:?} / {path:?}: pending counters reset"
            );
            assert_eq!((after.range_flushes, after.file_syncs), (0, 0));
        }
    }
}

#[test]
fn explicit_flush_on_a_clean_mapping_still_flushes() {
    let dir = tempfile::tempdir().unwrap();
    for (i, policy) in ALL_POLICIES.into_iter().enumerate() {
        let map = rw_with(&path_in(&dir, &format!("c{i}.bin")), LEN, policy);
        map.flush().unwrap();
        map.flush().unwrap();
        assert_eq!(counters(map.flush_stats()), (2, 0, 0, 0, 0), "{policy:?}");
    }
}

#[test]
fn clones_share_one_set_of_counters() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryWrites(2));
    let clone = map.clone();
    map.update_region(0, b"a").unwrap();
    clone.update_region(1, b"b").unwrap(); // the second write overall
    assert_eq!(counters(map.flush_stats()), (1, 0, 0, 0, 0));
    assert_eq!(counters(clone.flush_stats()), (1, 0, 0, 0, 0));
    clone.flush().unwrap();
    assert_eq!(map.flush_stats().flushes, 2);
}

#[test]
fn flushing_an_empty_mapping_runs_no_msync_and_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_in(&dir, "empty.bin");
    std::fs::write(&path, b"").unwrap();
    // Under `Always`, so that a walk's policy flush is asked for as well.
    let map = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadWrite)
        .flush_policy(FlushPolicy::Always)
        .open()
        .unwrap();
    assert_eq!(map.len(), 0);
    map.flush().unwrap();
    map.flush_range(0, 0).unwrap();
    #[cfg(feature = "iterator")]
    {
        let mut calls = 0;
        map.chunks_mut(4)
            .for_each_mut(|_, _| {
                calls += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(calls, 0, "an empty mapping has no chunks");
    }
    assert_eq!(
        counters(map.flush_stats()),
        (0, 0, 0, 0, 0),
        "nothing was flushed"
    );
}

// ------------------------------------------------------------ flush_range

#[test]
fn flush_range_counts_separately_and_leaves_pending_alone() {
    let dir = tempfile::tempdir().unwrap();
    let len = 3 * mmapio::page_size() as u64;
    let map = rw_with(&path_in(&dir, "r.bin"), len, FlushPolicy::Manual);
    map.update_region(0, &[1; 64]).unwrap();

    map.flush_range(0, 64).unwrap();
    assert_eq!(counters(map.flush_stats()), (0, 1, 0, 64, 1));
    // An unaligned start is fine (rounded down to a page).
    map.flush_range(mmapio::page_size() as u64 + 17, 100)
        .unwrap();
    // The whole mapping, and a zero-length range at the very end: valid,
    // but with nothing to flush it makes no msync and is not counted.
    map.flush_range(0, len).unwrap();
    map.flush_range(len, 0).unwrap();
    assert_eq!(counters(map.flush_stats()), (0, 3, 0, 64, 1));

    // A full flush resets pending, and range flushes keep their own count.
    map.flush().unwrap();
    assert_eq!(counters(map.flush_stats()), (1, 3, 0, 0, 0));
}

#[test]
fn flush_range_is_bounds_checked_and_counts_nothing_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Manual);
    map.update_region(0, b"xyz").unwrap();
    let cases = [
        (LEN, 1),
        (0, LEN + 1),
        (LEN + 1, 0),
        (u64::MAX, 1),
        (1, u64::MAX),
        (u64::MAX, u64::MAX),
    ];
    for (offset, len) in cases {
        match map.flush_range(offset, len) {
            Err(MmapIoError::OutOfBounds {
                offset: o,
                len: l,
                total,
            }) => assert_eq!((o, l, total), (offset, len, LEN)),
            other => panic!("flush_range({offset}, {len}) gave {other:?}"),
        }
    }
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 3, 1));
}

// ----------------------------------------------------------------- resize

#[test]
fn resize_that_changes_the_length_syncs_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::Never);
    assert_eq!(map.flush_stats().file_syncs, 0);

    map.resize(2 * LEN).unwrap();
    assert_eq!(map.flush_stats().file_syncs, 1);
    map.resize(2 * LEN).unwrap(); // same length: nothing to sync
    assert_eq!(map.flush_stats().file_syncs, 1);
    map.resize(LEN / 2).unwrap();
    assert_eq!(map.flush_stats().file_syncs, 2);
    map.resize(LEN / 2 + 1).unwrap();
    assert_eq!(map.flush_stats().file_syncs, 3);

    assert!(matches!(
        map.resize(0),
        Err(MmapIoError::InvalidSize { size: 0, .. })
    ));
    assert!(matches!(
        map.resize(u64::MAX),
        Err(MmapIoError::InvalidSize { size: u64::MAX, .. })
    ));
    let s = map.flush_stats();
    assert_eq!(s.file_syncs, 3);
    assert_eq!(s.range_flushes, 0);
}

// ------------------------------------------------------------ RO and COW

fn assert_flush_is_a_no_op(map: &MemoryMappedFile) {
    let len = map.len();
    map.flush().unwrap();
    map.flush().unwrap();
    map.flush_range(0, len).unwrap();
    map.flush_range(1, 2).unwrap();
    map.flush_range(len, 0).unwrap();
    // Still bounds-checked.
    assert!(matches!(
        map.flush_range(len, 1),
        Err(MmapIoError::OutOfBounds { offset, len: 1, total }) if offset == len && total == len
    ));
    assert!(matches!(
        map.flush_range(u64::MAX, u64::MAX),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 0, 0));
    assert_eq!(map.pending_bytes(), 0);
}

#[test]
fn read_only_flush_is_a_no_op_that_counts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_in(&dir, "ro.bin");
    std::fs::write(&path, vec![5u8; 1000]).unwrap();
    assert_flush_is_a_no_op(&MemoryMappedFile::open_ro(&path).unwrap());
    // Even with a policy that would flush all the time on a RW mapping.
    for policy in [FlushPolicy::Always, FlushPolicy::EveryMillis(1)] {
        let map = MemoryMappedFile::builder(&path)
            .mode(MmapMode::ReadOnly)
            .flush_policy(policy)
            .open()
            .unwrap();
        assert_flush_is_a_no_op(&map);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(counters(map.flush_stats()), (0, 0, 0, 0, 0));
    }
}

#[cfg(feature = "cow")]
#[test]
fn copy_on_write_flush_is_a_no_op_that_counts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_in(&dir, "cow.bin");
    std::fs::write(&path, vec![5u8; 1000]).unwrap();
    assert_flush_is_a_no_op(&MemoryMappedFile::open_cow(&path).unwrap());
    let map = MemoryMappedFile::builder(&path)
        .mode(MmapMode::CopyOnWrite)
        .flush_policy(FlushPolicy::Always)
        .open()
        .unwrap();
    assert_flush_is_a_no_op(&map);
}

// --------------------------------------------------------- zero policies

const ZERO_POLICIES: [FlushPolicy; 3] = [
    FlushPolicy::EveryBytes(0),
    FlushPolicy::EveryWrites(0),
    FlushPolicy::EveryMillis(0),
];

fn assert_invalid_policy(result: mmapio::Result<MemoryMappedFile>, expected: FlushPolicy) {
    match result {
        Err(MmapIoError::InvalidFlushPolicy { policy, reason }) => {
            assert_eq!(policy, expected);
            assert!(!reason.is_empty());
        }
        other => panic!("{expected:?} gave {other:?}"),
    }
}

#[test]
fn zero_policies_are_refused_before_any_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    for policy in ZERO_POLICIES {
        let path = path_in(&dir, "never-created.bin");
        assert_invalid_policy(sized_builder(&path, LEN, policy).create(), policy);
        assert!(!path.exists(), "create with {policy:?} left a file");
        assert_invalid_policy(sized_builder(&path, LEN, policy).open_or_create(), policy);
        assert!(!path.exists(), "open_or_create with {policy:?} left a file");
    }
}

#[test]
fn zero_policies_are_refused_on_open_of_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_in(&dir, "existing.bin");
    std::fs::write(&path, b"keep me").unwrap();
    for policy in ZERO_POLICIES {
        for mode in [MmapMode::ReadWrite, MmapMode::ReadOnly] {
            assert_invalid_policy(
                MemoryMappedFile::builder(&path)
                    .mode(mode)
                    .flush_policy(policy)
                    .open(),
                policy,
            );
        }
        // Even with a size that would grow the file: nothing is touched.
        assert_invalid_policy(sized_builder(&path, LEN, policy).open_or_create(), policy);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 7);
    }
}

#[test]
fn nonzero_parameters_of_one_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    for (i, policy) in [
        FlushPolicy::EveryBytes(1),
        FlushPolicy::EveryWrites(1),
        FlushPolicy::EveryMillis(1),
    ]
    .into_iter()
    .enumerate()
    {
        let map = rw_with(&path_in(&dir, &format!("one{i}.bin")), LEN, policy);
        assert_eq!(map.flush_policy(), policy);
    }
}

// ------------------------------------------------------------ EveryMillis

/// Polls `cond` until it holds or `limit` elapses; returns whether it held.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn every_millis_flushes_a_dirty_mapping_within_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryMillis(10));
    map.update_region(0, &[1; 300]).unwrap();
    assert!(
        wait_for(Duration::from_secs(2), || map.flush_stats().flushes >= 1),
        "dirty mapping not flushed within 2 s: {:?}",
        map.flush_stats()
    );
    let s = map.flush_stats();
    assert_eq!((s.pending_bytes, s.pending_writes), (0, 0));
    assert_eq!((s.range_flushes, s.file_syncs), (0, 0));

    // Bytes written through a mutable view are picked up too.
    let flushed = map.flush_stats().flushes;
    write_via_mut_view(&map, 0, 100, 2);
    assert!(
        wait_for(Duration::from_secs(2), || map.flush_stats().flushes
            > flushed),
        "dirty view not flushed within 2 s"
    );
    let s = map.flush_stats();
    assert_eq!((s.pending_bytes, s.pending_writes), (0, 0));

    // Now clean again: the flusher must stop flushing.
    let settled = map.flush_stats().flushes;
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(map.flush_stats().flushes, settled, "clean mapping flushed");
}

#[test]
fn every_millis_does_not_flush_a_clean_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let map = new_rw(&dir, FlushPolicy::EveryMillis(10));
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(counters(map.flush_stats()), (0, 0, 0, 0, 0));
}

#[test]
fn every_millis_does_not_flush_synchronously_on_write() {
    let dir = tempfile::tempdir().unwrap();
    // An interval far beyond the test's life: any flush would be synchronous.
    let map = new_rw(&dir, FlushPolicy::EveryMillis(3_600_000));
    for _ in 0..5 {
        map.update_region(0, &[1; 1000]).unwrap();
    }
    #[cfg(feature = "iterator")]
    walk_chunks_mut(&map, 100, 1);
    let chunk_bytes = if cfg!(feature = "iterator") { LEN } else { 0 };
    assert_eq!(
        counters(map.flush_stats()),
        (0, 0, 0, 5000 + chunk_bytes, 5)
    );
}
