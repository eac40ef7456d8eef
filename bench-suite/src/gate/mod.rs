//! The regression gate and the performance report.
//!
//! Measuring and judging are separate steps with a plain JSON file between
//! them, so a report or a verdict can be recomputed without re-running
//! anything:
//!
//! 1. [`collect`] turns a bench run (criterion's JSON, iai-callgrind's
//!    summaries, the allocation counts) into one [`Results`] file, stamped
//!    with the machine and the commit.
//! 2. [`compare()`] — a pure function — judges new results against a
//!    baseline `Results` (`baselines/<profile>.json`).
//!    A noisy regression is measured again before it fails
//!    ([`Comparison::recheck`]).
//! 3. [`merge`] turns several runs into one baseline whose ranges cover
//!    the spread between runs, not only within one.
//! 4. [`report`] renders `docs/PERFORMANCE.md` and its SVG chart from a full
//!    run's `Results`, the gate's baseline (its effective thresholds) and
//!    the gate's measured [`resolution`].

pub mod collect;
pub mod compare;
pub mod merge;
pub mod report;
pub mod resolution;
pub mod results;

pub use compare::{compare, Comparison, Finding, FindingKind, Options};
pub use resolution::{read_resolution, Injected};
pub use results::{Machine, Metric, MetricKind, Results, VariantStats, SCHEMA};
