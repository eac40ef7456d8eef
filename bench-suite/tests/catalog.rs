//! The catalog lists every bench target and every criterion group, and the
//! instruction-count table lists every iai-callgrind bench function: a new
//! workload or variant cannot be silently ungated.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bench_suite::catalog::{Harness, INSTRUCTION_COUNTS, WORKLOADS};

fn crate_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(crate_file(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The `name`s of the `[[bench]]` tables of `Cargo.toml`.
fn bench_targets(manifest: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_bench = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bench = line == "[[bench]]";
        } else if let (true, Some(value)) = (in_bench, line.strip_prefix("name")) {
            let name = value
                .trim()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"');
            names.insert(name.to_owned());
        }
    }
    names
}

fn catalog_names(harness: Option<Harness>) -> BTreeSet<String> {
    WORKLOADS
        .iter()
        .filter(|w| harness.is_none_or(|h| w.harness == h))
        .map(|w| w.name.to_owned())
        .collect()
}

#[test]
fn every_bench_target_and_bench_file_is_in_the_catalog() {
    let targets = bench_targets(&read("Cargo.toml"));
    assert_eq!(
        targets,
        catalog_names(None),
        "[[bench]] targets vs catalog::WORKLOADS"
    );
    let files: BTreeSet<String> = std::fs::read_dir(crate_file("benches"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, targets, "benches/*.rs vs [[bench]] targets");
}

#[test]
fn every_criterion_group_is_its_workload_of_the_catalog() {
    for name in catalog_names(Some(Harness::Criterion)) {
        let source = read(&format!("benches/{name}.rs"));
        assert!(
            source.contains(&format!("const WORKLOAD: &str = \"{name}\";")),
            "benches/{name}.rs must name its group WORKLOAD = \"{name}\""
        );
        let groups = source.matches("benchmark_group(").count();
        let of_workload = source.matches("benchmark_group(WORKLOAD)").count();
        assert_eq!(
            (groups, of_workload),
            (1, 1),
            "benches/{name}.rs must open exactly one criterion group, benchmark_group(WORKLOAD)"
        );
    }
    for name in catalog_names(Some(Harness::InstructionCounts)) {
        let source = read(&format!("benches/{name}.rs"));
        assert!(
            !source.contains("benchmark_group("),
            "benches/{name}.rs is an instruction-count bench: no criterion group"
        );
    }
}

#[test]
fn every_instruction_count_function_declares_its_library() {
    let mut functions = BTreeSet::new();
    for name in catalog_names(Some(Harness::InstructionCounts)) {
        let source = read(&format!("benches/{name}.rs"));
        let mut lines = source.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if line != "#[library_benchmark]" {
                continue;
            }
            // The function follows its #[bench::...] attributes.
            let signature = lines
                .find(|l| l.starts_with("fn "))
                .unwrap_or_else(|| panic!("benches/{name}.rs: #[library_benchmark] without a fn"));
            let function = signature["fn ".len()..].split(['(', '<']).next().unwrap();
            functions.insert(function.to_owned());
        }
    }
    let declared: BTreeSet<String> = INSTRUCTION_COUNTS
        .iter()
        .map(|c| c.function.to_owned())
        .collect();
    assert_eq!(
        declared.len(),
        INSTRUCTION_COUNTS.len(),
        "a function declared twice"
    );
    assert_eq!(
        functions, declared,
        "#[library_benchmark] functions vs catalog::INSTRUCTION_COUNTS"
    );
}

#[test]
fn the_manifest_parser_reads_bench_tables_only() {
    let manifest = "[package]\nname = \"x\"\n[[bench]]\nname = \"a\"\nharness = false\n[[bin]]\nname = \"b\"\n[[bench]]\nname=\"c\"\n";
    let names: Vec<String> = bench_targets(manifest).into_iter().collect();
    assert_eq!(names, ["a", "c"]);
}
