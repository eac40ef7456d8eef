//! Property test: several handles of one file, opened separately in mixed
//! modes, under random views, writes, resizes, flushes and races across
//! threads, checked against a `Vec<u8>` model after every step (see
//! `model/handles.rs`, which the `handles_model` fuzz target runs too).

#[path = "model/handles.rs"]
mod handles;

use std::time::Duration;

use mmapio::MmapMode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use handles::{Op, Timing};

const MAX_LEN: u64 = 3 * 4096;

fn mode() -> impl Strategy<Value = MmapMode> {
    // Copy-on-write mappings need the `cow` feature.
    let cow = if cfg!(feature = "cow") { 1 } else { 0 };
    prop_oneof![
        3 => Just(MmapMode::ReadWrite),
        3 => Just(MmapMode::ReadOnly),
        cow => Just(MmapMode::CopyOnWrite),
    ]
}

fn pos() -> impl Strategy<Value = u64> {
    prop_oneof![0..MAX_LEN + 64, Just(u64::MAX), Just(0)]
}

fn op() -> impl Strategy<Value = Op> {
    let h = 0..3usize;
    prop_oneof![
        4 => (h.clone(), pos(), 0..5000u64).prop_map(|(h, offset, len)| Op::View { h, offset, len }),
        2 => (0..4usize).prop_map(|i| Op::DropView { i }),
        3 => (h.clone(), pos(), proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(h, offset, data)| Op::Write { h, offset, data }),
        2 => (h.clone(), pos(), 0..600u64, any::<u8>())
            .prop_map(|(h, offset, len, byte)| Op::SliceMut { h, offset, len, byte }),
        1 => (h.clone(), 0..MAX_LEN).prop_map(|(h, len)| Op::Resize { h, len }),
        1 => h.clone().prop_map(|h| Op::Flush { h }),
        1 => (h.clone(), pos(), 0..5000u64).prop_map(|(h, offset, len)| Op::FlushRange { h, offset, len }),
        2 => (h.clone(), pos(), 0..5000u64).prop_map(|(h, offset, len)| Op::ReadInto { h, offset, len }),
        1 => mode().prop_map(|mode| Op::Probe { mode }),
        1 => (h.clone(), h, any::<u8>()).prop_map(|(writer, reader, byte)| Op::Race { writer, reader, byte }),
    ]
}

#[test]
fn handles_of_one_file_follow_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let timing = Timing {
        blocked_for: Duration::from_millis(15),
    };
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        proptest::collection::vec(mode(), 1..=3),
        1..MAX_LEN,
        any::<u8>(),
        proptest::collection::vec(op(), 1..40),
    );
    let case = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |(modes, len, seed, ops)| {
        case.set(case.get() + 1);
        let path = dir.path().join(format!("case-{}.bin", case.get()));
        let initial: Vec<u8> = (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect();
        handles::run(&path, &initial, &modes, &ops, &timing);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
