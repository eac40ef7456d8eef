//! `scripts/bench-gate.sh` with a stub in place of the benches
//! (`MMAPIO_GATE_MEASURE`): its exit status and its recheck flow.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use bench_suite::gate::Results;
use common::*;

const RATIO: &str = "ratio/random_read/mmapio_as_slice_ro/64B";
const IR: &str = "ir/instruction_counts/views/mmapio_as_slice.ro";

/// The stub: its n-th call copies `run<n>.json` to the file it is given,
/// and logs the groups it was asked to measure, one call per line.
const STUB: &str = r#"#!/usr/bin/env bash
set -euo pipefail
calls=$STUB_DIR/calls
n=$(( $(cat "$calls" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$calls"
out=$1
shift
echo "call $n: $*" >> "$STUB_DIR/groups"
cp "$STUB_DIR/run$n.json" "$out"
"#;

struct Gate {
    status: Option<i32>,
    stdout: String,
    /// One line per measurement: the groups asked for (none: every group).
    measured: Vec<String>,
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs the gate script against `baseline`, the stub answering with
/// `runs` in turn.
fn gate(test: &str, baseline: &Results, runs: &[Results]) -> Gate {
    let dir = scratch(test);
    let baseline = write_results(&dir, "baseline.json", baseline);
    for (i, run) in runs.iter().enumerate() {
        write_results(&dir, &format!("run{}.json", i + 1), run);
    }
    let stub = dir.join("stub.sh");
    std::fs::write(&stub, STUB).unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = run(std::process::Command::new("bash")
        .arg(repository_root().join("scripts/bench-gate.sh"))
        .env("BENCH_GATE_BIN", env!("CARGO_BIN_EXE_bench-gate"))
        .env("MMAPIO_GATE_BASELINE", &baseline)
        .env("MMAPIO_GATE_MEASURE", &stub)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("STUB_DIR", &dir)
        .env_remove("MMAPIO_GATE_WALL_CLOCK"));
    let (status, stdout, stderr) = outcome(&output);
    let measured = std::fs::read_to_string(dir.join("groups"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split_once(": ").map_or("", |(_, g)| g).to_owned())
        .collect();
    Gate {
        status,
        stdout: stdout + &stderr,
        measured,
    }
}

fn base() -> Results {
    results(&[(RATIO, ratio(1.0)), (IR, ir(100.0))])
}

fn with_ratio(value: f64) -> Results {
    results(&[(RATIO, ratio(value)), (IR, ir(100.0))])
}

#[test]
fn a_clean_run_passes_without_rechecks() {
    let g = gate("script_clean", &base(), &[with_ratio(1.02)]);
    assert_eq!(g.status, Some(0), "{}", g.stdout);
    assert_eq!(g.measured, [""], "one full measurement");
    assert!(g.stdout.contains("\ngate: PASS\n"), "{}", g.stdout);
}

#[test]
fn a_timed_regression_that_does_not_repeat_passes_after_rechecks() {
    let runs = [with_ratio(1.5), with_ratio(1.5), with_ratio(1.0)];
    let g = gate("script_noise", &base(), &runs);
    assert_eq!(g.status, Some(0), "{}", g.stdout);
    assert_eq!(
        g.measured,
        ["", "random_read=64B", "random_read=64B"],
        "{}",
        g.stdout
    );
    assert!(
        g.stdout.contains("did not repeat on recheck: 1.0000"),
        "{}",
        g.stdout
    );
    assert!(g.stdout.contains("\ngate: PASS\n"), "{}", g.stdout);
}

#[test]
fn a_timed_regression_in_every_run_fails() {
    let runs = [with_ratio(1.5), with_ratio(1.4), with_ratio(1.3)];
    let g = gate("script_real", &base(), &runs);
    assert_eq!(g.status, Some(1), "{}", g.stdout);
    assert_eq!(g.measured, ["", "random_read=64B", "random_read=64B"]);
    assert!(
        g.stdout.contains("repeated on recheck: 1.3000"),
        "{}",
        g.stdout
    );
    assert!(g.stdout.contains("\ngate: FAIL\n"), "{}", g.stdout);
}

#[test]
fn an_exact_regression_fails_at_once() {
    let worse = results(&[(RATIO, ratio(1.0)), (IR, ir(112.0))]);
    let g = gate("script_exact", &base(), &[worse]);
    assert_eq!(g.status, Some(1), "{}", g.stdout);
    assert_eq!(g.measured, [""], "no recheck for exact counts");
    assert!(
        g.stdout.contains(&format!("REGRESSION    {IR}")),
        "{}",
        g.stdout
    );
}

#[test]
fn an_unreadable_baseline_stops_the_gate_with_status_2() {
    let mut missing = base();
    missing.schema = 1;
    let g = gate("script_no_baseline", &missing, &[with_ratio(1.0)]);
    assert_eq!(g.status, Some(2), "{}", g.stdout);
    assert!(g.stdout.contains("results schema 1"), "{}", g.stdout);
}
