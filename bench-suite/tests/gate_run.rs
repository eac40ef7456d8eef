//! `bench-gate run` on fixture runs (`--replay`): the A/B verdict, the
//! recheck flow and the exit status, with no timing; and its one-line
//! errors for a base revision that does not exist.

mod common;

use std::path::{Path, PathBuf};

use bench_suite::catalog::Library;
use bench_suite::gate::{Metric, MetricKind};
use common::*;

const WORKLOAD: &str = "random_read";
const RATIO: &str = "ratio/random_read/mmapio_as_slice_ro/64B";
const IR: &str = "ir/instruction_counts/views/mmapio_as_slice.ro";
const ALLOCS: &str = "allocs/random_read/mmapio_as_slice_ro/64B";
const PAIRS: usize = 6;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// One stored timed pass of random_read at 64 B, as the gate writes it:
/// the floor at 20 ns per request in each of 7 rounds (times a drift the
/// two passes of a pair share) and mmapio at `ratio` times the floor.
fn timed_pass(dir: &Path, ratio: f64, drift: f64) {
    let floor: Vec<String> = (0..7)
        .map(|r| format!("{}", 20.0 * drift * (1.0 + 0.01 * r as f64)))
        .collect();
    let ours: Vec<String> = (0..7)
        .map(|r| format!("{}", 20.0 * drift * ratio * (1.0 + 0.01 * r as f64)))
        .collect();
    write(
        &dir.join("rounds/random_read.json"),
        &format!(
            r#"[{{"parameter":"64B","profile":"quick","measured_unix_seconds":0,"ns_per_iteration":{{"memmap2_slice":[{}],"mmapio_as_slice_ro":[{}]}}}}]"#,
            floor.join(","),
            ours.join(",")
        ),
    );
    let record = |function: &str, role: &str| {
        format!(
            r#"{{"id":"{function}/64B","role":{role},"profile":"quick","allocations_per_iteration":0.0,"allocated_bytes_per_iteration":0.0,"counted_iterations":1000}}"#
        )
    };
    write(
        &dir.join("allocations/random_read.json"),
        &format!(
            "[{},{}]",
            record("memmap2_slice", r#"{"library":"memmap2","shape":"view"}"#),
            record(
                "mmapio_as_slice_ro",
                r#"{"library":"mmapio","shape":"view","floor":"memmap2_slice"}"#
            )
        ),
    );
}

/// A stored gate run of one workload in `PAIRS` pairs: the head's
/// instruction count `ir`, and its ratio at `main` times the base's in the
/// first measurement and at `recheck` times in the recheck (none: no
/// recheck stored).
fn stored_run(test: &str, ir: u64, main: f64, recheck: Option<f64>) -> PathBuf {
    let dir = scratch(test).join("gate-run");
    write(
        &dir.join("plan.json"),
        &format!(
            r#"{{"options":{{"threshold":0.1,"cycles_threshold":0.05}},"rechecks":1,"workloads":[["{WORKLOAD}",{PAIRS}]]}}"#
        ),
    );
    write(
        &dir.join("instruction-counts/iai/bench-suite/instruction_counts/views/mmapio_as_slice.ro/summary.json"),
        &format!(
            r#"{{"profiles":[{{"summaries":{{"total":{{"summary":{{"Callgrind":{{"Ir":{{"metrics":{{"Left":{{"Int":{ir}}}}}}}}}}}}}}}}}]}}"#
        ),
    );
    let measurements = [("main", Some(main)), ("recheck-1", recheck)];
    for (measurement, factor) in measurements {
        let Some(factor) = factor else { continue };
        for i in 0..PAIRS {
            // The base's own ratio is 1.2; a neighbour slows some pairs.
            let drift = [1.0, 1.4, 0.9, 1.0, 1.2, 1.1][i];
            let pass = dir.join(measurement).join(WORKLOAD);
            timed_pass(&pass.join(format!("base-{}", i + 1)), 1.2, drift);
            timed_pass(&pass.join(format!("head-{}", i + 1)), 1.2 * factor, drift);
        }
    }
    dir
}

/// The checked-in baseline: the instruction count and allocations the
/// fixtures' head has, recorded on `cpu`, with timed figures `timed` times
/// what the fixtures measure.
fn baseline(dir: &Path, cpu: &str, timed: f64) -> PathBuf {
    let mut results = results(&[
        (IR, ir(100.0)),
        (
            ALLOCS,
            Metric::exact(MetricKind::Allocations, Library::Mmapio, 0.0),
        ),
        (RATIO, ratio(1.2 * timed)),
        (
            "wall/random_read/mmapio_as_slice_ro/64B",
            Metric::exact(MetricKind::WallNs, Library::Mmapio, 24.0 * timed),
        ),
    ]);
    results.machine.cpu = cpu.to_owned();
    write_results(dir, &format!("baseline-{cpu}-{timed}.json"), &results)
}

fn replay(stored: &Path, baseline: &Path) -> (Option<i32>, String, String) {
    outcome(&run(bench_gate()
        .args(["run", "--replay"])
        .arg(stored)
        .arg("--baseline")
        .arg(baseline)))
}

/// The verdict lines of the gate's output (without the timing line).
fn verdict(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.starts_with("== bench-gate took"))
        .collect()
}

#[test]
fn unchanged_code_passes_and_the_timed_ratio_is_judged_against_the_base() {
    let stored = stored_run("run_unchanged", 100, 1.0, None);
    let (code, stdout, stderr) = replay(&stored, &baseline(&stored, "Example CPU", 1.0));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("+0.0% [+0.0%, +0.0%] (base 1.200, head 1.200)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 timed ratios against the base"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 timed baseline figures not judged"),
        "{stdout}"
    );
    assert!(stdout.contains("\ngate: PASS\n"), "{stdout}");
    assert!(stored.join("verdict.txt").exists());
}

#[test]
fn the_verdict_is_the_same_whatever_machine_recorded_the_baseline() {
    // The same stored runs against a baseline of this machine and one of
    // another CPU whose timed figures are 20% off, either way.
    for (test, factor, code) in [
        ("run_fingerprint_pass", 1.0, 0),
        ("run_fingerprint_fail", 1.3, 1),
    ] {
        let stored = stored_run(test, 100, factor, Some(factor));
        let here = replay(&stored, &baseline(&stored, "Example CPU", 1.0));
        for (cpu, timed) in [("Intel Xeon", 1.2), ("AMD EPYC", 0.8)] {
            let elsewhere = replay(&stored, &baseline(&stored, cpu, timed));
            assert_eq!(here.0, Some(code), "{}{}", here.1, here.2);
            assert_eq!(elsewhere.0, here.0, "{}", elsewhere.1);
            assert_eq!(verdict(&elsewhere.1), verdict(&here.1));
        }
    }
}

#[test]
fn a_timed_regression_that_repeats_on_recheck_fails_with_status_1() {
    let stored = stored_run("run_regression", 100, 1.3, Some(1.25));
    let (code, stdout, stderr) = replay(&stored, &baseline(&stored, "Example CPU", 1.0));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("recheck 1: timed regressions in random_read (64B)"),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!("REGRESSION    {RATIO}")),
        "{stdout}"
    );
    assert!(stdout.contains("repeated on recheck:  +25.0%"), "{stdout}");
    assert_eq!(verdict(&stdout).last(), Some(&"gate: FAIL"), "{stdout}");
}

#[test]
fn a_timed_regression_that_does_not_repeat_passes() {
    let stored = stored_run("run_noise", 100, 1.3, Some(1.0));
    let (code, stdout, stderr) = replay(&stored, &baseline(&stored, "Example CPU", 1.0));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("not repeated  {RATIO}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("did not repeat on recheck:   +0.0%"),
        "{stdout}"
    );
}

#[test]
fn an_exact_regression_fails_without_a_recheck() {
    // 12% more instructions; no recheck is stored, and none is asked for.
    let stored = stored_run("run_exact", 112, 1.0, None);
    let (code, stdout, stderr) = replay(&stored, &baseline(&stored, "Example CPU", 1.0));
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("REGRESSION    {IR}")), "{stdout}");
    assert!(!stderr.contains("recheck"), "{stderr}");
}

#[test]
fn a_base_revision_that_does_not_exist_is_one_line_and_status_2() {
    let dir = scratch("run_no_base");
    let base = baseline(&dir, "Example CPU", 1.0);
    let (code, stdout, stderr) = outcome(&run(bench_gate()
        .args(["run", "--base", "no-such-revision-anywhere", "--baseline"])
        .arg(&base)));
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("base revision \"no-such-revision-anywhere\" (--base) does not exist"),
        "{stderr}"
    );
}
