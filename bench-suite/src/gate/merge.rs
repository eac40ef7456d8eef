//! One baseline from several runs of the same profile.
//!
//! Criterion's 95% range describes one measurement; it says nothing about
//! how far the same ratio moves between two runs on a shared machine, and
//! that is the spread the gate has to live with. A baseline merged from
//! several runs keeps, for every metric, the median of the runs' values
//! and a range from the lowest `low` to the highest `high`. The gate then
//! fails a timed metric only when it is more than its threshold beyond the
//! worst of those runs (see [`mod@super::compare`]).

use std::collections::BTreeMap;

use super::results::{Metric, Results};

/// Merges `runs` (at least one, all of one profile and schema) into one
/// [`Results`]. A metric missing from any run is left out: a baseline
/// should only hold what every run measured. The commit, date, machine and
/// per-variant statistics are the first run's.
pub fn merge_runs(runs: &[Results]) -> Result<Results, String> {
    let (first, rest) = runs.split_first().ok_or("no runs to merge")?;
    if let Some(other) = rest
        .iter()
        .find(|r| r.profile != first.profile || r.schema != first.schema)
    {
        return Err(format!(
            "runs differ: profile {:?} schema {} vs profile {:?} schema {}",
            first.profile, first.schema, other.profile, other.schema
        ));
    }
    let mut metrics = BTreeMap::new();
    for (name, metric) in &first.metrics {
        let mut all = vec![metric];
        for run in rest {
            match run.metrics.get(name) {
                Some(m) if m.kind == metric.kind => all.push(m),
                _ => break,
            }
        }
        if all.len() == runs.len() {
            metrics.insert(name.clone(), envelope(&all));
        }
    }
    Ok(Results {
        metrics,
        ..first.clone()
    })
}

/// The median value (the lower middle one for an even count) and the
/// widest range of `all`, which is non-empty and of one kind.
fn envelope(all: &[&Metric]) -> Metric {
    let mut values: Vec<f64> = all.iter().map(|m| m.value).collect();
    values.sort_by(f64::total_cmp);
    Metric {
        kind: all[0].kind,
        value: values[(values.len() - 1) / 2],
        low: all.iter().map(|m| m.low).fold(f64::INFINITY, f64::min),
        high: all.iter().map(|m| m.high).fold(f64::NEG_INFINITY, f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::results::{Machine, MetricKind, SCHEMA};

    fn run(metrics: &[(&str, Metric)]) -> Results {
        Results {
            schema: SCHEMA,
            profile: "quick".to_owned(),
            commit: "abc".to_owned(),
            date: "today".to_owned(),
            machine: Machine {
                cpu: "cpu".to_owned(),
                cores: 2,
                kernel: "6.1".to_owned(),
                rustc: "rustc".to_owned(),
                valgrind: "valgrind".to_owned(),
            },
            metrics: metrics
                .iter()
                .map(|(n, m)| ((*n).to_owned(), m.clone()))
                .collect(),
            variants: BTreeMap::new(),
        }
    }

    fn ratio(value: f64, low: f64, high: f64) -> Metric {
        Metric {
            kind: MetricKind::Ratio,
            value,
            low,
            high,
        }
    }

    #[test]
    fn ranges_span_every_run_and_values_are_medians() {
        let merged = merge_runs(&[
            run(&[("ratio/x", ratio(0.97, 0.93, 0.99))]),
            run(&[("ratio/x", ratio(1.31, 1.25, 1.37))]),
            run(&[("ratio/x", ratio(1.05, 1.00, 1.10))]),
        ])
        .unwrap();
        assert_eq!(merged.metrics["ratio/x"], ratio(1.05, 0.93, 1.37));
    }

    #[test]
    fn exact_metrics_stay_exact_when_runs_agree() {
        let ir = Metric::exact(MetricKind::Instructions, 3536.0);
        let merged = merge_runs(&[run(&[("ir/x", ir.clone())]), run(&[("ir/x", ir.clone())])]);
        assert_eq!(merged.unwrap().metrics["ir/x"], ir);
    }

    #[test]
    fn metrics_missing_from_any_run_or_changing_kind_are_dropped() {
        let a = Metric::exact(MetricKind::Allocations, 0.0);
        let merged = merge_runs(&[
            run(&[
                ("allocs/a", a.clone()),
                ("allocs/b", a.clone()),
                ("c", a.clone()),
            ]),
            run(&[
                ("allocs/a", a.clone()),
                ("c", Metric::exact(MetricKind::Instructions, 0.0)),
            ]),
        ])
        .unwrap();
        assert_eq!(merged.metrics.keys().collect::<Vec<_>>(), ["allocs/a"]);
    }

    #[test]
    fn nothing_or_mixed_profiles_cannot_be_merged() {
        assert!(merge_runs(&[]).is_err());
        let mut full = run(&[]);
        full.profile = "full".to_owned();
        assert!(merge_runs(&[run(&[]), full]).is_err());
    }
}
