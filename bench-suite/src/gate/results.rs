//! The results file: what one bench run measured, on which machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{Library, Role};
use crate::targets::Ratio;

/// Version of the results format; bumped when fields change meaning.
pub const SCHEMA: u32 = 3;

/// One bench run, normalised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`SCHEMA`] when written.
    pub schema: u32,
    /// `quick` or `full`.
    pub profile: String,
    /// The commit measured.
    pub commit: String,
    /// When it was measured (UTC, `date -u` format).
    pub date: String,
    /// Where it was measured.
    pub machine: Machine,
    /// Gated and reported metrics, by name (`ir/...`, `cycles/...`,
    /// `ratio/...`, `allocs/...`, `flushes/...`, `wall/...`).
    pub metrics: BTreeMap<String, Metric>,
    /// Per-variant timing statistics for the report, by
    /// `group/function/parameter`.
    #[serde(default)]
    pub variants: BTreeMap<String, VariantStats>,
    /// The verdicts of the catalog's targets in this run
    /// ([`crate::catalog::TARGETS`]): reported, never gated (the gate
    /// judges regressions). A merged baseline keeps its first run's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Ratio>,
}

impl Results {
    /// The same header (schema, profile, commit, date, machine) with no
    /// metrics, variants or targets.
    pub fn clone_empty(&self) -> Results {
        Results {
            metrics: Default::default(),
            variants: Default::default(),
            targets: Vec::new(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
impl Results {
    /// Quick-profile results of `metrics`, measured on a made-up machine
    /// with CPU `cpu`: the tests' fixture.
    pub(crate) fn example<'a>(
        cpu: &str,
        metrics: impl IntoIterator<Item = (&'a str, Metric)>,
    ) -> Results {
        Results {
            schema: SCHEMA,
            profile: "quick".to_owned(),
            commit: "c".to_owned(),
            date: "d".to_owned(),
            machine: Machine {
                cpu: cpu.to_owned(),
                cores: 2,
                kernel: "6.1".to_owned(),
                rustc: "rustc 1.95.0".to_owned(),
                valgrind: "valgrind-3.19.0".to_owned(),
            },
            metrics: metrics
                .into_iter()
                .map(|(name, metric)| (name.to_owned(), metric))
                .collect(),
            variants: BTreeMap::new(),
            targets: Vec::new(),
        }
    }
}

/// The machine a run was measured on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores available.
    pub cores: usize,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `valgrind --version`.
    pub valgrind: String,
}

impl Machine {
    /// Whether absolute times from `other` can be compared with ours: same
    /// CPU, core count, kernel and compiler.
    pub fn same_fingerprint(&self, other: &Machine) -> bool {
        self.cpu == other.cpu
            && self.cores == other.cores
            && self.kernel == other.kernel
            && self.rustc == other.rustc
    }
}

/// What a metric measures, which decides how it is gated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Instructions executed (iai-callgrind `Ir`): exact and repeatable.
    Instructions,
    /// Cycles estimated by callgrind's cache simulation (iai-callgrind
    /// `EstimatedCycles`: `L1hits + 5 × LLhits + 35 × RamHits`), for loop
    /// benches only: repeatable with the cache geometry pinned.
    EstimatedCycles,
    /// An mmapio variant's median time over its raw floor's, same run.
    Ratio,
    /// Heap allocations per iteration: exact.
    Allocations,
    /// Flushes per iteration of a flush policy that counts bytes or waits
    /// for `flush`: exact.
    Flushes,
    /// Median wall-clock time per iteration in ns: machine-dependent.
    WallNs,
}

impl MetricKind {
    /// Whether the metric is a time or a ratio of times, which only a
    /// measurement on the machine that judges it can be compared with.
    pub fn is_timed(self) -> bool {
        matches!(self, MetricKind::Ratio | MetricKind::WallNs)
    }
}

/// One measured value; lower is better for every kind. In one run,
/// `low..high` is its 95% confidence range (equal to `value` for exact
/// metrics); in a baseline merged from several runs, the range of the
/// runs' values ([`super::merge`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// What it measures.
    pub kind: MetricKind,
    /// The library measured: only [`Library::Mmapio`]'s metrics are gated.
    pub library: Library,
    /// The value.
    pub value: f64,
    /// Lower end of the confidence range.
    pub low: f64,
    /// Upper end of the confidence range.
    pub high: f64,
}

impl Metric {
    /// An exactly measured value (no confidence range).
    pub fn exact(kind: MetricKind, library: Library, value: f64) -> Metric {
        Metric {
            kind,
            library,
            value,
            low: value,
            high: value,
        }
    }
}

/// Timing statistics of one criterion variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantStats {
    /// The variant's declared library, shape, floor and peer.
    pub role: Role,
    /// Median of criterion's per-sample mean time per iteration, ns.
    pub p50_ns: f64,
    /// 99th percentile (nearest rank) of the same per-sample means, ns.
    pub p99_ns: f64,
    /// Bytes processed per iteration, when the bench declares it.
    pub bytes_per_iteration: Option<u64>,
    /// Heap allocations per iteration, when counted.
    pub allocations: Option<f64>,
    /// Flushes per iteration (sequential_write), when counted.
    pub flushes: Option<f64>,
    /// Bias revocations per iteration (reader_gate), when counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<f64>,
    /// Time over the declared floor's, paired over the run's side-by-side
    /// rounds when it has them, else the quotient of criterion's medians.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_floor: Option<f64>,
    /// Time over the declared `mmap-io` twin's, found the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_peer: Option<f64>,
}
