//! Private writes to copy-on-write mappings (feature `cow`):
//! `cow_update_region` / `cow_slice_mut` change what the mapping reads and
//! nothing else (not the file on disk, not other mappings of it), refuse
//! while clones exist, refuse in other modes, and check bounds exactly.
//!
//! Reading the file with `std::fs::read` is a valid check here: the written
//! pages of a private mapping are private copies, never the shared page
//! cache that `read(2)` goes through.
#![cfg(feature = "cow")]

mod common;

use std::fmt::Debug;

use mmapio::{MemoryMappedFile, MmapIoError, MmapMode};

use common::{assert_invalid_mode, assert_oob, contents, file_with};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect()
}

/// `SharedHandle` with the given handle count; returns the reported op.
fn assert_shared<T: Debug>(result: mmapio::Result<T>, handles: usize) -> &'static str {
    match result {
        Err(MmapIoError::SharedHandle { op, handles: h }) => {
            assert_eq!(h, handles, "wrong handle count");
            op
        }
        other => panic!("expected SharedHandle {{ handles: {handles} }}, got {other:?}"),
    }
}

const TOTAL: usize = 3 * 4096 + 500;

#[test]
fn cow_update_region_changes_the_mapping_but_never_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL, 1);
    let path = file_with(&dir, "upd.bin", &data);
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();
    assert_eq!(map.mode(), MmapMode::CopyOnWrite);

    let mut expected = data.clone();
    for (offset, bytes) in [
        (0usize, &b"head"[..]),
        (4090, &b"straddles a page boundary"[..]),
        (TOTAL - 3, &b"end"[..]),
        (9000, &[0u8; 700][..]),
    ] {
        map.cow_update_region(offset as u64, bytes).unwrap();
        expected[offset..offset + bytes.len()].copy_from_slice(bytes);
        assert_eq!(contents(&map), expected, "after writing at {offset}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            data,
            "the file changed after a private write"
        );
    }
    let mut buf = vec![0u8; 25];
    map.read_into(4090, &mut buf).unwrap();
    assert_eq!(buf, b"straddles a page boundary");

    // Nothing to write back: flush succeeds and still leaves the file alone.
    map.flush().unwrap();
    map.flush_range(0, TOTAL as u64).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert_eq!(map.pending_bytes(), 0);

    drop(map);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        data,
        "the file changed after drop"
    );
    // A new copy-on-write mapping starts from the file again.
    let again = MemoryMappedFile::open_cow(&path).unwrap();
    assert_eq!(contents(&again), data);
}

#[test]
fn cow_slice_mut_changes_the_mapping_but_never_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL, 2);
    let path = file_with(&dir, "slice.bin", &data);
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();
    {
        let bytes = map.cow_slice_mut(4000, 200).unwrap();
        assert_eq!(bytes.len(), 200);
        assert_eq!(bytes, &data[4000..4200]);
        for b in bytes.iter_mut() {
            *b = b.wrapping_add(1);
        }
    }
    let whole = map.cow_slice_mut(0, TOTAL as u64).unwrap();
    whole[TOTAL - 1] = 0xEE;
    let mut expected = data.clone();
    for b in &mut expected[4000..4200] {
        *b = b.wrapping_add(1);
    }
    expected[TOTAL - 1] = 0xEE;
    assert_eq!(contents(&map), expected);
    assert_eq!(std::fs::read(&path).unwrap(), data);
    drop(map);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[test]
fn other_mappings_of_the_file_do_not_see_private_writes() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL, 3);
    let path = file_with(&dir, "others.bin", &data);
    let before = MemoryMappedFile::open_ro(&path).unwrap();
    before.touch_pages().unwrap();
    let other_cow = MemoryMappedFile::open_cow(&path).unwrap();
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();
    map.cow_update_region(0, &[0xFF; TOTAL]).unwrap();
    assert_eq!(contents(&map), vec![0xFF; TOTAL]);

    let after = MemoryMappedFile::open_ro(&path).unwrap();
    assert_eq!(
        contents(&before),
        data,
        "RO mapping opened before sees private writes"
    );
    assert_eq!(
        contents(&after),
        data,
        "RO mapping opened after sees private writes"
    );
    assert_eq!(
        contents(&other_cow),
        data,
        "another COW mapping sees private writes"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        data,
        "the file has private writes"
    );
    // A read-write handle joins the file beside the copy-on-write ones:
    // it sees the file without the private writes, and its own writes
    // never reach the pages they copied.
    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    rw.update_region(0, &data[..1]).unwrap();
    assert_eq!(
        contents(&map),
        vec![0xFF; TOTAL],
        "a write through the file leaves copied pages alone"
    );
    drop((map, other_cow, before, after));
    assert_eq!(contents(&rw), data, "RW mapping sees private writes");
}

#[test]
fn private_writes_refused_while_clones_exist() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL, 4);
    let path = file_with(&dir, "shared.bin", &data);
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();

    let clone = map.clone();
    assert_eq!(assert_shared(map.cow_slice_mut(0, 4), 2), "cow_slice_mut");
    assert_shared(map.cow_update_region(0, b"nope"), 2);
    // The handle check comes before bounds.
    assert_shared(map.cow_update_region(u64::MAX, b"nope"), 2);
    assert_shared(map.cow_slice_mut(0, u64::MAX), 2);
    let third = clone.clone();
    assert_shared(map.cow_slice_mut(0, 0), 3);
    drop(third);
    assert_shared(map.cow_slice_mut(0, 0), 2);
    assert_eq!(
        contents(&clone),
        data,
        "a refused write changed the mapping"
    );

    // A clone dropped on another thread releases its claim too.
    std::thread::spawn(move || drop(clone)).join().unwrap();
    map.cow_update_region(0, b"mine").unwrap();
    assert_eq!(map.as_slice(0, 4).unwrap(), b"mine");

    // Clones made after a write see it (they share the mapping).
    let clone = map.clone();
    assert_eq!(clone.as_slice(0, 4).unwrap(), b"mine");
    assert_shared(map.cow_slice_mut(0, 4), 2);
    drop(clone);
    map.cow_slice_mut(0, 4).unwrap().copy_from_slice(b"MINE");
    assert_eq!(map.as_slice(0, 4).unwrap(), b"MINE");
    drop(map);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[test]
fn private_writes_refused_on_read_only_and_read_write_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL, 5);
    let ro_path = file_with(&dir, "ro.bin", &data);
    let rw_path = file_with(&dir, "rw.bin", &data);
    let mut ro = MemoryMappedFile::open_ro(&ro_path).unwrap();
    let mut rw = MemoryMappedFile::open_rw(&rw_path).unwrap();
    for (map, mode) in [
        (&mut ro, MmapMode::ReadOnly),
        (&mut rw, MmapMode::ReadWrite),
    ] {
        // Refused whatever the arguments, before bounds and handle checks.
        for (offset, len) in [
            (0u64, 4u64),
            (0, 0),
            (TOTAL as u64, 0),
            (u64::MAX, 1),
            (0, u64::MAX),
        ] {
            assert_invalid_mode(map.cow_slice_mut(offset, len), "cow_slice_mut", mode);
        }
        for offset in [0u64, 100, u64::MAX] {
            match map.cow_update_region(offset, b"data") {
                Err(MmapIoError::InvalidMode { mode: m, .. }) => assert_eq!(m, mode),
                other => panic!(
                    "{mode:?} cow_update_region({offset}): expected InvalidMode, got {other:?}"
                ),
            }
        }
        let clone = map.clone();
        assert_invalid_mode(map.cow_slice_mut(0, 1), "cow_slice_mut", mode);
        drop(clone);
        assert_eq!(contents(map), data);
    }
    drop((ro, rw));
    assert_eq!(std::fs::read(&ro_path).unwrap(), data);
    assert_eq!(std::fs::read(&rw_path).unwrap(), data);
}

/// Every other refusal names the method that was called
/// (`update_region`, `as_slice_mut`, `atomic_u64_slice`, ...);
/// `cow_update_region` should too.
#[test]
fn cow_update_region_errors_name_cow_update_region() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(64, 6);
    let mut ro = MemoryMappedFile::open_ro(file_with(&dir, "name-ro.bin", &data)).unwrap();
    assert_invalid_mode(
        ro.cow_update_region(0, b"x"),
        "cow_update_region",
        MmapMode::ReadOnly,
    );
    let mut cow = MemoryMappedFile::open_cow(file_with(&dir, "name-cow.bin", &data)).unwrap();
    let clone = cow.clone();
    assert_eq!(
        assert_shared(cow.cow_update_region(0, b"x"), 2),
        "cow_update_region"
    );
    drop(clone);
}

#[test]
fn private_write_bounds_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL, 7);
    let path = file_with(&dir, "bounds.bin", &data);
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();
    let total = TOTAL as u64;
    for (offset, len) in [
        (u64::MAX, 0),
        (u64::MAX, 1),
        (0, u64::MAX),
        (1, u64::MAX),
        (total, 1),
        (total + 1, 0),
        (1, total),
        (total - 1, 2),
    ] {
        assert_oob(map.cow_slice_mut(offset, len), offset, len, total);
    }
    assert_oob(map.cow_update_region(u64::MAX, b"x"), u64::MAX, 1, total);
    assert_oob(
        map.cow_update_region(total - 3, b"four"),
        total - 3,
        4,
        total,
    );
    assert_oob(map.cow_update_region(total + 1, b""), total + 1, 0, total);
    // Zero-length requests are fine up to and including len().
    assert!(map.cow_slice_mut(total, 0).unwrap().is_empty());
    assert!(map.cow_slice_mut(0, 0).unwrap().is_empty());
    map.cow_update_region(total, b"").unwrap();
    map.cow_update_region(total - 4, b"last").unwrap();
    let mut expected = data.clone();
    expected[TOTAL - 4..].copy_from_slice(b"last");
    assert_eq!(
        contents(&map),
        expected,
        "failed writes changed the mapping"
    );
    drop(map);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[test]
fn shared_writers_stay_refused_on_copy_on_write_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL, 8);
    let path = file_with(&dir, "writers.bin", &data);
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();
    map.cow_update_region(10, b"private").unwrap();
    let mode = MmapMode::CopyOnWrite;
    for (offset, len) in [(0u64, 4u64), (0, 0), (u64::MAX, 1)] {
        assert_invalid_mode(map.as_slice_mut(offset, len), "as_slice_mut", mode);
    }
    assert_invalid_mode(map.update_region(0, b"shared"), "update_region", mode);
    assert_invalid_mode(
        map.update_region(u64::MAX, b"shared"),
        "update_region",
        mode,
    );
    assert_invalid_mode(map.update_region(0, b""), "update_region", mode);
    assert_invalid_mode(map.resize(2 * TOTAL as u64), "resize", mode);
    assert_eq!(map.len(), TOTAL as u64);
    let mut expected = data.clone();
    expected[10..17].copy_from_slice(b"private");
    assert_eq!(contents(&map), expected);
    drop(map);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[test]
fn empty_copy_on_write_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "empty.bin", b"");
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();
    assert_eq!(map.len(), 0);
    assert!(map.cow_slice_mut(0, 0).unwrap().is_empty());
    map.cow_update_region(0, b"").unwrap();
    assert_oob(map.cow_update_region(0, b"x"), 0, 1, 0);
    assert_oob(map.cow_slice_mut(1, 0), 1, 0, 0);
}

/// One step of the copy-on-write model.
#[derive(Clone, Debug)]
enum CowOp {
    Write { offset: u64, data: Vec<u8> },
    SliceMut { offset: u64, len: u64, byte: u8 },
    Clone,
    DropClone,
    Segment { offset: u64, len: u64 },
    DropSegment,
    ReadBack,
}

fn cow_op(total: u64) -> impl proptest::strategy::Strategy<Value = CowOp> {
    use proptest::prelude::*;
    let pos = prop_oneof![0..total + 16, Just(u64::MAX)];
    prop_oneof![
        4 => (pos.clone(), proptest::collection::vec(any::<u8>(), 0..200))
            .prop_map(|(offset, data)| CowOp::Write { offset, data }),
        3 => (pos.clone(), 0..300u64, any::<u8>())
            .prop_map(|(offset, len, byte)| CowOp::SliceMut { offset, len, byte }),
        1 => Just(CowOp::Clone),
        1 => Just(CowOp::DropClone),
        1 => (0..total, 0..64u64).prop_map(|(offset, len)| CowOp::Segment { offset, len }),
        1 => Just(CowOp::DropSegment),
        1 => Just(CowOp::ReadBack),
    ]
}

#[test]
fn private_writes_follow_a_model() {
    use proptest::test_runner::{Config, TestRunner};
    const TOTAL: u64 = 5000;
    let dir = tempfile::tempdir().unwrap();
    let original = pattern(TOTAL as usize, 9);
    let path = file_with(&dir, "model.bin", &original);
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(cow_op(TOTAL), 1..40);
    let result = runner.run(&strategy, |ops| {
        let mut map = MemoryMappedFile::open_cow(&path).unwrap();
        let mut model = original.clone();
        let (mut clones, mut segments) = (Vec::new(), Vec::new());
        let range = |offset: u64, len: u64| common::model_range(offset, len, TOTAL);
        for op in ops {
            // Every clone or segment is another handle: private writes need
            // the only one.
            let others = clones.len() + segments.len();
            match op {
                CowOp::Write { offset, data } => {
                    let result = map.cow_update_region(offset, &data);
                    match (others, range(offset, data.len() as u64)) {
                        (0, Some(r)) => {
                            result.unwrap();
                            model[r].copy_from_slice(&data);
                        }
                        (0, None) => assert_oob(result, offset, data.len() as u64, TOTAL),
                        (n, _) => {
                            assert_shared(result, n + 1);
                        }
                    }
                }
                CowOp::SliceMut { offset, len, byte } => {
                    let result = map.cow_slice_mut(offset, len).map(|bytes| bytes.fill(byte));
                    match (others, range(offset, len)) {
                        (0, Some(r)) => {
                            result.unwrap();
                            model[r].fill(byte);
                        }
                        (0, None) => assert_oob(result, offset, len, TOTAL),
                        (n, _) => {
                            assert_shared(result, n + 1);
                        }
                    }
                }
                CowOp::Clone => clones.push(map.clone()),
                CowOp::DropClone => drop(clones.pop()),
                CowOp::Segment { offset, len } => {
                    let len = len.min(TOTAL - offset);
                    segments.push(map.segment(offset, len).unwrap());
                }
                CowOp::DropSegment => drop(segments.pop()),
                CowOp::ReadBack => {
                    for clone in &clones {
                        assert_eq!(contents(clone), model, "a clone sees the private bytes");
                    }
                    for segment in &segments {
                        let (o, l) = (segment.offset() as usize, segment.len() as usize);
                        assert_eq!(segment.as_slice().unwrap(), &model[o..o + l]);
                    }
                }
            }
            assert_eq!(contents(&map), model, "the mapping reads the model");
        }
        drop((clones, segments, map));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            original,
            "the file never changes"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
