//! Turning one bench run's raw outputs into a [`Results`] file.
//!
//! Sources, all under `target/`:
//! * `criterion/<group>/<function>/<parameter>/new/` — `estimates.json`
//!   (median and its 95% range), `sample.json` (per-sample times, for the
//!   P50/P99) and `benchmark.json` (declared throughput);
//! * `bench-suite/rounds/<group>.json` — side-by-side rounds, from which a
//!   variant's ratio to its floor is paired when the run has them;
//! * `iai/bench-suite/**/summary.json` — iai-callgrind's instruction counts;
//! * `bench-suite/allocations/<group>.json` — allocations (and flushes) per
//!   iteration from the counting allocator; flushes become metrics for the
//!   policies whose count does not depend on time (`Manual`, `EveryBytes`).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use super::floor::is_floor_for;
use super::results::{Machine, Metric, MetricKind, Results, VariantStats, SCHEMA};
use crate::fixtures::{read_allocation_report, target_dir};
use crate::ratios::{
    criterion_dir, fastest, functions, measured_ratio, parameters, read_estimate, Estimate, Since,
    WORKLOADS,
};

/// Marker of the flush policy whose flush count depends on elapsed time
/// (`EveryMillis`): its flushes are reported, not turned into a metric.
const FLUSHES_BY_TIME: &str = "_every_millis_";
/// Prefix of the variants this crate is responsible for.
const OURS: &str = "mmapio_";
/// Prefix of the published `mmap-io`'s variants.
const PEER: &str = "mmap_io_";

/// Reads everything the bench run of `profile` that started at `since` left
/// under `target/` (older results of other runs are ignored).
pub fn collect(profile: &str, since: Since) -> io::Result<Results> {
    let mut metrics = BTreeMap::new();
    let mut variants = BTreeMap::new();
    collect_criterion(since, &mut metrics, &mut variants);
    collect_allocations(since, &mut metrics, &mut variants);
    collect_instruction_counts(&target_dir().join("iai").join("bench-suite"), &mut metrics)?;
    if metrics.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "no bench results under {}: run the benches first",
                target_dir().display()
            ),
        ));
    }
    Ok(Results {
        schema: SCHEMA,
        profile: profile.to_owned(),
        commit: command_output("git", &["rev-parse", "HEAD"]),
        date: command_output("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]),
        machine: this_machine(),
        metrics,
        variants,
    })
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

fn ranged(kind: MetricKind, e: Estimate) -> Metric {
    Metric {
        kind,
        value: e.point,
        low: e.lower,
        high: e.upper,
    }
}

fn collect_criterion(
    since: Since,
    metrics: &mut BTreeMap<String, Metric>,
    variants: &mut BTreeMap<String, VariantStats>,
) {
    for group in WORKLOADS {
        for function in functions(group) {
            for parameter in parameters(group, &function) {
                let Some(estimate) = read_estimate(since, group, &function, &parameter) else {
                    continue;
                };
                let id = format!("{group}/{function}/{parameter}");
                metrics.insert(format!("wall/{id}"), ranged(MetricKind::WallNs, estimate));
                let vs_floor = floor_ratio(since, group, &function, &parameter);
                if let (Some(ratio), true) = (vs_floor, function.starts_with(OURS)) {
                    metrics.insert(
                        format!("ratio/{id}"),
                        Metric {
                            kind: MetricKind::Ratio,
                            value: ratio.point,
                            low: ratio.lower,
                            high: ratio.upper,
                        },
                    );
                }
                let vs_peer = function.strip_prefix(OURS).and_then(|operation| {
                    let peer = format!("{PEER}{operation}");
                    measured_ratio(since, group, &parameter, &function, &peer)
                });
                let dir = criterion_dir()
                    .join(group)
                    .join(&function)
                    .join(&parameter)
                    .join("new");
                if let Some(mut stats) = sample_stats(&dir) {
                    stats.vs_floor = vs_floor.map(|r| r.point);
                    stats.vs_peer = vs_peer.map(|(r, _)| r.point);
                    variants.insert(id, stats);
                }
            }
        }
    }
}

/// `function` over its floor (see [`is_floor_for`]; the fastest, when
/// several qualify) at the same parameter of the same group and run, as
/// [`measured_ratio`] finds it: paired over side-by-side rounds when the
/// run has them.
fn floor_ratio(since: Since, group: &str, function: &str, parameter: &str) -> Option<Estimate> {
    let floors = functions(group)
        .into_iter()
        .filter(|f| is_floor_for(function, f));
    let floor = fastest(since, group, parameter, floors)?;
    measured_ratio(since, group, parameter, function, &floor).map(|(ratio, _)| ratio)
}

#[derive(Deserialize)]
struct Sample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// P50 and P99 of criterion's per-sample mean time per iteration, plus the
/// declared bytes per iteration.
fn sample_stats(dir: &Path) -> Option<VariantStats> {
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
    Some(VariantStats {
        p50_ns: percentile(&means, 50.0),
        p99_ns: percentile(&means, 99.0),
        bytes_per_iteration,
        allocations: None,
        flushes: None,
        vs_floor: None,
        vs_peer: None,
    })
}

/// Nearest-rank percentile of sorted, non-empty `values`.
pub fn percentile(sorted: &[f64], pct: f64) -> f64 {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn collect_allocations(
    since: Since,
    metrics: &mut BTreeMap<String, Metric>,
    variants: &mut BTreeMap<String, VariantStats>,
) {
    for group in WORKLOADS {
        for record in read_allocation_report(group) {
            if record.measured_unix_seconds < since.0 {
                continue; // left by an earlier run
            }
            let id = format!("{group}/{}", record.id);
            metrics.insert(
                format!("allocs/{id}"),
                Metric::exact(MetricKind::Allocations, record.allocations_per_iteration),
            );
            if let Some(flushes) = record.flushes_per_iteration {
                if !record.id.contains(FLUSHES_BY_TIME) {
                    metrics.insert(
                        format!("flushes/{id}"),
                        Metric::exact(MetricKind::Flushes, flushes),
                    );
                }
            }
            if let Some(stats) = variants.get_mut(&id) {
                stats.allocations = Some(record.allocations_per_iteration);
                stats.flushes = record.flushes_per_iteration;
            }
        }
    }
}

/// Adds `ir/<path>` for every iai-callgrind `summary.json` under `root`,
/// where `<path>` is the summary's directory relative to `root`.
fn collect_instruction_counts(
    root: &Path,
    metrics: &mut BTreeMap<String, Metric>,
) -> io::Result<()> {
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "summary.json") {
                let text = fs::read_to_string(&path)?;
                let summary: Value = serde_json::from_str(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
                let Some(ir) = instructions(&summary) else {
                    continue;
                };
                let name = dir
                    .strip_prefix(root)
                    .unwrap_or(&dir)
                    .to_string_lossy()
                    .into_owned();
                metrics.insert(
                    format!("ir/{name}"),
                    Metric::exact(MetricKind::Instructions, ir),
                );
            }
        }
    }
    Ok(())
}

/// The new run's total `Ir` from an iai-callgrind 0.16 summary: the first
/// of `Both: [new, old]`, or `Left: new`.
pub fn instructions(summary: &Value) -> Option<f64> {
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
                .get("Ir")?
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
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), 2.0);
    }

    #[test]
    fn reads_ir_from_both_and_left_summaries() {
        let both: Value = serde_json::from_str(
            r#"{"profiles":[{"summaries":{"total":{"summary":{"Callgrind":{"Ir":{"metrics":{"Both":[{"Int":1234},{"Int":999}]}}}}}}}]}"#,
        )
        .unwrap();
        assert_eq!(instructions(&both), Some(1234.0));
        let left: Value = serde_json::from_str(
            r#"{"profiles":[{"summaries":{"total":{"summary":{"Callgrind":{"Ir":{"metrics":{"Left":{"Int":77}}}}}}}}]}"#,
        )
        .unwrap();
        assert_eq!(instructions(&left), Some(77.0));
        assert_eq!(instructions(&serde_json::json!({"profiles": []})), None);
    }
}
