//! `update_region`: writes into a mapping agree with a `Vec<u8>` model.
//!
//! For any `u64` offset and data length (data is a real allocation, so its
//! length stays below the file length plus 64 KiB) and any deterministic
//! flush policy:
//!
//! * on a read-write mapping an in-range write lands exactly there (the
//!   whole mapping, read back, equals the model after every write), and an
//!   empty write anywhere up to the end is accepted and does nothing;
//! * an out-of-range write gives `OutOfBounds { offset, len, total }` with
//!   exactly those fields and changes nothing;
//! * read-only and copy-on-write mappings refuse every write with
//!   `InvalidMode { op: "update_region", mode }`, whatever the arguments;
//! * `flush_stats()` follows the policy's documented accounting after every
//!   write, and an explicit `flush()` resets the pending counters;
//! * after the mapping is dropped, the file holds exactly the model (the
//!   original bytes for the other modes).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mmapio::FlushPolicy;
use mmapio_fuzz::{
    assert_file_eq, assert_invalid_mode, assert_mapping_eq, assert_out_of_bounds, map_bytes,
    model_range, pattern, scratch_file, BufLen, FileLen, FlushModel, Mode, Policy, Pos,
};

#[derive(Arbitrary, Debug)]
enum Step {
    Write { offset: Pos, len: BufLen, seed: u64 },
    Flush,
}

#[derive(Arbitrary, Debug)]
struct Input {
    len: FileLen,
    mode: Mode,
    policy: Policy,
    seed: u64,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let len = input.len.resolve(64 * 1024);
    let original = pattern(input.seed, len);
    let mut model = original.clone();
    let policy = match input.mode {
        Mode::ReadWrite => input.policy.flush_policy(),
        _ => FlushPolicy::Manual,
    };
    let path = scratch_file("update_region.bin");
    let map = map_bytes(&path, &original, input.mode, policy);
    let mut stats = FlushModel::new(policy);
    let total = len as u64;

    for step in input.steps.iter().take(64) {
        match *step {
            Step::Write { offset, len, seed } => {
                let offset = offset.resolve(total);
                let data = pattern(seed, len.resolve(offset, total));
                let n = data.len() as u64;
                let result = map.update_region(offset, &data);
                if input.mode != Mode::ReadWrite {
                    assert_invalid_mode(result, "update_region", input.mode.mmap_mode());
                } else if let Some(range) = model_range(offset, n, total) {
                    result.unwrap_or_else(|e| panic!("update_region({offset}, {n}) failed: {e:?}"));
                    model[range].copy_from_slice(&data);
                    stats.update_region(n);
                } else {
                    assert_out_of_bounds(result, offset, n, total);
                }
            }
            Step::Flush => {
                map.flush().expect("flush");
                if input.mode == Mode::ReadWrite {
                    stats.flush(total);
                }
            }
        }
        assert_mapping_eq(&map, &model);
        stats.assert_matches(&map);
    }

    drop(map);
    assert_file_eq(&path, &model);
    if input.mode != Mode::ReadWrite {
        assert_eq!(model, original);
    }
});
