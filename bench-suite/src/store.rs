//! The on-disk formats of a run, and the only module that reads or writes
//! them: the suite's records under `target/bench-suite/` (allocations and
//! flushes per variant, side-by-side rounds) and criterion's estimates
//! under `target/criterion/`, plus the lookups the reporters and the gate
//! make over them (a variant's median, the ratio of two variants).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::catalog::Role;
use crate::stats::{median_with_interval, paired_ratio, Estimate};

/// The workspace's cargo target directory: `CARGO_TARGET_DIR` when set,
/// otherwise `target/` at the workspace root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // bench-suite/ sits at the workspace root.
        None => match Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
            Some(workspace) => workspace.join("target"),
            None => PathBuf::from("target"),
        },
    }
}

/// `target/bench-suite/`: the suite's own results (allocation reports,
/// ratio tables). Created on first use.
pub fn results_dir() -> PathBuf {
    let dir = target_dir().join("bench-suite");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// Seconds since the Unix epoch.
pub fn unix_seconds_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `target/bench-suite/allocations/<workload>.json`.
pub fn allocation_report_path(workload: &str) -> PathBuf {
    let dir = results_dir().join("allocations");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir.join(format!("{workload}.json"))
}

/// The records saved for `workload`, or none if there is no readable file.
pub fn read_allocation_report(workload: &str) -> Vec<VariantRecord> {
    read_json_records(&allocation_report_path(workload))
}

/// The records of a JSON file the suite wrote, or none if there is no
/// readable file.
pub fn read_json_records<T: DeserializeOwned>(path: &Path) -> Vec<T> {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Writes `records` into the JSON file at `path`, replacing the records
/// already there with the same `key` and keeping the others (those of
/// variants or parameters not run this time), in key order.
pub fn merge_json_records<T: Serialize + DeserializeOwned>(
    path: &Path,
    records: Vec<T>,
    key: impl Fn(&T) -> String,
) {
    let mut merged: BTreeMap<String, T> = read_json_records(path)
        .into_iter()
        .map(|r| (key(&r), r))
        .collect();
    for r in records {
        merged.insert(key(&r), r);
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    }
    let records: Vec<&T> = merged.values().collect();
    let json = serde_json::to_string_pretty(&records).expect("records serialize");
    fs::write(path, json + "\n").unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// What the suite records about one variant besides its time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VariantRecord {
    /// Criterion's id within the workload's group: `function/parameter`.
    pub id: String,
    /// The variant's declared library, shape, floor and peer.
    pub role: Role,
    /// Profile of the run that measured it.
    pub profile: String,
    /// Heap allocations per timed iteration (every thread).
    pub allocations_per_iteration: f64,
    /// Heap bytes allocated per timed iteration.
    pub allocated_bytes_per_iteration: f64,
    /// Iterations the counting pass ran.
    pub counted_iterations: u64,
    /// When the counting pass ran, in seconds since the Unix epoch.
    #[serde(default)]
    pub measured_unix_seconds: u64,
    /// Full flushes (`flush_stats().flushes`) per timed iteration, over all
    /// of criterion's timed iterations; only for `mmapio` write variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flushes_per_iteration: Option<f64>,
    /// Whether the flush count depends on elapsed time (a timer policy),
    /// so that it is reported but is no exact metric.
    #[serde(default)]
    pub flushes_by_time: bool,
}

/// The rounds of one batch: one group, one parameter.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RoundsRecord {
    /// The parameter every variant ran at.
    pub parameter: String,
    /// Profile of the run.
    pub profile: String,
    /// When the rounds ran, in seconds since the Unix epoch.
    pub measured_unix_seconds: u64,
    /// Time per iteration in ns, one value per round, by criterion
    /// function name.
    pub ns_per_iteration: BTreeMap<String, Vec<f64>>,
}

impl RoundsRecord {
    /// The rounds of `function`, if it ran in this batch.
    pub fn of(&self, function: &str) -> Option<&[f64]> {
        self.ns_per_iteration.get(function).map(Vec::as_slice)
    }
}

/// `target/bench-suite/rounds/<group>.json`.
pub fn rounds_path(group: &str) -> PathBuf {
    results_dir().join("rounds").join(format!("{group}.json"))
}

/// The rounds saved for `group`, or none if there is no readable file.
pub fn read_rounds(group: &str) -> Vec<RoundsRecord> {
    read_json_records(&rounds_path(group))
}

/// The rounds of `group` at `parameter` from the run that started at
/// `since`, if that run sampled them.
pub fn rounds_at(since: Since, group: &str, parameter: &str) -> Option<RoundsRecord> {
    read_rounds(group)
        .into_iter()
        .find(|r| r.parameter == parameter && r.measured_unix_seconds >= since.0)
}

/// Saves `records` into `group`'s file, replacing older records of the
/// same parameters and keeping the others.
pub fn save_rounds(group: &str, records: Vec<RoundsRecord>) {
    merge_json_records(&rounds_path(group), records, |r| r.parameter.clone());
}

/// The start of the run to report on, in seconds since the Unix epoch
/// (`0`: every result on disk).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Since(pub u64);

impl Since {
    /// Whether the file at `path` was modified at or after the run's start.
    pub fn includes_file(self, path: &Path) -> bool {
        let modified = fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        modified >= self.0
    }

    pub(crate) fn includes_record(self, record: &VariantRecord) -> bool {
        record.measured_unix_seconds >= self.0
    }
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct Statistic {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Estimates {
    median: Statistic,
}

/// `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    target_dir().join("criterion")
}

/// The median of `group/function/parameter` from the last run, if it was
/// measured `since`.
pub fn read_estimate(
    since: Since,
    group: &str,
    function: &str,
    parameter: &str,
) -> Option<Estimate> {
    let path = criterion_dir()
        .join(group)
        .join(function)
        .join(parameter)
        .join("new")
        .join("estimates.json");
    if !since.includes_file(&path) {
        return None;
    }
    let text = fs::read_to_string(path).ok()?;
    let estimates: Estimates = serde_json::from_str(&text).ok()?;
    let median = estimates.median;
    Some(Estimate {
        point: median.point_estimate,
        lower: median.confidence_interval.lower_bound,
        upper: median.confidence_interval.upper_bound,
    })
}

fn subdirectories(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name != "report")
        .collect();
    names.sort();
    names
}

/// The parameters measured for `group/function` (the directories criterion
/// made for it).
pub fn parameters(group: &str, function: &str) -> Vec<String> {
    subdirectories(&criterion_dir().join(group).join(function))
}

/// The functions measured in `group`.
pub fn functions(group: &str) -> Vec<String> {
    subdirectories(&criterion_dir().join(group))
}

/// `numerator / denominator` (two functions of `group`) at `parameter`:
/// paired over the side-by-side rounds of the run when it has them for
/// both, else from criterion's medians. Returns the ratio with its range
/// and the number of rounds (0 for criterion's medians).
pub fn measured_ratio(
    since: Since,
    group: &str,
    parameter: &str,
    numerator: &str,
    denominator: &str,
) -> Option<(Estimate, usize)> {
    if let Some(rounds) = rounds_at(since, group, parameter) {
        if let (Some(num), Some(den)) = (rounds.of(numerator), rounds.of(denominator)) {
            if let Some(ratio) = paired_ratio(num, den) {
                return Some((ratio, num.len()));
            }
        }
    }
    let num = read_estimate(since, group, numerator, parameter)?;
    let den = read_estimate(since, group, denominator, parameter)?;
    let ratio = Estimate {
        point: num.point / den.point,
        lower: num.lower / den.upper,
        upper: num.upper / den.lower,
    };
    Some((ratio, 0))
}

/// The fastest of the `candidates` (functions of `group`) measured at
/// `parameter`: by median over the run's side-by-side rounds, else by
/// criterion's median.
pub fn fastest<S: AsRef<str>>(
    since: Since,
    group: &str,
    parameter: &str,
    candidates: impl IntoIterator<Item = S>,
) -> Option<S> {
    let rounds = rounds_at(since, group, parameter);
    candidates
        .into_iter()
        .filter_map(|function| {
            let name = function.as_ref();
            let time = rounds
                .as_ref()
                .and_then(|rounds| median_with_interval(rounds.of(name)?))
                .or_else(|| read_estimate(since, group, name, parameter))?;
            Some((time.point, function))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, function)| function)
}
