//! The gate's verdicts: one [`Finding`] per metric, gathered in a
//! [`Comparison`] with its rendering and exit status. Pure functions,
//! tested with synthetic inputs.
//!
//! A metric is judged against a reference of its own kind:
//! * **exact metrics** (instruction counts, estimated cycles, allocations,
//!   flushes) against the checked-in baseline, whatever machine recorded it
//!   ([`compare_exact`]): they do not depend on the CPU;
//! * **timed metrics** (an mmapio variant's time over its raw floor's)
//!   against the base revision measured on the machine that runs the gate,
//!   in passes alternating with the head's ([`super::ab`]). Timed figures
//!   stored in the baseline come from another machine, or another day, and
//!   are for the report only: nothing is judged against them.
//!
//! Only mmapio is judged ([`Library::is_gated`](crate::catalog::Library::is_gated)). A peer's or a raw loop's
//! metric is reported, never gated; a peer's instruction count or
//! estimated cycles that move are a [`FindingKind::HarnessDrift`] warning:
//! the crate is pinned, so the harness or the toolchain changed under it.
//!
//! Rules for mmapio's exact metrics, for the threshold `t` (10%) and the
//! cycles threshold `c` (see [`Options`]):
//! * instruction counts regress when `new > baseline × (1 + t)`;
//! * estimated cycles (loop benches only) regress when
//!   `new > baseline × (1 + c)`;
//! * allocations and flushes per iteration regress when
//!   `new > baseline × (1 + t)` and the difference is at least one whole
//!   allocation (flush) per iteration: a baseline of 0 fails on any, while
//!   a background thread's occasional allocation (an average such as 0.75
//!   moving to 0.875) is not mistaken for a regression;
//! * a baseline metric missing from the head fails (a renamed or deleted
//!   bench must not pass silently); a metric only the head has is new.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::results::{Metric, MetricKind, Results, SCHEMA};
/// What the gate found for one metric (or for the results as a whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// Worse than its reference beyond the threshold: fails the gate.
    Regression,
    /// In the reference but not measured now: fails the gate.
    Missing,
    /// The two sides cannot be compared (schema, profile, kind or library
    /// differ, or too few passes): fails the gate.
    Incomparable,
    /// Within the threshold.
    Pass,
    /// Better than its reference by more than the threshold.
    Improvement,
    /// Only measured now (a new bench, or one the base revision's bench
    /// code does not have): reported, not gated.
    New,
    /// A peer's or a raw loop's metric: reported, never gated.
    Reported,
    /// A peer's or a raw loop's exact count moved by more than the
    /// threshold: the harness or the toolchain changed under a pinned
    /// crate. A warning about the measurement, not a regression.
    HarnessDrift,
    /// A timed regression that did not repeat when measured again:
    /// reported, not failed.
    NotRepeated,
}

impl FindingKind {
    /// Whether this finding fails the gate.
    pub fn fails(self) -> bool {
        matches!(
            self,
            FindingKind::Regression | FindingKind::Missing | FindingKind::Incomparable
        )
    }
}

/// One metric's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Metric name (or `results` for whole-file problems).
    pub name: String,
    /// The verdict.
    pub kind: FindingKind,
    /// What it is judged against: the checked-in baseline's value for an
    /// exact metric; for a timed one, the base revision's passes here
    /// (median, with the lowest and highest pass as its range).
    pub reference: Option<Metric>,
    /// The head's value (a timed one: its passes, as for `reference`).
    pub new: Option<Metric>,
    /// Relative change, `new / reference - 1`; for a timed metric, the
    /// paired estimate of the head's ratio over the base's, minus 1.
    pub change: Option<f64>,
    /// For a timed metric, the 95% interval of `change`.
    pub interval: Option<(f64, f64)>,
    /// The slowdown that fails the metric, when it is gated.
    pub threshold: Option<f64>,
    /// Why, in words, for failures and unusual cases.
    pub note: String,
}

impl Finding {
    /// A finding of `kind` with nothing measured yet.
    pub fn bare(name: impl Into<String>, kind: FindingKind, note: impl Into<String>) -> Finding {
        Finding {
            name: name.into(),
            kind,
            reference: None,
            new: None,
            change: None,
            interval: None,
            threshold: None,
            note: note.into(),
        }
    }

    /// Whether this is a timed metric's finding.
    pub fn is_timed(&self) -> bool {
        self.reference
            .as_ref()
            .or(self.new.as_ref())
            .is_some_and(|m| m.kind.is_timed())
    }
}

/// How strictly to judge.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// Relative threshold of instruction counts, allocations, flushes and
    /// timed ratios (0.10 for 10%).
    pub threshold: f64,
    /// Relative threshold of estimated cycles on loop benches, tighter
    /// than `threshold` because they repeat from build to build of code
    /// that does not change.
    pub cycles_threshold: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 0.10,
            cycles_threshold: 0.05,
        }
    }
}

/// Every finding of one gate run.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// One entry per metric, sorted by name.
    pub findings: Vec<Finding>,
    /// The options used.
    pub options: Options,
    /// Timed figures of the checked-in baseline, left unjudged.
    pub reference_only: usize,
    /// How many times the timed regressions were measured again.
    pub rechecks: usize,
}

impl Comparison {
    /// A comparison of `findings`, sorted by name.
    pub fn new(mut findings: Vec<Finding>, options: Options, reference_only: usize) -> Comparison {
        findings.sort_by(|a, b| a.name.cmp(&b.name));
        Comparison {
            findings,
            options,
            reference_only,
            rechecks: 0,
        }
    }

    /// Whether any finding fails the gate.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.kind.fails())
    }

    /// How many findings have `kind`.
    pub fn count(&self, kind: FindingKind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// The finding of `name`, if any.
    pub fn finding(&self, name: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.name == name)
    }

    /// What to measure again: every bench group (workload) with a timed
    /// regression, once, in name order, with the parameters of its
    /// regressed metrics (`ratio/group/function/parameter`) in name order.
    /// Measuring those parameters runs every variant of each.
    pub fn to_recheck(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for finding in &self.findings {
            if finding.kind != FindingKind::Regression || !finding.is_timed() {
                continue;
            }
            let parts: Vec<&str> = finding.name.split('/').collect();
            if let [_, group, .., parameter] = parts[..] {
                groups.entry(group).or_default().push(parameter);
            }
        }
        groups
            .into_iter()
            .map(|(group, mut parameters)| {
                parameters.sort_unstable();
                parameters.dedup();
                (
                    group.to_owned(),
                    parameters.into_iter().map(str::to_owned).collect(),
                )
            })
            .collect()
    }

    /// Keeps a timed regression only if `again` (the findings of a further
    /// measurement of the groups [`to_recheck`](Self::to_recheck) named)
    /// has it regress too; one that does not becomes
    /// [`FindingKind::NotRepeated`]. Exact metrics are left as they are.
    pub fn recheck(&mut self, again: &[Finding]) {
        self.rechecks += 1;
        for finding in &mut self.findings {
            if finding.kind != FindingKind::Regression || !finding.is_timed() {
                continue;
            }
            let Some(repeat) = again.iter().find(|f| f.name == finding.name) else {
                finding.note.push_str(" (not in the recheck)");
                continue;
            };
            let word = if repeat.kind == FindingKind::Regression {
                "repeated"
            } else {
                finding.kind = FindingKind::NotRepeated;
                "did not repeat"
            };
            let _ = write!(finding.note, " {word} on recheck: {}", shift_text(repeat));
        }
    }

    /// The largest timed change of each workload: `(workload, metric,
    /// change)`, in workload order.
    pub fn worst_timed_per_workload(&self) -> Vec<(String, String, f64)> {
        let mut worst: std::collections::BTreeMap<String, (String, f64)> = Default::default();
        for f in self.findings.iter().filter(|f| f.is_timed()) {
            let (Some(change), Some(workload)) = (f.change, f.name.split('/').nth(1)) else {
                continue;
            };
            let entry = worst
                .entry(workload.to_owned())
                .or_insert_with(|| (f.name.clone(), change));
            if change > entry.1 {
                *entry = (f.name.clone(), change);
            }
        }
        worst
            .into_iter()
            .map(|(workload, (name, change))| (workload, name, change))
            .collect()
    }

    /// A plain-text report: the timed A/B table, the worst movement per
    /// workload, then the findings that need a word, then failures, then
    /// the summary, so the end of a long log says what failed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let timed: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.is_timed() && f.change.is_some())
            .collect();
        if !timed.is_empty() {
            let _ = writeln!(
                out,
                "timed ratios, head over base measured here (paired passes; fails above {:+.0}% with its 95% interval above 0):",
                self.options.threshold * 100.0
            );
            for f in &timed {
                let _ = writeln!(out, "  {:<68} {}", short_name(&f.name), shift_text(f));
            }
            let _ = writeln!(out, "largest timed movement per workload:");
            for (workload, name, change) in self.worst_timed_per_workload() {
                let _ = writeln!(
                    out,
                    "  {workload:<20} {:+.1}%  {}",
                    change * 100.0,
                    short_name(&name)
                );
            }
        }
        let order = [
            FindingKind::HarnessDrift,
            FindingKind::New,
            FindingKind::Improvement,
            FindingKind::NotRepeated,
            FindingKind::Incomparable,
            FindingKind::Missing,
            FindingKind::Regression,
        ];
        for kind in order {
            for f in self.findings.iter().filter(|f| f.kind == kind) {
                let _ = writeln!(
                    out,
                    "{:<13} {:<68} {} {}",
                    label(kind),
                    f.name,
                    values(f),
                    f.note
                );
            }
        }
        let exact = self.findings.iter().filter(|f| !f.is_timed());
        let exact_gated = exact.filter(|f| f.threshold.is_some()).count();
        let timed_gated = self
            .findings
            .iter()
            .filter(|f| f.is_timed() && f.threshold.is_some())
            .count();
        let _ = writeln!(
            out,
            "gate: {exact_gated} exact metrics against the baseline (instructions and allocations {:.0}%, estimated cycles {:.0}%), {timed_gated} timed ratios against the base measured here ({:.0}%, {} recheck(s)); {} regressions, {} missing, {} incomparable, {} not repeated, {} improvements, {} new, {} harness warnings, {} peer and raw metrics reported, {} timed baseline figures not judged",
            self.options.threshold * 100.0,
            self.options.cycles_threshold * 100.0,
            self.options.threshold * 100.0,
            self.rechecks,
            self.count(FindingKind::Regression),
            self.count(FindingKind::Missing),
            self.count(FindingKind::Incomparable),
            self.count(FindingKind::NotRepeated),
            self.count(FindingKind::Improvement),
            self.count(FindingKind::New),
            self.count(FindingKind::HarnessDrift),
            self.count(FindingKind::Reported),
            self.reference_only,
        );
        let _ = writeln!(out, "gate: {}", if self.failed() { "FAIL" } else { "PASS" });
        out
    }
}

/// `ratio/` dropped from a timed metric's name.
fn short_name(name: &str) -> &str {
    name.strip_prefix("ratio/").unwrap_or(name)
}

/// A timed finding's change and interval, with the two sides' medians.
fn shift_text(f: &Finding) -> String {
    let (Some(change), Some((low, high))) = (f.change, f.interval) else {
        return values(f);
    };
    let sides = match (&f.reference, &f.new) {
        (Some(base), Some(head)) => format!(" (base {:.3}, head {:.3})", base.value, head.value),
        _ => String::new(),
    };
    format!(
        "{:+6.1}% [{:+.1}%, {:+.1}%]{sides}",
        change * 100.0,
        low * 100.0,
        high * 100.0
    )
}

fn values(f: &Finding) -> String {
    match (&f.reference, &f.new) {
        (Some(b), Some(n)) => format!(
            "{:.4} -> {:.4} ({:+.1}%)",
            b.value,
            n.value,
            f.change.unwrap_or(0.0) * 100.0
        ),
        (Some(b), None) => format!("reference {:.4}, now absent", b.value),
        (None, Some(n)) => format!("{:.4}", n.value),
        (None, None) => String::new(),
    }
}

fn label(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Regression => "REGRESSION",
        FindingKind::Missing => "MISSING",
        FindingKind::Incomparable => "INCOMPARABLE",
        FindingKind::Pass => "ok",
        FindingKind::Improvement => "improved",
        FindingKind::New => "new",
        FindingKind::Reported => "reported",
        FindingKind::HarnessDrift => "HARNESS",
        FindingKind::NotRepeated => "not repeated",
    }
}

/// Judges the head's exact metrics against the checked-in `baseline`;
/// returns the findings and how many timed figures of the baseline were
/// left unjudged. Timed metrics of either side are not judged here (see
/// [`super::ab`]).
pub fn compare_exact(
    baseline: &Results,
    head: &Results,
    options: Options,
) -> (Vec<Finding>, usize) {
    let mut findings = Vec::new();
    let incomparable = if baseline.schema != head.schema || head.schema != SCHEMA {
        Some(format!(
            "schema {} vs {} (this tool reads {SCHEMA})",
            baseline.schema, head.schema
        ))
    } else if baseline.profile != head.profile {
        Some(format!(
            "profile {:?} vs {:?}",
            baseline.profile, head.profile
        ))
    } else {
        None
    };
    if let Some(note) = incomparable {
        findings.push(Finding::bare("results", FindingKind::Incomparable, note));
    }
    let mut reference_only = 0;
    for (name, base) in &baseline.metrics {
        if base.kind.is_timed() {
            reference_only += 1;
            continue;
        }
        let Some(now) = head.metrics.get(name) else {
            let kind = if base.library.is_gated() {
                FindingKind::Missing
            } else {
                FindingKind::Reported
            };
            findings.push(Finding {
                reference: Some(base.clone()),
                ..Finding::bare(name, kind, "(renamed or deleted bench?)")
            });
            continue;
        };
        let (kind, threshold, note) = judge_exact(base, now, options);
        findings.push(Finding {
            name: name.clone(),
            kind,
            reference: Some(base.clone()),
            new: Some(now.clone()),
            change: relative_change(base.value, now.value),
            interval: None,
            threshold,
            note,
        });
    }
    for (name, now) in &head.metrics {
        if !now.kind.is_timed() && !baseline.metrics.contains_key(name) {
            findings.push(Finding {
                new: Some(now.clone()),
                ..Finding::bare(name, FindingKind::New, "")
            });
        }
    }
    (findings, reference_only)
}

fn relative_change(base: f64, now: f64) -> Option<f64> {
    (base != 0.0).then(|| now / base - 1.0)
}

/// The verdict on one exact metric: its kind, the threshold that gates it
/// (none when not gated) and a note.
fn judge_exact(
    base: &Metric,
    now: &Metric,
    options: Options,
) -> (FindingKind, Option<f64>, String) {
    if base.kind != now.kind || base.library != now.library {
        let note = format!(
            "changed from {:?} of {} to {:?} of {}",
            base.kind, base.library, now.kind, now.library
        );
        return (FindingKind::Incomparable, None, note);
    }
    let t = match base.kind {
        MetricKind::EstimatedCycles => options.cycles_threshold,
        _ => options.threshold,
    };
    let worse = now.value > base.value * (1.0 + t);
    let better = now.value * (1.0 + t) < base.value;
    let counted = matches!(base.kind, MetricKind::Allocations | MetricKind::Flushes);
    if !base.library.is_gated() {
        let simulated = matches!(
            base.kind,
            MetricKind::Instructions | MetricKind::EstimatedCycles
        );
        return if simulated && (worse || better) {
            let note = format!(
                "({} is pinned: the harness or the toolchain changed under it; not gated)",
                base.library
            );
            (FindingKind::HarnessDrift, None, note)
        } else {
            (FindingKind::Reported, None, String::new())
        };
    }
    // A whole allocation or flush per iteration at least: background
    // threads make averages jitter below one.
    let whole = |a: f64, b: f64| !counted || a - b >= 1.0;
    let kind = if worse && whole(now.value, base.value) {
        FindingKind::Regression
    } else if better && whole(base.value, now.value) {
        FindingKind::Improvement
    } else {
        FindingKind::Pass
    };
    (kind, Some(t), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Library;

    const OURS: Library = Library::Mmapio;

    fn results(cpu: &str, metrics: &[(&str, Metric)]) -> Results {
        Results::example(cpu, metrics.iter().cloned())
    }

    fn exact(kind: MetricKind, value: f64) -> Metric {
        Metric::exact(kind, OURS, value)
    }

    fn judged(base: &Results, head: &Results) -> Comparison {
        let (findings, reference_only) = compare_exact(base, head, Options::default());
        Comparison::new(findings, Options::default(), reference_only)
    }

    fn kind_of(c: &Comparison, name: &str) -> FindingKind {
        c.finding(name).unwrap_or_else(|| panic!("{name}")).kind
    }

    #[test]
    fn instructions_fail_above_ten_percent_and_cycles_above_five() {
        let at = |kind: MetricKind, value: f64| {
            let base = results("cpu", &[("m", exact(kind, 1000.0))]);
            let head = results("cpu", &[("m", exact(kind, value))]);
            kind_of(&judged(&base, &head), "m")
        };
        assert_eq!(
            at(MetricKind::Instructions, 1101.0),
            FindingKind::Regression
        );
        assert_eq!(at(MetricKind::Instructions, 1099.0), FindingKind::Pass);
        assert_eq!(
            at(MetricKind::Instructions, 800.0),
            FindingKind::Improvement
        );
        assert_eq!(
            at(MetricKind::EstimatedCycles, 1051.0),
            FindingKind::Regression
        );
        assert_eq!(at(MetricKind::EstimatedCycles, 1049.0), FindingKind::Pass);
    }

    #[test]
    fn missing_metric_fails_and_new_metric_is_reported() {
        let ir = |v| exact(MetricKind::Instructions, v);
        let base = results("cpu", &[("ir/a", ir(10.0)), ("ir/b", ir(10.0))]);
        let renamed = results("cpu", &[("ir/a", ir(10.0)), ("ir/b2", ir(10.0))]);
        let c = judged(&base, &renamed);
        assert!(c.failed());
        assert_eq!(kind_of(&c, "ir/b"), FindingKind::Missing);
        assert_eq!(kind_of(&c, "ir/b2"), FindingKind::New);
        let rendered = c.render();
        assert!(rendered.contains("MISSING"), "{rendered}");
        assert!(rendered.ends_with("gate: FAIL\n"), "{rendered}");
        let added = results(
            "cpu",
            &[("ir/a", ir(10.0)), ("ir/b", ir(10.0)), ("ir/c", ir(99.0))],
        );
        let c = judged(&base, &added);
        assert!(!c.failed(), "a new bench passes");
        assert_eq!(c.count(FindingKind::New), 1);
    }

    #[test]
    fn allocations_fail_on_a_whole_extra_allocation() {
        let allocs = |v| results("cpu", &[("allocs/x", exact(MetricKind::Allocations, v))]);
        assert!(judged(&allocs(0.0), &allocs(1.0)).failed());
        assert!(judged(&allocs(1.0), &allocs(2.0)).failed());
        // A background thread's averaged allocations jitter below one.
        assert!(!judged(&allocs(0.75), &allocs(0.875)).failed());
    }

    #[test]
    fn timed_figures_of_the_baseline_are_never_judged() {
        let ratio = Metric {
            low: 0.9,
            high: 1.1,
            ..exact(MetricKind::Ratio, 1.0)
        };
        let wall = exact(MetricKind::WallNs, 100.0);
        let base = results(
            "AMD EPYC",
            &[("ratio/g/x/1", ratio.clone()), ("wall/g/x/1", wall)],
        );
        // The head's exact results hold no timed figure at all, or other ones.
        let head = results("Intel Xeon", &[]);
        let c = judged(&base, &head);
        assert!(!c.failed(), "{}", c.render());
        assert!(c.findings.is_empty());
        assert_eq!(c.reference_only, 2);
        let slower = results(
            "AMD EPYC",
            &[(
                "ratio/g/x/1",
                Metric {
                    value: 3.0,
                    ..ratio
                },
            )],
        );
        assert!(judged(&base, &slower).findings.is_empty());
    }

    #[test]
    fn peers_and_raw_loops_are_reported_never_gated() {
        let peer = |kind, v| Metric::exact(kind, Library::MmapIo, v);
        let raw = |kind, v| Metric::exact(kind, Library::Memmap2, v);
        let base = results(
            "cpu",
            &[
                ("ir/p/mmap_io_x.ro", peer(MetricKind::Instructions, 100.0)),
                (
                    "cycles/p/mmap_io_x.ro",
                    peer(MetricKind::EstimatedCycles, 100.0),
                ),
                ("ir/p/memmap2_x.ro", raw(MetricKind::Instructions, 100.0)),
                ("allocs/g/mmap_io_x/1", peer(MetricKind::Allocations, 0.0)),
                (
                    "ir/p/mmap_io_gone.ro",
                    peer(MetricKind::Instructions, 100.0),
                ),
            ],
        );
        let head = results(
            "cpu",
            &[
                ("ir/p/mmap_io_x.ro", peer(MetricKind::Instructions, 122.0)),
                (
                    "cycles/p/mmap_io_x.ro",
                    peer(MetricKind::EstimatedCycles, 100.0),
                ),
                ("ir/p/memmap2_x.ro", raw(MetricKind::Instructions, 105.0)),
                ("allocs/g/mmap_io_x/1", peer(MetricKind::Allocations, 5.0)),
            ],
        );
        let c = judged(&base, &head);
        assert!(!c.failed(), "{}", c.render());
        assert_eq!(kind_of(&c, "ir/p/mmap_io_x.ro"), FindingKind::HarnessDrift);
        assert_eq!(kind_of(&c, "cycles/p/mmap_io_x.ro"), FindingKind::Reported);
        assert_eq!(kind_of(&c, "ir/p/memmap2_x.ro"), FindingKind::Reported);
        assert_eq!(kind_of(&c, "allocs/g/mmap_io_x/1"), FindingKind::Reported);
        assert_eq!(kind_of(&c, "ir/p/mmap_io_gone.ro"), FindingKind::Reported);
        assert!(c.render().contains("HARNESS       ir/p/mmap_io_x.ro"));
        // The same moves of mmapio's own metrics fail.
        let ours = |r: &Results| {
            let mut r = r.clone();
            for m in r.metrics.values_mut() {
                m.library = OURS;
            }
            r
        };
        let c = judged(&ours(&base), &ours(&head));
        assert_eq!(c.count(FindingKind::Regression), 2, "{}", c.render());
        assert_eq!(c.count(FindingKind::Missing), 1);
    }

    #[test]
    fn different_profiles_or_kinds_cannot_be_compared() {
        let base = results("cpu", &[]);
        let mut full = results("cpu", &[]);
        full.profile = "full".to_owned();
        let c = judged(&base, &full);
        assert!(c.failed());
        assert_eq!(kind_of(&c, "results"), FindingKind::Incomparable);
        let a = results("cpu", &[("m", exact(MetricKind::Instructions, 1.0))]);
        let b = results("cpu", &[("m", exact(MetricKind::Allocations, 1.0))]);
        assert_eq!(kind_of(&judged(&a, &b), "m"), FindingKind::Incomparable);
    }

    fn timed(name: &str, kind: FindingKind, change: f64) -> Finding {
        Finding {
            reference: Some(exact(MetricKind::Ratio, 1.0)),
            new: Some(exact(MetricKind::Ratio, 1.0 + change)),
            change: Some(change),
            interval: Some((change - 0.02, change + 0.02)),
            threshold: Some(0.10),
            ..Finding::bare(name, kind, "")
        }
    }

    #[test]
    fn timed_regressions_are_rechecked_by_group_and_must_repeat() {
        let mut c = Comparison::new(
            vec![
                timed("ratio/g/a/64B", FindingKind::Regression, 0.35),
                timed("ratio/g/b/4KiB", FindingKind::Regression, 0.3),
                timed("ratio/g/a/4KiB", FindingKind::Regression, 0.3),
                timed("ratio/h/c/1", FindingKind::Regression, 0.3),
                timed("ratio/k/d/1", FindingKind::Pass, 0.0),
                Finding {
                    reference: Some(exact(MetricKind::Instructions, 1.0)),
                    new: Some(exact(MetricKind::Instructions, 2.0)),
                    threshold: Some(0.1),
                    ..Finding::bare("ir/g/x", FindingKind::Regression, "")
                },
            ],
            Options::default(),
            0,
        );
        let groups = c.to_recheck();
        assert_eq!(
            groups,
            [
                ("g".to_owned(), vec!["4KiB".to_owned(), "64B".to_owned()]),
                ("h".to_owned(), vec!["1".to_owned()]),
            ]
        );
        // a/64B was noise, b/4KiB repeats, h/c is absent from the recheck.
        c.recheck(&[
            timed("ratio/g/a/64B", FindingKind::Pass, 0.01),
            timed("ratio/g/b/4KiB", FindingKind::Regression, 0.25),
            timed("ratio/g/a/4KiB", FindingKind::Pass, 0.05),
        ]);
        assert_eq!(kind_of(&c, "ratio/g/a/64B"), FindingKind::NotRepeated);
        assert_eq!(kind_of(&c, "ratio/g/b/4KiB"), FindingKind::Regression);
        assert_eq!(kind_of(&c, "ratio/h/c/1"), FindingKind::Regression);
        assert_eq!(
            kind_of(&c, "ir/g/x"),
            FindingKind::Regression,
            "exact: kept"
        );
        let rendered = c.render();
        assert!(
            rendered.contains("did not repeat on recheck:   +1.0%"),
            "{rendered}"
        );
        assert!(
            rendered.contains("repeated on recheck:  +25.0%"),
            "{rendered}"
        );
        assert!(rendered.contains("(not in the recheck)"), "{rendered}");
        assert!(rendered.contains("1 recheck(s)"), "{rendered}");
        let worst = c.worst_timed_per_workload();
        assert_eq!(worst[0], ("g".to_owned(), "ratio/g/a/64B".to_owned(), 0.35));
        assert!(c.failed());
    }

    #[test]
    fn failures_are_rendered_last_next_to_the_summary() {
        let ir = |v| exact(MetricKind::Instructions, v);
        let base = results("cpu", &[("ir/a", ir(10.0)), ("ir/z", ir(10.0))]);
        let head = results("cpu B", &[("ir/a", ir(20.0)), ("ir/z", ir(10.0))]);
        let rendered = judged(&base, &head).render();
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines[0].starts_with("REGRESSION    ir/a"), "{rendered}");
        assert!(lines[1].starts_with("gate: 2 exact metrics"), "{rendered}");
        assert_eq!(lines[2], "gate: FAIL");
    }
}
