//! Helpers shared by the tests that run the `bench-gate` binary and the
//! gate script on files they write.

#![allow(dead_code)] // each test file uses its own subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bench_suite::catalog::Library;
use bench_suite::gate::{Machine, Metric, MetricKind, Results, SCHEMA};

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A fresh, empty directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `bench-gate` binary built for these tests.
pub fn bench_gate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bench-gate"))
}

/// The `bench-ratios` binary built for these tests.
pub fn bench_ratios() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bench-ratios"))
}

/// Runs `command`, returning its output.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("the command starts")
}

/// The exit code, stdout and stderr of `output`.
pub fn outcome(output: &Output) -> (Option<i32>, String, String) {
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A quick-profile results file with `metrics`.
pub fn results(metrics: &[(&str, Metric)]) -> Results {
    Results {
        schema: SCHEMA,
        profile: "quick".to_owned(),
        commit: "0123456".to_owned(),
        date: "2026-12-06 00:00:00 UTC".to_owned(),
        machine: Machine {
            cpu: "Example CPU".to_owned(),
            cores: 2,
            kernel: "6.1".to_owned(),
            rustc: "rustc 1.95.0".to_owned(),
            valgrind: "valgrind-3.19.0".to_owned(),
        },
        metrics: metrics
            .iter()
            .map(|(name, metric)| ((*name).to_owned(), metric.clone()))
            .collect::<BTreeMap<_, _>>(),
        variants: BTreeMap::new(),
        targets: Vec::new(),
    }
}

/// mmapio's instruction count.
pub fn ir(value: f64) -> Metric {
    Metric::exact(MetricKind::Instructions, Library::Mmapio, value)
}

/// mmapio's ratio to its floor, with a tight 95% range.
pub fn ratio(value: f64) -> Metric {
    Metric {
        kind: MetricKind::Ratio,
        library: Library::Mmapio,
        value,
        low: value * 0.99,
        high: value * 1.01,
    }
}

/// Writes `results` as JSON to `dir/name` and returns the path.
pub fn write_results(dir: &Path, name: &str, results: &Results) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(results).unwrap()).unwrap();
    path
}
