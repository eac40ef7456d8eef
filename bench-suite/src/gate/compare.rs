//! Judging new results against a baseline: a pure function, tested with
//! synthetic inputs.
//!
//! Only mmapio is judged ([`Library::is_gated`](crate::catalog::Library::is_gated)). A peer's or a raw loop's
//! metric is reported, never gated; a peer's instruction count that moves
//! is a [`FindingKind::HarnessDrift`] warning: the crate is pinned, so the
//! harness or the toolchain changed under it.
//!
//! Rules for mmapio's metrics, for a threshold `t` (10% in the gate):
//! * instruction counts regress when `new > baseline × (1 + t)`;
//! * allocations (and flushes) per iteration regress when
//!   `new > baseline × (1 + t)` and the difference is at least one whole
//!   allocation (flush) per iteration: a baseline of 0 fails on any
//!   allocation, while a background thread's occasional allocation (an
//!   average such as 0.75 moving to 0.875) is not mistaken for a
//!   regression;
//! * timed metrics (a variant's time over its like-for-like raw floor in
//!   the same run; wall-clock times when gated) have a limit of
//!   `max(baseline × (1 + t), worst baseline run × (1 + t/2))`: `t` above
//!   the baseline, widened only as far as the baseline's own runs spread.
//!   The slowdown that reaches the limit is the metric's *effective
//!   threshold*, printed for every timed metric. A metric whose effective
//!   threshold would exceed `max_threshold` (15%) is too noisy to gate: it
//!   is reported as [`FindingKind::TooNoisy`], not gated. A ratio whose
//!   baseline is below `min_ratio` (0.9) says mmapio beat a raw loop doing
//!   the same work by more than 10%, which the library cannot do: the
//!   harness favoured one side (where a mapping landed, how a loop was laid
//!   out), and such a ratio moves between runs and machines, so it is
//!   reported as [`FindingKind::BelowFloor`], not gated. A timed metric
//!   regresses when its new value is above the limit and its 95% range
//!   lies wholly above the baseline value;
//! * wall-clock times are gated only when asked (`gate_wall_clock`) and the
//!   baseline was recorded on a machine with the same fingerprint;
//!   otherwise they are reported;
//! * a baseline metric missing from the new results fails (a renamed or
//!   deleted bench must not pass silently); new metrics are reported;
//! * a timed regression must repeat: [`Comparison::recheck`] takes a
//!   further, independent run of the flagged bench groups
//!   ([`Comparison::groups_to_recheck`]) and keeps the regression only if
//!   the metric regresses there too (the gate script allows two rechecks,
//!   so a regression stands when it shows in all three runs). Exact
//!   metrics are never rechecked.

use std::fmt::Write as _;

use super::results::{Metric, MetricKind, Results, SCHEMA};

/// What the comparison found for one metric (or for the run as a whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// Worse than the baseline beyond its threshold: fails the gate.
    Regression,
    /// In the baseline but not in the new results: fails the gate.
    Missing,
    /// The two result files cannot be compared (schema or profile differ):
    /// fails the gate.
    Incomparable,
    /// Within the threshold.
    Pass,
    /// Better than the baseline by more than the threshold.
    Improvement,
    /// Only in the new results: reported, not gated.
    New,
    /// Wall-clock time not asked for, or from a different machine:
    /// reported, not gated.
    NotGated,
    /// A peer's or a raw loop's metric: reported, never gated.
    Reported,
    /// A peer's or a raw loop's instruction count moved by more than the
    /// threshold: the harness or the toolchain changed under a pinned
    /// crate. A warning about the measurement, not a regression.
    HarnessDrift,
    /// An mmapio timed metric whose baseline runs spread too far for a
    /// threshold within `max_threshold`: reported, not gated.
    TooNoisy,
    /// An mmapio ratio whose baseline is below `min_ratio`: faster than a
    /// raw loop doing the same work, so a bias of the harness; reported,
    /// not gated.
    BelowFloor,
    /// A timed metric that regressed once but not when its group was
    /// measured again: reported, not failed.
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
    /// The baseline value, when there is one.
    pub baseline: Option<Metric>,
    /// The new value, when there is one.
    pub new: Option<Metric>,
    /// Relative change of the value, `new / baseline - 1`.
    pub change: Option<f64>,
    /// For a gated metric, the slowdown (relative to the baseline value)
    /// that fails it.
    pub threshold: Option<f64>,
    /// Why, in words, for failures and unusual cases.
    pub note: String,
}

/// Every finding of one comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// One entry per metric, sorted by name.
    pub findings: Vec<Finding>,
    /// Whether wall-clock times were gated (asked for, and the same
    /// machine fingerprint).
    pub same_machine: bool,
    /// The options used.
    pub options: Options,
}

impl Comparison {
    /// Whether any finding fails the gate.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.kind.fails())
    }

    /// How many findings have `kind`.
    pub fn count(&self, kind: FindingKind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// What [`Comparison::recheck`] wants measured again: every criterion
    /// bench group (bench file name) with a regression in a timed metric,
    /// once, in name order, as `group=PARAMETER|PARAMETER...` with the
    /// parameters of its regressed metrics (`ratio/group/function/parameter`)
    /// in name order. Measuring only those parameters runs every variant of
    /// each, floors included.
    pub fn groups_to_recheck(&self) -> Vec<String> {
        let mut groups: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for finding in &self.findings {
            if finding.kind != FindingKind::Regression || !is_timed(finding) {
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
                format!("{group}={}", parameters.join("|"))
            })
            .collect()
    }

    /// Judges every timed regression again against `recheck`, a second run
    /// of the groups named by [`Comparison::groups_to_recheck`]. One that
    /// does not regress there becomes [`FindingKind::NotRepeated`]; one
    /// that does, or that `recheck` lacks, stays a regression. Exact
    /// metrics (instructions, allocations) are left as they are.
    pub fn recheck(&mut self, baseline: &Results, recheck: &Results) {
        for finding in &mut self.findings {
            if finding.kind != FindingKind::Regression || !is_timed(finding) {
                continue;
            }
            let (Some(base), Some(again)) = (
                baseline.metrics.get(&finding.name),
                recheck.metrics.get(&finding.name),
            ) else {
                finding.note.push_str(" (not in the recheck)");
                continue;
            };
            let verdict = judge(base, again, self.options, self.same_machine);
            let word = if verdict.kind == FindingKind::Regression {
                "repeated"
            } else {
                finding.kind = FindingKind::NotRepeated;
                "did not repeat"
            };
            let _ = write!(
                finding.note,
                " {word} on recheck: {:.4} ({:.4}..{:.4})",
                again.value, again.low, again.high
            );
        }
    }

    /// A plain-text report: every gated timed metric with its effective
    /// threshold, then the findings that need a word, then failures, then
    /// the summary, so the end of a long log says what failed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let timed: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| is_timed(f) && f.threshold.is_some())
            .collect();
        if !timed.is_empty() {
            let _ = writeln!(
                out,
                "gated timed metrics (threshold: the slowdown over the baseline value that fails):"
            );
            for f in timed {
                let _ = writeln!(
                    out,
                    "  {:<76} {} threshold {:+.1}%",
                    f.name,
                    values(f),
                    f.threshold.unwrap_or(0.0) * 100.0
                );
            }
        }
        let order = [
            FindingKind::HarnessDrift,
            FindingKind::TooNoisy,
            FindingKind::BelowFloor,
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
                    "{:<13} {:<76} {} {}",
                    label(kind),
                    f.name,
                    values(f),
                    f.note
                );
            }
        }
        let _ = writeln!(
            out,
            "gate: {} metrics, {} regressions, {} not repeated on recheck, {} missing, {} improvements, {} new, {} too noisy to gate, {} below their floor, {} harness warnings, {} peer and raw metrics reported, {} not gated (threshold {:.0}%, at most {:.0}% for timed metrics; wall-clock {})",
            self.findings.len(),
            self.count(FindingKind::Regression),
            self.count(FindingKind::NotRepeated),
            self.count(FindingKind::Missing),
            self.count(FindingKind::Improvement),
            self.count(FindingKind::New),
            self.count(FindingKind::TooNoisy),
            self.count(FindingKind::BelowFloor),
            self.count(FindingKind::HarnessDrift),
            self.count(FindingKind::Reported),
            self.count(FindingKind::NotGated),
            self.options.threshold * 100.0,
            self.options.max_threshold * 100.0,
            if self.same_machine {
                "gated: same machine as the baseline"
            } else {
                "not gated: not asked for (--gate-wall-clock) or another machine"
            }
        );
        let _ = writeln!(out, "gate: {}", if self.failed() { "FAIL" } else { "PASS" });
        out
    }
}

fn values(f: &Finding) -> String {
    match (&f.baseline, &f.new) {
        (Some(b), Some(n)) => format!(
            "{:.4} -> {:.4} ({:+.1}%)",
            b.value,
            n.value,
            f.change.unwrap_or(0.0) * 100.0
        ),
        (Some(b), None) => format!("baseline {:.4}, now absent", b.value),
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
        FindingKind::NotGated => "not gated",
        FindingKind::Reported => "reported",
        FindingKind::HarnessDrift => "HARNESS",
        FindingKind::TooNoisy => "too noisy",
        FindingKind::BelowFloor => "below floor",
        FindingKind::NotRepeated => "not repeated",
    }
}

/// Whether a finding is about a timed metric, whose regressions may be
/// noise and are rechecked.
fn is_timed(finding: &Finding) -> bool {
    finding
        .baseline
        .as_ref()
        .is_some_and(|m| matches!(m.kind, MetricKind::Ratio | MetricKind::WallNs))
}

/// How strictly to compare.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Relative threshold (0.10 for 10%).
    pub threshold: f64,
    /// The widest effective threshold a timed metric may have and still be
    /// gated (0.15 for 15%).
    pub max_threshold: f64,
    /// The lowest baseline a ratio may have and still be gated (0.9).
    pub min_ratio: f64,
    /// Gate wall-clock times (still only on the same machine fingerprint).
    pub gate_wall_clock: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 0.10,
            max_threshold: 0.15,
            min_ratio: 0.9,
            gate_wall_clock: false,
        }
    }
}

/// The limit of a timed metric with baseline `base` (see the module docs)
/// and the slowdown that reaches it, `limit / base.value - 1`.
pub fn timed_limit(base: &Metric, options: Options) -> (f64, f64) {
    let t = options.threshold;
    let limit = (base.value * (1.0 + t)).max(base.high * (1.0 + t / 2.0));
    (limit, limit / base.value - 1.0)
}

/// Judges `new` against `baseline`. See the module docs for the rules.
pub fn compare(baseline: &Results, new: &Results, options: Options) -> Comparison {
    let same_machine = baseline.machine.same_fingerprint(&new.machine) && options.gate_wall_clock;
    let mut findings = Vec::new();
    let incomparable = if baseline.schema != new.schema || new.schema != SCHEMA {
        Some(format!(
            "schema {} vs {} (this tool reads {SCHEMA})",
            baseline.schema, new.schema
        ))
    } else if baseline.profile != new.profile {
        Some(format!(
            "profile {:?} vs {:?}",
            baseline.profile, new.profile
        ))
    } else {
        None
    };
    if let Some(note) = incomparable {
        findings.push(Finding {
            name: "results".to_owned(),
            kind: FindingKind::Incomparable,
            baseline: None,
            new: None,
            change: None,
            threshold: None,
            note,
        });
    }
    for (name, base) in &baseline.metrics {
        let Some(now) = new.metrics.get(name) else {
            let kind = if base.library.is_gated() {
                FindingKind::Missing
            } else {
                FindingKind::Reported
            };
            findings.push(Finding {
                name: name.clone(),
                kind,
                baseline: Some(base.clone()),
                new: None,
                change: None,
                threshold: None,
                note: "(renamed or deleted bench?)".to_owned(),
            });
            continue;
        };
        let verdict = judge(base, now, options, same_machine);
        findings.push(Finding {
            name: name.clone(),
            kind: verdict.kind,
            baseline: Some(base.clone()),
            new: Some(now.clone()),
            change: relative_change(base.value, now.value),
            threshold: verdict.threshold,
            note: verdict.note,
        });
    }
    for (name, now) in &new.metrics {
        if !baseline.metrics.contains_key(name) {
            findings.push(Finding {
                name: name.clone(),
                kind: FindingKind::New,
                baseline: None,
                new: Some(now.clone()),
                change: None,
                threshold: None,
                note: String::new(),
            });
        }
    }
    findings.sort_by(|a, b| a.name.cmp(&b.name));
    Comparison {
        findings,
        same_machine,
        options,
    }
}

fn relative_change(base: f64, now: f64) -> Option<f64> {
    (base != 0.0).then(|| now / base - 1.0)
}

/// The verdict on one metric.
struct Verdict {
    kind: FindingKind,
    threshold: Option<f64>,
    note: String,
}

impl Verdict {
    fn of(kind: FindingKind, note: impl Into<String>) -> Verdict {
        Verdict {
            kind,
            threshold: None,
            note: note.into(),
        }
    }
}

fn judge(base: &Metric, now: &Metric, options: Options, same_machine: bool) -> Verdict {
    if base.kind != now.kind || base.library != now.library {
        return Verdict::of(
            FindingKind::Incomparable,
            format!(
                "changed from {:?} of {} to {:?} of {}",
                base.kind, base.library, now.kind, now.library
            ),
        );
    }
    let t = options.threshold;
    if !base.library.is_gated() {
        let moved = now.value > base.value * (1.0 + t) || now.value * (1.0 + t) < base.value;
        return if base.kind == MetricKind::Instructions && moved {
            Verdict::of(
                FindingKind::HarnessDrift,
                format!(
                    "({} is pinned: the harness or the toolchain changed under it; not gated)",
                    base.library
                ),
            )
        } else {
            Verdict::of(FindingKind::Reported, "")
        };
    }
    let (worse, better, threshold) = match base.kind {
        MetricKind::Instructions => (
            now.value > base.value * (1.0 + t),
            now.value * (1.0 + t) < base.value,
            t,
        ),
        MetricKind::Allocations | MetricKind::Flushes => (
            now.value > base.value * (1.0 + t) && now.value - base.value >= 1.0,
            now.value * (1.0 + t) < base.value && base.value - now.value >= 1.0,
            t,
        ),
        MetricKind::WallNs if !same_machine => {
            return Verdict::of(
                FindingKind::NotGated,
                "(wall-clock: not asked for, or another machine)",
            );
        }
        MetricKind::Ratio if base.value < options.min_ratio => {
            return Verdict::of(
                FindingKind::BelowFloor,
                format!(
                    "(baseline {:.4}: faster than a raw loop doing the same work by more than {:.0}%, a bias of the harness; not gated)",
                    base.value,
                    (1.0 - options.min_ratio) * 100.0
                ),
            );
        }
        MetricKind::Ratio | MetricKind::WallNs => {
            let (limit, threshold) = timed_limit(base, options);
            if threshold > options.max_threshold + 1e-9 {
                return Verdict::of(
                    FindingKind::TooNoisy,
                    format!(
                        "(baseline runs reach {:.4}, {:+.1}% over the baseline value: a threshold of {:+.1}% is over the {:.0}% cap; not gated)",
                        base.high,
                        (base.high / base.value - 1.0) * 100.0,
                        threshold * 100.0,
                        options.max_threshold * 100.0
                    ),
                );
            }
            (
                now.value > limit && now.low > base.value,
                now.value * (1.0 + t) < base.value && now.high < base.value,
                threshold,
            )
        }
    };
    let kind = if worse {
        FindingKind::Regression
    } else if better {
        FindingKind::Improvement
    } else {
        FindingKind::Pass
    };
    let note = match (kind, base.kind) {
        (FindingKind::Regression, MetricKind::Ratio | MetricKind::WallNs) => format!(
            "(limit {:.4}, threshold {:+.1}%; new 95% range {:.4}..{:.4})",
            base.value * (1.0 + threshold),
            threshold * 100.0,
            now.low,
            now.high
        ),
        _ => String::new(),
    };
    Verdict {
        kind,
        threshold: Some(threshold),
        note,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalog::Library;
    use crate::gate::results::Machine;

    const OURS: Library = Library::Mmapio;

    fn machine(cpu: &str) -> Machine {
        Machine {
            cpu: cpu.to_owned(),
            cores: 2,
            kernel: "6.1".to_owned(),
            rustc: "rustc 1.95.0".to_owned(),
            valgrind: "valgrind-3.19.0".to_owned(),
        }
    }

    fn results(cpu: &str, metrics: &[(&str, Metric)]) -> Results {
        Results {
            schema: SCHEMA,
            profile: "quick".to_owned(),
            commit: "abc".to_owned(),
            date: "today".to_owned(),
            machine: machine(cpu),
            metrics: metrics
                .iter()
                .map(|(n, m)| ((*n).to_owned(), m.clone()))
                .collect::<BTreeMap<_, _>>(),
            variants: BTreeMap::new(),
            targets: Vec::new(),
        }
    }

    fn exact(kind: MetricKind, v: f64) -> Metric {
        Metric::exact(kind, OURS, v)
    }

    fn ranged(kind: MetricKind, value: f64, low: f64, high: f64) -> Metric {
        Metric {
            kind,
            library: OURS,
            value,
            low,
            high,
        }
    }

    fn wall_on() -> Options {
        Options {
            gate_wall_clock: true,
            ..Options::default()
        }
    }

    fn kind_of(c: &Comparison, name: &str) -> FindingKind {
        c.findings.iter().find(|f| f.name == name).unwrap().kind
    }

    #[test]
    fn eleven_percent_worse_fails_and_nine_percent_passes_for_every_kind() {
        for kind in [
            MetricKind::Instructions,
            MetricKind::Allocations,
            MetricKind::Flushes,
            MetricKind::Ratio,
            MetricKind::WallNs,
        ] {
            let base = results("cpu", &[("m", exact(kind, 1000.0))]);
            let worse = results("cpu", &[("m", exact(kind, 1110.0))]);
            let slightly = results("cpu", &[("m", exact(kind, 1090.0))]);
            let c = compare(&base, &worse, wall_on());
            assert!(c.failed(), "{kind:?}: 11% worse must fail");
            assert_eq!(kind_of(&c, "m"), FindingKind::Regression);
            let c = compare(&base, &slightly, wall_on());
            assert!(!c.failed(), "{kind:?}: 9% worse must pass");
            assert_eq!(kind_of(&c, "m"), FindingKind::Pass);
        }
    }

    #[test]
    fn missing_metric_fails_and_new_metric_is_reported() {
        let base = results(
            "cpu",
            &[
                ("ir/a", exact(MetricKind::Instructions, 10.0)),
                ("ir/b", exact(MetricKind::Instructions, 10.0)),
            ],
        );
        let renamed = results(
            "cpu",
            &[
                ("ir/a", exact(MetricKind::Instructions, 10.0)),
                ("ir/b2", exact(MetricKind::Instructions, 10.0)),
            ],
        );
        let c = compare(&base, &renamed, Options::default());
        assert!(c.failed());
        assert_eq!(kind_of(&c, "ir/b"), FindingKind::Missing);
        assert_eq!(kind_of(&c, "ir/b2"), FindingKind::New);
        let rendered = c.render();
        assert!(rendered.contains("MISSING"), "{rendered}");
        assert!(rendered.contains("ir/b2"), "{rendered}");
        assert!(rendered.ends_with("gate: FAIL\n"), "{rendered}");

        let added = results(
            "cpu",
            &[
                ("ir/a", exact(MetricKind::Instructions, 10.0)),
                ("ir/b", exact(MetricKind::Instructions, 10.0)),
                ("ir/c", exact(MetricKind::Instructions, 99.0)),
            ],
        );
        let c = compare(&base, &added, Options::default());
        assert!(!c.failed(), "a new bench passes");
        assert_eq!(c.count(FindingKind::New), 1);
        assert!(c.render().contains("new           ir/c"));
    }

    #[test]
    fn allocations_fail_on_a_whole_extra_allocation() {
        let allocs = |v| results("cpu", &[("allocs/x", exact(MetricKind::Allocations, v))]);
        assert!(compare(&allocs(0.0), &allocs(1.0), Options::default()).failed());
        assert!(compare(&allocs(1.0), &allocs(2.0), Options::default()).failed());
        // A background thread's averaged allocations jitter below one.
        assert!(!compare(&allocs(0.75), &allocs(0.875), Options::default()).failed());
    }

    #[test]
    fn timed_metrics_fail_above_their_limit_with_a_range_above_the_baseline() {
        let ratio = |v, low, high| ranged(MetricKind::Ratio, v, low, high);
        // Baseline runs within 2%: the limit is 1.10, a 10% threshold.
        let base = results("cpu", &[("ratio/g/x", ratio(1.00, 0.98, 1.02))]);
        let judged = |now: Metric| {
            let c = compare(
                &base,
                &results("cpu", &[("ratio/g/x", now)]),
                Options::default(),
            );
            (kind_of(&c, "ratio/g/x"), c.findings[0].threshold)
        };
        assert_eq!(
            judged(ratio(1.12, 1.05, 1.20)),
            (FindingKind::Regression, Some(0.10000000000000009))
        );
        assert_eq!(judged(ratio(1.09, 1.05, 1.12)).0, FindingKind::Pass);
        // 12% worse, but its own 95% range reaches the baseline value: a
        // run too noisy to say.
        assert_eq!(judged(ratio(1.12, 0.99, 1.30)).0, FindingKind::Pass);
        assert_eq!(judged(ratio(0.88, 0.85, 0.95)).0, FindingKind::Improvement);
    }

    #[test]
    fn a_spread_baseline_widens_the_threshold_up_to_the_cap() {
        let ratio = |v, low, high| ranged(MetricKind::Ratio, v, low, high);
        // The worst baseline run was 8% over the value: limit 1.08 x 1.05.
        let base = results("cpu", &[("ratio/g/x", ratio(1.00, 0.97, 1.08))]);
        let at = |v: f64| {
            let now = results("cpu", &[("ratio/g/x", ratio(v, v - 0.01, v + 0.01))]);
            let c = compare(&base, &now, Options::default());
            (kind_of(&c, "ratio/g/x"), c.findings[0].threshold.unwrap())
        };
        let (kind, threshold) = at(1.13);
        assert_eq!(kind, FindingKind::Pass);
        assert!((threshold - 0.134).abs() < 1e-9, "{threshold}");
        assert_eq!(at(1.14).0, FindingKind::Regression);
        // Runs 12% apart would need a 17.6% threshold: over the 15% cap,
        // so the metric is reported, not gated, whatever it measures.
        let wide = results("cpu", &[("ratio/g/x", ratio(1.00, 0.95, 1.12))]);
        let far = results("cpu", &[("ratio/g/x", ratio(3.0, 2.9, 3.1))]);
        let c = compare(&wide, &far, Options::default());
        assert_eq!(kind_of(&c, "ratio/g/x"), FindingKind::TooNoisy);
        assert!(!c.failed());
        assert!(c.render().contains("too noisy"), "{}", c.render());
    }

    #[test]
    fn a_ratio_below_its_floor_is_a_harness_bias_not_gated() {
        let ratio = |v: f64| ranged(MetricKind::Ratio, v, v - 0.01, v + 0.01);
        let base = results(
            "cpu",
            &[("ratio/g/x", ratio(0.85)), ("ratio/g/y", ratio(0.95))],
        );
        let now = results(
            "cpu",
            &[("ratio/g/x", ratio(1.2)), ("ratio/g/y", ratio(1.2))],
        );
        let c = compare(&base, &now, Options::default());
        assert_eq!(kind_of(&c, "ratio/g/x"), FindingKind::BelowFloor);
        assert_eq!(
            kind_of(&c, "ratio/g/y"),
            FindingKind::Regression,
            "0.95 is gated"
        );
        assert!(
            c.render().contains("below floor   ratio/g/x"),
            "{}",
            c.render()
        );
    }

    #[test]
    fn peers_and_raw_loops_are_reported_never_gated() {
        // (name, library, kind, baseline, now; None: absent from the run)
        let metrics = [
            (
                "ir/p/mmap_io_out_of_range.ro",
                Library::MmapIo,
                MetricKind::Instructions,
                100.0,
                Some(122.0),
            ),
            (
                "ir/p/memmap2_slice.ro",
                Library::Memmap2,
                MetricKind::Instructions,
                100.0,
                Some(105.0),
            ),
            (
                "allocs/g/mmap_io_x/1",
                Library::MmapIo,
                MetricKind::Allocations,
                0.0,
                Some(5.0),
            ),
            (
                "wall/g/std_fs_read_at/1",
                Library::Std,
                MetricKind::WallNs,
                10.0,
                Some(100.0),
            ),
            (
                "ratio/g/mmap_io_x/1",
                Library::MmapIo,
                MetricKind::Ratio,
                1.0,
                None,
            ),
        ];
        let base = results(
            "cpu",
            &metrics.map(|(n, l, k, b, _)| (n, Metric::exact(k, l, b))),
        );
        let present: Vec<(&str, Metric)> = metrics
            .iter()
            .filter_map(|&(n, l, k, _, now)| Some((n, Metric::exact(k, l, now?))))
            .collect();
        let now = results("cpu", &present);
        let c = compare(&base, &now, wall_on());
        assert!(!c.failed(), "{}", c.render());
        assert_eq!(
            kind_of(&c, "ir/p/mmap_io_out_of_range.ro"),
            FindingKind::HarnessDrift
        );
        assert_eq!(kind_of(&c, "ir/p/memmap2_slice.ro"), FindingKind::Reported);
        assert_eq!(kind_of(&c, "allocs/g/mmap_io_x/1"), FindingKind::Reported);
        assert_eq!(
            kind_of(&c, "wall/g/std_fs_read_at/1"),
            FindingKind::Reported
        );
        assert_eq!(
            kind_of(&c, "ratio/g/mmap_io_x/1"),
            FindingKind::Reported,
            "absent"
        );
        assert!(c.groups_to_recheck().is_empty());
        let rendered = c.render();
        assert!(
            rendered.contains("HARNESS       ir/p/mmap_io_out_of_range.ro"),
            "{rendered}"
        );
        assert!(rendered.contains("1 harness warnings"), "{rendered}");
        // The same moves of mmapio's own metrics fail.
        let ours = |r: &Results| {
            let mut r = r.clone();
            for m in r.metrics.values_mut() {
                m.library = OURS;
            }
            r
        };
        let c = compare(&ours(&base), &ours(&now), wall_on());
        assert_eq!(c.count(FindingKind::Regression), 3, "{}", c.render());
        assert_eq!(c.count(FindingKind::Missing), 1);
    }

    #[test]
    fn wall_clock_is_only_gated_on_the_same_machine() {
        let base = results("cpu A", &[("wall/x", exact(MetricKind::WallNs, 100.0))]);
        let elsewhere = results("cpu B", &[("wall/x", exact(MetricKind::WallNs, 500.0))]);
        let c = compare(&base, &elsewhere, Options::default());
        assert!(!c.failed());
        assert_eq!(kind_of(&c, "wall/x"), FindingKind::NotGated);
        assert!(c.render().contains("not gated: not asked for"));
        let here = results("cpu A", &[("wall/x", exact(MetricKind::WallNs, 500.0))]);
        assert!(
            !compare(&base, &here, Options::default()).failed(),
            "off by default"
        );
        assert!(compare(&base, &here, wall_on()).failed());
        assert!(
            !compare(&base, &elsewhere, wall_on()).failed(),
            "other machine"
        );
    }

    #[test]
    fn a_noisy_regression_fails_only_if_the_recheck_repeats_it() {
        let ranged = |v: f64| ranged(MetricKind::Ratio, v, v * 0.99, v * 1.01);
        let base = results(
            "cpu",
            &[
                ("ir/g/x", exact(MetricKind::Instructions, 100.0)),
                ("ratio/g/a/1", ranged(1.0)),
                ("ratio/g/b/1", ranged(1.0)),
                ("ratio/h/c/1", ranged(1.0)),
                ("ratio/k/d/1", ranged(1.0)),
            ],
        );
        let now = results(
            "cpu",
            &[
                ("ir/g/x", exact(MetricKind::Instructions, 200.0)),
                ("ratio/g/a/1", ranged(1.5)),
                ("ratio/g/b/1", ranged(1.5)),
                ("ratio/h/c/1", ranged(1.5)),
                ("ratio/k/d/1", ranged(1.0)),
            ],
        );
        let mut c = compare(&base, &now, Options::default());
        assert_eq!(c.count(FindingKind::Regression), 4);
        // Only timed metrics are rechecked, each group once.
        assert_eq!(c.groups_to_recheck(), ["g=1", "h=1"]);

        // `a` was noise, `b` repeats, `c` is absent from the recheck.
        let again = results(
            "cpu",
            &[("ratio/g/a/1", ranged(1.02)), ("ratio/g/b/1", ranged(1.4))],
        );
        c.recheck(&base, &again);
        assert_eq!(kind_of(&c, "ratio/g/a/1"), FindingKind::NotRepeated);
        assert_eq!(kind_of(&c, "ratio/g/b/1"), FindingKind::Regression);
        assert_eq!(kind_of(&c, "ratio/h/c/1"), FindingKind::Regression);
        assert_eq!(
            kind_of(&c, "ir/g/x"),
            FindingKind::Regression,
            "exact: kept"
        );
        assert_eq!(kind_of(&c, "ratio/k/d/1"), FindingKind::Pass);
        assert!(c.failed());
        let rendered = c.render();
        assert!(
            rendered.contains("did not repeat on recheck: 1.0200"),
            "{rendered}"
        );
        assert!(
            rendered.contains("repeated on recheck: 1.4000"),
            "{rendered}"
        );
        assert!(rendered.contains("(not in the recheck)"), "{rendered}");

        // With every timed regression gone on recheck, only the exact one
        // fails; without it the gate passes.
        let mut c = compare(&base, &now, Options::default());
        let all_noise = results(
            "cpu",
            &[
                ("ratio/g/a/1", ranged(1.0)),
                ("ratio/g/b/1", ranged(1.0)),
                ("ratio/h/c/1", ranged(1.0)),
            ],
        );
        c.recheck(&base, &all_noise);
        assert_eq!(c.count(FindingKind::Regression), 1);
        c.findings.retain(|f| f.name != "ir/g/x");
        assert!(!c.failed());
        assert!(c.render().ends_with("gate: PASS\n"));
    }

    #[test]
    fn rechecks_name_each_group_once_with_its_regressed_parameters() {
        let r = |v: f64| ranged(MetricKind::Ratio, v, v * 0.99, v * 1.01);
        let names = [
            "ratio/g/a/64B",
            "ratio/g/b/64B",
            "ratio/g/a/4KiB",
            "ratio/h/c/warm_1MiB",
            "ratio/g/a/1MiB",
        ];
        let base = results("cpu", &names.map(|n| (n, r(1.0))));
        let now = results(
            "cpu",
            &[
                (names[0], r(1.5)),
                (names[1], r(1.5)),
                (names[2], r(1.5)),
                (names[3], r(1.5)),
                (names[4], r(1.0)),
            ],
        );
        let c = compare(&base, &now, Options::default());
        assert_eq!(c.groups_to_recheck(), ["g=4KiB|64B", "h=warm_1MiB"]);
    }

    #[test]
    fn a_regression_must_repeat_in_every_recheck() {
        let ratio = |v: f64| exact(MetricKind::Ratio, v);
        let base = results("cpu", &[("ratio/g/a/1", ratio(1.0))]);
        let worse = results("cpu", &[("ratio/g/a/1", ratio(2.0))]);
        let fine = results("cpu", &[("ratio/g/a/1", ratio(1.0))]);
        let mut c = compare(&base, &worse, Options::default());
        c.recheck(&base, &worse);
        assert_eq!(c.groups_to_recheck(), ["g=1"], "repeated once: check again");
        c.recheck(&base, &fine);
        assert_eq!(kind_of(&c, "ratio/g/a/1"), FindingKind::NotRepeated);
        assert!(c.groups_to_recheck().is_empty());
        assert!(!c.failed());
        let mut c = compare(&base, &worse, Options::default());
        c.recheck(&base, &worse);
        c.recheck(&base, &worse);
        assert!(c.failed(), "repeated in every recheck");
    }

    #[test]
    fn failures_are_rendered_last_next_to_the_summary() {
        let base = results(
            "cpu",
            &[
                ("ir/a", exact(MetricKind::Instructions, 10.0)),
                ("wall/z", exact(MetricKind::WallNs, 10.0)),
            ],
        );
        let now = results(
            "cpu B",
            &[
                ("ir/a", exact(MetricKind::Instructions, 20.0)),
                ("wall/z", exact(MetricKind::WallNs, 10.0)),
            ],
        );
        let rendered = compare(&base, &now, Options::default()).render();
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines[0].starts_with("REGRESSION    ir/a"), "{rendered}");
        assert!(
            lines[1].starts_with("gate: 2 metrics, 1 regressions"),
            "{rendered}"
        );
    }

    #[test]
    fn different_profiles_cannot_be_compared() {
        let base = results("cpu", &[]);
        let mut full = results("cpu", &[]);
        full.profile = "full".to_owned();
        let c = compare(&base, &full, Options::default());
        assert!(c.failed());
        assert_eq!(kind_of(&c, "results"), FindingKind::Incomparable);
    }

    #[test]
    fn improvements_are_reported_and_pass() {
        let base = results("cpu", &[("ir/a", exact(MetricKind::Instructions, 100.0))]);
        let now = results("cpu", &[("ir/a", exact(MetricKind::Instructions, 50.0))]);
        let c = compare(&base, &now, Options::default());
        assert!(!c.failed());
        assert_eq!(kind_of(&c, "ir/a"), FindingKind::Improvement);
    }
}
