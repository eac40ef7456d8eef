//! The regression gate's command line (`bench-gate --help` lists the
//! commands and flags).
//!
//! `compare` exits with status 1 when the gate fails; 2 means bad usage or
//! an unreadable, truncated or outdated results file, with a one-line
//! error naming the file or flag. `groups-to-recheck` prints, one line per
//! bench group whose timed metrics still regress after the rechecks given,
//! `group=PARAMETER|...`: what to measure for the next `--recheck` (see
//! `scripts/bench-gate.sh`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bench_suite::gate::{
    collect::collect, compare, merge::merge_runs, report, Comparison, Options, Results,
};
use bench_suite::gate::{read_resolution, SCHEMA};
use bench_suite::store::Run;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bench-gate",
    about = "Collects bench results, judges them against a baseline, merges baselines and renders the performance report."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Turns one bench run (its folder under target/bench-suite/runs/) into
    /// one results file.
    Collect {
        /// The profile the benches ran with.
        #[arg(long, value_parser = ["quick", "full"])]
        profile: String,
        /// Where to write the results.
        #[arg(long)]
        out: PathBuf,
        /// The run: its id (a folder under target/bench-suite/runs/; what
        /// MMAPIO_BENCH_RUN was when the benches ran) or its folder's path.
        #[arg(long, default_value = "adhoc")]
        run: String,
    },
    /// Judges results against a baseline; exits 1 when the gate fails.
    Compare(CompareArgs),
    /// Prints what to measure again: `group=PARAMETER|...`, one line per
    /// bench group whose timed metrics still regress.
    GroupsToRecheck(CompareArgs),
    /// Merges several runs of one profile into one baseline.
    Merge {
        /// Where to write the baseline.
        #[arg(long)]
        out: PathBuf,
        /// The runs' results files.
        #[arg(required = true)]
        runs: Vec<PathBuf>,
    },
    /// Records what the gate made of a run with a known slowdown injected
    /// into every mmapio variant (scripts/gate-resolution.sh).
    Resolution {
        /// The slowdown injected (0.12 for 12%).
        #[arg(long)]
        slowdown: f64,
        /// The resolution file to update (rows of the same workload and
        /// slowdown are replaced).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        compare: CompareArgs,
    },
    /// Renders docs/PERFORMANCE.md and its chart from a full run.
    Report {
        /// The full run's results (baselines/full.json).
        #[arg(long)]
        results: PathBuf,
        /// The gate's baseline, whose effective thresholds are listed.
        #[arg(long)]
        gate_baseline: Option<PathBuf>,
        /// The gate's measured resolution (baselines/resolution.json).
        #[arg(long)]
        resolution: Option<PathBuf>,
        /// Where to write the Markdown; the chart goes beside it.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
struct CompareArgs {
    /// The baseline results file.
    #[arg(long)]
    baseline: PathBuf,
    /// The new results file.
    #[arg(long)]
    results: PathBuf,
    /// Results of a further run of the regressed groups, in order.
    #[arg(long)]
    recheck: Vec<PathBuf>,
    /// The relative threshold.
    #[arg(long, default_value_t = Options::default().threshold)]
    threshold: f64,
    /// The widest effective threshold a timed metric may have and still be
    /// gated.
    #[arg(long, default_value_t = Options::default().max_threshold)]
    max_threshold: f64,
    /// The lowest baseline a ratio may have and still be gated.
    #[arg(long, default_value_t = Options::default().min_ratio)]
    min_ratio: f64,
    /// Gate wall-clock times too (only against a baseline from a machine
    /// with the same fingerprint).
    #[arg(long)]
    gate_wall_clock: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("bench-gate: {message}");
            ExitCode::from(2)
        }
    }
}

/// Reads a results file of this tool's schema, or says in one line which
/// file is wrong and how.
fn read_results(path: &Path) -> Result<Results, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a results file: {e}", path.display()))?;
    let schema = value.get("schema").and_then(serde_json::Value::as_u64);
    if schema != Some(u64::from(SCHEMA)) {
        return Err(format!(
            "{}: results schema {}, this tool reads {SCHEMA}: record it again",
            path.display(),
            schema.map_or_else(|| "missing".to_owned(), |s| s.to_string())
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| format!("{}: not a results file: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_json(path: &Path, results: &Results) -> Result<(), String> {
    let json = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    write(path, &(json + "\n"))
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Collect { profile, out, run } => {
            let results = collect(&profile, &Run::named(&run)).map_err(|e| e.to_string())?;
            write_json(&out, &results)?;
            println!(
                "bench-gate: {} metrics from the {profile} run written to {}",
                results.metrics.len(),
                out.display()
            );
        }
        Command::Compare(args) => {
            let comparison = compare_files(&args)?;
            print!("{}", comparison.render());
            if comparison.failed() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::GroupsToRecheck(args) => {
            for spec in compare_files(&args)?.groups_to_recheck() {
                println!("{spec}");
            }
        }
        Command::Merge { out, runs } => {
            let runs = runs
                .iter()
                .map(|path| read_results(path))
                .collect::<Result<Vec<_>, _>>()?;
            let merged = merge_runs(&runs)?;
            write_json(&out, &merged)?;
            println!(
                "bench-gate: {} metrics measured in all {} runs written to {}",
                merged.metrics.len(),
                runs.len(),
                out.display()
            );
        }
        Command::Resolution {
            slowdown,
            out,
            compare,
        } => {
            let comparison = compare_files(&compare)?;
            let commit = read_results(&compare.results)?.commit;
            let new = bench_suite::gate::resolution::injected_rows(&comparison, slowdown, &commit);
            let old = if out.exists() {
                read_resolution(&out).map_err(|e| format!("{}: {e}", out.display()))?
            } else {
                Vec::new()
            };
            for row in &new {
                println!(
                    "bench-gate: {:+.0}% injected: {} of {} gated ratios of {} flagged",
                    slowdown * 100.0,
                    row.flagged,
                    row.gated,
                    row.workload
                );
            }
            let rows = bench_suite::gate::resolution::merge_rows(old, new);
            let json = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
            write(&out, &(json + "\n"))?;
        }
        Command::Report {
            results,
            gate_baseline,
            resolution,
            out,
        } => {
            let results = read_results(&results)?;
            let gate_baseline = gate_baseline.as_deref().map(read_results).transpose()?;
            let resolution = resolution
                .as_deref()
                .map(|path| read_resolution(path).map_err(|e| format!("{}: {e}", path.display())))
                .transpose()?;
            let sources = report::Sources {
                results: &results,
                gate_baseline: gate_baseline.as_ref(),
                resolution: resolution.as_deref(),
            };
            write(&out, &report::render_markdown(&sources))?;
            let chart = out.with_file_name(report::CHART_FILE);
            write(&chart, &report::render_chart(&results))?;
            println!(
                "bench-gate: wrote {} and {}",
                out.display(),
                chart.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The comparison of the results with the baseline, after every recheck.
fn compare_files(args: &CompareArgs) -> Result<Comparison, String> {
    if !(0.0..1.0).contains(&args.threshold) || args.max_threshold < args.threshold {
        return Err(format!(
            "--threshold {} and --max-threshold {}: need 0 <= threshold <= max-threshold, threshold < 1",
            args.threshold, args.max_threshold
        ));
    }
    let baseline = read_results(&args.baseline)?;
    let results = read_results(&args.results)?;
    let options = Options {
        threshold: args.threshold,
        max_threshold: args.max_threshold,
        min_ratio: args.min_ratio,
        gate_wall_clock: args.gate_wall_clock,
    };
    let mut comparison = compare(&baseline, &results, options);
    // A timed regression stands only if it repeats in each recheck.
    for path in &args.recheck {
        comparison.recheck(&baseline, &read_results(path)?);
    }
    Ok(comparison)
}
