//! Judging new results against a baseline: a pure function, tested with
//! synthetic inputs.
//!
//! Rules, for a threshold `t` (10% in the gate):
//! * instruction counts regress when `new > baseline × (1 + t)`;
//! * allocations (and flushes) per iteration regress when
//!   `new > baseline × (1 + t)` and the difference is at least one whole
//!   allocation (flush) per iteration: a
//!   baseline of 0 fails on any allocation, while a background thread's
//!   occasional allocation (an average such as 0.75 moving to 0.875) is not
//!   mistaken for a regression;
//! * noisy metrics (same-run ratios; wall-clock times when gated) regress
//!   when even the favourable ends of both ranges are more than `t` apart:
//!   `new.low > baseline.high × (1 + t)`. A baseline merged from several
//!   runs ([`super::merge`]) has a range that spans all of them, so this
//!   reads "more than `t` worse than the worst the baseline runs allowed";
//!   a ratio that moves a lot between runs is gated less tightly, and its
//!   range in the baseline file says how tightly;
//! * wall-clock times are gated only when asked (`gate_wall_clock`) and the
//!   baseline was recorded on a machine with the same fingerprint;
//!   otherwise they are printed with the reason. On this project's shared
//!   2-core machines three runs with no code change moved wall-clock
//!   medians by +20% to +120% (13 to 27 false alarms per run), which is why
//!   the scripts leave it off;
//! * a baseline metric missing from the new results fails (a renamed or
//!   deleted bench must not pass silently); new metrics are reported;
//! * a noisy metric's regression must repeat: [`Comparison::recheck`] takes
//!   a further, independent run of the flagged bench groups
//!   ([`Comparison::groups_to_recheck`]) and keeps the regression only if
//!   the metric regresses there too (the gate script allows two rechecks,
//!   so a regression stands when it shows in all three runs). Criterion times one variant after
//!   another, so a neighbour's burst of load during one of them moves a
//!   ratio far outside its in-run 95% range (an unchanged ratio went from
//!   0.97 to 1.31 between two runs here); a real regression repeats, such
//!   a burst rarely does. Exact metrics are never rechecked.

use std::fmt::Write as _;

use super::results::{Metric, MetricKind, Results, SCHEMA};

/// What the comparison found for one metric (or for the run as a whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// Worse than the baseline by more than the threshold: fails the gate.
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
    /// Wall-clock time from a different machine: reported, not gated.
    NotGated,
    /// A noisy metric that regressed once but not when its group was
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
    /// The threshold used.
    pub threshold: f64,
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

    /// The criterion bench groups (bench file names) with a regression in
    /// a noisy metric (ratio or wall-clock), each once, in name order: what
    /// [`Comparison::recheck`] wants measured again.
    pub fn groups_to_recheck(&self) -> Vec<String> {
        let mut groups: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Regression && is_noisy(f))
            .filter_map(|f| f.name.split('/').nth(1).map(str::to_owned))
            .collect();
        groups.dedup();
        groups
    }

    /// Judges every noisy regression again against `recheck`, a second run
    /// of the groups named by [`Comparison::groups_to_recheck`]. One that
    /// does not regress there becomes [`FindingKind::NotRepeated`]; one
    /// that does, or that `recheck` lacks, stays a regression. Exact
    /// metrics (instructions, allocations) are left as they are.
    pub fn recheck(&mut self, baseline: &Results, recheck: &Results) {
        for finding in &mut self.findings {
            if finding.kind != FindingKind::Regression || !is_noisy(finding) {
                continue;
            }
            let (Some(base), Some(again)) = (
                baseline.metrics.get(&finding.name),
                recheck.metrics.get(&finding.name),
            ) else {
                finding.note.push_str(" (not in the recheck)");
                continue;
            };
            let (kind, _) = judge(base, again, self.threshold, self.same_machine);
            let verdict = if kind == FindingKind::Regression {
                "repeated"
            } else {
                finding.kind = FindingKind::NotRepeated;
                "did not repeat"
            };
            let _ = write!(
                finding.note,
                " {verdict} on recheck: {:.4} ({:.4}..{:.4})",
                again.value, again.low, again.high
            );
        }
    }

    /// A plain-text report: passing findings that need a word first, then
    /// failures, then the summary, so the end of a long log says what
    /// failed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let order = [
            FindingKind::NotGated,
            FindingKind::New,
            FindingKind::Improvement,
            FindingKind::NotRepeated,
            FindingKind::Incomparable,
            FindingKind::Missing,
            FindingKind::Regression,
        ];
        for kind in order {
            for f in self.findings.iter().filter(|f| f.kind == kind) {
                let values = match (&f.baseline, &f.new) {
                    (Some(b), Some(n)) => format!(
                        "{:.4} -> {:.4} ({:+.1}%)",
                        b.value,
                        n.value,
                        f.change.unwrap_or(0.0) * 100.0
                    ),
                    (Some(b), None) => format!("baseline {:.4}, now absent", b.value),
                    (None, Some(n)) => format!("{:.4}", n.value),
                    (None, None) => String::new(),
                };
                let _ = writeln!(
                    out,
                    "{:<12} {:<72} {} {}",
                    label(kind),
                    f.name,
                    values,
                    f.note
                );
            }
        }
        let _ = writeln!(
            out,
            "gate: {} metrics, {} regressions, {} not repeated on recheck, {} missing, {} improvements, {} new, {} not gated (threshold {:.0}%, wall-clock {})",
            self.findings.len(),
            self.count(FindingKind::Regression),
            self.count(FindingKind::NotRepeated),
            self.count(FindingKind::Missing),
            self.count(FindingKind::Improvement),
            self.count(FindingKind::New),
            self.count(FindingKind::NotGated),
            self.threshold * 100.0,
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

fn label(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Regression => "REGRESSION",
        FindingKind::Missing => "MISSING",
        FindingKind::Incomparable => "INCOMPARABLE",
        FindingKind::Pass => "ok",
        FindingKind::Improvement => "improved",
        FindingKind::New => "new",
        FindingKind::NotGated => "not gated",
        FindingKind::NotRepeated => "not repeated",
    }
}

/// Whether a finding is about a timed metric, whose regressions may be
/// noise and are rechecked.
fn is_noisy(finding: &Finding) -> bool {
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
    /// Gate wall-clock times (still only on the same machine fingerprint).
    pub gate_wall_clock: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 0.10,
            gate_wall_clock: false,
        }
    }
}

/// Judges `new` against `baseline`. See the module docs for the rules.
pub fn compare(baseline: &Results, new: &Results, options: Options) -> Comparison {
    let threshold = options.threshold;
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
            note,
        });
    }
    for (name, base) in &baseline.metrics {
        let Some(now) = new.metrics.get(name) else {
            findings.push(Finding {
                name: name.clone(),
                kind: FindingKind::Missing,
                baseline: Some(base.clone()),
                new: None,
                change: None,
                note: "(renamed or deleted bench?)".to_owned(),
            });
            continue;
        };
        let (kind, note) = judge(base, now, threshold, same_machine);
        findings.push(Finding {
            name: name.clone(),
            kind,
            baseline: Some(base.clone()),
            new: Some(now.clone()),
            change: relative_change(base.value, now.value),
            note,
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
                note: String::new(),
            });
        }
    }
    findings.sort_by(|a, b| a.name.cmp(&b.name));
    Comparison {
        findings,
        same_machine,
        threshold,
    }
}

fn relative_change(base: f64, now: f64) -> Option<f64> {
    (base != 0.0).then(|| now / base - 1.0)
}

fn judge(base: &Metric, now: &Metric, t: f64, same_machine: bool) -> (FindingKind, String) {
    if base.kind != now.kind {
        return (
            FindingKind::Incomparable,
            format!("kind changed from {:?} to {:?}", base.kind, now.kind),
        );
    }
    let limit = 1.0 + t;
    let (worse, better) = match base.kind {
        MetricKind::Instructions => (
            now.value > base.value * limit,
            now.value * limit < base.value,
        ),
        MetricKind::Allocations | MetricKind::Flushes => (
            now.value > base.value * limit && now.value - base.value >= 1.0,
            now.value * limit < base.value && base.value - now.value >= 1.0,
        ),
        MetricKind::WallNs if !same_machine => {
            return (
                FindingKind::NotGated,
                "(wall-clock: not asked for, or another machine)".to_owned(),
            );
        }
        MetricKind::Ratio | MetricKind::WallNs => {
            (now.low > base.high * limit, now.high * limit < base.low)
        }
    };
    if worse {
        let note = match base.kind {
            MetricKind::Ratio | MetricKind::WallNs => format!(
                "(95% ranges {:.4}..{:.4} -> {:.4}..{:.4})",
                base.low, base.high, now.low, now.high
            ),
            _ => String::new(),
        };
        (FindingKind::Regression, note)
    } else if better {
        (FindingKind::Improvement, String::new())
    } else {
        (FindingKind::Pass, String::new())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::gate::results::Machine;

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
        }
    }

    fn exact(kind: MetricKind, v: f64) -> Metric {
        Metric::exact(kind, v)
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
        assert!(c.render().contains("new          ir/c"));
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
    fn noisy_metrics_need_separated_ranges() {
        let ranged = |v: f64, low: f64, high: f64| Metric {
            kind: MetricKind::Ratio,
            value: v,
            low,
            high,
        };
        let base = results("cpu", &[("ratio/x", ranged(1.00, 0.98, 1.02))]);
        // Median 12% worse, but the ranges overlap within 10%: not proven.
        let overlapping = results("cpu", &[("ratio/x", ranged(1.12, 1.10, 1.14))]);
        assert!(!compare(&base, &overlapping, Options::default()).failed());
        // Whole range beyond baseline.high * 1.1 = 1.122: a regression.
        let separated = results("cpu", &[("ratio/x", ranged(1.16, 1.13, 1.19))]);
        assert!(compare(&base, &separated, Options::default()).failed());
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
    fn wide_baselines_are_gated_beyond_their_range() {
        let wide = Metric {
            kind: MetricKind::Ratio,
            value: 1.0,
            low: 0.8,
            high: 1.3,
        };
        let base = results("cpu", &[("ratio/x", wide)]);
        let within = results("cpu", &[("ratio/x", exact(MetricKind::Ratio, 1.4))]);
        assert_eq!(
            kind_of(&compare(&base, &within, Options::default()), "ratio/x"),
            FindingKind::Pass,
            "1.4 is within 10% of the worst baseline run (1.3)"
        );
        let beyond = results("cpu", &[("ratio/x", exact(MetricKind::Ratio, 1.5))]);
        assert_eq!(
            kind_of(&compare(&base, &beyond, Options::default()), "ratio/x"),
            FindingKind::Regression
        );
    }

    #[test]
    fn a_noisy_regression_fails_only_if_the_recheck_repeats_it() {
        let ranged = |v: f64| Metric {
            kind: MetricKind::Ratio,
            value: v,
            low: v * 0.99,
            high: v * 1.01,
        };
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
        assert_eq!(c.groups_to_recheck(), ["g", "h"]);

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
    fn a_regression_must_repeat_in_every_recheck() {
        let ratio = |v: f64| Metric {
            kind: MetricKind::Ratio,
            value: v,
            low: v,
            high: v,
        };
        let base = results("cpu", &[("ratio/g/a/1", ratio(1.0))]);
        let worse = results("cpu", &[("ratio/g/a/1", ratio(2.0))]);
        let fine = results("cpu", &[("ratio/g/a/1", ratio(1.0))]);
        let mut c = compare(&base, &worse, Options::default());
        c.recheck(&base, &worse);
        assert_eq!(c.groups_to_recheck(), ["g"], "repeated once: check again");
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
        assert!(lines[0].starts_with("not gated"), "{rendered}");
        assert!(lines[1].starts_with("REGRESSION   ir/a"), "{rendered}");
        assert!(
            lines[2].starts_with("gate: 2 metrics, 1 regressions"),
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
