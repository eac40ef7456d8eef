//! One workload's records besides criterion's times: allocations,
//! flushes and bias revocations per iteration of every variant, and the
//! side-by-side rounds; printed as tables and saved through
//! [`crate::store`].

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId};

use super::alloc::count_region_allocations;
use super::profile::Profile;
use crate::catalog::Role;
use crate::stats::median_with_interval;
use crate::store::{merge_json_records, unix_seconds_now, RoundsRecord, Run, VariantRecord};

/// Reads a variant's flush counter (`flush_stats().flushes`), for
/// [`Batch::add_counting_flushes`](crate::harness::Batch::add_counting_flushes).
pub struct FlushCount<'b> {
    read: Box<dyn Fn() -> u64 + 'b>,
    by_time: bool,
}

impl<'b> FlushCount<'b> {
    /// A counter whose count per iteration does not depend on time (a
    /// policy that flushes on bytes or writes, or only when asked): an
    /// exact metric.
    pub fn exact(read: impl Fn() -> u64 + 'b) -> Self {
        FlushCount {
            read: Box::new(read),
            by_time: false,
        }
    }

    /// A counter that depends on elapsed time (a timer policy): reported,
    /// not gated.
    pub fn by_time(read: impl Fn() -> u64 + 'b) -> Self {
        FlushCount {
            read: Box::new(read),
            by_time: true,
        }
    }

    /// The counter's current value.
    pub(crate) fn read(&self) -> u64 {
        (self.read)()
    }
}

/// Reads a variant's count of its file's bias revocations
/// (`bias_revocations()`), for
/// [`Batch::add_counting_revocations`](crate::harness::Batch::add_counting_revocations).
/// How often a write finds the bias on depends on time (after a
/// revocation the gate keeps the bias off for as long as the revocation
/// took), so the count is reported, never gated.
pub struct RevocationCount<'b> {
    read: Box<dyn Fn() -> u64 + 'b>,
}

impl<'b> RevocationCount<'b> {
    /// A counter read by `read`.
    pub fn new(read: impl Fn() -> u64 + 'b) -> Self {
        RevocationCount {
            read: Box::new(read),
        }
    }
}

/// The event counters a variant is measured with besides its allocations,
/// each optional: read around every timed call, their differences are
/// divided by the iterations those calls ran.
#[derive(Default)]
pub(crate) struct Counters<'b> {
    pub(crate) flushes: Option<FlushCount<'b>>,
    pub(crate) revocations: Option<RevocationCount<'b>>,
}

/// The values of a variant's counters at one moment, or what they counted
/// over some calls (0 for a counter the variant does not have).
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    flushes: u64,
    revocations: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.flushes += other.flushes;
        self.revocations += other.revocations;
    }
}

impl Counters<'_> {
    fn read(&self) -> Counts {
        Counts {
            flushes: self.flushes.as_ref().map_or(0, FlushCount::read),
            revocations: self.revocations.as_ref().map_or(0, |r| (r.read)()),
        }
    }

    /// What the counters counted since they read `before`.
    fn since(&self, before: Counts) -> Counts {
        let now = self.read();
        Counts {
            flushes: now.flushes - before.flushes,
            revocations: now.revocations - before.revocations,
        }
    }

    /// `counted` over `iterations`, per iteration, for the counters the
    /// variant has; none when no iteration ran.
    fn per_iteration(&self, counted: Counts, iterations: u64) -> PerIteration {
        let per = |has: bool, n: u64| (has && iterations > 0).then(|| n as f64 / iterations as f64);
        PerIteration {
            flushes: per(self.flushes.is_some(), counted.flushes),
            flushes_by_time: self.flushes.as_ref().is_some_and(|f| f.by_time),
            revocations: per(self.revocations.is_some(), counted.revocations),
        }
    }
}

/// A variant's counts per iteration, as its record keeps them.
struct PerIteration {
    flushes: Option<f64>,
    flushes_by_time: bool,
    revocations: Option<f64>,
}

/// The records of one workload (one criterion group), written to
/// `target/bench-suite/allocations/<workload>.json` by
/// [`WorkloadReport::finish`] and printed as a table.
pub struct WorkloadReport {
    workload: &'static str,
    profile: Profile,
    records: Vec<VariantRecord>,
    rounds: Vec<RoundsRecord>,
    /// Whether criterion measured the variants (not a rounds-only pass),
    /// so that its results are there to keep.
    criterion_ran: bool,
}

impl WorkloadReport {
    /// An empty report for the group `workload`.
    pub fn new(workload: &'static str, profile: Profile) -> Self {
        WorkloadReport {
            workload,
            profile,
            records: Vec::new(),
            rounds: Vec::new(),
            criterion_ran: false,
        }
    }

    /// The profile of the run.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Benchmarks `routine` as `function/parameter` in `group` (for
    /// [`Batch::run`](crate::harness::Batch::run)), recording the
    /// variant's declared `role` with its counts.
    ///
    /// `routine(n)` runs `n` iterations and returns the time of its
    /// [`TimedRegion`]. Before criterion's first sample (so only when the
    /// benchmark is selected), it is run once for `counted_iterations`
    /// iterations with allocation counting on. The variant's `counters`
    /// are read around every timed call and their differences are divided
    /// by the iterations criterion ran.
    ///
    /// Returns whether the benchmark ran (it does not when a command-line
    /// filter leaves it out).
    pub(crate) fn bench_variant(
        &mut self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        (function, role): (&str, &Role),
        parameter: &str,
        counted_iterations: u64,
        routine: &mut dyn FnMut(u64) -> Duration,
        counters: &Counters<'_>,
    ) -> bool {
        let id = format!("{function}/{parameter}");
        let mut counted: Option<(u64, u64)> = None;
        let (mut events, mut timed_iterations) = (Counts::default(), 0u64);
        group.bench_function(BenchmarkId::new(function, parameter), |b| {
            if counted.is_none() {
                counted = Some(count_region_allocations(counted_iterations, routine));
            }
            b.iter_custom(|iterations| {
                let before = counters.read();
                let elapsed = routine(iterations);
                events.add(counters.since(before));
                timed_iterations += iterations;
                elapsed
            });
        });
        let Some((allocations, bytes)) = counted else {
            return false; // filtered out on the command line
        };
        self.criterion_ran = true;
        self.push_record(
            id,
            role,
            counted_iterations,
            (allocations, bytes),
            counters.per_iteration(events, timed_iterations),
        );
        true
    }

    /// Records `function/parameter` of a rounds-only pass (for
    /// [`Batch::run`](crate::harness::Batch::run)): its allocations,
    /// counted over `counted_iterations` iterations of `routine` as
    /// [`bench_variant`](Self::bench_variant) counts them, and what its
    /// `counters` counted per iteration of the same pass.
    pub(crate) fn count_variant(
        &mut self,
        (function, role): (&str, &Role),
        parameter: &str,
        counted_iterations: u64,
        routine: &mut dyn FnMut(u64) -> Duration,
        counters: &Counters<'_>,
    ) {
        let before = counters.read();
        let (allocations, bytes) = count_region_allocations(counted_iterations, routine);
        let events = counters.since(before);
        self.push_record(
            format!("{function}/{parameter}"),
            role,
            counted_iterations,
            (allocations, bytes),
            counters.per_iteration(events, counted_iterations.max(1)),
        );
    }

    fn push_record(
        &mut self,
        id: String,
        role: &Role,
        counted_iterations: u64,
        (allocations, bytes): (u64, u64),
        events: PerIteration,
    ) {
        let per_iteration = |n: u64| n as f64 / counted_iterations.max(1) as f64;
        self.records.push(VariantRecord {
            id,
            role: role.clone(),
            profile: self.profile.name().to_owned(),
            allocations_per_iteration: per_iteration(allocations),
            allocated_bytes_per_iteration: per_iteration(bytes),
            counted_iterations,
            measured_unix_seconds: unix_seconds_now(),
            flushes_per_iteration: events.flushes,
            flushes_by_time: events.flushes_by_time,
            revocations_per_iteration: events.revocations,
        });
    }

    /// Keeps the side-by-side rounds of one batch, saved by
    /// [`finish`](Self::finish).
    pub(crate) fn add_rounds(&mut self, rounds: RoundsRecord) {
        self.rounds.push(rounds);
    }

    /// Prints the records and saves them in the run's folder
    /// ([`Run::current`]): the records merged into the workload's file
    /// (records of variants not run this time are kept), the side-by-side
    /// rounds the same way, and criterion's results of every variant that
    /// ran. Call it after the criterion group has finished.
    pub fn finish(self) {
        let run = Run::current();
        if !self.rounds.is_empty() {
            print_rounds(self.workload, &self.rounds);
            let path = run.rounds_path(self.workload);
            merge_json_records(&path, self.rounds, |r| r.parameter.clone());
            println!("  (written to {})", path.display());
        }
        if self.records.is_empty() {
            return;
        }
        for r in self.records.iter().filter(|_| self.criterion_ran) {
            if let Some((function, parameter)) = r.id.split_once('/') {
                run.keep_criterion_result(self.workload, function, parameter);
            }
        }
        println!();
        println!(
            "{}: allocations, flushes and bias revocations per iteration ({} profile)",
            self.workload,
            self.profile.name()
        );
        println!(
            "  {:<60} {:>12} {:>14} {:>10} {:>12}",
            "variant", "allocations", "bytes", "flushes", "revocations"
        );
        for r in &self.records {
            let flushes = r
                .flushes_per_iteration
                .map_or_else(|| "-".to_owned(), |f| format!("{f:.2}"));
            let revocations = r
                .revocations_per_iteration
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.3}"));
            println!(
                "  {:<60} {:>12} {:>14} {:>10} {:>12}",
                r.id,
                format_count(r.allocations_per_iteration),
                format_count(r.allocated_bytes_per_iteration),
                flushes,
                revocations
            );
        }
        let path = run.allocations_path(self.workload);
        merge_json_records(&path, self.records, |r| r.id.clone());
        println!("  (written to {})", path.display());
    }
}

/// Prints every variant's median time per iteration over its rounds.
fn print_rounds(workload: &str, rounds: &[RoundsRecord]) {
    println!();
    println!("{workload}: side by side, median time per iteration over rounds");
    for record in rounds {
        for (function, times) in &record.ns_per_iteration {
            if let Some(median) = median_with_interval(times) {
                println!(
                    "  {:<60} {:>14.1} ns  ({} rounds)",
                    format!("{function}/{}", record.parameter),
                    median.point,
                    times.len()
                );
            }
        }
    }
}

fn format_count(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}
