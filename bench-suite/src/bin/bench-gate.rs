//! The regression gate's command line.
//!
//! ```text
//! bench-gate collect --profile quick|full --out FILE [--since UNIX_SECONDS]
//! bench-gate compare --baseline FILE --results FILE [--recheck FILE]... [--threshold 0.10] [--gate-wall-clock]
//! bench-gate groups-to-recheck --baseline FILE --results FILE [--recheck FILE]... [--threshold 0.10] [--gate-wall-clock]
//! bench-gate merge   --out FILE RUN.json RUN.json...
//! bench-gate report  --results FILE --out docs/PERFORMANCE.md
//! ```
//!
//! `compare` exits with status 1 when the gate fails; 2 means bad usage or
//! unreadable files. `groups-to-recheck` prints the bench groups whose timed
//! metrics still regress after the rechecks given, one per line, for the
//! next `--recheck` (see
//! `scripts/bench-gate.sh`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bench_suite::gate::{
    collect::collect, compare, merge::merge_runs, report, Comparison, Options, Results,
};
use bench_suite::ratios::Since;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("bench-gate: {message}");
            ExitCode::from(2)
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn required<'a>(args: &'a [String], name: &str) -> Result<&'a str, String> {
    flag(args, name).ok_or_else(|| format!("missing {name}"))
}

fn read_results(path: &str) -> Result<Results, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    match args.first().map(String::as_str) {
        Some("collect") => {
            let profile = required(args, "--profile")?;
            let out = PathBuf::from(required(args, "--out")?);
            let since = match flag(args, "--since") {
                Some(s) => Since(s.parse().map_err(|e| format!("--since: {e}"))?),
                None => Since::default(),
            };
            let results = collect(profile, since).map_err(|e| e.to_string())?;
            let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
            write(&out, &(json + "\n"))?;
            println!(
                "bench-gate: {} metrics from the {profile} run written to {}",
                results.metrics.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some("compare") => {
            let comparison = compare_files(args)?;
            print!("{}", comparison.render());
            Ok(if comparison.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Some("groups-to-recheck") => {
            let comparison = compare_files(args)?;
            for group in comparison.groups_to_recheck() {
                println!("{group}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("merge") => {
            let out = PathBuf::from(required(args, "--out")?);
            // Every argument but `--out FILE` is a run to merge.
            let mut runs = Vec::new();
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                if arg == "--out" {
                    rest.next();
                } else {
                    runs.push(read_results(arg)?);
                }
            }
            let merged = merge_runs(&runs)?;
            let json = serde_json::to_string_pretty(&merged).map_err(|e| e.to_string())?;
            write(&out, &(json + "\n"))?;
            println!(
                "bench-gate: {} metrics measured in all {} runs written to {}",
                merged.metrics.len(),
                runs.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some("report") => {
            let results = read_results(required(args, "--results")?)?;
            let out = PathBuf::from(required(args, "--out")?);
            write(&out, &report::render_markdown(&results))?;
            let chart = out.with_file_name(report::CHART_FILE);
            write(&chart, &report::render_chart(&results))?;
            println!(
                "bench-gate: wrote {} and {}",
                out.display(),
                chart.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(
            "usage: bench-gate collect|compare|groups-to-recheck|merge|report ... (see the crate docs)"
                .to_owned(),
        ),
    }
}

/// The comparison of the results with the baseline, after every recheck,
/// from the command line.
fn compare_files(args: &[String]) -> Result<Comparison, String> {
    let baseline = read_results(required(args, "--baseline")?)?;
    let results = read_results(required(args, "--results")?)?;
    let threshold = match flag(args, "--threshold") {
        Some(t) => t.parse::<f64>().map_err(|e| format!("--threshold: {e}"))?,
        None => 0.10,
    };
    let options = Options {
        threshold,
        gate_wall_clock: args.iter().any(|a| a == "--gate-wall-clock"),
    };
    let mut comparison = compare(&baseline, &results, options);
    // Every `--recheck FILE`, in order: a timed regression stands only if
    // it repeats in each of them.
    for (i, _) in args.iter().enumerate().filter(|(_, a)| *a == "--recheck") {
        let path = args.get(i + 1).ok_or("--recheck needs a file")?;
        comparison.recheck(&baseline, &read_results(path)?);
    }
    Ok(comparison)
}
