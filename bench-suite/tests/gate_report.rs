//! The report generator against checked-in fixtures: a change to the
//! report's format shows up as a diff of `fixtures/expected-PERFORMANCE.md`
//! in review. Set `UPDATE_EXPECT=1` to rewrite the expected files.

use std::path::Path;

use bench_suite::gate::{report, Results};

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

fn small() -> Results {
    serde_json::from_str(&std::fs::read_to_string(fixture("results-small.json")).unwrap()).unwrap()
}

#[test]
fn markdown_matches_the_expected_report() {
    let markdown = report::render_markdown(&small());
    // The computed columns, spelled out: 100 ns over the 40 ns floor and
    // over mmap-io's 400 ns; 64 B per 100 ns.
    assert!(markdown.contains("| `mmapio_as_slice_rw` | 64B | 100.0 ns | 130.0 ns | 610.4 MiB/s | 2.50 | 0.25 | 0.00 | — |"), "{markdown}");
    // Ratios paired over side-by-side rounds, when the results carry them,
    // win over the quotient of P50s (80 / 40 = 2.00, and no mmap-io row).
    assert!(markdown.contains("| `mmapio_as_slice_ro` | 64B | 80.0 ns | 90.0 ns | 762.9 MiB/s | 1.90 | 0.35 | 0.00 | — |"), "{markdown}");
    assert!(
        markdown.contains(
            "| `mmapio_manual` | 8MiB | 2.00 ms | 2.50 ms | 3.91 GiB/s | — | — | 0.00 | 1.00 |"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("| `instruction_counts/read/mmapio_as_slice.ro` | 412 |"));
    check_against("expected-PERFORMANCE.md", &markdown);
}

#[test]
fn chart_matches_the_expected_svg() {
    let svg = report::render_chart(&small());
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("random_read/mmapio_as_slice_rw/64B"));
    check_against("expected-perf-ratios.svg", &svg);
}
