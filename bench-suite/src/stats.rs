//! Statistics over measured values: medians with a distribution-free
//! confidence interval, paired ratios, the Hodges–Lehmann shift of paired
//! differences and percentiles. A leaf: it knows
//! nothing of benches, files or the catalog.

use serde::{Deserialize, Serialize};

/// A point estimate and its confidence interval (a median time per
/// iteration in ns, or a ratio).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub point: f64,
    /// Lower end of the confidence interval.
    pub lower: f64,
    /// Upper end of the confidence interval.
    pub upper: f64,
}

/// The median of `values` and a distribution-free 95% confidence interval
/// for it: the order statistics of ranks `⌊(n − 1.96√n)/2⌋` and
/// `⌈1 + (n + 1.96√n)/2⌉` (clamped to the sample), which is the whole
/// range below six values. `None` when `values` is empty or holds a NaN.
pub fn median_with_interval(values: &[f64]) -> Option<Estimate> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let point = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    let spread = 1.96 * (n as f64).sqrt();
    let rank = |r: f64| (r as usize).clamp(1, n) - 1;
    Some(Estimate {
        point,
        lower: sorted[rank(((n as f64 - spread) / 2.0).floor())],
        upper: sorted[rank((1.0 + (n as f64 + spread) / 2.0).ceil())],
    })
}

/// The median over rounds of `numerator[r] / denominator[r]`, with the
/// interval of [`median_with_interval`]. `None` unless both have the same,
/// non-zero number of rounds and every denominator is positive.
pub fn paired_ratio(numerator: &[f64], denominator: &[f64]) -> Option<Estimate> {
    if numerator.len() != denominator.len() || denominator.iter().any(|&d| d <= 0.0) {
        return None;
    }
    let ratios: Vec<f64> = numerator
        .iter()
        .zip(denominator)
        .map(|(n, d)| n / d)
        .collect();
    median_with_interval(&ratios)
}

/// The Hodges–Lehmann estimate of the centre of `differences` (paired
/// differences, such as log ratios of two builds measured side by side),
/// with its distribution-free confidence interval from the Wilcoxon
/// signed-rank test, at a confidence of at least 95%: the median of the
/// Walsh averages `(d_i + d_j) / 2, i <= j`, and the averages of ranks
/// `k + 1` and `M - k` among the `M = n(n + 1)/2` of them, where `k` is the
/// largest count with `P(T <= k) <= 2.5%` for the signed-rank statistic `T`
/// of `n` pairs. Fewer than six pairs cannot reach 95%: their interval is
/// the whole range of the Walsh averages. `None` when `differences` is
/// empty or holds a NaN.
pub fn hodges_lehmann(differences: &[f64]) -> Option<Estimate> {
    if differences.is_empty() || differences.iter().any(|d| d.is_nan()) {
        return None;
    }
    let n = differences.len();
    let mut walsh = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in i..n {
            walsh.push((differences[i] + differences[j]) / 2.0);
        }
    }
    walsh.sort_by(f64::total_cmp);
    let m = walsh.len();
    let point = if m % 2 == 1 {
        walsh[m / 2]
    } else {
        (walsh[m / 2 - 1] + walsh[m / 2]) / 2.0
    };
    let k = signed_rank_critical(n, 0.025).unwrap_or(0);
    Some(Estimate {
        point,
        lower: walsh[k],
        upper: walsh[m - 1 - k],
    })
}

/// The largest `k` with `P(T <= k) <= alpha` for the Wilcoxon signed-rank
/// statistic `T` of `n` pairs under the null hypothesis (every sign
/// equally likely), from its exact distribution; `None` when even
/// `P(T = 0) = 2^-n` exceeds `alpha`.
fn signed_rank_critical(n: usize, alpha: f64) -> Option<usize> {
    let max = n * (n + 1) / 2;
    // ways[t]: the subsets of the ranks 1..=n whose sum is t.
    let mut ways = vec![0f64; max + 1];
    ways[0] = 1.0;
    for rank in 1..=n {
        for t in (rank..=max).rev() {
            ways[t] += ways[t - rank];
        }
    }
    let total = 2f64.powi(n as i32);
    let mut cumulative = 0.0;
    let mut critical = None;
    for (t, w) in ways.iter().enumerate() {
        cumulative += w / total;
        if cumulative > alpha {
            break;
        }
        critical = Some(t);
    }
    critical
}

/// Nearest-rank percentile of sorted, non-empty `values`.
pub fn percentile(sorted: &[f64], pct: f64) -> f64 {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_their_intervals() {
        let odd = median_with_interval(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((odd.point, odd.lower, odd.upper), (3.0, 1.0, 5.0));
        let even = median_with_interval(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.point, 2.5);
        // 31 values 1..=31: median 16, ranks 10 and 22.
        let values: Vec<f64> = (1..=31).map(f64::from).collect();
        let e = median_with_interval(&values).unwrap();
        assert_eq!((e.point, e.lower, e.upper), (16.0, 10.0, 22.0));
        // 11 values: ranks 2 and 10.
        let values: Vec<f64> = (1..=11).map(f64::from).collect();
        let e = median_with_interval(&values).unwrap();
        assert_eq!((e.point, e.lower, e.upper), (6.0, 2.0, 10.0));
        assert!(median_with_interval(&[]).is_none());
        assert!(median_with_interval(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn ratios_are_paired_by_round() {
        // Both sides slow down together in round 2: paired, the ratio stays 2.
        let e = paired_ratio(&[20.0, 200.0, 22.0], &[10.0, 100.0, 11.0]).unwrap();
        assert_eq!((e.point, e.lower, e.upper), (2.0, 2.0, 2.0));
        assert!(paired_ratio(&[1.0], &[1.0, 2.0]).is_none());
        assert!(paired_ratio(&[1.0], &[0.0]).is_none());
        assert!(paired_ratio(&[], &[]).is_none());
    }

    #[test]
    fn signed_rank_critical_values_match_the_tables() {
        // Two-sided 5% critical values of the Wilcoxon signed-rank test.
        let table = [
            (6, 0),
            (7, 2),
            (8, 3),
            (10, 8),
            (12, 13),
            (16, 29),
            (20, 52),
        ];
        for (n, k) in table {
            assert_eq!(signed_rank_critical(n, 0.025), Some(k), "n = {n}");
        }
        assert_eq!(signed_rank_critical(5, 0.025), None);
    }

    #[test]
    fn hodges_lehmann_centres_and_bounds_paired_differences() {
        // Six pairs: the interval is the whole range of the Walsh averages.
        let d = [0.10, 0.12, 0.08, 0.11, 0.09, 0.30];
        let e = hodges_lehmann(&d).unwrap();
        assert!((e.point - 0.105).abs() < 1e-12, "{e:?}");
        assert_eq!((e.lower, e.upper), (0.08, 0.30));
        // One pair against the others' sign keeps the interval above 0 with
        // eight pairs (k = 3), not with six.
        let d = [0.1, 0.12, -0.01, 0.11, 0.09, 0.13, 0.1, 0.12];
        let e = hodges_lehmann(&d).unwrap();
        assert!(e.lower > 0.0 && e.point > 0.09, "{e:?}");
        let d6 = [0.1, 0.12, -0.01, 0.11, 0.09, 0.13];
        assert!(hodges_lehmann(&d6).unwrap().lower < 0.0);
        assert!(hodges_lehmann(&[]).is_none());
        assert!(hodges_lehmann(&[0.1, f64::NAN]).is_none());
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), 2.0);
    }
}
