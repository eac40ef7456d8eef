//! The gate's measured resolution: what it made of each known regression
//! ([`super::injection`]), per workload.
//!
//! `bench-gate resolution` (`scripts/gate-resolution.sh`) applies each
//! injection to a scratch copy of the head, runs the whole gate on it with
//! the head itself as the base, rechecks included, and records one
//! [`Row`] per injection and workload in `baselines/resolution.json`; the
//! report renders them as the resolution table of `docs/PERFORMANCE.md`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::compare::{Comparison, Finding, FindingKind};
use crate::catalog::{criterion_workloads, instruction_count};

/// What the gate made of one injection in one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The injection's name (`instructions`, `cache-miss`, `slowdown-15%`).
    pub injection: String,
    /// What it does, in words.
    pub description: String,
    /// The criterion workload.
    pub workload: String,
    /// The workload's exact metrics the gate judges (instruction counts and
    /// estimated cycles of its callgrind benches, allocations, flushes).
    pub exact: Judged,
    /// Its timed ratios.
    pub timed: Judged,
    /// The commit measured.
    pub commit: String,
    /// The CPU it was measured on.
    pub cpu: String,
}

impl Row {
    /// Whether the injection failed the gate in this workload.
    pub fn fails(&self) -> bool {
        self.exact.flagged + self.timed.flagged > 0
    }
}

/// How one kind of metric of a workload fared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    /// Gated metrics.
    pub gated: usize,
    /// Of those, the ones that failed the gate (after the rechecks).
    pub flagged: usize,
    /// The metric that moved most, and its change.
    pub largest: Option<(String, f64)>,
}

impl Judged {
    fn add(&mut self, finding: &Finding) {
        if finding.threshold.is_none() {
            return;
        }
        self.gated += 1;
        if finding.kind == FindingKind::Regression {
            self.flagged += 1;
        }
        if let Some(change) = finding.change {
            if self.largest.as_ref().is_none_or(|(_, c)| change > *c) {
                self.largest = Some((finding.name.clone(), change));
            }
        }
    }
}

/// The workload a metric belongs to: its group (`ratio/<workload>/...`,
/// `allocs/...`, `flushes/...`), or for a callgrind bench
/// (`ir/instruction_counts/<group>/<function>.<id>`) the workload the
/// catalog names for its function.
pub fn workload_of(metric: &str) -> Option<&str> {
    let mut parts = metric.split('/');
    let kind = parts.next()?;
    let group = parts.next()?;
    if kind == "ir" || kind == "cycles" {
        let function = metric.rsplit('/').next()?.split('.').next()?;
        instruction_count(function)?.workload
    } else {
        Some(group)
    }
}

/// The rows of `comparison`, a gate run with `injection` applied: one per
/// criterion workload.
pub fn rows(
    comparison: &Comparison,
    (injection, description): (&str, &str),
    commit: &str,
    cpu: &str,
) -> Vec<Row> {
    criterion_workloads()
        .map(|workload| {
            let mut row = Row {
                injection: injection.to_owned(),
                description: description.to_owned(),
                workload: workload.to_owned(),
                exact: Judged::default(),
                timed: Judged::default(),
                commit: commit.to_owned(),
                cpu: cpu.to_owned(),
            };
            for finding in &comparison.findings {
                if workload_of(&finding.name) != Some(workload) {
                    continue;
                }
                if finding.is_timed() {
                    row.timed.add(finding);
                } else {
                    row.exact.add(finding);
                }
            }
            row
        })
        .collect()
}

/// `rows` with `new` in place of the rows of the same injection, in
/// injection order of first appearance, then workload order.
pub fn merge_rows(mut rows: Vec<Row>, new: Vec<Row>) -> Vec<Row> {
    rows.retain(|r| !new.iter().any(|n| n.injection == r.injection));
    rows.extend(new);
    rows
}

/// Reads a resolution file.
pub fn read_resolution(path: &Path) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("not a resolution file: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Library;
    use crate::gate::compare::Options;
    use crate::gate::results::{Metric, MetricKind};

    fn finding(name: &str, kind: FindingKind, metric: MetricKind, change: f64) -> Finding {
        let m = Metric::exact(metric, Library::Mmapio, 1.0);
        Finding {
            reference: Some(m.clone()),
            new: Some(m),
            change: Some(change),
            threshold: Some(0.1),
            ..Finding::bare(name, kind, "")
        }
    }

    #[test]
    fn metrics_are_counted_in_their_workload() {
        assert_eq!(
            workload_of("ir/instruction_counts/loops/mmapio_random_as_slice.rw"),
            Some("random_read")
        );
        assert_eq!(
            workload_of("cycles/instruction_counts/touch/mmapio_touch_pages_range.ro"),
            Some("touch_pages_large")
        );
        assert_eq!(
            workload_of("ratio/iterator_throughput/mmapio_pages_ro/every_byte_64MiB"),
            Some("iterator_throughput")
        );
        assert_eq!(
            workload_of("ir/instruction_counts/rejections/mmapio_out_of_range.ro"),
            None
        );
        let c = Comparison::new(
            vec![
                finding(
                    "ir/instruction_counts/loops/mmapio_random_as_slice.ro",
                    FindingKind::Regression,
                    MetricKind::Instructions,
                    0.11,
                ),
                finding(
                    "cycles/instruction_counts/loops/mmapio_random_as_slice.ro",
                    FindingKind::Pass,
                    MetricKind::EstimatedCycles,
                    0.04,
                ),
                finding(
                    "ratio/random_read/mmapio_as_slice_ro/64B",
                    FindingKind::NotRepeated,
                    MetricKind::Ratio,
                    0.2,
                ),
                finding(
                    "ratio/sequential_read/mmapio_as_slice_ro/1MiB",
                    FindingKind::Regression,
                    MetricKind::Ratio,
                    0.3,
                ),
            ],
            Options::default(),
            0,
        );
        let rows = rows(&c, ("instructions", "+10%"), "c", "cpu");
        let random = rows.iter().find(|r| r.workload == "random_read").unwrap();
        assert_eq!((random.exact.gated, random.exact.flagged), (2, 1));
        assert_eq!((random.timed.gated, random.timed.flagged), (1, 0));
        assert_eq!(
            random.exact.largest,
            Some((
                "ir/instruction_counts/loops/mmapio_random_as_slice.ro".to_owned(),
                0.11
            ))
        );
        assert!(random.fails());
        let sequential = rows
            .iter()
            .find(|r| r.workload == "sequential_read")
            .unwrap();
        assert_eq!(sequential.timed.flagged, 1);
        let write = rows
            .iter()
            .find(|r| r.workload == "sequential_write")
            .unwrap();
        assert!(!write.fails());
        assert_eq!(write.exact.gated + write.timed.gated, 0);
    }

    #[test]
    fn new_rows_replace_the_same_injection() {
        let row = |injection: &str, workload: &str| Row {
            injection: injection.to_owned(),
            description: String::new(),
            workload: workload.to_owned(),
            exact: Judged::default(),
            timed: Judged::default(),
            commit: "c".to_owned(),
            cpu: "cpu".to_owned(),
        };
        let old = vec![row("a", "w1"), row("b", "w1")];
        let merged = merge_rows(old, vec![row("a", "w2")]);
        let keys: Vec<(&str, &str)> = merged
            .iter()
            .map(|r| (r.injection.as_str(), r.workload.as_str()))
            .collect();
        assert_eq!(keys, [("b", "w1"), ("a", "w2")]);
    }
}
