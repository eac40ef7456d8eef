//! `Segment` and `SegmentMut`: construction in every mode, relative bounds
//! checked against the segment and then against the mapping's current
//! length, writes that never leave the segment, segments that outlive the
//! handle they came from, and behaviour across `resize`.
//!
//! Two properties compare every result with a plain checked-arithmetic
//! model: one over arbitrary `u64` offsets and lengths (`u64::MAX`
//! included), one across a shrinking or growing `resize`.

mod common;

use std::fmt::Debug;

use mmapio::{FlushPolicy, MemoryMappedFile, MmapIoError, MmapMode, Segment, SegmentMut};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use common::{assert_blocks_until, assert_oob, create_rw_with, file_with, in_bounds};

// Compile-time: segments own their handle and can cross threads.
const _: () = {
    const fn assert_send_sync_static<T: Send + Sync + Clone + Debug + 'static>() {}
    assert_send_sync_static::<Segment>();
    assert_send_sync_static::<SegmentMut>();
};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

// ------------------------------------------------------------ construction

#[test]
fn segments_read_their_window_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(10_000, 1);
    let path = file_with(&dir, "modes.bin", &data);

    // One mode at a time: a read-write mapping cannot live beside lock-free
    // (read-only or copy-on-write) mappings of the same file.
    #[cfg_attr(not(feature = "cow"), allow(unused_mut))]
    let mut opens: Vec<fn(&std::path::Path) -> mmapio::Result<MemoryMappedFile>> =
        vec![|p| MemoryMappedFile::open_ro(p), |p| {
            MemoryMappedFile::open_rw(p)
        }];
    #[cfg(feature = "cow")]
    opens.push(|p| MemoryMappedFile::open_cow(p));

    for open in opens {
        let map = &open(&path).unwrap();
        let seg = map.segment(1000, 5000).unwrap();
        assert_eq!(seg.offset(), 1000);
        assert_eq!(seg.len(), 5000);
        assert!(!seg.is_empty());
        assert_eq!(seg.mapping().path(), path);
        assert_eq!(seg.mapping().mode(), map.mode());

        let whole = seg.as_slice().unwrap();
        assert_eq!(whole, &data[1000..6000]);
        assert_eq!(whole.offset(), 1000, "views carry absolute offsets");
        drop(whole);

        let part = seg.slice(10, 20).unwrap();
        assert_eq!(part, &data[1010..1030]);
        assert_eq!(part.offset(), 1010);
        drop(part);

        let mut buf = [0u8; 100];
        seg.read_into(4900, &mut buf).unwrap();
        assert_eq!(buf, data[5900..6000]);

        // One byte past the segment's end is refused even though the
        // mapping has it, with the segment's own fields.
        assert_oob(seg.slice(4901, 100), 4901, 100, 5000);
        assert_oob(seg.read_into(4901, &mut buf), 4901, 100, 5000);
        assert_oob(seg.slice(0, 5001), 0, 5001, 5000);
        assert_oob(seg.slice(u64::MAX, 1), u64::MAX, 1, 5000);
        assert_oob(seg.slice(1, u64::MAX), 1, u64::MAX, 5000);
        assert_oob(seg.slice(u64::MAX, u64::MAX), u64::MAX, u64::MAX, 5000);
        // Zero-length reads are fine anywhere up to and including the end.
        assert!(seg.slice(5000, 0).unwrap().is_empty());
        seg.read_into(5000, &mut []).unwrap();
        assert_oob(seg.slice(5001, 0), 5001, 0, 5000);
    }
}

#[test]
fn segment_construction_is_bounds_checked_with_the_mappings_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "c.bin", &pattern(100, 2));
    let map = MemoryMappedFile::open_rw(&path).unwrap();

    assert_oob(map.segment(0, 101), 0, 101, 100);
    assert_oob(map.segment(100, 1), 100, 1, 100);
    assert_oob(map.segment(u64::MAX, 1), u64::MAX, 1, 100);
    assert_oob(map.segment(1, u64::MAX), 1, u64::MAX, 100);
    assert_oob(map.segment_mut(50, 51), 50, 51, 100);
    assert_oob(map.segment_mut(u64::MAX, u64::MAX), u64::MAX, u64::MAX, 100);

    let empty = map.segment(100, 0).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert!(empty.as_slice().unwrap().is_empty());
    assert_oob(empty.slice(0, 1), 0, 1, 0);
    assert_oob(empty.slice(1, 0), 1, 0, 0);
    let empty_mut = map.segment_mut(0, 0).unwrap();
    assert!(empty_mut.is_empty());
    empty_mut.update_region(0, &[]).unwrap();
    assert_oob(empty_mut.update_region(0, b"x"), 0, 1, 0);
    assert_eq!(std::fs::read(&path).unwrap(), pattern(100, 2));
}

#[test]
fn segment_mut_needs_a_read_write_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "ro.bin", &[7; 64]);
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    // The mode is checked first, even for an out-of-range request.
    for (offset, len) in [(0, 8), (u64::MAX, 1)] {
        match ro.segment_mut(offset, len) {
            Err(MmapIoError::InvalidMode { op, mode }) => {
                assert_eq!((op, mode), ("segment_mut", MmapMode::ReadOnly));
            }
            other => panic!("expected InvalidMode, got {other:?}"),
        }
    }
    #[cfg(feature = "cow")]
    {
        let cow = MemoryMappedFile::open_cow(&path).unwrap();
        assert!(matches!(
            cow.segment_mut(0, 8),
            Err(MmapIoError::InvalidMode {
                op: "segment_mut",
                mode: MmapMode::CopyOnWrite
            })
        ));
    }
    // Read-only segments are always available.
    assert_eq!(ro.segment(0, 8).unwrap().as_slice().unwrap(), [7u8; 8]);
}

#[test]
fn segments_outlive_the_handle_and_cross_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(4096, 3);
    let path = dir.path().join("own.bin");
    let (seg, seg_mut) = {
        let map = create_rw_with(&path, &data);
        (
            map.segment(100, 200).unwrap(),
            map.segment_mut(1000, 16).unwrap(),
        )
    }; // every named handle is gone
    assert_eq!(seg.as_slice().unwrap(), &data[100..300]);

    let writer = {
        let seg_mut = seg_mut.clone();
        std::thread::spawn(move || seg_mut.update_region(0, b"from a thread!!!"))
    };
    writer.join().unwrap().unwrap();
    assert_eq!(seg_mut.as_slice().unwrap(), b"from a thread!!!");
    // Both segments share the one mapping.
    assert_eq!(
        seg.mapping().as_slice(1000, 16).unwrap(),
        b"from a thread!!!"
    );
    seg_mut.flush().unwrap();
    drop((seg, seg_mut));
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(&on_disk[1000..1016], b"from a thread!!!");
    assert_eq!(&on_disk[..1000], &data[..1000]);
}

#[test]
fn clone_debug_and_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let map = create_rw_with(&dir.path().join("dbg.bin"), &pattern(64, 4));
    let seg = map.segment(8, 16).unwrap();
    let copy = seg.clone();
    assert_eq!((copy.offset(), copy.len()), (8, 16));
    assert_eq!(copy.as_slice().unwrap(), seg.as_slice().unwrap());

    let text = format!("{seg:?}");
    assert!(text.starts_with("Segment"), "{text}");
    assert!(
        text.contains("offset: 8") && text.contains("len: 16"),
        "{text}"
    );
    assert!(text.contains("dbg.bin"), "{text}");

    let seg_mut = map.segment_mut(4, 4).unwrap();
    let text = format!("{seg_mut:?}");
    assert!(text.starts_with("SegmentMut"), "{text}");
    assert!(
        text.contains("offset: 4") && text.contains("len: 4"),
        "{text}"
    );

    let read_only: Segment = seg_mut.clone().into();
    assert_eq!((read_only.offset(), read_only.len()), (4, 4));
    let again = seg_mut.to_segment();
    assert_eq!(again.as_slice().unwrap(), &pattern(64, 4)[4..8]);
}

// ------------------------------------------------------------------ writes

#[test]
fn segment_mut_writes_stay_inside_the_segment() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(256, 5);
    let path = dir.path().join("w.bin");
    let map = create_rw_with(&path, &data);
    map.flush().unwrap();
    let seg = map.segment_mut(100, 10).unwrap();
    assert_eq!((seg.offset(), seg.len(), seg.is_empty()), (100, 10, false));
    assert_eq!(seg.mapping().len(), 256);

    seg.update_region(0, b"0123456789").unwrap();
    assert_oob(seg.update_region(8, b"abc"), 8, 3, 10);
    assert_oob(seg.update_region(10, b"a"), 10, 1, 10);
    assert_oob(seg.update_region(u64::MAX, b"a"), u64::MAX, 1, 10);
    assert_oob(seg.update_region(0, &[0; 11]), 0, 11, 10);
    seg.update_region(10, b"").unwrap();
    seg.update_region(7, b"xyz").unwrap();

    {
        let mut view = seg.as_slice_mut().unwrap();
        assert_eq!(view.len(), 10);
        assert_eq!(view.offset(), 100);
        view[0] = b'!';
    }
    let mut model = data.clone();
    model[100..110].copy_from_slice(b"!123456xyz");
    assert_eq!(map.as_slice(0, 256).unwrap(), model.as_slice());
    let mut buf = [0u8; 4];
    seg.read_into(6, &mut buf).unwrap();
    assert_eq!(&buf, b"6xyz");
    assert_eq!(seg.slice(0, 3).unwrap(), b"!12");

    // Writes are accounted like the mapping's own, and a segment flush is a
    // range flush that does not clear the whole mapping's pending bytes.
    assert_eq!(map.pending_bytes(), 10 + 3 + 10);
    let before = map.flush_stats();
    seg.flush().unwrap();
    let after = map.flush_stats();
    assert_eq!(after.range_flushes, before.range_flushes + 1);
    assert_eq!(after.flushes, before.flushes);
    assert_eq!(std::fs::read(&path).unwrap(), model);
}

#[test]
fn segment_writes_follow_the_flush_policy() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::builder(dir.path().join("p.bin"))
        .size(4096)
        .flush_policy(FlushPolicy::EveryWrites(2))
        .create()
        .unwrap();
    let seg = map.segment_mut(10, 100).unwrap();
    seg.update_region(0, b"one").unwrap();
    assert_eq!(map.flush_stats().flushes, 0);
    seg.update_region(3, b"two").unwrap();
    assert_eq!(map.flush_stats().flushes, 1);
    assert_eq!(map.pending_bytes(), 0);
}

#[test]
fn writers_through_a_segment_wait_for_its_views() {
    let dir = tempfile::tempdir().unwrap();
    let map = create_rw_with(&dir.path().join("lock.bin"), &[0; 64]);
    let seg = map.segment_mut(0, 8).unwrap();
    let view = seg.as_slice().unwrap();
    let writer = seg.clone();
    assert_blocks_until(
        "update_region through a segment under its live view",
        move || writer.update_region(0, b"12345678"),
        || {
            assert_eq!(view, [0u8; 8], "bytes changed under a live view");
            drop(view);
        },
    )
    .unwrap();
    assert_eq!(seg.as_slice().unwrap(), b"12345678");
}

// ------------------------------------------------------------------ resize

#[test]
fn segments_revalidate_after_resize() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(1000, 6);
    let map = create_rw_with(&dir.path().join("r.bin"), &data);
    let seg = map.segment_mut(600, 300).unwrap();
    let read_only = map.segment(600, 300).unwrap();

    // Shrink through the middle of the segment: its first 100 bytes are
    // still mapped, the rest are not.
    map.resize(700).unwrap();
    assert_eq!(seg.slice(0, 100).unwrap(), &data[600..700]);
    assert_oob(seg.slice(50, 100), 650, 100, 700);
    assert_oob(seg.as_slice(), 600, 300, 700);
    assert_oob(read_only.as_slice(), 600, 300, 700);
    assert_oob(seg.as_slice_mut(), 600, 300, 700);
    assert_oob(seg.flush(), 600, 300, 700);
    assert_oob(seg.update_region(99, b"ab"), 699, 2, 700);
    let mut buf = [0u8; 2];
    assert_oob(seg.read_into(99, &mut buf), 699, 2, 700);
    // The segment's own check still comes first.
    assert_oob(seg.slice(250, 100), 250, 100, 300);
    seg.update_region(98, b"ab").unwrap();

    // Shrink below the segment's start.
    map.resize(500).unwrap();
    assert_oob(seg.slice(0, 0), 600, 0, 500);
    assert_oob(seg.update_region(0, b"x"), 600, 1, 500);
    assert_oob(read_only.slice(0, 1), 600, 1, 500);

    // Grow past it again: it works, and the re-grown bytes are zero.
    map.resize(1000).unwrap();
    assert!(seg.as_slice().unwrap().iter().all(|&b| b == 0));
    seg.update_region(299, b"z").unwrap();
    assert_eq!(read_only.slice(299, 1).unwrap(), b"z");
    seg.flush().unwrap();
}

// -------------------------------------------------------------- properties

/// `Ok` exactly when the model says so, otherwise `OutOfBounds` with exactly
/// `(offset, len, total)`.
fn expect_bounds<T: Debug>(
    what: &str,
    result: mmapio::Result<T>,
    ok: bool,
    (offset, len, total): (u64, u64, u64),
) -> Result<Option<T>, TestCaseError> {
    match (ok, result) {
        (true, Ok(v)) => Ok(Some(v)),
        (
            false,
            Err(MmapIoError::OutOfBounds {
                offset: o,
                len: l,
                total: t,
            }),
        ) => {
            prop_assert_eq!((o, l, t), (offset, len, total), "{} fields", what);
            Ok(None)
        }
        (ok, other) => Err(TestCaseError::fail(format!(
            "{what}: model says in-bounds={ok} for ({offset}, {len}, {total}), got {other:?}"
        ))),
    }
}

/// A `u64` that is usually near `0..=around`, sometimes anywhere, near
/// `u64::MAX`, or placed so that adding something near `around` overflows.
fn near(around: u64) -> BoxedStrategy<u64> {
    prop_oneof![
        6 => 0..=around.saturating_add(3),
        1 => (0..4u64).prop_map(|d| u64::MAX - d),
        1 => any::<u64>(),
        1 => (0..=4u64).prop_map(move |d| (u64::MAX - around).saturating_add(d)),
    ]
    .boxed()
}

/// A segment `(offset, len)` for a mapping of `total` bytes: usually valid,
/// sometimes arbitrary.
fn segment_range(total: u64) -> BoxedStrategy<(u64, u64)> {
    prop_oneof![
        4 => (0..=total).prop_flat_map(move |offset| (Just(offset), 0..=total - offset)),
        1 => (near(total), near(total)),
    ]
    .boxed()
}

/// A relative request: `(rel_offset, len)` for `slice`, and a small buffer
/// length for `read_into`/`update_region` (which take real buffers).
type Rel = (u64, u64, u64, usize);

fn rel_request(seg_len: u64) -> BoxedStrategy<Rel> {
    (near(seg_len), near(seg_len), near(seg_len), 0usize..=48).boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// Segment construction and every relative method against the model,
    /// for arbitrary `u64` offsets and lengths.
    #[test]
    fn segment_bounds_match_the_model(
        (total, (seg_off, seg_len), reqs, seed) in (1u64..=9000)
            .prop_flat_map(|total| (Just(total), segment_range(total)))
            .prop_flat_map(|(total, seg)| (
                Just(total),
                Just(seg),
                proptest::collection::vec(rel_request(seg.1), 1..6),
                any::<u8>(),
            ))
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.bin");
        let mut model = pattern(total as usize, seed);
        let map = create_rw_with(&path, &model);

        let seg = expect_bounds(
            "segment", map.segment(seg_off, seg_len),
            in_bounds(seg_off, seg_len, total), (seg_off, seg_len, total),
        )?;
        let seg_mut = expect_bounds(
            "segment_mut", map.segment_mut(seg_off, seg_len),
            in_bounds(seg_off, seg_len, total), (seg_off, seg_len, total),
        )?;
        let (Some(seg), Some(seg_mut)) = (seg, seg_mut) else {
            return Ok(());
        };
        let start = seg_off as usize;
        prop_assert_eq!(
            seg.as_slice().unwrap().to_vec(),
            &model[start..start + seg_len as usize]
        );

        for (rel, len, at, n) in reqs {
            // `slice`: any u64 offset and length.
            let ok = in_bounds(rel, len, seg_len);
            if let Some(view) = expect_bounds(
                "slice", seg.slice(rel, len), ok, (rel, len, seg_len),
            )? {
                let a = start + rel as usize;
                prop_assert_eq!(view.as_bytes(), &model[a..a + len as usize]);
                prop_assert_eq!(view.offset(), seg_off + rel);
            }

            // `read_into`: any u64 offset, a real buffer.
            let mut buf = vec![0xEEu8; n];
            let ok = in_bounds(at, n as u64, seg_len);
            if expect_bounds(
                "read_into", seg_mut.read_into(at, &mut buf), ok, (at, n as u64, seg_len),
            )?.is_some() {
                let a = start + at as usize;
                prop_assert_eq!(&buf[..], &model[a..a + n]);
            } else {
                prop_assert!(buf.iter().all(|&b| b == 0xEE), "read_into wrote on error");
            }

            // `update_region`: any u64 offset; never writes outside.
            let data = pattern(n, seed ^ 0xA5);
            if expect_bounds(
                "update_region", seg_mut.update_region(at, &data), ok, (at, n as u64, seg_len),
            )?.is_some() {
                let a = start + at as usize;
                model[a..a + n].copy_from_slice(&data);
            }
            prop_assert_eq!(map.as_slice(0, total).unwrap().to_vec(), &model[..]);
        }
    }
}

/// What a segment access should give after the mapping changed length:
/// the segment's check first, then the absolute one.
fn expected_after_resize(
    seg: (u64, u64),
    rel: u64,
    len: u64,
    map_len: u64,
) -> (bool, (u64, u64, u64)) {
    let (seg_off, seg_len) = seg;
    if !in_bounds(rel, len, seg_len) {
        return (false, (rel, len, seg_len));
    }
    let abs = seg_off + rel;
    (in_bounds(abs, len, map_len), (abs, len, map_len))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Segments made before a resize (shrinking or growing, often right
    /// through the segment) re-validate every access against the mapping's
    /// new length, and work again once it grows back.
    #[test]
    fn segments_revalidate_after_resize_shrink_and_grow(
        (total, (seg_off, seg_len), new_len, reqs, seed) in (1u64..=6000)
            .prop_flat_map(|total| (
                Just(total),
                (0..=total).prop_flat_map(move |o| (Just(o), 0..=total - o)),
            ))
            .prop_flat_map(|(total, (o, l))| {
                let end = o + l;
                (
                    Just(total),
                    Just((o, l)),
                    prop_oneof![
                        2 => 1..=total * 2,
                        1 => prop::sample::select(vec![
                            o.max(1), (o + l / 2).max(1), end.max(1),
                            end.saturating_sub(1).max(1), end + 1,
                        ]),
                    ],
                    proptest::collection::vec((near(l), near(l), 0usize..=32), 1..6),
                    any::<u8>(),
                )
            })
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.bin");
        let mut model = pattern(total as usize, seed);
        let map = create_rw_with(&path, &model);
        let seg = map.segment_mut(seg_off, seg_len).unwrap();
        let read_only = map.segment(seg_off, seg_len).unwrap();

        for (round, map_len) in [new_len, total].into_iter().enumerate() {
            map.resize(map_len).unwrap();
            model.resize(map_len as usize, 0);
            prop_assert_eq!(map.len(), map_len);

            let (ok, fields) = expected_after_resize((seg_off, seg_len), 0, seg_len, map_len);
            if let Some(view) = expect_bounds("as_slice", read_only.as_slice(), ok, fields)? {
                let a = seg_off as usize;
                prop_assert_eq!(view.as_bytes(), &model[a..a + seg_len as usize]);
            }
            expect_bounds("flush", seg.flush(), ok, fields)?;

            for &(rel, len, n) in &reqs {
                let (ok, fields) = expected_after_resize((seg_off, seg_len), rel, len, map_len);
                if let Some(view) = expect_bounds("slice", seg.slice(rel, len), ok, fields)? {
                    let a = (seg_off + rel) as usize;
                    prop_assert_eq!(view.as_bytes(), &model[a..a + len as usize]);
                }

                let (ok, fields) =
                    expected_after_resize((seg_off, seg_len), rel, n as u64, map_len);
                let mut buf = vec![0u8; n];
                if expect_bounds("read_into", read_only.read_into(rel, &mut buf), ok, fields)?
                    .is_some()
                {
                    let a = (seg_off + rel) as usize;
                    prop_assert_eq!(&buf[..], &model[a..a + n]);
                }
                let data = pattern(n, seed.wrapping_add(round as u8 + 1));
                if expect_bounds("update_region", seg.update_region(rel, &data), ok, fields)?
                    .is_some()
                {
                    let a = (seg_off + rel) as usize;
                    model[a..a + n].copy_from_slice(&data);
                }
                prop_assert_eq!(map.as_slice(0, map_len).unwrap().to_vec(), &model[..]);
            }
        }
    }
}
