//! Benchmark suite for `mmapio`: seven workloads measured side by side with
//! their floor (raw `memmap2`) and their peers (the published `mmap-io`
//! crate and `std::fs`), plus deterministic instruction counts.
//!
//! # Running it
//!
//! ```sh
//! scripts/bench.sh quick   # every workload at reduced sizes: ~1.5 min of benches
//! scripts/bench.sh full    # the specified sizes (the default): ~17.5 min of benches
//! ```
//!
//! The script installs the pinned `iai-callgrind-runner` when it is missing
//! (`scripts/install-iai-runner.sh`), builds, runs `cargo bench -p
//! bench-suite` with the profile as a run of its own (`MMAPIO_BENCH_RUN`),
//! then prints the target ratios of that run. Without the script, the
//! benches write to the run `adhoc`:
//!
//! ```sh
//! MMAPIO_BENCH_PROFILE=quick cargo bench -p bench-suite --bench random_read
//! cargo run -p bench-suite --profile bench --bin bench-ratios   # --run adhoc
//! ```
//!
//! The profile comes from the environment variable `MMAPIO_BENCH_PROFILE`:
//! `quick` or `full` (the default when unset); any other value is an error.
//! Criterion's own arguments still work after `--` (for example a filter:
//! `cargo bench -p bench-suite --bench sequential_read -- as_slice`).
//!
//! # Workloads
//!
//! One bench file and one criterion group per workload, each variant named
//! `<implementation>_<operation>[_ro|_rw]/<parameter>`. The workloads, with
//! their summaries, their sizes in each profile and their targets, are
//! declared in one place, [`catalog`] ([`catalog::WORKLOADS`],
//! [`catalog::TARGETS`]); the README's "How to add a workload" walks
//! through adding one.
//!
//! `instruction_counts` (iai-callgrind) measures the user-space hot paths
//! at small, cache-resident sizes; its counts repeat exactly from run to
//! run, so it is the same in both profiles.
//!
//! # Ratios: side by side
//!
//! After criterion has measured the variants of one parameter of a group,
//! they are timed again in rounds, every variant in turn and back again
//! ([`harness::Batch`]). The target and peer ratios, and the gate's ratio
//! metrics, are the median over rounds of the per-round ratio, so the two
//! sides of every term were timed moments apart; criterion's medians,
//! taken minutes apart, remain the source of every time. The regression
//! gate's timed passes run the rounds alone, without criterion
//! ([`harness::ROUNDS_ONLY_ENV`]), and only the mmapio variants with their
//! floors.
//!
//! Every read variant reads every byte through one shared, never-inlined
//! [`harness::checksum`], and its result is checked against raw `memmap2`
//! (every write variant's bytes, every atomic run's count) so a variant
//! that skips work fails instead of looking fast. The catalog declares
//! every variant's [`catalog::Role`]: its library, the shape of
//! its work and its floor, the raw `memmap2` variant of the same shape that
//! its time is divided by. Variants that touch one byte per page
//! (`touch_pages`) or two bytes per chunk (the per-item iterator loop)
//! carry that in their parameter and are only compared with variants doing
//! the same.
//!
//! # Results
//!
//! Each run has its own folder, `target/bench-suite/runs/<id>/` (its layout
//! is in [`store`]), which the gate and the reports read by naming the run:
//! * criterion's estimates and samples of the variants the run measured
//!   (criterion's own `target/criterion/`, with its HTML report, keeps its
//!   history across runs);
//! * iai-callgrind's JSON summaries;
//! * every variant's declared role, allocations (and, for
//!   `sequential_write`, flushes; for `reader_gate`, bias revocations) per
//!   iteration, also printed after each group;
//! * side-by-side rounds (time per iteration of every variant in every
//!   round);
//! * target ratios: evaluated from the above by [`targets`], printed by
//!   the `bench-ratios` binary ([`ratios`]; it exits 1 when a specified
//!   target is missed, unless `--report-only`) and stored with the run's
//!   results by `bench-gate collect`.
//!
//! Allocations are counted by [`harness::CountingAllocator`] (the global
//! allocator of every criterion bench) in one extra pass per variant,
//! outside criterion's timed loop, over exactly the timed region.
//!
//! Input files are generated once, deterministically (xorshift64), into
//! `target/bench-data/` and reused.
//!
//! # Layout
//!
//! Data flows one way: the benches measure (with [`harness`]), [`store`]
//! keeps what one run measured, and the judging half reads only stored
//! runs.
//!
//! | module | holds |
//! |---|---|
//! | [`catalog`] | what is measured: workloads, their sizes, variants and roles, targets |
//! | [`harness`] | what the bench files use: profile, inputs, kernels, peer adapters, counting allocator, side-by-side rounds |
//! | [`stats`] | medians with their interval, paired ratios, percentiles (a leaf) |
//! | [`store`] | a run's folder and every file in it; lookups over a stored run |
//! | [`targets`] | the catalog's targets and the `mmap-io` comparisons, evaluated over a run |
//! | [`ratios`] | prints them (the `bench-ratios` binary) |
//! | [`gate`] | collects a run into a results file; the regression gate (exact metrics against the baseline, timed ratios A/B against the base revision built here, rechecks); merges baselines; measures its resolution; renders `docs/PERFORMANCE.md` |
//! | [`iai_runner`] | whether the instruction counts can run here, and where they go |

pub mod catalog;
pub mod gate;
pub mod harness;
pub mod iai_runner;
pub mod ratios;
pub mod stats;
pub mod store;
pub mod targets;
