//! The target ratios, computed from the results of the last run.
//!
//! Each ratio compares one variant's time per iteration with another's in
//! the same group, at the same parameter, of the same run. Where the run
//! timed both side by side ([`crate::harness::Batch`]), the ratio is the
//! median over rounds of the per-round ratio, with the 95% confidence
//! interval of that median as its range. Otherwise (a variant filtered out
//! of the rounds, or results of an older run) it divides criterion's
//! medians (`new/estimates.json`), with the range obtained by dividing the
//! ends of the two 95% confidence intervals. A ratio above its limit whose
//! range still reaches the limit is reported as "within noise", not as met.
//!
//! Criterion keeps the results of every parameter it ever measured, so a
//! quick run leaves its smaller sizes beside a full run's. [`Since`] keeps
//! a report to one run: results written before the run started are ignored.

use std::fmt;
use std::fs;

use serde::{Deserialize, Serialize};

use crate::catalog::{criterion_workloads, Library, Shape};
use crate::store::{
    criterion_dir, fastest, measured_ratio, parameters, read_allocation_report, results_dir, Since,
};

/// How a ratio compares with its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// At or below the limit.
    Met,
    /// Above the limit, but the confidence range reaches it.
    WithinNoise,
    /// Above the limit, confidence range included.
    Missed,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Met => "met",
            Verdict::WithinNoise => "within noise",
            Verdict::Missed => "MISSED",
        })
    }
}

/// One measured ratio.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ratio {
    /// What is compared, in words.
    pub target: String,
    /// The criterion group.
    pub group: String,
    /// `function/parameter` of the numerator.
    pub numerator: String,
    /// `function/parameter` of the denominator.
    pub denominator: String,
    /// Median ratio.
    pub ratio: f64,
    /// Ratio of the confidence intervals' facing ends.
    pub low: f64,
    /// Ratio of the confidence intervals' far ends.
    pub high: f64,
    /// The target's upper limit.
    pub limit: f64,
    /// Whether the benchmark specification names the target (`false`: a
    /// stricter comparison, and for every peer ratio).
    #[serde(default)]
    pub specified: bool,
    /// Side-by-side rounds the ratio is the median of; 0 when it divides
    /// criterion's medians.
    #[serde(default)]
    pub rounds: usize,
    /// How `ratio` compares with `limit`.
    pub verdict: Verdict,
}

/// A target: `numerator / floor <= limit` for every measured parameter
/// that `parameters` accepts, where the floor is the fastest of the
/// `floors` at that parameter.
struct Target {
    target: &'static str,
    /// Whether the benchmark specification names this target; `false`
    /// for a stricter comparison this suite adds.
    specified: bool,
    group: &'static str,
    numerator: &'static str,
    floors: &'static [&'static str],
    parameters: fn(&str) -> bool,
    limit: f64,
}

const TARGETS: &[Target] = &[
    Target {
        target: "as_slice RO vs raw memmap2",
        specified: true,
        group: "sequential_read",
        numerator: "mmapio_as_slice_ro",
        floors: &["memmap2_slice"],
        parameters: |p| p == "16MiB" || p == "256MiB",
        limit: 1.05,
    },
    Target {
        target: "as_slice RW vs raw memmap2",
        specified: true,
        group: "sequential_read",
        numerator: "mmapio_as_slice_rw",
        floors: &["memmap2_slice"],
        parameters: |p| p == "16MiB" || p == "256MiB",
        limit: 1.05,
    },
    Target {
        target: "chunks(4096) RO vs raw chunks_exact loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_ro",
        floors: &["memmap2_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // Stricter than the specified floor: where `slice::chunks` beats
    // `chunks_exact` (the cache-resident two-bytes loop), it is the floor.
    Target {
        target: "chunks(4096) RO vs fastest raw loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_ro",
        floors: &["memmap2_chunks_exact_4096", "memmap2_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "chunks(4096) RW vs raw chunks_exact loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_rw",
        floors: &["memmap2_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // Stricter than the specified floor, as above.
    Target {
        target: "chunks(4096) RW vs fastest raw loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_chunks_4096_rw",
        floors: &["memmap2_chunks_exact_4096", "memmap2_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // The same per-item walk written as a `for` loop, which drives `next`
    // one item at a time, against the raw `for` loop over `chunks_exact`.
    Target {
        target: "for loop over chunks(4096) RO vs raw for loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_ro",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "for loop over chunks(4096) RW vs raw for loop",
        specified: true,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_rw",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // The `for` loop over `&chunks`: items lent by the iterator hold no
    // share of the lock, so nothing in the loop may call out of line and
    // LLVM unrolls it on a read-write mapping too. Not named by the
    // specification, which measures the iterator's own items.
    Target {
        target: "for loop over &chunks(4096) RO vs raw for loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_lent_chunks_4096_ro",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "for loop over &chunks(4096) RW vs raw for loop",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_lent_chunks_4096_rw",
        floors: &["memmap2_for_chunks_exact_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    // The raw `for` loop with the same items: `slice::chunks` also yields a
    // shorter last chunk, so the length of each item is computed in `next`
    // and LLVM neither counts the loop's trips nor unrolls it with constant
    // offsets, as it does for `chunks_exact` (x86-64: 9 instructions per
    // item against 2.6).
    Target {
        target: "for loop over chunks(4096) RO vs raw for over slice::chunks",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_ro",
        floors: &["memmap2_for_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "for loop over chunks(4096) RW vs raw for over slice::chunks",
        specified: false,
        group: "iterator_throughput",
        numerator: "mmapio_for_chunks_4096_rw",
        floors: &["memmap2_for_chunks_4096"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "warm touch_pages RO vs raw volatile loop",
        specified: true,
        group: "touch_pages_large",
        numerator: "mmapio_touch_pages_ro",
        floors: &["memmap2_volatile_loop"],
        parameters: |p| p.starts_with("warm_"),
        limit: 1.2,
    },
    Target {
        target: "warm touch_pages RW vs raw volatile loop",
        specified: true,
        group: "touch_pages_large",
        numerator: "mmapio_touch_pages_rw",
        floors: &["memmap2_volatile_loop"],
        parameters: |p| p.starts_with("warm_"),
        limit: 1.2,
    },
    Target {
        target: "atomic_u64 fetch_add vs raw AtomicU64",
        specified: true,
        group: "atomic_contention",
        numerator: "mmapio_atomic_u64",
        floors: &["memmap2_raw_atomic_u64"],
        parameters: |_| true,
        limit: 1.05,
    },
    Target {
        target: "Manual sequential_write vs raw copy_from_slice",
        specified: true,
        group: "sequential_write",
        numerator: "mmapio_manual",
        floors: &["memmap2_copy_from_slice"],
        parameters: |_| true,
        limit: 1.10,
    },
    Target {
        target: "random_read 64 B as_slice RO vs raw indexing",
        specified: true,
        group: "random_read",
        numerator: "mmapio_as_slice_ro",
        floors: &["memmap2_slice"],
        parameters: |p| p == "64B",
        limit: 1.5,
    },
    Target {
        target: "random_read 64 B as_slice RW vs raw indexing",
        specified: true,
        group: "random_read",
        numerator: "mmapio_as_slice_rw",
        floors: &["memmap2_slice"],
        parameters: |p| p == "64B",
        limit: 4.0,
    },
];

fn ratio(
    since: Since,
    target: String,
    group: &str,
    parameter: &str,
    (numerator, denominator): (&str, &str),
    limit: f64,
) -> Option<Ratio> {
    let (measured, rounds) = measured_ratio(since, group, parameter, numerator, denominator)?;
    let verdict = if measured.point <= limit {
        Verdict::Met
    } else if measured.lower <= limit {
        Verdict::WithinNoise
    } else {
        Verdict::Missed
    };
    Some(Ratio {
        target,
        group: group.to_owned(),
        numerator: format!("{numerator}/{parameter}"),
        denominator: format!("{denominator}/{parameter}"),
        ratio: measured.point,
        low: measured.lower,
        high: measured.upper,
        limit,
        specified: false,
        rounds,
        verdict,
    })
}

/// The targets (against raw memmap2), for every parameter measured: the
/// specified ones, then the stricter comparisons.
pub fn target_ratios(since: Since) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    for t in TARGETS {
        for parameter in parameters(t.group, t.numerator) {
            if !(t.parameters)(&parameter) {
                continue;
            }
            let Some(floor) = fastest(since, t.group, &parameter, t.floors.iter().copied()) else {
                continue;
            };
            ratios.extend(
                ratio(
                    since,
                    t.target.to_owned(),
                    t.group,
                    &parameter,
                    (t.numerator, floor),
                    t.limit,
                )
                .map(|r| Ratio {
                    specified: t.specified,
                    ..r
                }),
            );
        }
    }
    ratios
}

/// Every mmapio variant of the run against its declared `mmap-io` twin
/// (limit 1.0).
pub fn peer_ratios(since: Since) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    for group in criterion_workloads() {
        for record in read_allocation_report(group) {
            let (Some(peer), true) = (&record.role.peer, since.includes_record(&record)) else {
                continue;
            };
            let Some((function, parameter)) = record.id.split_once('/') else {
                continue;
            };
            ratios.extend(ratio(
                since,
                "mmapio vs mmap-io".to_owned(),
                group,
                parameter,
                (function, peer),
                1.0,
            ));
        }
    }
    ratios
}

/// Zero-copy iterator variants must not allocate: every mmapio record of
/// the run that walks views (`fold` or `for` over items) with a non-zero
/// allocation count, as `(id, allocations per iteration)`.
pub fn allocating_zero_copy_iterators(since: Since) -> Vec<(String, f64)> {
    read_allocation_report("iterator_throughput")
        .into_iter()
        .filter(|r| since.includes_record(r))
        .filter(|r| {
            r.role.library == Library::Mmapio
                && matches!(r.role.shape, Shape::FoldItems | Shape::ForLoop)
        })
        .filter(|r| r.allocations_per_iteration != 0.0)
        .map(|r| (r.id, r.allocations_per_iteration))
        .collect()
}

fn print_ratios(title: &str, ratios: &[Ratio]) {
    println!("{title}");
    println!(
        "  {:<46} {:<58} {:<34} {:>7} {:>15} {:>6} {:>6}  verdict",
        "target", "numerator", "denominator", "ratio", "95% range", "limit", "rounds"
    );
    for r in ratios {
        let rounds = match r.rounds {
            0 => "-".to_owned(),
            n => n.to_string(),
        };
        println!(
            "  {:<46} {:<58} {:<34} {:>7.3} {:>7.3}-{:<7.3} {:>6.2} {:>6}  {}",
            r.target,
            format!("{}/{}", r.group, r.numerator),
            r.denominator,
            r.ratio,
            r.low,
            r.high,
            r.limit,
            rounds,
            r.verdict
        );
    }
}

/// Prints the target ratios, the peer ratios and every variant's
/// allocations, and writes the ratios to `target/bench-suite/ratios.json`.
/// Returns the number of ratios whose verdict is [`Verdict::Missed`].
pub fn report(since: Since) -> usize {
    let targets = target_ratios(since);
    let peers = peer_ratios(since);
    if targets.is_empty() && peers.is_empty() {
        println!(
            "no criterion results under {}: run the benches first",
            criterion_dir().display()
        );
        return 0;
    }
    let (specified, stricter): (Vec<Ratio>, Vec<Ratio>) =
        targets.iter().cloned().partition(|r| r.specified);
    print_ratios(
        "Targets (same run; median of the per-round ratios over side-by-side rounds, \
         or of criterion's medians where rounds says -):",
        &specified,
    );
    println!();
    print_ratios(
        "Stricter comparisons, beyond the specification (same run, same method):",
        &stricter,
    );
    println!();
    print_ratios("mmapio vs mmap-io (below 1.0: mmapio is faster):", &peers);
    let allocating = allocating_zero_copy_iterators(since);
    println!();
    if allocating.is_empty() {
        println!("Zero-copy iterators (chunks, pages): 0 allocations per iteration");
    } else {
        for (id, n) in &allocating {
            println!("MISSED: iterator_throughput/{id} allocates {n} times per iteration");
        }
    }
    println!();
    println!("Allocations per iteration (flushes per iteration for sequential_write):");
    for group in criterion_workloads() {
        for r in read_allocation_report(group)
            .into_iter()
            .filter(|r| since.includes_record(r))
        {
            let flushes = r
                .flushes_per_iteration
                .map_or_else(String::new, |f| format!("  flushes {f:.2}"));
            println!(
                "  {:<72} {:>12.3} allocations {:>14.1} bytes{flushes}",
                format!("{group}/{}", r.id),
                r.allocations_per_iteration,
                r.allocated_bytes_per_iteration
            );
        }
    }
    #[derive(Serialize)]
    struct Saved<'a> {
        targets: &'a [Ratio],
        peers: &'a [Ratio],
    }
    let path = results_dir().join("ratios.json");
    let json = serde_json::to_string_pretty(&Saved {
        targets: &targets,
        peers: &peers,
    })
    .expect("ratios serialize");
    fs::write(&path, json + "\n").unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!();
    println!("(written to {})", path.display());
    let missed = |ratios: &[Ratio]| {
        ratios
            .iter()
            .filter(|r| r.verdict == Verdict::Missed)
            .count()
    };
    println!(
        "Missed: {} specified target(s), {} stricter comparison(s), {} mmap-io comparison(s)",
        missed(&specified),
        missed(&stricter),
        missed(&peers)
    );
    missed(&targets) + missed(&peers) + allocating.len()
}
