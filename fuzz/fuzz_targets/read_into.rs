//! `read_into`: copies out of a mapping agree with a `Vec<u8>` model.
//!
//! In every mode, for any `u64` offset and buffer length (buffers are real
//! allocations, so their length stays below the file length plus 64 KiB;
//! any `u64` length is covered by `bounds_checks` and `ops_model`):
//!
//! * an in-range request fills the buffer with exactly the model's bytes;
//! * an out-of-range one (past the end, or `offset + len` overflowing) gives
//!   `OutOfBounds { offset, len, total }` with exactly those fields and
//!   leaves the buffer untouched;
//! * the same through a `Segment` (relative offsets, checked against the
//!   segment first, with the segment's fields in the error);
//! * reads never change the mapping or the file.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mmapio::{FlushPolicy, MemoryMappedFile};
use mmapio_fuzz::{
    assert_file_eq, assert_mapping_eq, assert_out_of_bounds, map_bytes, model_range, pattern,
    scratch_file, BufLen, FileLen, Mode, Pos,
};

#[derive(Arbitrary, Debug)]
enum Via {
    Map,
    /// A segment made with these (resolved) bounds; skipped if they are out
    /// of range (segment creation is checked by `ops_model`).
    Segment {
        offset: Pos,
        len: BufLen,
    },
}

#[derive(Arbitrary, Debug)]
struct Read {
    via: Via,
    offset: Pos,
    len: BufLen,
    fill: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    len: FileLen,
    mode: Mode,
    seed: u64,
    reads: Vec<Read>,
}

/// One read at `offset` of a buffer of `len` bytes, through `read`, against
/// `window` (the bytes the reader can see).
fn check_read(
    window: &[u8],
    offset: u64,
    len: usize,
    fill: u8,
    read: impl FnOnce(u64, &mut [u8]) -> mmapio::Result<()>,
) {
    let mut buf = vec![fill; len];
    let result = read(offset, &mut buf);
    match model_range(offset, len as u64, window.len() as u64) {
        Some(range) => {
            result.unwrap_or_else(|e| panic!("read_into({offset}, {len}) failed: {e:?}"));
            assert!(
                buf == window[range],
                "read_into({offset}, {len}) returned other bytes"
            );
        }
        None => {
            assert_out_of_bounds(result, offset, len as u64, window.len() as u64);
            assert!(
                buf.iter().all(|&b| b == fill),
                "a failed read_into wrote to the buffer"
            );
        }
    }
}

fn read(map: &MemoryMappedFile, model: &[u8], r: &Read) {
    let total = model.len() as u64;
    match r.via {
        Via::Map => {
            let offset = r.offset.resolve(total);
            let len = r.len.resolve(offset, total);
            check_read(model, offset, len, r.fill, |o, b| map.read_into(o, b));
        }
        Via::Segment { offset, len } => {
            let seg_off = offset.resolve(total);
            let seg_len = len.resolve(seg_off, total) as u64;
            let Some(range) = model_range(seg_off, seg_len, total) else {
                assert_out_of_bounds(map.segment(seg_off, seg_len), seg_off, seg_len, total);
                return;
            };
            let seg = map.segment(seg_off, seg_len).expect("in-range segment");
            assert_eq!((seg.offset(), seg.len()), (seg_off, seg_len));
            let window = &model[range];
            let rel = r.offset.resolve(seg_len);
            let len = r.len.resolve(rel, seg_len);
            check_read(window, rel, len, r.fill, |o, b| seg.read_into(o, b));
        }
    }
}

fuzz_target!(|input: Input| {
    let len = input.len.resolve(64 * 1024);
    let model = pattern(input.seed, len);
    let path = scratch_file("read_into.bin");
    let map = map_bytes(&path, &model, input.mode, FlushPolicy::Manual);
    for r in input.reads.iter().take(64) {
        read(&map, &model, r);
    }
    assert_mapping_eq(&map, &model);
    assert_eq!(map.pending_bytes(), 0, "reads are not writes");
    drop(map);
    assert_file_eq(&path, &model);
});
