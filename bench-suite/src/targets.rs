//! The catalog's [`crate::catalog::TARGETS`], and every mmapio
//! variant against its `mmap-io` twin, evaluated over a stored run.
//!
//! Each ratio compares one variant's time per iteration with another's in
//! the same group, at the same parameter, of the same run. Where the run
//! timed both side by side ([`crate::harness::Batch`]), the ratio is the
//! median over rounds of the per-round ratio, with the 95% confidence
//! interval of that median as its range. Otherwise (a variant filtered out
//! of the rounds) it divides criterion's medians, with the range obtained
//! by dividing the ends of the two 95% confidence intervals. A ratio above
//! its limit whose range still reaches the limit is reported as "within
//! noise", not as met. Everything is read from one run's folder ([`Run`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{criterion_workloads, Library, Shape, TARGETS};
use crate::store::{fastest, measured_ratio, parameters, read_allocation_report, Run};

/// How a ratio compares with its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// At or below the limit.
    Met,
    /// Above the limit, but the confidence range reaches it.
    WithinNoise,
    /// Above the limit, confidence range included.
    Missed,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Met => "met",
            Verdict::WithinNoise => "within noise",
            Verdict::Missed => "MISSED",
        })
    }
}

/// One measured ratio.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// What is compared, in words.
    pub target: String,
    /// The criterion group.
    pub group: String,
    /// `function/parameter` of the numerator.
    pub numerator: String,
    /// `function/parameter` of the denominator.
    pub denominator: String,
    /// Median ratio.
    pub ratio: f64,
    /// Ratio of the confidence intervals' facing ends.
    pub low: f64,
    /// Ratio of the confidence intervals' far ends.
    pub high: f64,
    /// The target's upper limit.
    pub limit: f64,
    /// Whether the benchmark specification names the target (`false`: a
    /// stricter comparison, and for every peer ratio).
    #[serde(default)]
    pub specified: bool,
    /// Side-by-side rounds the ratio is the median of; 0 when it divides
    /// criterion's medians.
    #[serde(default)]
    pub rounds: usize,
    /// How `ratio` compares with `limit`.
    pub verdict: Verdict,
}

fn ratio(
    run: &Run,
    target: String,
    group: &str,
    parameter: &str,
    (numerator, denominator): (&str, &str),
    limit: f64,
) -> Option<Ratio> {
    let (measured, rounds) = measured_ratio(run, group, parameter, numerator, denominator)?;
    let verdict = if measured.point <= limit {
        Verdict::Met
    } else if measured.lower <= limit {
        Verdict::WithinNoise
    } else {
        Verdict::Missed
    };
    Some(Ratio {
        target,
        group: group.to_owned(),
        numerator: format!("{numerator}/{parameter}"),
        denominator: format!("{denominator}/{parameter}"),
        ratio: measured.point,
        low: measured.lower,
        high: measured.upper,
        limit,
        specified: false,
        rounds,
        verdict,
    })
}

/// The targets (against raw memmap2), for every parameter measured: the
/// specified ones, then the stricter comparisons.
pub fn target_ratios(run: &Run) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    for t in TARGETS {
        for parameter in parameters(run, t.group, t.numerator) {
            if !(t.parameters)(&parameter) {
                continue;
            }
            let Some(floor) = fastest(run, t.group, &parameter, t.floors.iter().copied()) else {
                continue;
            };
            ratios.extend(
                ratio(
                    run,
                    t.target.to_owned(),
                    t.group,
                    &parameter,
                    (t.numerator, floor),
                    t.limit,
                )
                .map(|r| Ratio {
                    specified: t.specified,
                    ..r
                }),
            );
        }
    }
    ratios
}

/// Every mmapio variant of the run against its declared `mmap-io` twin
/// (limit 1.0).
pub fn peer_ratios(run: &Run) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    for group in criterion_workloads() {
        for record in read_allocation_report(run, group) {
            let Some(peer) = &record.role.peer else {
                continue;
            };
            let Some((function, parameter)) = record.id.split_once('/') else {
                continue;
            };
            ratios.extend(ratio(
                run,
                "mmapio vs mmap-io".to_owned(),
                group,
                parameter,
                (function, peer),
                1.0,
            ));
        }
    }
    ratios
}

/// Zero-copy iterator variants must not allocate: every mmapio record of
/// the run that walks views (`fold` or `for` over items) with a non-zero
/// allocation count, as `(id, allocations per iteration)`.
pub fn allocating_zero_copy_iterators(run: &Run) -> Vec<(String, f64)> {
    read_allocation_report(run, "iterator_throughput")
        .into_iter()
        .filter(|r| {
            r.role.library == Library::Mmapio
                && matches!(r.role.shape, Shape::FoldItems | Shape::ForLoop)
        })
        .filter(|r| r.allocations_per_iteration != 0.0)
        .map(|r| (r.id, r.allocations_per_iteration))
        .collect()
}
