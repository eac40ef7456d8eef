//! Side-by-side rounds: the variants of one comparison, timed in turn.
//!
//! Criterion measures one variant at a time, for seconds each, so the two
//! sides of a ratio are timed up to minutes apart. On a shared machine what
//! sets their speed moves in between: other tenants, and the page cache's
//! folio sizes, which decide how much of a mapping the kernel maps with
//! 2 MiB entries. A ratio of two criterion medians is therefore no
//! measure of the library.
//!
//! So after criterion has measured the variants of a [`Batch`] (one group,
//! one parameter), they are timed again in rounds. Each round runs every
//! variant for a sample of at least [`Plan::min_sample`] in one order and
//! again in the mirror order (see [`sample_in_rounds`]). A ratio is the median over rounds
//! of the per-round ratio ([`paired_ratio`]), so both sides of every term
//! were timed moments apart. Its range is the 95% confidence interval of
//! that median from order statistics ([`median_with_interval`]).
//!
//! Rounds are saved in the run's folder (`rounds/<group>.json`, see
//! [`crate::store`]) and read by
//! the target and peer tables ([`crate::ratios`]) and by the gate's ratio
//! metrics. Every time the suite reports still comes from criterion.
//!
//! To measure the gate's own resolution, [`INJECT_SLOWDOWN_ENV`] slows
//! every mmapio variant by a known fraction of its own time: after each
//! call of its routine, the harness spins for that fraction of the call's
//! time and counts the spin in. Nothing else reads it; unset, routines run
//! as registered.

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;

use super::profile::Profile;
use super::workload_report::{Counters, FlushCount, RevocationCount, WorkloadReport};
use crate::catalog::{check_batch, role_of, Library, Role};
use crate::store::{unix_seconds_now, RoundsRecord};

/// The environment variable that slows every mmapio variant by a fraction
/// of its own time (`0.12`: 12%), for `scripts/gate-resolution.sh`.
pub const INJECT_SLOWDOWN_ENV: &str = "MMAPIO_BENCH_INJECT_SLOWDOWN";

/// The slowdown asked for with [`INJECT_SLOWDOWN_ENV`], if any. Panics on
/// a value that is not a fraction in `0..=1`.
fn injected_slowdown() -> Option<f64> {
    let value = std::env::var(INJECT_SLOWDOWN_ENV).ok()?;
    match value.parse::<f64>() {
        Ok(fraction) if (0.0..=1.0).contains(&fraction) => Some(fraction),
        _ => panic!("{INJECT_SLOWDOWN_ENV}={value}: expected a fraction between 0 and 1"),
    }
}

/// `routine`, then a spin of `slowdown` times the time it returned, both
/// counted: a variant really that much slower.
fn slowed<'b>(
    slowdown: f64,
    mut routine: impl FnMut(u64) -> Duration + 'b,
) -> impl FnMut(u64) -> Duration + 'b {
    move |iterations| {
        let elapsed = routine(iterations);
        let extra = elapsed.mul_f64(slowdown);
        let spin = Instant::now();
        while spin.elapsed() < extra {
            std::hint::spin_loop();
        }
        elapsed + spin.elapsed()
    }
}

/// `routine`, slowed when [`INJECT_SLOWDOWN_ENV`] asks and `role` is
/// mmapio's.
fn registered<'b>(
    role: &Role,
    routine: impl FnMut(u64) -> Duration + 'b,
) -> Box<dyn FnMut(u64) -> Duration + 'b> {
    match injected_slowdown() {
        Some(slowdown) if role.library == Library::Mmapio => Box::new(slowed(slowdown, routine)),
        _ => Box::new(routine),
    }
}

/// Most iterations in one sample.
const MAX_ITERATIONS: u64 = 1 << 30;

/// How long the rounds of one batch may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Shortest sample: a variant runs as many iterations as it takes to
    /// reach this, at least one.
    pub min_sample: Duration,
    /// Time the rounds should fit in; fewer rounds are run when one round
    /// is long, but never fewer than `min_rounds`.
    pub budget: Duration,
    /// Fewest rounds, whatever the budget.
    pub min_rounds: usize,
    /// Most rounds.
    pub max_rounds: usize,
}

impl Plan {
    /// The plan of `profile`.
    pub fn of(profile: Profile) -> Plan {
        match profile {
            Profile::Quick => Plan {
                min_sample: Duration::from_millis(2),
                budget: Duration::from_secs(2),
                min_rounds: 7,
                max_rounds: 15,
            },
            Profile::Full => Plan {
                min_sample: Duration::from_millis(10),
                budget: Duration::from_secs(30),
                min_rounds: 11,
                max_rounds: 31,
            },
        }
    }

    /// Iterations per sample of `routine`: doubled from 1 until a sample
    /// lasts [`min_sample`](Self::min_sample), so that a fixed cost per
    /// call (waking threads, say) does not pass for the cost of one
    /// iteration. The calls also warm the routine up.
    fn iterations(&self, routine: &mut dyn FnMut(u64) -> Duration) -> u64 {
        let mut n = 1u64;
        while routine(n) < self.min_sample && n < MAX_ITERATIONS {
            n *= 2;
        }
        n
    }

    /// Rounds to run when one round takes `round`.
    fn rounds(&self, round: Duration) -> usize {
        let fit = self.budget.as_nanos() / round.as_nanos().max(1);
        usize::try_from(fit)
            .unwrap_or(usize::MAX)
            .clamp(self.min_rounds, self.max_rounds)
    }
}

/// Times every routine in rounds, as described in the module docs:
/// `routine(n)` runs `n` iterations and returns their time. Returns the
/// time per iteration in ns of every routine (in the order given), one
/// value per round.
///
/// A round runs every routine once in the order given, then once in the
/// mirror order (A B C C B A), and records the mean of its two samples.
/// A routine's time hangs on which one ran just before it (the dirty lines
/// a writer leaves in the cache slow the next writer down): with the first
/// routine rotating from round to round, two variants met each other in
/// alternating orders, their per-round ratio alternated between two values
/// (1.6 and 0.8 for `sequential_write`) and its median took whichever an
/// odd number of rounds favoured. Mirrored, every round holds the same
/// neighbours for each routine, and a drift during a round falls on both
/// halves alike.
pub fn sample_in_rounds(
    routines: &mut [&mut dyn FnMut(u64) -> Duration],
    plan: Plan,
) -> Vec<Vec<f64>> {
    let iterations: Vec<u64> = routines
        .iter_mut()
        .map(|routine| plan.iterations(&mut **routine))
        .collect();
    let count = routines.len();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); count];
    let order: Vec<usize> = (0..count).collect();
    let mut round = |times: &mut Vec<Vec<f64>>| {
        let mut sums = vec![0.0; count];
        let mut length = Duration::ZERO;
        for &i in order.iter().chain(order.iter().rev()) {
            let elapsed = routines[i](iterations[i]);
            length += elapsed;
            sums[i] += per_iteration(elapsed, iterations[i]);
        }
        for (time, sum) in times.iter_mut().zip(sums) {
            time.push(sum / 2.0);
        }
        length
    };
    // The first round also gives the length of a round.
    let length = round(&mut times);
    for _ in 1..plan.rounds(length) {
        round(&mut times);
    }
    times
}

fn per_iteration(elapsed: Duration, iterations: u64) -> f64 {
    elapsed.as_nanos() as f64 / iterations as f64
}

/// One variant of a batch.
struct Variant<'b> {
    function: String,
    role: Role,
    /// Whether it takes part in the rounds (see [`Batch::keep_out_of_rounds`]).
    in_rounds: bool,
    counted_iterations: u64,
    routine: Box<dyn FnMut(u64) -> Duration + 'b>,
    counters: Counters<'b>,
}

/// The variants of one group at one parameter: benchmarked by criterion
/// one after another, then timed side by side in rounds.
///
/// Every routine runs `n` iterations and returns the time of its
/// [`TimedRegion`](crate::harness::TimedRegion), as criterion's
/// `iter_custom` expects.
pub struct Batch<'b> {
    workload: &'static str,
    parameter: String,
    variants: Vec<Variant<'b>>,
}

impl<'b> Batch<'b> {
    /// An empty batch of the workload `workload` (its catalog name) at
    /// `parameter`.
    pub fn new(workload: &'static str, parameter: impl Into<String>) -> Self {
        Batch {
            workload,
            parameter: parameter.into(),
            variants: Vec::new(),
        }
    }

    /// The role the catalog declares for `function` in this batch's
    /// workload. Panics when it declares none: an undeclared variant would
    /// be measured but never judged.
    fn declared_role(&self, function: &str) -> Role {
        role_of(self.workload, function).unwrap_or_else(|| {
            panic!(
                "{}/{function} is not declared: add it to the variants of {} in bench_suite::catalog::WORKLOADS",
                self.workload, self.workload
            )
        })
    }

    /// Adds `function`, in the role the catalog declares for it (its
    /// library, shape, floor and peer; checked when the batch runs), whose
    /// allocations are counted over `counted_iterations` iterations before
    /// criterion measures it.
    pub fn add(
        &mut self,
        function: impl Into<String>,
        counted_iterations: u64,
        routine: impl FnMut(u64) -> Duration + 'b,
    ) {
        self.push(
            function.into(),
            counted_iterations,
            routine,
            Counters::default(),
        );
    }

    /// As [`add`](Self::add), also recording flushes per iteration:
    /// `flush_count()` is read around every timed call of criterion's.
    pub fn add_counting_flushes(
        &mut self,
        function: impl Into<String>,
        counted_iterations: u64,
        routine: impl FnMut(u64) -> Duration + 'b,
        flush_count: FlushCount<'b>,
    ) {
        let counters = Counters {
            flushes: Some(flush_count),
            ..Counters::default()
        };
        self.push(function.into(), counted_iterations, routine, counters);
    }

    /// As [`add`](Self::add), also recording the bias revocations of the
    /// variant's file per iteration: `revocations` is read around every
    /// timed call, so a routine that writes only in its timed loop is
    /// counted over that loop alone.
    pub fn add_counting_revocations(
        &mut self,
        function: impl Into<String>,
        counted_iterations: u64,
        routine: impl FnMut(u64) -> Duration + 'b,
        revocations: RevocationCount<'b>,
    ) {
        let counters = Counters {
            revocations: Some(revocations),
            ..Counters::default()
        };
        self.push(function.into(), counted_iterations, routine, counters);
    }

    fn push(
        &mut self,
        function: String,
        counted_iterations: u64,
        routine: impl FnMut(u64) -> Duration + 'b,
        counters: Counters<'b>,
    ) {
        let role = self.declared_role(&function);
        self.variants.push(Variant {
            function,
            routine: registered(&role, routine),
            role,
            in_rounds: true,
            counted_iterations,
            counters,
        });
    }

    /// Measures `function` with criterion only: for a variant that leaves
    /// work running after its routine returns (a background flusher
    /// syncing what it wrote), which would slow whichever variant follows
    /// it in a round. Its ratios divide criterion's medians.
    pub fn keep_out_of_rounds(&mut self, function: &str) {
        for variant in self.variants.iter_mut().filter(|v| v.function == function) {
            variant.in_rounds = false;
        }
    }

    /// Benchmarks every variant with criterion, in the order added, then,
    /// when criterion is benchmarking (not testing) and at least two
    /// variants ran, times those side by side in rounds. Returns the
    /// functions that ran (a command-line filter may leave some out).
    ///
    /// Panics when a declared floor or peer is not a like-for-like variant
    /// of the batch (see [`check_batch`]): a misdeclared bench must not
    /// produce ratios.
    pub fn run(
        self,
        report: &mut WorkloadReport,
        group: &mut BenchmarkGroup<'_, WallTime>,
    ) -> Vec<String> {
        let roles = self.variants.iter().map(|v| (v.function.as_str(), &v.role));
        if let Err(problem) = check_batch(roles) {
            panic!("batch {}: {problem}", self.parameter);
        }
        match RoundsOnly::from_env() {
            Some(only) if only.selects(&self.parameter) => self.run_rounds_only(report),
            Some(_) => Vec::new(),
            None => self.run_with_criterion(report, group),
        }
    }

    /// Criterion's measurement of every variant, then the rounds.
    fn run_with_criterion(
        mut self,
        report: &mut WorkloadReport,
        group: &mut BenchmarkGroup<'_, WallTime>,
    ) -> Vec<String> {
        let mut ran = Vec::new();
        let mut rounds = Vec::new();
        for variant in &mut self.variants {
            let did_run = report.bench_variant(
                group,
                (&variant.function, &variant.role),
                &self.parameter,
                variant.counted_iterations,
                &mut *variant.routine,
                &variant.counters,
            );
            if did_run {
                ran.push(variant.function.clone());
                if variant.in_rounds {
                    rounds.push(variant.function.clone());
                }
            }
        }
        if rounds.len() >= 2 && criterion_is_benchmarking() {
            let mut routines: Vec<&mut dyn FnMut(u64) -> Duration> = self
                .variants
                .iter_mut()
                .filter(|v| rounds.contains(&v.function))
                .map(|v| &mut *v.routine as &mut dyn FnMut(u64) -> Duration)
                .collect();
            let times = sample_in_rounds(&mut routines, Plan::of(report.profile()));
            report.add_rounds(RoundsRecord {
                parameter: self.parameter.clone(),
                profile: report.profile().name().to_owned(),
                measured_unix_seconds: unix_seconds_now(),
                ns_per_iteration: rounds.into_iter().zip(times).collect(),
            });
        }
        ran
    }

    /// The gate's timed pass ([`ROUNDS_ONLY_ENV`]): no criterion, and only
    /// what the gate judges. Every mmapio variant and every floor one of
    /// them declares has its allocations (and flushes) counted as in a
    /// criterion run; then the mmapio variants with a floor, and those
    /// floors, are timed side by side in rounds. Peers and other raw loops
    /// do not run.
    fn run_rounds_only(mut self, report: &mut WorkloadReport) -> Vec<String> {
        let floors: Vec<String> = self
            .variants
            .iter()
            .filter(|v| v.role.library.is_gated())
            .filter_map(|v| v.role.floor.clone())
            .collect();
        let judged = |v: &Variant<'_>| v.role.library.is_gated() || floors.contains(&v.function);
        let timed = |v: &Variant<'_>| {
            v.in_rounds && (floors.contains(&v.function) || v.role.floor.is_some())
        };
        let mut ran = Vec::new();
        for variant in self.variants.iter_mut().filter(|v| judged(v)) {
            report.count_variant(
                (&variant.function, &variant.role),
                &self.parameter,
                variant.counted_iterations,
                &mut *variant.routine,
                &variant.counters,
            );
            ran.push(variant.function.clone());
        }
        let mut in_rounds = Vec::new();
        let mut routines: Vec<&mut dyn FnMut(u64) -> Duration> = Vec::new();
        for variant in self.variants.iter_mut().filter(|v| judged(v) && timed(v)) {
            in_rounds.push(variant.function.clone());
            routines.push(&mut *variant.routine);
        }
        if routines.len() >= 2 {
            let times = sample_in_rounds(&mut routines, Plan::of(report.profile()));
            report.add_rounds(RoundsRecord {
                parameter: self.parameter.clone(),
                profile: report.profile().name().to_owned(),
                measured_unix_seconds: unix_seconds_now(),
                ns_per_iteration: in_rounds.into_iter().zip(times).collect(),
            });
        }
        ran
    }
}

/// The environment variable that makes the benches of this process skip
/// criterion and only time their variants side by side in rounds, after
/// counting their allocations: the gate's timed pass, which needs the
/// ratios of one run and nothing else. Its value selects the batches:
/// `all`, or their parameters separated by `|` (`64B|256B`).
pub const ROUNDS_ONLY_ENV: &str = "MMAPIO_BENCH_ROUNDS_ONLY";

/// The batches a rounds-only pass runs ([`ROUNDS_ONLY_ENV`]).
#[derive(Clone, Debug, PartialEq, Eq)]
enum RoundsOnly {
    All,
    Parameters(Vec<String>),
}

impl RoundsOnly {
    /// Reads [`ROUNDS_ONLY_ENV`]; `None` when it is unset or empty.
    fn from_env() -> Option<RoundsOnly> {
        let value = std::env::var(ROUNDS_ONLY_ENV).ok()?;
        RoundsOnly::parse(&value)
    }

    fn parse(value: &str) -> Option<RoundsOnly> {
        match value.trim() {
            "" => None,
            "all" => Some(RoundsOnly::All),
            list => Some(RoundsOnly::Parameters(
                list.split('|').map(|p| p.trim().to_owned()).collect(),
            )),
        }
    }

    fn selects(&self, parameter: &str) -> bool {
        match self {
            RoundsOnly::All => true,
            RoundsOnly::Parameters(list) => list.iter().any(|p| p == parameter),
        }
    }
}

/// Whether the bench binary was started by `cargo bench` (criterion's
/// `--bench` flag) rather than as a test, where criterion runs every
/// routine once and rounds would only cost time.
fn criterion_is_benchmarking() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn variants_take_their_role_from_the_catalog() {
        let mut batch = Batch::new("random_read", "64B");
        batch.add("mmapio_as_slice_ro", 1, |_| Duration::ZERO);
        let role = &batch.variants[0].role;
        assert_eq!(role.library, Library::Mmapio);
        assert_eq!(role.floor.as_deref(), Some("memmap2_slice"));
    }

    #[test]
    #[should_panic(expected = "random_read/mmapio_undeclared is not declared")]
    fn an_undeclared_variant_is_refused() {
        Batch::new("random_read", "64B").add("mmapio_undeclared", 1, |_| Duration::ZERO);
    }

    #[test]
    fn a_slowed_routine_takes_the_fraction_longer() {
        let mut routine = slowed(0.5, |n| {
            let start = Instant::now();
            while start.elapsed() < Duration::from_micros(200 * n) {}
            start.elapsed()
        });
        let start = Instant::now();
        let reported = routine(10);
        let wall = start.elapsed();
        assert!(reported >= Duration::from_micros(3000), "{reported:?}");
        assert!(
            reported <= wall,
            "{reported:?} counts only time spent ({wall:?})"
        );
    }

    #[test]
    fn plans_size_samples_and_rounds() {
        let plan = Plan {
            min_sample: Duration::from_millis(10),
            budget: Duration::from_secs(1),
            min_rounds: 5,
            max_rounds: 20,
        };
        // 3 ms per iteration: 1, 2, 4 iterations (12 ms) reach 10 ms.
        assert_eq!(plan.iterations(&mut |n| Duration::from_millis(3 * n)), 4);
        assert_eq!(plan.iterations(&mut |_| Duration::from_secs(2)), 1);
        // A fixed 9 ms per call plus 1 µs per iteration: 1024 iterations.
        let mut with_overhead = |n| Duration::from_micros(9_000 + n);
        assert_eq!(plan.iterations(&mut with_overhead), 1024);
        assert_eq!(plan.iterations(&mut |_| Duration::ZERO), MAX_ITERATIONS);
        assert_eq!(plan.rounds(Duration::from_millis(100)), 10);
        assert_eq!(plan.rounds(Duration::from_secs(1)), 5);
        assert_eq!(plan.rounds(Duration::from_micros(1)), 20);
    }

    #[test]
    fn rounds_run_in_order_and_back_and_divide_by_iterations() {
        let calls = RefCell::new(Vec::new());
        // Variant 0 takes 1 ms per iteration, variant 1 takes 4 ms, variant 2 takes 2 ms.
        let make = |id: usize, per_iteration_ms: u64| {
            let calls = &calls;
            move |n: u64| {
                calls.borrow_mut().push((id, n));
                Duration::from_millis(per_iteration_ms * n)
            }
        };
        let (mut a, mut b, mut c) = (make(0, 1), make(1, 4), make(2, 2));
        let mut routines: Vec<&mut dyn FnMut(u64) -> Duration> = vec![&mut a, &mut b, &mut c];
        let plan = Plan {
            min_sample: Duration::from_millis(4),
            budget: Duration::from_millis(96),
            min_rounds: 2,
            max_rounds: 10,
        };
        let times = sample_in_rounds(&mut routines, plan);
        // Samples: 4, 1 and 2 iterations (4 ms each); a round is two
        // samples of each, 24 ms, so 4 rounds.
        assert_eq!(times.len(), 3);
        for (t, ms) in times.iter().zip([1.0, 4.0, 2.0]) {
            assert_eq!(t, &vec![ms * 1e6; 4]);
        }
        let calls = calls.into_inner();
        // Sizing (doubling until a sample lasts 4 ms), then every round in
        // the order given and back.
        let sizing = [(0, 1), (0, 2), (0, 4), (1, 1), (2, 1), (2, 2)];
        assert_eq!(calls[..6], sizing);
        let order: Vec<usize> = calls[6..].iter().map(|&(id, _)| id).collect();
        assert_eq!(order, [0, 1, 2, 2, 1, 0].repeat(4));
        assert!(calls[6..].iter().all(|&(id, n)| n == [4, 1, 2][id]));
    }

    #[test]
    fn a_slowdown_after_another_variant_is_balanced_within_a_round() {
        // B is slowed by half whenever it runs right after A: per round, A
        // runs before B once, so B's time is 1.25 in every round, never
        // 1.5 in some rounds and 1.0 in others.
        let last = RefCell::new(usize::MAX);
        let mut a = |n: u64| {
            *last.borrow_mut() = 0;
            Duration::from_micros(1000 * n)
        };
        let mut b = |n: u64| {
            let after_a = *last.borrow() == 0;
            *last.borrow_mut() = 1;
            Duration::from_micros(if after_a { 1500 } else { 1000 } * n)
        };
        let mut routines: Vec<&mut dyn FnMut(u64) -> Duration> = vec![&mut a, &mut b];
        let plan = Plan {
            min_sample: Duration::from_micros(1),
            budget: Duration::ZERO,
            min_rounds: 5,
            max_rounds: 5,
        };
        let times = sample_in_rounds(&mut routines, plan);
        assert_eq!(times[1], vec![1.25e6; 5]);
    }
}
