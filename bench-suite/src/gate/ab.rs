//! Judging timed metrics A/B: the head and the base revision measured on
//! the machine that runs the gate, in passes that alternate between the
//! two builds.
//!
//! A timed metric is an mmapio variant's time over its raw `memmap2`
//! floor's, the median over one pass's side-by-side rounds. What such a
//! ratio is on one CPU says little about another (a read lock's atomic
//! read-modify-write costs more next to a plain load on some CPU families
//! than on others), so the head is only ever compared with the base
//! measured here, in the same gate run.
//!
//! The passes are paired: pass `i` of the base and pass `i` of the head ran
//! one after the other (in turn first), so both met the same neighbours on
//! a shared machine. For each metric, the change is the Hodges–Lehmann
//! estimate of the pairs' log ratios `ln(head_i / base_i)`, and its 95%
//! interval the Wilcoxon signed-rank interval of the same
//! ([`hodges_lehmann`]): distribution-free, so a pass that met a noisy
//! neighbour moves it little. A metric regresses when the change is above
//! the threshold and its interval lies wholly above 0; it improves when
//! the mirror image holds. [`super::Comparison::recheck`] then asks for the
//! regression to repeat in a further measurement.

use super::compare::{Finding, FindingKind, Options};
use super::merge::envelope;
use super::results::{Metric, Results};
use crate::stats::hodges_lehmann;

/// The fewest pairs a timed metric is judged on.
pub const MIN_PAIRS: usize = 3;

/// The timed passes of one measurement, paired by index: `base[i]` and
/// `head[i]` ran one after the other.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Passes {
    /// The base revision's passes.
    pub base: Vec<Results>,
    /// The head's passes.
    pub head: Vec<Results>,
}

impl Passes {
    /// The names of the gated timed metrics that any pass measured.
    fn timed_names(&self) -> std::collections::BTreeSet<&str> {
        self.base
            .iter()
            .chain(&self.head)
            .flat_map(|r| r.metrics.iter())
            .filter(|(_, m)| m.kind.is_timed() && m.library.is_gated())
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// The change of a timed metric: the paired estimate of `head / base - 1`
/// and its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shift {
    /// The estimate of `head / base - 1`.
    pub change: f64,
    /// Lower end of its 95% interval.
    pub low: f64,
    /// Upper end of its 95% interval.
    pub high: f64,
}

/// The shift of `head` over `base`, paired by index (see the module docs);
/// `None` for no pair or a value that is not positive.
pub fn paired_shift(base: &[f64], head: &[f64]) -> Option<Shift> {
    if base.len() != head.len() || base.iter().chain(head).any(|&v| v <= 0.0) {
        return None;
    }
    let logs: Vec<f64> = base.iter().zip(head).map(|(b, h)| (h / b).ln()).collect();
    let e = hodges_lehmann(&logs)?;
    Some(Shift {
        change: e.point.exp() - 1.0,
        low: e.lower.exp() - 1.0,
        high: e.upper.exp() - 1.0,
    })
}

/// Judges every gated timed metric of `passes`. A metric that no base pass
/// measured is new (the base revision's bench code lacks it); one that no
/// head pass measured is missing; one measured in fewer than
/// [`MIN_PAIRS`] pairs is incomparable.
pub fn judge_timed(passes: &Passes, options: Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    for name in passes.timed_names() {
        let side = |results: &[Results]| -> Vec<Option<Metric>> {
            results
                .iter()
                .map(|r| r.metrics.get(name).cloned())
                .collect()
        };
        let (base, head) = (side(&passes.base), side(&passes.head));
        let envelope_of = |side: &[Option<Metric>]| {
            let measured: Vec<&Metric> = side.iter().flatten().collect();
            (!measured.is_empty()).then(|| envelope(&measured))
        };
        let (reference, new) = (envelope_of(&base), envelope_of(&head));
        let finding = Finding {
            reference: reference.clone(),
            new: new.clone(),
            ..Finding::bare(name, FindingKind::Pass, "")
        };
        if reference.is_none() {
            findings.push(Finding {
                kind: FindingKind::New,
                note: "(not measured by the base revision's benches)".to_owned(),
                ..finding
            });
            continue;
        }
        if new.is_none() {
            findings.push(Finding {
                kind: FindingKind::Missing,
                note: "(measured by the base revision, not by the head: renamed or deleted?)"
                    .to_owned(),
                ..finding
            });
            continue;
        }
        let (b, h): (Vec<f64>, Vec<f64>) = base
            .iter()
            .zip(&head)
            .filter_map(|(b, h)| Some((b.as_ref()?.value, h.as_ref()?.value)))
            .unzip();
        let shift = (b.len() >= MIN_PAIRS)
            .then(|| paired_shift(&b, &h))
            .flatten();
        let Some(shift) = shift else {
            findings.push(Finding {
                kind: FindingKind::Incomparable,
                note: format!(
                    "(measured in {} pair(s) of passes; {MIN_PAIRS} needed)",
                    b.len()
                ),
                ..finding
            });
            continue;
        };
        let t = options.threshold;
        let kind = if shift.change > t && shift.low > 0.0 {
            FindingKind::Regression
        } else if shift.change < 1.0 / (1.0 + t) - 1.0 && shift.high < 0.0 {
            FindingKind::Improvement
        } else {
            FindingKind::Pass
        };
        findings.push(Finding {
            kind,
            change: Some(shift.change),
            interval: Some((shift.low, shift.high)),
            threshold: Some(t),
            note: format!("({} pairs)", b.len()),
            ..finding
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Library;
    use crate::gate::results::MetricKind;

    fn pass(metrics: &[(&str, f64)]) -> Results {
        let ratio = |v| Metric::exact(MetricKind::Ratio, Library::Mmapio, v);
        Results::example("cpu", metrics.iter().map(|&(n, v)| (n, ratio(v))))
    }

    /// Eight pairs of passes of metric `m`: base values `base`, head values
    /// `base × factor`, with a shared drift that the pairing cancels.
    fn passes(factor: f64, noise: &[f64]) -> Passes {
        let drift = [1.0, 1.3, 0.9, 1.1, 1.0, 1.25, 0.95, 1.05];
        let base = drift.iter().map(|d| pass(&[("ratio/g/m/1", *d)])).collect();
        let head = drift
            .iter()
            .zip(noise.iter().cycle())
            .map(|(d, n)| pass(&[("ratio/g/m/1", d * factor * n)]))
            .collect();
        Passes { base, head }
    }

    fn verdict(p: &Passes) -> Finding {
        judge_timed(p, Options::default()).remove(0)
    }

    #[test]
    fn a_paired_slowdown_beyond_the_threshold_regresses() {
        let noise = [1.0, 1.02, 0.99, 1.01];
        let f = verdict(&passes(1.15, &noise));
        assert_eq!(f.kind, FindingKind::Regression, "{f:?}");
        let change = f.change.unwrap();
        assert!((change - 0.15).abs() < 0.02, "{change}");
        let (low, high) = f.interval.unwrap();
        assert!(low > 0.1 && high < 0.2, "{low} {high}");
        // Unchanged code: the shared drift (up to 30% between pairs) cancels.
        let f = verdict(&passes(1.0, &noise));
        assert_eq!(f.kind, FindingKind::Pass, "{f:?}");
        assert!(f.change.unwrap().abs() < 0.02);
        // 8% slower: beyond noise, within the threshold.
        assert_eq!(verdict(&passes(1.08, &noise)).kind, FindingKind::Pass);
        assert_eq!(verdict(&passes(0.8, &noise)).kind, FindingKind::Improvement);
    }

    #[test]
    fn a_slowdown_whose_interval_reaches_zero_passes() {
        // Half the pairs slower by 40%, half faster by 10%: a large estimate
        // that the pairs do not agree on.
        let f = verdict(&passes(1.0, &[1.4, 0.9]));
        assert!(f.change.unwrap() > 0.1, "{f:?}");
        assert!(f.interval.unwrap().0 < 0.0, "{f:?}");
        assert_eq!(f.kind, FindingKind::Pass);
    }

    #[test]
    fn metrics_the_base_lacks_are_new_and_those_the_head_lacks_missing() {
        let base: Vec<Results> = (0..4).map(|_| pass(&[("ratio/g/old/1", 1.0)])).collect();
        let head: Vec<Results> = (0..4).map(|_| pass(&[("ratio/g/new/1", 1.0)])).collect();
        let findings = judge_timed(&Passes { base, head }, Options::default());
        let kind = |name: &str| findings.iter().find(|f| f.name == name).unwrap().kind;
        assert_eq!(kind("ratio/g/new/1"), FindingKind::New);
        assert_eq!(kind("ratio/g/old/1"), FindingKind::Missing);
        // Two pairs are too few to judge.
        let two = |v| (0..2).map(|_| pass(&[("ratio/g/m/1", v)])).collect();
        let findings = judge_timed(
            &Passes {
                base: two(1.0),
                head: two(2.0),
            },
            Options::default(),
        );
        assert_eq!(findings[0].kind, FindingKind::Incomparable);
    }

    #[test]
    fn shifts_need_positive_values_and_equal_sides() {
        assert!(paired_shift(&[1.0], &[1.0, 2.0]).is_none());
        assert!(paired_shift(&[0.0], &[1.0]).is_none());
        let s = paired_shift(&[1.0; 6], &[1.2; 6]).unwrap();
        assert!((s.change - 0.2).abs() < 1e-12 && (s.low - 0.2).abs() < 1e-12);
    }
}
