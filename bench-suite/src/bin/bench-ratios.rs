//! Prints what a benchmark run measured against its targets (see
//! `bench_suite::ratios`): the catalog's targets, every `mmapio` variant
//! against its `mmap-io` twin, and the allocations per iteration of every
//! variant.
//!
//! Exits 1 when a target of the benchmark specification is missed (its
//! ratio and whole confidence range above the limit), unless
//! `--report-only`; the stricter comparisons and the `mmap-io` ones are
//! reported, never fatal. The regression gate is `bench-gate`.

use clap::Parser;

use bench_suite::ratios::report;
use bench_suite::store::Run;

/// Prints a run's target ratios; exits 1 when a specified target is missed.
#[derive(Parser)]
#[command(name = "bench-ratios")]
struct Args {
    /// The run: its id (a folder under target/bench-suite/runs/; what
    /// MMAPIO_BENCH_RUN was when the benches ran, `adhoc` when it was
    /// unset) or its folder's path.
    #[arg(long, default_value = "adhoc")]
    run: String,
    /// Print the verdicts but exit 0 whatever they are.
    #[arg(long)]
    report_only: bool,
}

fn main() {
    let args = Args::parse();
    let missed = report(&Run::named(&args.run));
    let total = missed.specified + missed.stricter + missed.peers + missed.allocating;
    if total > 0 {
        println!("{total} ratio(s) missed their limit");
    }
    if missed.specified > 0 && !args.report_only {
        eprintln!(
            "bench-ratios: {} specified target(s) missed (--report-only to only report)",
            missed.specified
        );
        std::process::exit(1);
    }
}
