//! The report generator against checked-in fixtures: a change to the
//! report's format shows up as a diff of `fixtures/expected-PERFORMANCE.md`
//! in review. Set `UPDATE_EXPECT=1` to rewrite the expected files.

use std::path::Path;

use bench_suite::catalog::role_of;
use bench_suite::gate::resolution::Row;
use bench_suite::gate::{read_resolution, report, Results, VariantStats};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn check_against(name: &str, actual: &str) {
    let path = fixture(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        actual, expected,
        "{name} differs; rerun with UPDATE_EXPECT=1 if intended"
    );
}

fn read(name: &str) -> Results {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn small() -> Results {
    read("results-small.json")
}

fn resolution() -> Vec<Row> {
    read_resolution(&fixture("resolution-small.json")).unwrap()
}

#[test]
fn markdown_matches_the_expected_report() {
    let (results, baseline, resolution) = (small(), read("gate-baseline-small.json"), resolution());
    let markdown = report::render_markdown(&report::Sources {
        results: &results,
        gate_baseline: Some(&baseline),
        resolution: Some(&resolution),
    });
    // The stored ratios, and 64 B per 100 ns.
    assert!(markdown.contains("| `mmapio_as_slice_rw` | 64B | 100.0 ns | 130.0 ns | 610.4 MiB/s | 2.50 | 0.25 | 0.00 | — |"), "{markdown}");
    assert!(markdown.contains("| `mmapio_as_slice_ro` | 64B | 80.0 ns | 90.0 ns | 762.9 MiB/s | 1.90 | 0.35 | 0.00 | — |"), "{markdown}");
    assert!(
        markdown.contains(
            "| `mmapio_manual` | 8MiB | 2.00 ms | 2.50 ms | 3.91 GiB/s | — | — | 0.00 | 1.00 |"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("| `instruction_counts/read/mmapio_as_slice.ro` | 412 |"));
    // The declared floors, from the results' roles.
    assert!(
        markdown.contains("| random_read | `mmapio_as_slice_rw` | mmapio | view | `memmap2_slice` | `mmap_io_as_slice_rw` |"),
        "{markdown}"
    );
    assert!(markdown.contains("| random_read | `memmap2_slice` | memmap2 | view | — | — |"));
    // The gate's rules, with what the gate baseline gates (mmapio only).
    assert!(
        markdown.contains("Instruction counts of the 2 mmapio callgrind benches"),
        "{markdown}"
    );
    assert!(markdown.contains("the 1 loop benches"), "{markdown}");
    assert!(
        markdown.contains("allocations (1) and flushes (1)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("The baseline's timed figures are for the report only."),
        "{markdown}"
    );
    // Resolution: one column per injection, instructions first; a cell
    // says what failed of what was gated; what passed is explained.
    assert!(
        markdown.contains("| workload | +10% instructions in the hot loop | one cache-missing load per item | +15% time |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| random_read | **fails**: exact 3/4 (+11.2%), timed 1/12 (+13.0%) | — | **fails**: exact 0/4 (+0.0%), timed 5/12 (+21.0%) |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("* **sequential_read, +15% time**: the exact metrics moved nothing"),
        "{markdown}"
    );
    // The source edits do not reach the multi-threaded workload.
    assert!(
        markdown.contains("| atomic_contention | not injected (multi-threaded) | — | **fails**: exact 0/10, timed 8/8 (+19.0%) |"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("**atomic_contention, +10% instructions"),
        "{markdown}"
    );
    // A code injection caught only by timing says so, with the reason.
    assert!(
        markdown.contains("* **sequential_read, one cache-missing load per item**: the exact metrics moved `cycles/instruction_counts/loops/mmapio_sequential_as_slice.rw` at most, +1.4%, under their thresholds"),
        "{markdown}"
    );
    check_against("expected-PERFORMANCE.md", &markdown);
}

#[test]
fn bias_revocations_get_a_column_where_they_were_counted() {
    let mut results = small();
    let role = role_of("reader_gate", "mmapio_as_slice_and_update_region").unwrap();
    results.variants.insert(
        "reader_gate/mmapio_as_slice_and_update_region/64B_1_write_per_64_reads".to_owned(),
        VariantStats {
            role,
            p50_ns: 4000.0,
            p99_ns: 4400.0,
            bytes_per_iteration: Some(4160),
            allocations: Some(0.0),
            flushes: None,
            revocations: Some(0.125),
            vs_floor: Some(1.6),
            vs_peer: None,
        },
    );
    let markdown = report::render_markdown(&report::Sources {
        results: &results,
        gate_baseline: None,
        resolution: None,
    });
    assert!(
        markdown.contains("| variant | parameter | P50 | P99 | throughput | × floor | × mmap-io | allocs | flushes | revocations |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n| `mmapio_as_slice_and_update_region` | 64B_1_write_per_64_reads | 4.00 µs | 4.40 µs |"),
        "{markdown}"
    );
    assert!(
        markdown.contains(" | 1.60 | — | 0.00 | — | 0.125 |\n"),
        "{markdown}"
    );
    // The other workloads keep their columns.
    assert!(markdown.contains(
        "| `mmapio_manual` | 8MiB | 2.00 ms | 2.50 ms | 3.91 GiB/s | — | — | 0.00 | 1.00 |\n"
    ));
}

#[test]
fn chart_matches_the_expected_svg() {
    let svg = report::render_chart(&small());
    assert!(svg.starts_with("<svg"));
    assert!(
        svg.contains(r#"font-weight="bold">random_read</text>"#),
        "{svg}"
    );
    let bar_of = |label: &str| {
        svg.lines()
            .find(|l| l.contains(&format!(">{label}</text>")))
            .unwrap_or_else(|| panic!("no bar for {label}: {svg}"))
            .to_owned()
    };
    // Only the variant that misses its target in the run is red; the others
    // take their library's colour, mmap-io beside mmapio on the same floor.
    assert!(bar_of("mmapio_as_slice_ro/64B").contains("#c0392b"));
    assert!(bar_of("mmapio_as_slice_rw/64B").contains("#2e6da4"));
    assert!(bar_of("mmap_io_as_slice_ro/64B").contains("#e0a030"));
    check_against("expected-perf-ratios.svg", &svg);
}
