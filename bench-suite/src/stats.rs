//! Statistics over measured values: medians with a distribution-free
//! confidence interval, paired ratios and percentiles. A leaf: it knows
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
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), 2.0);
    }
}
