//! The `bench-gate` binary on files: exit statuses, bad input, and
//! `collect` over a synthetic `target/` tree (floors from the declared
//! roles, peers reported, target verdicts stored, stale summaries ignored,
//! unknown groups refused); and `bench-ratios`' exit status on a missed
//! target.

mod common;

use std::path::{Path, PathBuf};

use bench_suite::catalog::Library;
use bench_suite::gate::{Metric, MetricKind, Results, SCHEMA};
use bench_suite::targets::Verdict;
use common::*;

fn compare(dir: &Path, baseline: &Results, new: &Results) -> (Option<i32>, String, String) {
    let base = write_results(dir, "baseline.json", baseline);
    let now = write_results(dir, "results.json", new);
    outcome(&run(bench_gate()
        .arg("compare")
        .arg("--baseline")
        .arg(&base)
        .arg("--results")
        .arg(&now)))
}

#[test]
fn eleven_percent_more_instructions_exits_1_and_nine_percent_exits_0() {
    let dir = scratch("cli_instructions");
    let base = results(&[("ir/instruction_counts/views/mmapio_as_slice.ro", ir(1000.0))]);
    let worse = results(&[("ir/instruction_counts/views/mmapio_as_slice.ro", ir(1110.0))]);
    let (code, stdout, _) = compare(&dir, &base, &worse);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("REGRESSION    ir/instruction_counts/views/mmapio_as_slice.ro"));
    assert!(stdout.ends_with("gate: FAIL\n"), "{stdout}");
    let slightly = results(&[("ir/instruction_counts/views/mmapio_as_slice.ro", ir(1090.0))]);
    let (code, stdout, _) = compare(&dir, &base, &slightly);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.ends_with("gate: PASS\n"), "{stdout}");
}

#[test]
fn a_peer_whose_count_moves_is_a_warning_not_a_failure() {
    let dir = scratch("cli_peer");
    let peer = |v| Metric::exact(MetricKind::Instructions, Library::MmapIo, v);
    let name = "ir/instruction_counts/rejections/mmap_io_out_of_range.ro";
    let (code, stdout, _) = compare(
        &dir,
        &results(&[(name, peer(100.0))]),
        &results(&[(name, peer(122.0))]),
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("HARNESS       {name}")),
        "{stdout}"
    );
}

#[test]
fn bad_input_gives_one_line_naming_the_file_or_flag_and_exit_2() {
    let dir = scratch("cli_bad_input");
    let good = write_results(&dir, "good.json", &results(&[("ir/x/y/z.ro", ir(1.0))]));
    let text = std::fs::read_to_string(&good).unwrap();
    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let old_schema = dir.join("schema1.json");
    let current = format!("\"schema\": {SCHEMA}");
    std::fs::write(&old_schema, text.replace(&current, "\"schema\": 1")).unwrap();
    let missing = dir.join("missing.json");
    for bad in [&truncated, &old_schema, &missing] {
        for (first, second) in [(bad, &good), (&good, bad)] {
            let (code, stdout, stderr) = outcome(&run(bench_gate()
                .args(["compare", "--baseline"])
                .arg(first)
                .arg("--results")
                .arg(second)));
            assert_eq!(code, Some(2), "{stdout}{stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(stderr.contains(&bad.display().to_string()), "{stderr}");
        }
    }
    let (_, _, stderr) = outcome(&run(bench_gate()
        .args(["compare", "--baseline"])
        .arg(&old_schema)
        .arg("--results")
        .arg(&good)));
    assert!(
        stderr.contains(&format!("results schema 1, this tool reads {SCHEMA}")),
        "{stderr}"
    );
    let (code, _, stderr) = outcome(&run(bench_gate()
        .args(["compare", "--treshold", "0.2", "--baseline"])
        .arg(&good)
        .arg("--results")
        .arg(&good)));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--treshold"), "{stderr}");
    let (code, _, stderr) = outcome(&run(bench_gate().args([
        "compare",
        "--cycles-threshold",
        "1.5",
        "--baseline",
        "x",
        "--results",
        "y",
    ])));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--cycles-threshold 1.5"), "{stderr}");
}

#[test]
fn merge_fails_naming_a_metric_missing_from_one_run() {
    let dir = scratch("cli_merge");
    let one = write_results(
        &dir,
        "one.json",
        &results(&[("ir/a/b/c.ro", ir(1.0)), ("ir/a/b/d.ro", ir(1.0))]),
    );
    let two = write_results(&dir, "two.json", &results(&[("ir/a/b/c.ro", ir(1.0))]));
    let out = dir.join("merged.json");
    let (code, _, stderr) = outcome(&run(bench_gate()
        .arg("merge")
        .arg("--out")
        .arg(&out)
        .arg(&one)
        .arg(&two)));
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("ir/a/b/d.ro is in run 1 but not in run 2"),
        "{stderr}"
    );
    assert!(!out.exists());
    let (code, stdout, _) = outcome(&run(bench_gate()
        .arg("merge")
        .arg("--out")
        .arg(&out)
        .arg(&one)
        .arg(&one)));
    assert_eq!(code, Some(0), "{stdout}");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The folder of the run `id` under the target directory `target`.
fn run_dir(target: &Path, id: &str) -> PathBuf {
    target.join("bench-suite/runs").join(id)
}

/// A criterion result of `group/function/64B` with median `ns`, as a run
/// keeps it.
fn criterion_result(run: &Path, group: &str, function: &str, ns: f64) {
    let dir = run.join("criterion").join(group).join(function).join("64B");
    write(
        &dir.join("estimates.json"),
        &format!(
            r#"{{"median":{{"point_estimate":{ns},"confidence_interval":{{"lower_bound":{},"upper_bound":{}}}}}}}"#,
            ns * 0.99,
            ns * 1.01
        ),
    );
    write(
        &dir.join("sample.json"),
        &format!(r#"{{"iters":[1,2],"times":[{ns},{}]}}"#, 2.0 * ns),
    );
}

fn summary(ir: u64) -> String {
    format!(
        r#"{{"profiles":[{{"summaries":{{"total":{{"summary":{{"Callgrind":{{"Ir":{{"metrics":{{"Left":{{"Int":{ir}}}}}}}}}}}}}}}}}]}}"#
    )
}

/// A run folder of one random_read run at 64 B: raw view and copy floors,
/// mmapio's view and copy over them, mmap-io's view; rounds in which the
/// copy floor takes three times the view floor. Another run's folder beside
/// it holds an instruction count of its own.
fn synthetic_run(target: &Path, now: u64) {
    let run = run_dir(target, "this");
    let variants = [
        (
            "memmap2_slice",
            r#"{"library":"memmap2","shape":"view"}"#,
            10.0,
        ),
        (
            "memmap2_copy",
            r#"{"library":"memmap2","shape":"copy_out"}"#,
            30.0,
        ),
        (
            "mmapio_as_slice_ro",
            r#"{"library":"mmapio","shape":"view","floor":"memmap2_slice","peer":"mmap_io_as_slice_ro"}"#,
            12.0,
        ),
        (
            "mmapio_read_into_ro",
            r#"{"library":"mmapio","shape":"copy_out","floor":"memmap2_copy"}"#,
            33.0,
        ),
        (
            "mmap_io_as_slice_ro",
            r#"{"library":"mmap_io","shape":"view","floor":"memmap2_slice"}"#,
            48.0,
        ),
    ];
    let mut records = Vec::new();
    let mut rounds = Vec::new();
    for (function, role, ns) in variants {
        criterion_result(&run, "random_read", function, ns);
        records.push(format!(
            r#"{{"id":"{function}/64B","role":{role},"profile":"quick","allocations_per_iteration":0.0,"allocated_bytes_per_iteration":0.0,"counted_iterations":1000,"measured_unix_seconds":{now}}}"#
        ));
        rounds.push(format!(r#""{function}":[{ns},{ns},{ns}]"#));
    }
    write(
        &run.join("allocations/random_read.json"),
        &format!("[{}]", records.join(",")),
    );
    write(
        &run.join("rounds/random_read.json"),
        &format!(
            r#"[{{"parameter":"64B","profile":"quick","measured_unix_seconds":{now},"ns_per_iteration":{{{}}}}}]"#,
            rounds.join(",")
        ),
    );
    let views = "iai/bench-suite/instruction_counts/views";
    write(
        &run.join(views).join("mmapio_as_slice.ro/summary.json"),
        &summary(94),
    );
    let older = run_dir(target, "older").join(views);
    write(
        &older.join("mmap_io_as_slice.ro/summary.json"),
        &summary(500),
    );
}

fn collect(target: &Path, run_id: &str, out: &Path) -> (Option<i32>, String, String) {
    outcome(&run(bench_gate()
        .env("CARGO_TARGET_DIR", target)
        .args(["collect", "--profile", "quick", "--run", run_id])
        .arg("--out")
        .arg(out)))
}

#[test]
fn collect_divides_by_declared_floors_and_ignores_stale_summaries() {
    let dir = scratch("cli_collect");
    let target = dir.join("target");
    let now = unix_now();
    synthetic_run(&target, now);
    let out = dir.join("results.json");
    let (code, stdout, stderr) = collect(&target, "this", &out);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let results: Results = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let metric = |name: &str| {
        results
            .metrics
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing: {:?}", results.metrics.keys()))
    };
    // Like for like: the copy over the raw copy (33/30), not over the view
    // floor (33/10).
    let copy = metric("ratio/random_read/mmapio_read_into_ro/64B");
    assert!((copy.value - 1.1).abs() < 1e-9, "{copy:?}");
    assert_eq!(copy.library, Library::Mmapio);
    let view = metric("ratio/random_read/mmapio_as_slice_ro/64B");
    assert!((view.value - 1.2).abs() < 1e-9, "{view:?}");
    // Peers and raw loops are measured and carry their library, so the
    // gate reports them without gating them.
    assert_eq!(
        metric("ratio/random_read/mmap_io_as_slice_ro/64B").library,
        Library::MmapIo
    );
    assert_eq!(
        metric("wall/random_read/memmap2_copy/64B").library,
        Library::Memmap2
    );
    assert!(!results
        .metrics
        .contains_key("ratio/random_read/memmap2_slice/64B"));
    // The catalog's target for this variant, evaluated over the same run.
    let verdict = results
        .targets
        .iter()
        .find(|t| t.target == "random_read 64 B as_slice RO vs raw indexing")
        .unwrap_or_else(|| panic!("target missing: {:?}", results.targets));
    assert!((verdict.ratio - 1.2).abs() < 1e-9, "{verdict:?}");
    assert_eq!(verdict.verdict, Verdict::Met);
    assert!(verdict.specified);
    let stats = &results.variants["random_read/mmapio_as_slice_ro/64B"];
    assert_eq!(stats.role.floor.as_deref(), Some("memmap2_slice"));
    assert!((stats.vs_peer.unwrap() - 0.25).abs() < 1e-9);
    // This run's summary counts; the other run's does not.
    assert_eq!(
        metric("ir/instruction_counts/views/mmapio_as_slice.ro").value,
        94.0
    );
    assert!(!results
        .metrics
        .contains_key("ir/instruction_counts/views/mmap_io_as_slice.ro"));
    // The other run, collected by its path, has only its own summary.
    let older = run_dir(&target, "older");
    let (code, _, stderr) = collect(&target, older.to_str().unwrap(), &out);
    assert_eq!(code, Some(0), "{stderr}");
    let other: Results = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let names: Vec<&String> = other.metrics.keys().collect();
    assert_eq!(
        names,
        ["ir/instruction_counts/views/mmap_io_as_slice.ro"],
        "{other:?}"
    );
    assert_eq!(
        other.metrics["ir/instruction_counts/views/mmap_io_as_slice.ro"].library,
        Library::MmapIo
    );
}

#[test]
fn collect_refuses_groups_and_functions_the_catalog_lacks() {
    let dir = scratch("cli_collect_unknown");
    let target = dir.join("target");
    let now = unix_now();
    synthetic_run(&target, now);
    let this = run_dir(&target, "this");
    criterion_result(&this, "new_workload", "mmapio_thing", 5.0);
    let out = dir.join("results.json");
    let (code, _, stderr) = collect(&target, "this", &out);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("new_workload"), "{stderr}");
    assert!(stderr.contains("catalog::WORKLOADS"), "{stderr}");
    std::fs::remove_dir_all(this.join("criterion/new_workload")).unwrap();
    write(
        &this.join("iai/bench-suite/instruction_counts/views/mmapio_new_path.ro/summary.json"),
        &summary(7),
    );
    let (code, _, stderr) = collect(&target, "this", &out);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("mmapio_new_path has no declared library"),
        "{stderr}"
    );
}

/// `bench-ratios` over an `adhoc` run (the default) holding only
/// criterion's medians of `random_read` at 64 B: mmapio's view at
/// `mmapio_ns`, raw indexing at 100 ns.
fn bench_ratios_over(test: &str, mmapio_ns: f64, args: &[&str]) -> (Option<i32>, String, String) {
    let target = scratch(test).join("target");
    let adhoc = run_dir(&target, "adhoc");
    criterion_result(&adhoc, "random_read", "mmapio_as_slice_ro", mmapio_ns);
    criterion_result(&adhoc, "random_read", "memmap2_slice", 100.0);
    outcome(&run(bench_ratios()
        .env("CARGO_TARGET_DIR", &target)
        .args(args)))
}

#[test]
fn bench_ratios_exits_1_on_a_missed_specified_target_unless_report_only() {
    // 3.0 (2.94-3.06) over a limit of 1.5: missed.
    let (code, stdout, stderr) = bench_ratios_over("ratios_missed", 300.0, &[]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("random_read 64 B as_slice RO vs raw indexing"),
        "{stdout}"
    );
    assert!(stderr.contains("1 specified target(s) missed"), "{stderr}");
    let (code, stdout, stderr) = bench_ratios_over("ratios_report_only", 300.0, &["--report-only"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    // 1.2 is within the limit: exit 0 without the flag.
    let (code, stdout, stderr) = bench_ratios_over("ratios_met", 120.0, &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let (code, _, stderr) = bench_ratios_over("ratios_bad_flag", 120.0, &["--report_only"]);
    assert_eq!(code, Some(2), "{stderr}");
}
