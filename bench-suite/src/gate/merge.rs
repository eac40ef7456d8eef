//! One baseline from several runs of the same profile, and the envelope of
//! several measurements of one metric.
//!
//! A baseline merged from several runs keeps, for every metric, the median
//! of the runs' values as its value and the lowest and highest of the
//! runs' values as its range; callgrind's counts must agree exactly across
//! the runs. The gate's A/B comparison describes the base's and the head's
//! passes the same way ([`envelope`]).

use super::results::{Metric, MetricKind, Results};

/// Merges `runs` (at least one, all of one profile and schema) into one
/// [`Results`]. Every run must hold the same metrics, of the same kind and
/// library: a metric missing from one run is an error that names it, since
/// a baseline that silently dropped it would never gate it. The commit,
/// date, machine and per-variant statistics are the first run's.
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
    let mut problems = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        for (name, metric) in &run.metrics {
            for (j, other) in runs.iter().enumerate() {
                match other.metrics.get(name) {
                    None => problems.push(format!(
                        "{name} is in run {} but not in run {}",
                        i + 1,
                        j + 1
                    )),
                    Some(m) if j > i && (m.kind != metric.kind || m.library != metric.library) => {
                        problems.push(format!(
                            "{name} is {:?} of {} in run {} but {:?} of {} in run {}",
                            metric.kind,
                            metric.library,
                            i + 1,
                            m.kind,
                            m.library,
                            j + 1
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "the runs do not measure the same metrics ({} problems): {}",
            problems.len(),
            problems.join("; ")
        ));
    }
    // Callgrind's counts repeat exactly for one binary: runs that disagree
    // measured something else than the code (a setup that differs between
    // a first and a later run, say), and a baseline of either would gate
    // noise.
    let unsteady: Vec<String> = first
        .metrics
        .iter()
        .filter(|(_, m)| {
            matches!(
                m.kind,
                MetricKind::Instructions | MetricKind::EstimatedCycles
            )
        })
        .filter(|(name, m)| rest.iter().any(|r| r.metrics[*name].value != m.value))
        .map(|(name, _)| {
            let values: Vec<String> = runs
                .iter()
                .map(|r| format!("{}", r.metrics[name].value))
                .collect();
            format!("{name} ({})", values.join(", "))
        })
        .collect();
    if !unsteady.is_empty() {
        return Err(format!(
            "callgrind counts that differ between runs of the same code: {}",
            unsteady.join("; ")
        ));
    }
    let metrics = first
        .metrics
        .keys()
        .map(|name| {
            let all: Vec<&Metric> = runs.iter().map(|r| &r.metrics[name]).collect();
            (name.clone(), envelope(&all))
        })
        .collect();
    Ok(Results {
        metrics,
        ..first.clone()
    })
}

/// The median value (the lower middle one for an even count) and the
/// range of the values of `all`, which is non-empty and of one kind and
/// library. One run's range stays as it was measured.
pub fn envelope(all: &[&Metric]) -> Metric {
    if let [only] = all {
        return (*only).clone();
    }
    let mut values: Vec<f64> = all.iter().map(|m| m.value).collect();
    values.sort_by(f64::total_cmp);
    Metric {
        kind: all[0].kind,
        library: all[0].library,
        value: values[(values.len() - 1) / 2],
        low: values[0],
        high: values[values.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Library;

    fn run(metrics: &[(&str, Metric)]) -> Results {
        Results::example("cpu", metrics.iter().cloned())
    }

    fn ratio(value: f64, low: f64, high: f64) -> Metric {
        Metric {
            kind: MetricKind::Ratio,
            library: Library::Mmapio,
            value,
            low,
            high,
        }
    }

    #[test]
    fn ranges_span_the_runs_values_and_values_are_medians() {
        let merged = merge_runs(&[
            run(&[("ratio/x", ratio(0.97, 0.93, 0.99))]),
            run(&[("ratio/x", ratio(1.31, 1.25, 1.37))]),
            run(&[("ratio/x", ratio(1.05, 1.00, 1.10))]),
        ])
        .unwrap();
        assert_eq!(merged.metrics["ratio/x"], ratio(1.05, 0.97, 1.31));
        let one = run(&[("ratio/x", ratio(0.97, 0.93, 0.99))]);
        assert_eq!(merge_runs(std::slice::from_ref(&one)).unwrap(), one);
    }

    #[test]
    fn exact_metrics_stay_exact_when_runs_agree() {
        let ir = Metric::exact(MetricKind::Instructions, Library::Mmapio, 3536.0);
        let merged = merge_runs(&[run(&[("ir/x", ir.clone())]), run(&[("ir/x", ir.clone())])]);
        assert_eq!(merged.unwrap().metrics["ir/x"], ir);
    }

    #[test]
    fn metrics_missing_from_a_run_or_changing_kind_fail_by_name() {
        let a = Metric::exact(MetricKind::Allocations, Library::Mmapio, 0.0);
        let err = merge_runs(&[
            run(&[
                ("allocs/a", a.clone()),
                ("allocs/b", a.clone()),
                ("c", a.clone()),
            ]),
            run(&[
                ("allocs/a", a.clone()),
                (
                    "c",
                    Metric::exact(MetricKind::Instructions, Library::Mmapio, 0.0),
                ),
                ("allocs/d", a.clone()),
            ]),
        ])
        .unwrap_err();
        assert!(
            err.contains("allocs/b is in run 1 but not in run 2"),
            "{err}"
        );
        assert!(
            err.contains("allocs/d is in run 2 but not in run 1"),
            "{err}"
        );
        assert!(
            err.contains("c is Allocations of mmapio in run 1 but Instructions"),
            "{err}"
        );
    }

    #[test]
    fn callgrind_counts_must_repeat_exactly() {
        let cycles = |v| Metric::exact(MetricKind::EstimatedCycles, Library::Mmapio, v);
        let err = merge_runs(&[
            run(&[("cycles/x", cycles(1000.0))]),
            run(&[("cycles/x", cycles(1003.0))]),
        ])
        .unwrap_err();
        assert!(err.contains("cycles/x (1000, 1003)"), "{err}");
        // Allocations may average differently (background threads).
        let allocs = |v| Metric::exact(MetricKind::Allocations, Library::Mmapio, v);
        assert!(merge_runs(&[
            run(&[("allocs/x", allocs(0.75))]),
            run(&[("allocs/x", allocs(0.875))])
        ])
        .is_ok());
    }

    #[test]
    fn nothing_or_mixed_profiles_cannot_be_merged() {
        assert!(merge_runs(&[]).is_err());
        let mut full = run(&[]);
        full.profile = "full".to_owned();
        assert!(merge_runs(&[run(&[]), full]).is_err());
    }
}
