//! `bench-gate run`: the whole gate, in order, behind one [`Measure`]:
//!
//! 1. the head's exact metrics (instruction counts and estimated cycles of
//!    its callgrind benches; allocations and flushes from its first timed
//!    pass), judged against the checked-in baseline ([`compare_exact`]);
//! 2. every criterion workload in pairs of timed passes, base and head one
//!    after the other, which goes first alternating from pair to pair, so
//!    that a drift of the machine during a workload's passes falls on both
//!    sides alike ([`judge_timed`]);
//! 3. up to [`Plan::rechecks`] further measurements of the workloads and
//!    parameters with a timed regression, each in as many pairs again: a
//!    timed regression stands only if every recheck repeats it.
//!
//! The real [`Measure`] builds both revisions and runs their benches
//! ([`super::builds`]); the tests give a scripted one, so the flow and the
//! verdicts are tested without timing anything.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::ab::{judge_timed, Passes};
use super::compare::{compare_exact, Comparison, Options};
use super::results::Results;
use crate::catalog::{criterion_workloads, workload};

/// Which build a timed pass runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// The base revision, built in a worktree of its own.
    Base,
    /// The working tree.
    Head,
}

impl Build {
    /// `base` or `head`.
    pub fn name(self) -> &'static str {
        match self {
            Build::Base => "base",
            Build::Head => "head",
        }
    }
}

/// One timed pass to run: a workload of one build, all of its parameters
/// or only those listed, as the `index`-th pass of its build in
/// `measurement` (`main`, `recheck-1`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassSpec<'a> {
    /// The build.
    pub build: Build,
    /// The workload (bench target and criterion group).
    pub workload: &'a str,
    /// The parameters to run; `None` for all.
    pub parameters: Option<&'a [String]>,
    /// Which measurement the pass belongs to.
    pub measurement: &'a str,
    /// Its index among the passes of its build in that measurement.
    pub index: usize,
}

/// What runs the benches for the gate.
pub trait Measure {
    /// The head's callgrind benches: instruction counts and, for loop
    /// benches, estimated cycles.
    fn instruction_counts(&mut self) -> Result<Results, String>;

    /// One timed pass: the workload's ratios to their floors, with its
    /// allocations and flushes per iteration.
    fn timed_pass(&mut self, pass: &PassSpec<'_>) -> Result<Results, String>;
}

/// How the gate measures. Stored with a gate run (`plan.json`), so that
/// `bench-gate run --replay` judges the stored passes as they were taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The verdicts' thresholds.
    pub options: Options,
    /// How many times timed regressions are measured again.
    pub rechecks: usize,
    /// The workloads to measure, in order, with their pairs of passes.
    pub workloads: Vec<(String, usize)>,
}

impl Plan {
    /// Every criterion workload of the catalog with its
    /// [`gate_pairs`](crate::catalog::Workload::gate_pairs), `rechecks`
    /// rechecks and the default thresholds.
    pub fn catalog(rechecks: usize) -> Plan {
        Plan {
            options: Options::default(),
            rechecks,
            workloads: criterion_workloads()
                .filter_map(|name| Some((name.to_owned(), workload(name)?.gate_pairs)))
                .filter(|&(_, pairs)| pairs > 0)
                .collect(),
        }
    }

    fn pairs_of(&self, workload: &str) -> usize {
        self.workloads
            .iter()
            .find(|(w, _)| w == workload)
            .map_or(0, |&(_, pairs)| pairs)
    }
}

/// Runs the gate (see the module docs) against the checked-in `baseline`,
/// writing progress to `log`. Returns every finding; a measurement that
/// fails stops the run with its error.
pub fn run_gate(
    measure: &mut dyn Measure,
    baseline: &Results,
    plan: &Plan,
    log: &mut dyn Write,
) -> Result<Comparison, String> {
    let _ = writeln!(log, "== bench-gate: instruction counts of the head");
    let mut exact = measure.instruction_counts()?;
    let selection: Vec<(String, Option<Vec<String>>)> = plan
        .workloads
        .iter()
        .map(|(w, _)| (w.clone(), None))
        .collect();
    let passes = measure_pairs(measure, plan, &selection, "main", log)?;
    // Allocations and flushes are exact: the head's first pass has them.
    if let Some(first) = passes.head.first() {
        for (name, metric) in &first.metrics {
            if !metric.kind.is_timed() {
                exact.metrics.insert(name.clone(), metric.clone());
            }
        }
    }
    let (mut findings, reference_only) = compare_exact(baseline, &exact, plan.options);
    findings.extend(judge_timed(&passes, plan.options));
    let mut comparison = Comparison::new(findings, plan.options, reference_only);
    for round in 1..=plan.rechecks {
        let again: Vec<(String, Option<Vec<String>>)> = comparison
            .to_recheck()
            .into_iter()
            .map(|(w, parameters)| (w, Some(parameters)))
            .collect();
        if again.is_empty() {
            break;
        }
        let names: Vec<String> = again
            .iter()
            .map(|(w, p)| format!("{w} ({})", p.as_deref().unwrap_or_default().join(", ")))
            .collect();
        let _ = writeln!(
            log,
            "== bench-gate: recheck {round}: timed regressions in {}",
            names.join("; ")
        );
        let passes = measure_pairs(measure, plan, &again, &format!("recheck-{round}"), log)?;
        comparison.recheck(&judge_timed(&passes, plan.options));
    }
    Ok(comparison)
}

/// Measures every workload of `selection` in its pairs of passes, base and
/// head in turn, and returns the passes paired by index (pass `i` of every
/// workload of one build merged into one [`Results`]).
fn measure_pairs(
    measure: &mut dyn Measure,
    plan: &Plan,
    selection: &[(String, Option<Vec<String>>)],
    measurement: &str,
    log: &mut dyn Write,
) -> Result<Passes, String> {
    let mut passes = Passes::default();
    for (n, (workload, parameters)) in selection.iter().enumerate() {
        let pairs = plan.pairs_of(workload);
        let started = std::time::Instant::now();
        let _ = write!(
            log,
            "== [{}/{}] {workload}: {pairs} pairs of passes (base, head) ",
            n + 1,
            selection.len()
        );
        let _ = log.flush();
        for index in 0..pairs {
            let order = if index % 2 == 0 {
                [Build::Base, Build::Head]
            } else {
                [Build::Head, Build::Base]
            };
            for build in order {
                let spec = PassSpec {
                    build,
                    workload,
                    parameters: parameters.as_deref(),
                    measurement,
                    index,
                };
                let results = measure.timed_pass(&spec)?;
                let side = match build {
                    Build::Base => &mut passes.base,
                    Build::Head => &mut passes.head,
                };
                while side.len() <= index {
                    side.push(results.clone_empty());
                }
                side[index].metrics.extend(results.metrics);
            }
            let _ = write!(log, ".");
            let _ = log.flush();
        }
        let _ = writeln!(log, " {:.0} s", started.elapsed().as_secs_f64());
    }
    Ok(passes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Library;
    use crate::gate::compare::FindingKind;
    use crate::gate::results::{Metric, MetricKind};

    fn results(metrics: Vec<(String, Metric)>) -> Results {
        Results::example("cpu", metrics.iter().map(|(n, m)| (n.as_str(), m.clone())))
    }

    /// A scripted machine: each workload has one ratio, `ratio/<w>/m/p`,
    /// whose head value is `slowdown(measurement)` times the base's, with
    /// a drift shared by the two passes of a pair.
    struct Scripted {
        slowdown: fn(&str, &str) -> f64,
        passes: Vec<String>,
    }

    impl Measure for Scripted {
        fn instruction_counts(&mut self) -> Result<Results, String> {
            let ir = Metric::exact(MetricKind::Instructions, Library::Mmapio, 100.0);
            Ok(results(vec![("ir/x".to_owned(), ir)]))
        }

        fn timed_pass(&mut self, pass: &PassSpec<'_>) -> Result<Results, String> {
            self.passes.push(format!(
                "{}:{}:{}:{}:{}",
                pass.measurement,
                pass.workload,
                pass.build.name(),
                pass.index,
                pass.parameters.map_or("all".to_owned(), |p| p.join("|"))
            ));
            let drift = 1.0 + 0.2 * ((pass.index * 7 % 5) as f64);
            let factor = match pass.build {
                Build::Base => 1.0,
                Build::Head => (self.slowdown)(pass.measurement, pass.workload),
            };
            let ratio = Metric::exact(MetricKind::Ratio, Library::Mmapio, drift * factor);
            let allocs = Metric::exact(MetricKind::Allocations, Library::Mmapio, 0.0);
            Ok(results(vec![
                (format!("ratio/{}/m/p", pass.workload), ratio),
                (format!("allocs/{}/m/p", pass.workload), allocs),
            ]))
        }
    }

    fn plan() -> Plan {
        Plan {
            options: Options::default(),
            rechecks: 1,
            workloads: vec![("a".to_owned(), 4), ("b".to_owned(), 6)],
        }
    }

    fn baseline() -> Results {
        let ir = Metric::exact(MetricKind::Instructions, Library::Mmapio, 100.0);
        let allocs = Metric::exact(MetricKind::Allocations, Library::Mmapio, 0.0);
        let stale = Metric::exact(MetricKind::Ratio, Library::Mmapio, 0.5);
        results(vec![
            ("ir/x".to_owned(), ir),
            ("allocs/a/m/p".to_owned(), allocs.clone()),
            ("allocs/b/m/p".to_owned(), allocs),
            ("ratio/a/m/p".to_owned(), stale),
        ])
    }

    fn gate(slowdown: fn(&str, &str) -> f64) -> (Comparison, Vec<String>, String) {
        let mut measure = Scripted {
            slowdown,
            passes: Vec::new(),
        };
        let mut log = Vec::new();
        let c = run_gate(&mut measure, &baseline(), &plan(), &mut log).unwrap();
        (c, measure.passes, String::from_utf8(log).unwrap())
    }

    #[test]
    fn unchanged_code_passes_in_alternating_pairs_without_rechecks() {
        let (c, passes, log) = gate(|_, _| 1.0);
        assert!(!c.failed(), "{}", c.render());
        assert_eq!(passes.len(), 2 * (4 + 6));
        // Which build goes first alternates from pair to pair.
        assert_eq!(
            passes[..4],
            [
                "main:a:base:0:all",
                "main:a:head:0:all",
                "main:a:head:1:all",
                "main:a:base:1:all"
            ]
        );
        assert!(log.contains("[2/2] b: 6 pairs"), "{log}");
        assert_eq!(c.rechecks, 0);
        // The stale timed baseline figure (0.5) is not judged.
        assert_eq!(c.reference_only, 1);
        assert_eq!(c.finding("ratio/a/m/p").unwrap().kind, FindingKind::Pass);
    }

    #[test]
    fn a_timed_regression_is_rechecked_and_fails_when_it_repeats() {
        let (c, passes, log) = gate(|_, w| if w == "b" { 1.3 } else { 1.0 });
        assert!(c.failed());
        assert_eq!(
            c.finding("ratio/b/m/p").unwrap().kind,
            FindingKind::Regression
        );
        let rechecked: Vec<&String> = passes.iter().filter(|p| p.starts_with("recheck")).collect();
        assert_eq!(rechecked.len(), 12, "only b, only its parameter");
        assert!(rechecked
            .iter()
            .all(|p| p.starts_with("recheck-1:b:") && p.ends_with(":p")));
        assert!(
            log.contains("recheck 1: timed regressions in b (p)"),
            "{log}"
        );
        assert!(c.render().contains("repeated on recheck"));
    }

    #[test]
    fn a_timed_regression_that_does_not_repeat_passes() {
        let (c, _, _) = gate(|m, w| if m == "main" && w == "a" { 1.3 } else { 1.0 });
        assert!(!c.failed(), "{}", c.render());
        assert_eq!(
            c.finding("ratio/a/m/p").unwrap().kind,
            FindingKind::NotRepeated
        );
        assert_eq!(c.rechecks, 1);
    }

    #[test]
    fn a_measurement_error_stops_the_run() {
        struct Broken;
        impl Measure for Broken {
            fn instruction_counts(&mut self) -> Result<Results, String> {
                Err("valgrind is missing".to_owned())
            }
            fn timed_pass(&mut self, _: &PassSpec<'_>) -> Result<Results, String> {
                unreachable!()
            }
        }
        let err = run_gate(&mut Broken, &baseline(), &plan(), &mut Vec::new()).unwrap_err();
        assert_eq!(err, "valgrind is missing");
    }
}
