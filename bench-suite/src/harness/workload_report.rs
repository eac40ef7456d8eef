//! One workload's records besides criterion's times: allocations and
//! flushes per iteration of every variant, and the side-by-side rounds;
//! printed as tables and saved through [`crate::store`].

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
    /// iterations with allocation counting on. With `flush_count`,
    /// `flush_count()` is read around every timed call and the differences
    /// are divided by the iterations criterion ran.
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
        flush_count: Option<&FlushCount<'_>>,
    ) -> bool {
        let id = format!("{function}/{parameter}");
        let mut counted: Option<(u64, u64)> = None;
        let (mut flushes, mut timed_iterations) = (0u64, 0u64);
        group.bench_function(BenchmarkId::new(function, parameter), |b| {
            if counted.is_none() {
                counted = Some(count_region_allocations(counted_iterations, routine));
            }
            b.iter_custom(|iterations| match flush_count {
                Some(flush_count) => {
                    let before = (flush_count.read)();
                    let elapsed = routine(iterations);
                    flushes += (flush_count.read)() - before;
                    timed_iterations += iterations;
                    elapsed
                }
                None => routine(iterations),
            });
        });
        let Some((allocations, bytes)) = counted else {
            return false; // filtered out on the command line
        };
        let flushes_per_iteration = match (flush_count, timed_iterations) {
            (Some(_), n) if n > 0 => Some(flushes as f64 / n as f64),
            _ => None,
        };
        self.criterion_ran = true;
        self.push_record(
            id,
            role,
            counted_iterations,
            (allocations, bytes),
            flushes_per_iteration,
            flush_count.is_some_and(|f| f.by_time),
        );
        true
    }

    /// Records `function/parameter` of a rounds-only pass (for
    /// [`Batch::run`](crate::harness::Batch::run)): its allocations,
    /// counted over `counted_iterations` iterations of `routine` as
    /// [`bench_variant`](Self::bench_variant) counts them, and with
    /// `flush_count` the flushes per iteration of the same pass.
    pub(crate) fn count_variant(
        &mut self,
        (function, role): (&str, &Role),
        parameter: &str,
        counted_iterations: u64,
        routine: &mut dyn FnMut(u64) -> Duration,
        flush_count: Option<&FlushCount<'_>>,
    ) {
        let before = flush_count.map(FlushCount::read);
        let (allocations, bytes) = count_region_allocations(counted_iterations, routine);
        let flushes_per_iteration = flush_count
            .zip(before)
            .map(|(f, before)| (f.read() - before) as f64 / counted_iterations.max(1) as f64);
        self.push_record(
            format!("{function}/{parameter}"),
            role,
            counted_iterations,
            (allocations, bytes),
            flushes_per_iteration,
            flush_count.is_some_and(|f| f.by_time),
        );
    }

    fn push_record(
        &mut self,
        id: String,
        role: &Role,
        counted_iterations: u64,
        (allocations, bytes): (u64, u64),
        flushes_per_iteration: Option<f64>,
        flushes_by_time: bool,
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
            flushes_per_iteration,
            flushes_by_time,
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
            "{}: allocations per iteration ({} profile)",
            self.workload,
            self.profile.name()
        );
        println!(
            "  {:<52} {:>12} {:>14} {:>10}",
            "variant", "allocations", "bytes", "flushes"
        );
        for r in &self.records {
            let flushes = r
                .flushes_per_iteration
                .map_or_else(|| "-".to_owned(), |f| format!("{f:.2}"));
            println!(
                "  {:<52} {:>12} {:>14} {:>10}",
                r.id,
                format_count(r.allocations_per_iteration),
                format_count(r.allocated_bytes_per_iteration),
                flushes
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
                    "  {:<52} {:>14.1} ns  ({} rounds)",
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
