//! The regression gate and the performance report.
//!
//! Measuring and judging are separate steps with plain JSON between them,
//! so a verdict or a report can be recomputed without re-running anything:
//!
//! 1. [`collect`] turns a bench run (criterion's JSON, the side-by-side
//!    rounds, iai-callgrind's summaries, the allocation counts) into one
//!    [`Results`], stamped with the machine and the commit.
//! 2. [`compare`] judges the head's exact metrics (instruction counts,
//!    estimated cycles, allocations, flushes) against the checked-in
//!    baseline, and [`ab`] its timed ratios against the base revision
//!    measured on the same machine in alternating passes: both pure
//!    functions.
//! 3. [`run`] is `bench-gate run`: the order of the measurements, the
//!    rechecks and the verdict, behind a [`run::Measure`] that
//!    [`builds`] implements (a base worktree, both builds, their benches)
//!    and [`replay`] reads back from a stored gate run.
//! 4. [`merge`] turns several runs into one baseline.
//! 5. [`report`] renders `docs/PERFORMANCE.md` and its SVG chart from a full
//!    run's `Results`, the gate's baseline and the gate's measured
//!    [`resolution`].

pub mod ab;
pub mod builds;
pub mod collect;
pub mod compare;
pub mod injection;
pub mod merge;
pub mod replay;
pub mod report;
pub mod resolution;
pub mod results;
pub mod run;

pub use compare::{compare_exact, Comparison, Finding, FindingKind, Options};
pub use resolution::read_resolution;
pub use results::{Machine, Metric, MetricKind, Results, VariantStats, SCHEMA};
