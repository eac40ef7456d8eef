//! `handles_model`: two or three handles of one file, opened separately in
//! mixed modes (read-write, read-only, copy-on-write), under views kept
//! alive across steps, writes, mutable views, resizes, flushes, reads,
//! probing opens and writer/reader races on other threads. The model
//! (`mmapio/tests/model/handles.rs`, shared with the property test
//! `handles_model`) checks after every step that no live view changed, that
//! every handle reads back a `Vec<u8>` model (within the length it can
//! show), that every mode opens beside every other, and that every writer
//! waits for live views.
#![no_main]

#[path = "../../mmapio/tests/model/handles.rs"]
mod handles;

use std::time::Duration;

use arbitrary::Arbitrary;
use handles::{Op, Timing};
use libfuzzer_sys::fuzz_target;
use mmapio::MmapMode;
use mmapio_fuzz::{pattern, scratch_file, Mode, Pos, Span};

/// Longest file the target starts from, and longest resize.
const MAX_LEN: usize = 16 * 1024;

#[derive(Arbitrary, Debug, Clone)]
enum FuzzOp {
    View {
        h: u8,
        offset: Pos,
        len: Span,
    },
    DropView {
        i: u8,
    },
    Write {
        h: u8,
        offset: Pos,
        len: Span,
        seed: u64,
    },
    SliceMut {
        h: u8,
        offset: Pos,
        len: Span,
        byte: u8,
    },
    Resize {
        h: u8,
        len: u16,
    },
    Flush {
        h: u8,
    },
    FlushRange {
        h: u8,
        offset: Pos,
        len: Span,
    },
    ReadInto {
        h: u8,
        offset: Pos,
        len: Span,
    },
    Probe {
        mode: Mode,
    },
    Race {
        writer: u8,
        reader: u8,
        byte: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    modes: [Mode; 3],
    handles: u8,
    len: u16,
    seed: u64,
    ops: Vec<FuzzOp>,
}

/// An offset and a length for a mapping of `total` bytes.
fn at(offset: Pos, len: Span, total: u64) -> (u64, u64) {
    let offset = offset.resolve(total);
    (offset, len.resolve(offset, total))
}

/// Turns the fuzzer's positions into offsets and lengths for a mapping of
/// `total` bytes (resolved against the initial length; the model predicts
/// every out-of-range result after resizes).
fn op(op: &FuzzOp, total: u64) -> Op {
    let h = usize::from;
    match *op {
        FuzzOp::View { h: i, offset, len } => {
            let (offset, len) = at(offset, len, total);
            Op::View {
                h: h(i),
                offset,
                len,
            }
        }
        FuzzOp::DropView { i } => Op::DropView { i: usize::from(i) },
        FuzzOp::Write {
            h: i,
            offset,
            len,
            seed,
        } => {
            let (offset, len) = at(offset, len, total);
            let data = pattern(seed, len.min(MAX_LEN as u64) as usize);
            Op::Write {
                h: h(i),
                offset,
                data,
            }
        }
        FuzzOp::SliceMut {
            h: i,
            offset,
            len,
            byte,
        } => {
            let (offset, len) = at(offset, len, total);
            Op::SliceMut {
                h: h(i),
                offset,
                len,
                byte,
            }
        }
        FuzzOp::Resize { h: i, len } => Op::Resize {
            h: h(i),
            len: u64::from(len) % (MAX_LEN as u64 + 1),
        },
        FuzzOp::Flush { h: i } => Op::Flush { h: h(i) },
        FuzzOp::FlushRange { h: i, offset, len } => {
            let (offset, len) = at(offset, len, total);
            Op::FlushRange {
                h: h(i),
                offset,
                len,
            }
        }
        FuzzOp::ReadInto { h: i, offset, len } => {
            let (offset, len) = at(offset, len, total);
            Op::ReadInto {
                h: h(i),
                offset,
                len,
            }
        }
        FuzzOp::Probe { mode } => Op::Probe {
            mode: mode.mmap_mode(),
        },
        FuzzOp::Race {
            writer,
            reader,
            byte,
        } => Op::Race {
            writer: h(writer),
            reader: h(reader),
            byte,
        },
    }
}

fuzz_target!(|input: Input| {
    let len = usize::from(input.len) % (MAX_LEN + 1);
    let count = 2 + usize::from(input.handles % 2);
    let modes: Vec<MmapMode> = input.modes[..count].iter().map(|m| m.mmap_mode()).collect();
    let ops: Vec<Op> = input
        .ops
        .iter()
        .take(64)
        .map(|o| op(o, len as u64))
        .collect();
    let timing = Timing {
        blocked_for: Duration::from_millis(2),
    };
    let path = scratch_file("handles_model.bin");
    handles::run(&path, &pattern(input.seed, len), &modes, &ops, &timing);
});
