//! The on-disk formats of a run, and the only module that reads or writes
//! them, plus the lookups the reporters and the gate make over them (a
//! variant's median, the ratio of two variants).
//!
//! Every run has its own folder, `target/bench-suite/runs/<id>/` ([`Run`]):
//!
//! | path | what | written by |
//! |---|---|---|
//! | `allocations/<group>.json` | each variant's role, allocations, flushes and bias revocations per iteration | the bench, as each group finishes |
//! | `rounds/<group>.json` | time per iteration of every variant in every side-by-side round | the bench |
//! | `criterion/<group>/<function>/<parameter>/` | criterion's `estimates.json`, `sample.json`, `benchmark.json` of the variants this run measured | the bench, copied from criterion's own folder when its group finishes |
//! | `iai/` | iai-callgrind's output and JSON summaries | iai-callgrind (`IAI_CALLGRIND_HOME`) |
//!
//! So a reader names the run it reads and sees nothing of any other run.
//! The benches write to the run named by [`RUN_ENV`] (`scripts/bench.sh`
//! sets it), or to `runs/adhoc/` when it is unset; a bench that runs again
//! in the same run replaces its own records.

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

/// The environment variable naming the run the benches write to: an id
/// (a folder under `target/bench-suite/runs/`). Unset: `adhoc`.
pub const RUN_ENV: &str = "MMAPIO_BENCH_RUN";

/// One run's folder (see the module docs for its layout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    dir: PathBuf,
}

impl Run {
    /// The run the benches of this process write to: [`RUN_ENV`]'s, or
    /// `adhoc`.
    pub fn current() -> Run {
        let id = std::env::var(RUN_ENV).unwrap_or_else(|_| "adhoc".to_owned());
        Run::named(&id)
    }

    /// The run `name`: an id under `target/bench-suite/runs/`, or, if it
    /// contains a `/`, the path of a run folder.
    pub fn named(name: &str) -> Run {
        let dir = if name.contains('/') {
            PathBuf::from(name)
        } else {
            results_dir().join("runs").join(name)
        };
        Run { dir }
    }

    /// The run's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `allocations/<group>.json`.
    pub fn allocations_path(&self, group: &str) -> PathBuf {
        self.dir.join("allocations").join(format!("{group}.json"))
    }

    /// `rounds/<group>.json`.
    pub fn rounds_path(&self, group: &str) -> PathBuf {
        self.dir.join("rounds").join(format!("{group}.json"))
    }

    /// `criterion/`: the estimates of the variants this run measured.
    pub fn criterion_dir(&self) -> PathBuf {
        self.dir.join("criterion")
    }

    /// `iai/`: iai-callgrind's home for this run.
    pub fn iai_dir(&self) -> PathBuf {
        self.dir.join("iai")
    }

    /// Copies criterion's latest files of `group/function/parameter`
    /// (`target/criterion/.../new/`) into this run, so that readers never
    /// look at criterion's own folder, which holds every run's leftovers.
    pub fn keep_criterion_result(&self, group: &str, function: &str, parameter: &str) {
        let from = criterion_home()
            .join(group)
            .join(function)
            .join(parameter)
            .join("new");
        let to = self
            .criterion_dir()
            .join(group)
            .join(function)
            .join(parameter);
        fs::create_dir_all(&to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
        for file in ["estimates.json", "sample.json", "benchmark.json"] {
            // A variant filtered out on the command line has none.
            if let Err(e) = fs::copy(from.join(file), to.join(file)) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    panic!("copying {}: {e}", from.join(file).display());
                }
            }
        }
    }
}

/// Criterion's own output folder: `CRITERION_HOME`, or `target/criterion`.
pub fn criterion_home() -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("criterion"))
}

/// Seconds since the Unix epoch.
pub fn unix_seconds_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The records `run` saved for `workload`, or none if there is no
/// readable file.
pub fn read_allocation_report(run: &Run, workload: &str) -> Vec<VariantRecord> {
    read_json_records(&run.allocations_path(workload))
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
    /// Bias revocations of the variant's file (`bias_revocations()`) per
    /// timed iteration, over all of criterion's timed iterations; only for
    /// the `mmapio` variants of `reader_gate` that write. It depends on
    /// time, so it is reported, never gated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations_per_iteration: Option<f64>,
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

/// The rounds `run` saved for `group`, or none if there is no readable
/// file.
pub fn read_rounds(run: &Run, group: &str) -> Vec<RoundsRecord> {
    read_json_records(&run.rounds_path(group))
}

/// The rounds of `group` at `parameter` in `run`, if it sampled them.
pub fn rounds_at(run: &Run, group: &str, parameter: &str) -> Option<RoundsRecord> {
    read_rounds(run, group)
        .into_iter()
        .find(|r| r.parameter == parameter)
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

/// The median of `group/function/parameter` in `run`, if it measured it.
pub fn read_estimate(run: &Run, group: &str, function: &str, parameter: &str) -> Option<Estimate> {
    let path = run
        .criterion_dir()
        .join(group)
        .join(function)
        .join(parameter)
        .join("estimates.json");
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

/// The parameters `run` measured for `group/function`.
pub fn parameters(run: &Run, group: &str, function: &str) -> Vec<String> {
    subdirectories(&run.criterion_dir().join(group).join(function))
}

/// The criterion groups `run` measured.
pub fn groups(run: &Run) -> Vec<String> {
    subdirectories(&run.criterion_dir())
}

/// `numerator / denominator` (two functions of `group`) at `parameter`:
/// paired over the side-by-side rounds of the run when it has them for
/// both, else from criterion's medians. Returns the ratio with its range
/// and the number of rounds (0 for criterion's medians).
pub fn measured_ratio(
    run: &Run,
    group: &str,
    parameter: &str,
    numerator: &str,
    denominator: &str,
) -> Option<(Estimate, usize)> {
    if let Some(rounds) = rounds_at(run, group, parameter) {
        if let (Some(num), Some(den)) = (rounds.of(numerator), rounds.of(denominator)) {
            if let Some(ratio) = paired_ratio(num, den) {
                return Some((ratio, num.len()));
            }
        }
    }
    let num = read_estimate(run, group, numerator, parameter)?;
    let den = read_estimate(run, group, denominator, parameter)?;
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
    run: &Run,
    group: &str,
    parameter: &str,
    candidates: impl IntoIterator<Item = S>,
) -> Option<S> {
    let rounds = rounds_at(run, group, parameter);
    candidates
        .into_iter()
        .filter_map(|function| {
            let name = function.as_ref();
            let time = rounds
                .as_ref()
                .and_then(|rounds| median_with_interval(rounds.of(name)?))
                .or_else(|| read_estimate(run, group, name, parameter))?;
            Some((time.point, function))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, function)| function)
}
