//! Prints the target ratios of a benchmark run (see `bench_suite::ratios`),
//! every `mmapio` variant against its `mmap-io` twin, and the allocations
//! per iteration of every variant; writes `target/bench-suite/ratios.json`.
//!
//! `bench-ratios [--since UNIX_SECONDS]`: with `--since` (what
//! `scripts/bench.sh` passes: the run's start), results older than that are
//! ignored, so the report covers one run.
//!
//! Exits 0 whatever the verdicts: it reports, the regression gate decides.

use bench_suite::ratios::report;
use bench_suite::store::Since;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut since = Since::default();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--since", Some(value)) => match value.parse() {
                Ok(seconds) => since = Since(seconds),
                Err(e) => usage(&format!("--since {value}: {e}")),
            },
            _ => usage(&format!("unexpected argument {arg:?}")),
        }
    }
    let missed = report(since);
    if missed > 0 {
        println!("{missed} ratio(s) missed their limit");
    }
}

fn usage(problem: &str) -> ! {
    eprintln!("bench-ratios: {problem}\nusage: bench-ratios [--since UNIX_SECONDS]");
    std::process::exit(2);
}
