//! The regression gate's command line (`bench-gate --help` lists the
//! commands and flags).
//!
//! `run` is the gate: it builds the base revision in a worktree of its
//! own, measures head and base on this machine, judges, rechecks and exits
//! with status 1 when the gate fails. `compare` judges the exact metrics of
//! a results file against a baseline, with the same statuses. 2 means bad
//! usage, a base revision that does not exist or does not build, a bench
//! that failed, or an unreadable, truncated or outdated results file, with
//! a one-line error naming it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bench_suite::gate::builds::{self, resolve, Revision, Tree};
use bench_suite::gate::collect::this_machine;
use bench_suite::gate::injection::{self, Injection};
use bench_suite::gate::replay::Replay;
use bench_suite::gate::resolution;
use bench_suite::gate::run::{run_gate, Plan};
use bench_suite::gate::{
    collect::collect, compare_exact, merge::merge_runs, report, Comparison, Options, Results,
};
use bench_suite::gate::{read_resolution, SCHEMA};
use bench_suite::store::{results_dir, target_dir, unix_seconds_now, Run};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bench-gate",
    about = "The regression gate: measures head and base, judges them, merges baselines and renders the performance report."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The gate: builds the base revision, measures head and base on this
    /// machine, judges them (exact metrics against the baseline, timed
    /// ratios against the base) and rechecks timed regressions; exits 1
    /// when the gate fails.
    Run(RunArgs),
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
    /// Judges the exact metrics of a results file against a baseline;
    /// exits 1 when one fails.
    Compare(CompareArgs),
    /// Merges several runs of one profile into one baseline.
    Merge {
        /// Where to write the baseline.
        #[arg(long)]
        out: PathBuf,
        /// The runs' results files.
        #[arg(required = true)]
        runs: Vec<PathBuf>,
    },
    /// Measures what the gate catches: applies each known regression to a
    /// scratch copy of the head (its last commit), runs the whole gate on
    /// it with the head as the base, and records per workload what failed
    /// in the resolution file.
    Resolution {
        /// The injections to measure: instructions, cache-miss,
        /// slowdown-N% (default: instructions, cache-miss, slowdown-15%,
        /// slowdown-25%).
        #[arg(long = "injection")]
        injections: Vec<String>,
        /// The resolution file to update (rows of the injections measured
        /// are replaced).
        #[arg(long, default_value = "baselines/resolution.json")]
        out: PathBuf,
        /// The checked-in baseline of the exact metrics, which must be the
        /// head's.
        #[arg(long, default_value = "baselines/quick.json")]
        baseline: PathBuf,
        /// Rechecks of timed regressions, as in `run`.
        #[arg(long, default_value_t = 1)]
        rechecks: usize,
    },
    /// Renders docs/PERFORMANCE.md and its chart from a full run.
    Report {
        /// The full run's results (baselines/full.json).
        #[arg(long)]
        results: PathBuf,
        /// The gate's baseline, whose gated metrics are counted.
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
struct RunArgs {
    /// The base revision to measure the head against (default: the commit
    /// in baselines/gate-base.rev).
    #[arg(long)]
    base: Option<String>,
    /// The checked-in baseline of the exact metrics.
    #[arg(long, default_value = "baselines/quick.json")]
    baseline: PathBuf,
    /// How many times a timed regression is measured again; it fails only
    /// if every recheck repeats it.
    #[arg(long, default_value_t = 1)]
    rechecks: usize,
    /// Judge the passes of a stored gate run (its folder under
    /// target/bench-suite/runs/) as it measured them, instead of building
    /// and measuring.
    #[arg(long, conflicts_with = "base")]
    replay: Option<PathBuf>,
    #[command(flatten)]
    thresholds: Thresholds,
}

#[derive(Args)]
struct CompareArgs {
    /// The baseline results file.
    #[arg(long)]
    baseline: PathBuf,
    /// The new results file.
    #[arg(long)]
    results: PathBuf,
    #[command(flatten)]
    thresholds: Thresholds,
}

#[derive(Args)]
struct Thresholds {
    /// The relative threshold of instructions, allocations, flushes and
    /// timed ratios.
    #[arg(long, default_value_t = Options::default().threshold)]
    threshold: f64,
    /// The relative threshold of estimated cycles on loop benches.
    #[arg(long, default_value_t = Options::default().cycles_threshold)]
    cycles_threshold: f64,
}

impl Thresholds {
    fn options(&self) -> Result<Options, String> {
        for (flag, value) in [
            ("--threshold", self.threshold),
            ("--cycles-threshold", self.cycles_threshold),
        ] {
            if !(value > 0.0 && value < 1.0) {
                return Err(format!("{flag} {value}: need a fraction between 0 and 1"));
            }
        }
        Ok(Options {
            threshold: self.threshold,
            cycles_threshold: self.cycles_threshold,
        })
    }
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
        Command::Run(args) => return gate(&args),
        Command::Resolution {
            injections,
            out,
            baseline,
            rechecks,
        } => resolution(&injections, &out, &baseline, rechecks)?,
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
            let options = args.thresholds.options()?;
            let baseline = read_results(&args.baseline)?;
            let results = read_results(&args.results)?;
            let (findings, reference_only) = compare_exact(&baseline, &results, options);
            let comparison = Comparison::new(findings, options, reference_only);
            print!("{}", comparison.render());
            if comparison.failed() {
                return Ok(ExitCode::from(1));
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

/// The workspace this binary was built from: the head.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The base revision: `--base`, or the one recorded with the baselines.
fn base_revision(head: &Path, base: Option<&str>) -> Result<Revision, String> {
    match base {
        Some(name) => resolve(head, name, "--base"),
        None => {
            let file = head.join("baselines/gate-base.rev");
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: {e} (or name a base with --base)", file.display()))?;
            let name = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .ok_or_else(|| format!("{}: no revision in it", file.display()))?;
            resolve(head, name, "baselines/gate-base.rev")
        }
    }
}

/// `bench-gate run`.
fn gate(args: &RunArgs) -> Result<ExitCode, String> {
    let started = std::time::Instant::now();
    let options = args.thresholds.options()?;
    let head_root = workspace_root();
    let baseline_path = if args.baseline.is_absolute() || args.baseline.exists() {
        args.baseline.clone()
    } else {
        head_root.join(&args.baseline)
    };
    let baseline = read_results(&baseline_path)?;
    let mut log = std::io::stderr();
    let (comparison, built, folder) = if let Some(stored) = &args.replay {
        let plan_path = stored.join(PLAN_FILE);
        let text = std::fs::read_to_string(&plan_path)
            .map_err(|e| format!("{}: {e}", plan_path.display()))?;
        let mut plan: Plan = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a gate plan: {e}", plan_path.display()))?;
        plan.options = options;
        plan.rechecks = plan.rechecks.min(args.rechecks);
        eprintln!("== bench-gate: judging the stored run {}", stored.display());
        let mut replay = Replay::new(stored.clone(), &baseline.profile);
        let comparison = run_gate(&mut replay, &baseline, &plan, &mut log)?;
        (comparison, std::time::Duration::ZERO, stored.clone())
    } else {
        let base = base_revision(&head_root, args.base.as_deref())?;
        let target = target_dir();
        let gate_run = results_dir()
            .join("runs")
            .join(format!("gate-{}", unix_seconds_now()));
        std::fs::create_dir_all(&gate_run).map_err(|e| format!("{}: {e}", gate_run.display()))?;
        eprintln!(
            "== bench-gate: head {} against base {}; passes in {}",
            head_root.display(),
            base.describe(),
            gate_run.display()
        );
        let base_root = target.join("bench-gate").join("base");
        let head = Tree::head(&head_root);
        let mut benches = builds::prepare(&head, &base, &base_root, &target, &gate_run, &mut log)?;
        let built = started.elapsed();
        let mut plan = Plan::catalog(args.rechecks);
        plan.options = options;
        let json = serde_json::to_string_pretty(&plan).map_err(|e| e.to_string())?;
        write(&gate_run.join(PLAN_FILE), &(json + "\n"))?;
        let comparison = run_gate(&mut benches, &baseline, &plan, &mut log)?;
        (comparison, built, gate_run)
    };
    let rendered = comparison.render();
    let _ = std::fs::write(folder.join("verdict.txt"), &rendered);
    print!("{rendered}");
    println!(
        "== bench-gate took {:.0} s: builds {:.0} s, measuring {:.0} s (passes and verdict in {})",
        started.elapsed().as_secs_f64(),
        built.as_secs_f64(),
        (started.elapsed() - built).as_secs_f64(),
        folder.display()
    );
    Ok(if comparison.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The plan a gate run stores in its folder.
const PLAN_FILE: &str = "plan.json";

/// `bench-gate resolution`.
fn resolution(
    injections: &[String],
    out: &Path,
    baseline: &Path,
    rechecks: usize,
) -> Result<(), String> {
    let defaults = ["instructions", "cache-miss", "slowdown-15%", "slowdown-25%"];
    let names: Vec<&str> = if injections.is_empty() {
        defaults.to_vec()
    } else {
        injections.iter().map(String::as_str).collect()
    };
    let injections = names
        .iter()
        .map(|name| Injection::parse(name))
        .collect::<Result<Vec<_>, _>>()?;
    let head_root = workspace_root();
    let baseline = read_results(&head_root.join(baseline))?;
    let head = resolve(&head_root, "HEAD", "the head's last commit")?;
    let cpu = this_machine().cpu;
    let target = target_dir();
    let out = head_root.join(out);
    let mut rows = if out.exists() {
        read_resolution(&out).map_err(|e| format!("{}: {e}", out.display()))?
    } else {
        Vec::new()
    };
    for injection in injections {
        let started = std::time::Instant::now();
        let gate_run = results_dir().join("runs").join(format!(
            "resolution-{}-{}",
            injection.name().trim_end_matches('%'),
            unix_seconds_now()
        ));
        std::fs::create_dir_all(&gate_run).map_err(|e| format!("{}: {e}", gate_run.display()))?;
        eprintln!(
            "== bench-gate resolution: {} ({}) into a scratch copy of {}",
            injection.name(),
            injection.description(),
            head.describe()
        );
        let scratch = target.join("bench-gate").join("scratch");
        builds::worktree(&head_root, &head, &scratch)?;
        injection::apply(&scratch, injection)?;
        let mut log = std::io::stderr();
        let base_root = target.join("bench-gate").join("base");
        let mut benches = builds::prepare(
            &Tree::scratch(&scratch),
            &head,
            &base_root,
            &target,
            &gate_run,
            &mut log,
        )?;
        benches.head_env = injection.head_env();
        let plan = Plan::catalog(rechecks);
        let comparison = run_gate(&mut benches, &baseline, &plan, &mut log)?;
        let rendered = comparison.render();
        let _ = std::fs::write(gate_run.join("verdict.txt"), &rendered);
        let new = resolution::rows(
            &comparison,
            (&injection.name(), &injection.description()),
            &head.commit,
            &cpu,
        );
        for row in &new {
            println!(
                "bench-gate resolution: {:<14} {:<20} {} ({})",
                injection.name(),
                row.workload,
                if row.fails() { "fails" } else { "passes" },
                report::resolution_summary(row)
            );
        }
        println!(
            "== {} took {:.0} s; its gate run is in {}",
            injection.name(),
            started.elapsed().as_secs_f64(),
            gate_run.display()
        );
        rows = resolution::merge_rows(rows, new);
        let json = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        write(&out, &(json + "\n"))?;
    }
    println!(
        "bench-gate: wrote {}; regenerate docs/PERFORMANCE.md with scripts/perf-report.sh",
        out.display()
    );
    Ok(())
}
