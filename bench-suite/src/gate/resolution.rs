//! The gate's measured resolution: for each workload, which injected
//! slowdowns of every mmapio variant the gate flagged.
//!
//! `scripts/gate-resolution.sh` runs the quick gate with the harness
//! slowing every mmapio variant by a known fraction of its own time
//! (`MMAPIO_BENCH_INJECT_SLOWDOWN`, see
//! [`harness::Batch`](crate::harness::Batch)), rechecks included, and records
//! one [`Injected`] row per workload and slowdown in
//! `baselines/resolution.json`; the report renders them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::compare::{Comparison, FindingKind};

/// What the gate made of one injected slowdown in one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Injected {
    /// The criterion workload.
    pub workload: String,
    /// The slowdown injected into every mmapio variant (0.12 for 12%).
    pub slowdown: f64,
    /// The workload's gated timed ratios.
    pub gated: usize,
    /// How many of them the gate failed, after its rechecks.
    pub flagged: usize,
    /// The commit measured.
    pub commit: String,
}

/// The rows of `comparison` (a gate run with `slowdown` injected, its
/// rechecks applied): one per workload that has gated timed ratios.
pub fn injected_rows(comparison: &Comparison, slowdown: f64, commit: &str) -> Vec<Injected> {
    let mut rows: Vec<Injected> = Vec::new();
    for finding in &comparison.findings {
        let Some(workload) = finding
            .name
            .strip_prefix("ratio/")
            .and_then(|n| n.split('/').next())
        else {
            continue;
        };
        if finding.threshold.is_none() {
            continue; // not gated
        }
        let row = match rows.iter_mut().find(|r| r.workload == workload) {
            Some(row) => row,
            None => {
                rows.push(Injected {
                    workload: workload.to_owned(),
                    slowdown,
                    gated: 0,
                    flagged: 0,
                    commit: commit.to_owned(),
                });
                rows.last_mut().expect("just pushed")
            }
        };
        row.gated += 1;
        if finding.kind == FindingKind::Regression {
            row.flagged += 1;
        }
    }
    rows
}

/// `rows` with `new` in place of the rows of the same workload and
/// slowdown, sorted by workload, then slowdown.
pub fn merge_rows(mut rows: Vec<Injected>, new: Vec<Injected>) -> Vec<Injected> {
    rows.retain(|r| {
        !new.iter()
            .any(|n| n.workload == r.workload && n.slowdown == r.slowdown)
    });
    rows.extend(new);
    rows.sort_by(|a, b| {
        a.workload
            .cmp(&b.workload)
            .then(a.slowdown.total_cmp(&b.slowdown))
    });
    rows
}

/// Reads a resolution file.
pub fn read_resolution(path: &Path) -> Result<Vec<Injected>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("not a resolution file: {e}"))
}

/// The smallest slowdown of `workload` that the gate flagged in every
/// gated ratio, if any was.
pub fn smallest_flagged(rows: &[Injected], workload: &str) -> Option<f64> {
    rows.iter()
        .filter(|r| r.workload == workload && r.gated > 0 && r.flagged == r.gated)
        .map(|r| r.slowdown)
        .min_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workload: &str, slowdown: f64, gated: usize, flagged: usize) -> Injected {
        Injected {
            workload: workload.to_owned(),
            slowdown,
            gated,
            flagged,
            commit: "c".to_owned(),
        }
    }

    #[test]
    fn the_smallest_slowdown_flagged_everywhere_is_the_resolution() {
        let rows = vec![
            row("a", 0.05, 4, 1),
            row("a", 0.10, 4, 3),
            row("a", 0.15, 4, 4),
            row("a", 0.20, 4, 4),
            row("b", 0.20, 2, 1),
        ];
        assert_eq!(smallest_flagged(&rows, "a"), Some(0.15));
        assert_eq!(smallest_flagged(&rows, "b"), None);
    }

    #[test]
    fn new_rows_replace_the_same_workload_and_slowdown() {
        let old = vec![row("a", 0.10, 4, 1), row("a", 0.20, 4, 4)];
        let merged = merge_rows(old, vec![row("a", 0.10, 4, 4), row("a", 0.05, 4, 0)]);
        let key: Vec<(f64, usize)> = merged.iter().map(|r| (r.slowdown, r.flagged)).collect();
        assert_eq!(key, [(0.05, 0), (0.10, 4), (0.20, 4)]);
    }
}
