//! Turning one bench run's raw outputs into a [`Results`] file.
//!
//! Sources, all in one run's folder ([`Run`]), so nothing of another run
//! is read:
//! * `allocations/<group>.json` — one record per variant that ran: its
//!   declared role (library, shape, floor, peer), allocations, flushes and
//!   bias revocations per iteration;
//! * `criterion/<group>/<function>/<parameter>/` — `estimates.json`
//!   (median and its 95% range), `sample.json` (per-sample times, for the
//!   P50/P99) and `benchmark.json` (declared throughput);
//! * `rounds/<group>.json` — side-by-side rounds, from which a variant's
//!   ratio to its declared floor is paired;
//! * `iai/bench-suite/<bench>/**/summary.json` — iai-callgrind's
//!   instruction counts and, for loop benches, estimated cycles, with the
//!   library and operations declared in [`catalog::INSTRUCTION_COUNTS`].
//!
//! A criterion group or an instruction-count bench that the
//! [`catalog`] does not list is an error, not a silent gap.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use super::results::{Machine, Metric, MetricKind, Results, VariantStats, SCHEMA};
use crate::catalog::{self, Harness};
use crate::stats::{percentile, Estimate};
use crate::store::{measured_ratio, read_allocation_report, read_estimate, Run};
use crate::targets::target_ratios;

/// Reads everything `run`, a run of `profile`, left in its folder.
pub fn collect(profile: &str, run: &Run) -> io::Result<Results> {
    let mut results = header(profile);
    check_criterion_groups(&run.criterion_dir())?;
    collect_criterion(run, &mut results.metrics, &mut results.variants);
    collect_instruction_counts(&run.iai_dir().join("bench-suite"), &mut results.metrics)?;
    if results.metrics.is_empty() {
        return Err(no_results(run));
    }
    results.targets = target_ratios(run);
    Ok(results)
}

/// The metrics of one of the gate's passes, `run` (a rounds-only pass or
/// an instruction-count run), under `header`: no per-variant statistics
/// and no targets, which need criterion's estimates.
pub fn collect_pass(header: &Results, run: &Run) -> io::Result<Results> {
    let mut results = header.clone_empty();
    collect_criterion(run, &mut results.metrics, &mut BTreeMap::new());
    collect_instruction_counts(&run.iai_dir().join("bench-suite"), &mut results.metrics)?;
    if results.metrics.is_empty() {
        return Err(no_results(run));
    }
    Ok(results)
}

fn no_results(run: &Run) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "no bench results under {}: run the benches first",
            run.dir().display()
        ),
    )
}

/// Results of `profile` measured now, on this machine, at the commit of
/// the current directory, with nothing in them yet.
pub fn header(profile: &str) -> Results {
    Results {
        schema: SCHEMA,
        profile: profile.to_owned(),
        commit: command_output("git", &["rev-parse", "HEAD"]),
        date: command_output("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]),
        machine: this_machine(),
        metrics: BTreeMap::new(),
        variants: BTreeMap::new(),
        targets: Vec::new(),
    }
}

/// Fails when a criterion group under `root` (a run's `criterion/`) is not
/// a criterion workload of the catalog: the gate would never read it.
pub fn check_criterion_groups(root: &Path) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(());
    };
    let mut unknown = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let listed = catalog::workload(&name).is_some_and(|w| w.harness == Harness::Criterion);
        if !listed && entry.path().is_dir() {
            unknown.push(name);
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "criterion group(s) {} measured in this run but not in bench_suite::catalog::WORKLOADS: list them there so the gate reads them",
            unknown.join(", ")
        ),
    ))
}

/// The fingerprint of the machine this runs on.
pub fn this_machine() -> Machine {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned()),
        rustc: command_output("rustc", &["--version"]),
        valgrind: command_output("valgrind", &["--version"]),
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn ranged(kind: MetricKind, library: catalog::Library, e: Estimate) -> Metric {
    Metric {
        kind,
        library,
        value: e.point,
        low: e.lower,
        high: e.upper,
    }
}

/// One metric per variant record of the run, and per kind: time,
/// allocations, flushes (when the count does not depend on time), and the
/// time over the declared floor. Bias revocations, which depend on time,
/// are kept with the variant's statistics for the report only.
fn collect_criterion(
    run: &Run,
    metrics: &mut BTreeMap<String, Metric>,
    variants: &mut BTreeMap<String, VariantStats>,
) {
    for group in catalog::criterion_workloads() {
        for record in read_allocation_report(run, group) {
            let Some((function, parameter)) = record.id.split_once('/') else {
                continue;
            };
            let role = &record.role;
            let id = format!("{group}/{}", record.id);
            if let Some(estimate) = read_estimate(run, group, function, parameter) {
                metrics.insert(
                    format!("wall/{id}"),
                    ranged(MetricKind::WallNs, role.library, estimate),
                );
            }
            metrics.insert(
                format!("allocs/{id}"),
                Metric::exact(
                    MetricKind::Allocations,
                    role.library,
                    record.allocations_per_iteration,
                ),
            );
            if let (Some(flushes), false) = (record.flushes_per_iteration, record.flushes_by_time) {
                metrics.insert(
                    format!("flushes/{id}"),
                    Metric::exact(MetricKind::Flushes, role.library, flushes),
                );
            }
            let versus = |other: &Option<String>| {
                let other = other.as_deref()?;
                measured_ratio(run, group, parameter, function, other).map(|(r, _)| r)
            };
            let vs_floor = versus(&role.floor);
            if let Some(ratio) = vs_floor {
                metrics.insert(
                    format!("ratio/{id}"),
                    ranged(MetricKind::Ratio, role.library, ratio),
                );
            }
            let dir = run
                .criterion_dir()
                .join(group)
                .join(function)
                .join(parameter);
            if let Some(timing) = sample_stats(&dir) {
                variants.insert(
                    id,
                    VariantStats {
                        role: role.clone(),
                        p50_ns: timing.p50_ns,
                        p99_ns: timing.p99_ns,
                        bytes_per_iteration: timing.bytes_per_iteration,
                        allocations: Some(record.allocations_per_iteration),
                        flushes: record.flushes_per_iteration,
                        revocations: record.revocations_per_iteration,
                        vs_floor: vs_floor.map(|r| r.point),
                        vs_peer: versus(&role.peer).map(|r| r.point),
                    },
                );
            }
        }
    }
}

#[derive(Deserialize)]
struct Sample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// Criterion's timing of one variant.
struct Timing {
    p50_ns: f64,
    p99_ns: f64,
    bytes_per_iteration: Option<u64>,
}

/// P50 and P99 of criterion's per-sample mean time per iteration, plus the
/// declared bytes per iteration.
fn sample_stats(dir: &Path) -> Option<Timing> {
    let sample: Sample =
        serde_json::from_str(&fs::read_to_string(dir.join("sample.json")).ok()?).ok()?;
    let mut means: Vec<f64> = sample
        .iters
        .iter()
        .zip(&sample.times)
        .filter(|(iters, _)| **iters > 0.0)
        .map(|(iters, time)| time / iters)
        .collect();
    if means.is_empty() {
        return None;
    }
    means.sort_by(f64::total_cmp);
    let bytes_per_iteration = fs::read_to_string(dir.join("benchmark.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|v| v.get("throughput")?.get("Bytes")?.as_u64());
    Some(Timing {
        p50_ns: percentile(&means, 50.0),
        p99_ns: percentile(&means, 99.0),
        bytes_per_iteration,
    })
}

/// Adds `ir/<path>` for every iai-callgrind `summary.json` under `root`
/// (a run's `iai/bench-suite/`), and `cycles/<path>` for every loop bench
/// among them ([`catalog::InstructionCount::is_loop`]), where `<path>` is
/// the summary's directory relative to `root`:
/// `<bench>/<group>/<function>.<id>`. The bench must be an
/// instruction-count workload of the catalog and the function must be in
/// [`catalog::INSTRUCTION_COUNTS`].
pub fn collect_instruction_counts(
    root: &Path,
    metrics: &mut BTreeMap<String, Metric>,
) -> io::Result<()> {
    let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidData, message);
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().is_none_or(|n| n != "summary.json") {
                continue;
            }
            let text = fs::read_to_string(&path)?;
            let summary: Value = serde_json::from_str(&text)
                .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            let Some(ir) = callgrind_total(&summary, "Ir") else {
                continue;
            };
            let name = dir
                .strip_prefix(root)
                .unwrap_or(&dir)
                .to_string_lossy()
                .into_owned();
            let bench = name.split('/').next().unwrap_or_default();
            if catalog::workload(bench).is_none_or(|w| w.harness != Harness::InstructionCounts) {
                return Err(invalid(format!(
                    "{}: bench {bench} is not an instruction-count workload in bench_suite::catalog::WORKLOADS",
                    path.display()
                )));
            }
            let leaf = name.rsplit('/').next().unwrap_or_default();
            let function = leaf.split('.').next().unwrap_or_default();
            let declared = catalog::instruction_count(function).ok_or_else(|| {
                invalid(format!(
                    "{}: {function} has no declared library in bench_suite::catalog::INSTRUCTION_COUNTS",
                    path.display()
                ))
            })?;
            metrics.insert(
                format!("ir/{name}"),
                Metric::exact(MetricKind::Instructions, declared.library, ir),
            );
            if declared.is_loop() {
                let cycles = callgrind_total(&summary, "EstimatedCycles").ok_or_else(|| {
                    invalid(format!(
                        "{}: no EstimatedCycles (is callgrind's cache simulation off?)",
                        path.display()
                    ))
                })?;
                metrics.insert(
                    format!("cycles/{name}"),
                    Metric::exact(MetricKind::EstimatedCycles, declared.library, cycles),
                );
            }
        }
    }
    Ok(())
}

/// The new run's total of the callgrind metric `event` (`Ir`,
/// `EstimatedCycles`) from an iai-callgrind 0.16 summary: the first of
/// `Both: [new, old]`, or `Left: new`.
pub fn callgrind_total(summary: &Value, event: &str) -> Option<f64> {
    summary
        .get("profiles")?
        .as_array()?
        .iter()
        .find_map(|profile| {
            let metrics = profile
                .get("summaries")?
                .get("total")?
                .get("summary")?
                .get("Callgrind")?
                .get(event)?
                .get("metrics")?;
            let new = metrics
                .get("Both")
                .and_then(|both| both.get(0))
                .or_else(|| metrics.get("Left"))?;
            new.get("Int")
                .and_then(Value::as_f64)
                .or_else(|| new.get("Float").and_then(Value::as_f64))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_totals_from_both_and_left_summaries() {
        let both: Value = serde_json::from_str(
            r#"{"profiles":[{"summaries":{"total":{"summary":{"Callgrind":{"Ir":{"metrics":{"Both":[{"Int":1234},{"Int":999}]}}}}}}}]}"#,
        )
        .unwrap();
        assert_eq!(callgrind_total(&both, "Ir"), Some(1234.0));
        assert_eq!(callgrind_total(&both, "EstimatedCycles"), None);
        let left: Value = serde_json::from_str(
            r#"{"profiles":[{"summaries":{"total":{"summary":{"Callgrind":{"Ir":{"metrics":{"Left":{"Int":77}}}}}}}}]}"#,
        )
        .unwrap();
        assert_eq!(callgrind_total(&left, "Ir"), Some(77.0));
        assert_eq!(
            callgrind_total(&serde_json::json!({"profiles": []}), "Ir"),
            None
        );
    }
}
