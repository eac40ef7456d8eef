//! Prints what a run measured against its targets: the catalog's targets,
//! every mmapio variant against its `mmap-io` twin (both evaluated by
//! [`crate::targets`]) and every variant's allocations per iteration.

use crate::catalog::criterion_workloads;
use crate::store::{read_allocation_report, Run};
use crate::targets::{allocating_zero_copy_iterators, peer_ratios, target_ratios, Ratio, Verdict};

/// How many comparisons of a run missed their limit, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Missed {
    /// Targets the benchmark specification names.
    pub specified: usize,
    /// The stricter comparisons this suite adds.
    pub stricter: usize,
    /// mmapio variants slower than their `mmap-io` twin.
    pub peers: usize,
    /// Zero-copy iterator variants that allocate.
    pub allocating: usize,
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
/// allocations of `run`, and returns how many
/// missed their limit ([`Verdict::Missed`]; "within noise" is not missed).
pub fn report(run: &Run) -> Missed {
    let targets = target_ratios(run);
    let peers = peer_ratios(run);
    if targets.is_empty() && peers.is_empty() {
        println!(
            "no criterion results under {}: run the benches first",
            run.dir().display()
        );
        return Missed::default();
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
    let allocating = allocating_zero_copy_iterators(run);
    println!();
    if allocating.is_empty() {
        println!("Zero-copy iterators (chunks, pages): 0 allocations per iteration");
    } else {
        for (id, n) in &allocating {
            println!("MISSED: iterator_throughput/{id} allocates {n} times per iteration");
        }
    }
    println!();
    println!("Allocations per iteration (flushes for sequential_write, bias revocations for reader_gate):");
    for group in criterion_workloads() {
        for r in read_allocation_report(run, group).into_iter() {
            let flushes = r
                .flushes_per_iteration
                .map_or_else(String::new, |f| format!("  flushes {f:.2}"));
            let revocations = r
                .revocations_per_iteration
                .map_or_else(String::new, |r| format!("  revocations {r:.3}"));
            println!(
                "  {:<72} {:>12.3} allocations {:>14.1} bytes{flushes}{revocations}",
                format!("{group}/{}", r.id),
                r.allocations_per_iteration,
                r.allocated_bytes_per_iteration
            );
        }
    }
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
    Missed {
        specified: missed(&specified),
        stricter: missed(&stricter),
        peers: missed(&peers),
        allocating: allocating.len(),
    }
}
