//! `bounds_checks`: the crate's range validation agrees with a
//! checked-arithmetic model.
//!
//! * `validate_range(offset, len, total)` over any three `u64`s (biased to
//!   the edges: the end, one past it, `u64::MAX` and sums that overflow)
//!   returns `Ok(offset..offset + len)` exactly when `offset + len` does not
//!   overflow and is at most `total`, and otherwise
//!   `OutOfBounds { offset, len, total }` with exactly those fields.
//! * Every ranged method of a mapping that takes a `u64` length applies the
//!   same rule against the mapping's length: `as_slice` (which also returns
//!   exactly the bytes and offset asked for), `as_slice_mut`, `flush_range`,
//!   `touch_pages_range`, `segment`, `segment_mut` (`InvalidMode` first
//!   unless read-write), `prefetch_range` and `advise` with every advice
//!   (`DontNeed` is refused with `InvalidMode` on copy-on-write mappings
//!   whatever the range, and leaves the bytes unchanged elsewhere). The
//!   mappings (lengths 0, 1, odd sizes and page neighbours, every mode) are
//!   made once per process.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mmapio::{validate_range, FlushPolicy, MemoryMappedFile, MmapAdvice};
use mmapio_fuzz::{
    assert_invalid_mode, assert_out_of_bounds, map_bytes, model_range, page, pattern, scratch_dir,
    Mode, Pos, Span,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Total {
    Small(u16),
    Page(u8, i8),
    NearMax(u16),
    Any(u64),
}

impl Total {
    fn resolve(self) -> u64 {
        match self {
            Total::Small(n) => u64::from(n),
            Total::Page(p, d) => (u64::from(p) * page() as u64).saturating_add_signed(i64::from(d)),
            Total::NearMax(n) => u64::MAX - u64::from(n),
            Total::Any(n) => n,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Input {
    /// The public validator over any `(offset, len, total)`.
    Validate {
        offset: Pos,
        len: Span,
        total: Total,
    },
    /// A mapping's ranged methods over any `(offset, len)`.
    Mapping { which: u8, offset: Pos, len: Span },
}

struct Fixture {
    map: MemoryMappedFile,
    mode: Mode,
    bytes: Vec<u8>,
}

fn fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let p = page();
        let lens = [0, 1, 7, p - 1, p, p + 1, 3 * p + 5];
        let modes = [Mode::ReadOnly, Mode::ReadWrite, Mode::CopyOnWrite];
        let mut out = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            for (j, &mode) in modes.iter().enumerate() {
                let bytes = pattern((i * 3 + j) as u64, len);
                let path = scratch_dir().join(format!("bounds_{i}_{j}.bin"));
                let map = map_bytes(&path, &bytes, mode, FlushPolicy::Never);
                out.push(Fixture { map, mode, bytes });
            }
        }
        out
    })
}

fn check_validate(offset: u64, len: u64, total: u64) {
    let result = validate_range(offset, len, total);
    match offset.checked_add(len) {
        Some(end) if end <= total => {
            let range = result.unwrap_or_else(|e| {
                panic!("validate_range({offset}, {len}, {total}) failed: {e:?}")
            });
            assert_eq!(range, offset..end);
        }
        _ => assert_out_of_bounds(result, offset, len, total),
    }
}

fn check_mapping(f: &Fixture, offset: u64, len: u64) {
    let total = f.bytes.len() as u64;
    let expected = model_range(offset, len, total);
    // The public validator agrees with every method below.
    assert_eq!(
        validate_range(offset, len, total).ok(),
        expected.clone().map(|r| r.start as u64..r.end as u64)
    );

    let view = f.map.as_slice(offset, len);
    match &expected {
        Some(range) => {
            let view = view.unwrap_or_else(|e| panic!("as_slice({offset}, {len}) failed: {e:?}"));
            assert_eq!(view.offset(), offset);
            assert!(
                *view == f.bytes[range.clone()],
                "as_slice({offset}, {len}) bytes"
            );
        }
        None => assert_out_of_bounds(view, offset, len, total),
    }

    let view = f.map.as_slice_mut(offset, len);
    if f.mode != Mode::ReadWrite {
        assert_invalid_mode(view, "as_slice_mut", f.mode.mmap_mode());
    } else {
        match &expected {
            Some(range) => {
                let view =
                    view.unwrap_or_else(|e| panic!("as_slice_mut({offset}, {len}) failed: {e:?}"));
                assert_eq!((view.offset(), view.len()), (offset, range.len()));
                assert!(
                    *view == f.bytes[range.clone()],
                    "as_slice_mut({offset}, {len}) bytes"
                );
            }
            None => assert_out_of_bounds(view, offset, len, total),
        }
    }

    let ranged = [
        ("flush_range", f.map.flush_range(offset, len)),
        ("touch_pages_range", f.map.touch_pages_range(offset, len)),
        ("segment", f.map.segment(offset, len).map(drop)),
        ("prefetch_range", f.map.prefetch_range(offset, len)),
        (
            "advise(Normal)",
            f.map.advise(offset, len, MmapAdvice::Normal),
        ),
        (
            "advise(Random)",
            f.map.advise(offset, len, MmapAdvice::Random),
        ),
        (
            "advise(Sequential)",
            f.map.advise(offset, len, MmapAdvice::Sequential),
        ),
        (
            "advise(WillNeed)",
            f.map.advise(offset, len, MmapAdvice::WillNeed),
        ),
    ];
    for (name, result) in ranged {
        match &expected {
            Some(_) => {
                result.unwrap_or_else(|e| panic!("{name}({offset}, {len}) failed: {e:?}"));
            }
            None => assert_out_of_bounds(result, offset, len, total),
        }
    }
    if expected.is_some() {
        let seg = f.map.segment(offset, len).expect("segment");
        assert_eq!((seg.offset(), seg.len()), (offset, len));
    }

    // DontNeed would discard a copy-on-write mapping's private pages, so it
    // is refused there whatever the range; elsewhere it follows the rule.
    let dont_need = f.map.advise(offset, len, MmapAdvice::DontNeed);
    match (f.mode, &expected) {
        (Mode::CopyOnWrite, _) => {
            assert_invalid_mode(dont_need, "advise(DontNeed)", f.mode.mmap_mode())
        }
        (_, Some(_)) => {
            dont_need.unwrap_or_else(|e| panic!("advise(DontNeed)({offset}, {len}) failed: {e:?}"))
        }
        (_, None) => assert_out_of_bounds(dont_need, offset, len, total),
    }
    let whole = f.map.as_slice(0, total).expect("whole mapping");
    assert!(
        *whole == f.bytes[..],
        "bytes changed after advise(DontNeed)"
    );
    drop(whole);

    let seg_mut = f.map.segment_mut(offset, len);
    match (f.mode, &expected) {
        (Mode::ReadWrite, Some(_)) => {
            let seg =
                seg_mut.unwrap_or_else(|e| panic!("segment_mut({offset}, {len}) failed: {e:?}"));
            assert_eq!((seg.offset(), seg.len()), (offset, len));
        }
        (Mode::ReadWrite, None) => assert_out_of_bounds(seg_mut, offset, len, total),
        (mode, _) => assert_invalid_mode(seg_mut, "segment_mut", mode.mmap_mode()),
    }
    f.map
        .check_file_len()
        .expect("nothing truncates the fixtures");
}

fuzz_target!(|input: Input| match input {
    Input::Validate { offset, len, total } => {
        let total = total.resolve();
        let offset = offset.resolve(total);
        let len = len.resolve(offset, total);
        check_validate(offset, len, total);
    }
    Input::Mapping { which, offset, len } => {
        let all = fixtures();
        let f = &all[usize::from(which) % all.len()];
        let total = f.bytes.len() as u64;
        let offset = offset.resolve(total);
        let len = len.resolve(offset, total);
        check_mapping(f, offset, len);
    }
});
