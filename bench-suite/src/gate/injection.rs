//! Known regressions, for measuring what the gate catches
//! ([`super::resolution`]): each is applied to a scratch copy of the head
//! only, and the gate then judges that copy against the head itself as the
//! base.
//!
//! * [`Injection::Instructions`]: about a tenth more instructions in the
//!   hot loop of every mmapio variant of each single-threaded workload;
//! * [`Injection::CacheMiss`]: one load that misses every cache per item of
//!   that loop (and per 4 KiB page of an item), with almost no extra
//!   instructions;
//! * [`Injection::Slowdown`]: every mmapio variant slower by a fraction of
//!   its own time (the harness's [`INJECT_SLOWDOWN_ENV`], given to the
//!   head's passes only): what only the timed ratios can see.
//!
//! The first two are source edits ([`EDITS`]) that call a module written
//! into the copy's harness, `injected.rs`. Each edit names the line or the
//! text it changes; [`check_edits`] fails when the current tree no longer
//! has it (a test runs it), so a refactoring that moves a hot loop says
//! which injection to move with it. The amounts of extra work per site are
//! set from the loop twins' instruction counts per item; the resolution
//! table reports the changes they really made.

use std::fs;
use std::path::Path;

use crate::catalog;
use crate::harness::INJECT_SLOWDOWN_ENV;

/// One known regression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Injection {
    /// About 10% more instructions per item of each hot loop.
    Instructions,
    /// One cache-missing load per item and per 4 KiB page of an item.
    CacheMiss,
    /// Every mmapio variant slower by this fraction of its own time.
    Slowdown(f64),
}

impl Injection {
    /// Its name on the command line and in `baselines/resolution.json`:
    /// `instructions`, `cache-miss`, `slowdown-15%`.
    pub fn name(&self) -> String {
        match self {
            Injection::Instructions => "instructions".to_owned(),
            Injection::CacheMiss => "cache-miss".to_owned(),
            Injection::Slowdown(f) => format!("slowdown-{:.0}%", f * 100.0),
        }
    }

    /// What it does, in words (the report's column heading).
    pub fn description(&self) -> String {
        match self {
            Injection::Instructions => "+10% instructions in the hot loop".to_owned(),
            Injection::CacheMiss => "one cache-missing load per item".to_owned(),
            Injection::Slowdown(f) => format!("+{:.0}% time", f * 100.0),
        }
    }

    /// Parses [`name`](Self::name)'s forms (`slowdown-15%`, or
    /// `slowdown-0.15`).
    pub fn parse(text: &str) -> Result<Injection, String> {
        match text {
            "instructions" => Ok(Injection::Instructions),
            "cache-miss" => Ok(Injection::CacheMiss),
            other => {
                let value = other.strip_prefix("slowdown-").ok_or_else(|| {
                    format!("{other}: expected instructions, cache-miss or slowdown-N%")
                })?;
                let fraction = match value.strip_suffix('%') {
                    Some(percent) => percent.parse::<f64>().map(|p| p / 100.0),
                    None => value.parse::<f64>(),
                }
                .map_err(|e| format!("{other}: {e}"))?;
                if fraction > 0.0 && fraction <= 1.0 {
                    Ok(Injection::Slowdown(fraction))
                } else {
                    Err(format!("{other}: the slowdown must be in (0, 100%]"))
                }
            }
        }
    }

    /// Whether it reaches `workload`'s mmapio variants: a slowdown reaches
    /// every one; the source edits go into the hot loops of the
    /// single-threaded workloads only, not into those the catalog declares
    /// [`multi_threaded`](crate::catalog::Workload::multi_threaded)
    /// (`atomic_contention`, whose threads' `fetch_add`s are the library's
    /// own; `reader_gate`), where the missed loads' shared cursor would
    /// make the threads contend.
    pub fn reaches(&self, workload: &str) -> bool {
        !self.edits_source() || !catalog::workload(workload).is_some_and(|w| w.multi_threaded)
    }

    /// Whether it edits the source (else it is an environment variable of
    /// the head's timed passes).
    pub fn edits_source(&self) -> bool {
        !matches!(self, Injection::Slowdown(_))
    }

    /// The environment of the head's timed passes.
    pub fn head_env(&self) -> Vec<(String, String)> {
        match self {
            Injection::Slowdown(f) => vec![(INJECT_SLOWDOWN_ENV.to_owned(), f.to_string())],
            _ => Vec::new(),
        }
    }
}

/// Where an edit applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A line before the first line containing the text.
    Before,
    /// A line after the first line containing the text.
    After,
    /// In place of every occurrence of the text.
    Replace,
}

/// One source edit of an injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The file, relative to the workspace root.
    pub file: &'static str,
    /// The top-level function it applies in (`fn NAME(` to the next line
    /// that is `}`), or the whole file.
    pub function: Option<&'static str>,
    /// The text it looks for.
    pub find: &'static str,
    /// Where the new text goes.
    pub place: Place,
    /// The new text (a line for `Before`/`After`, the replacement for
    /// `Replace`).
    pub text: &'static str,
}

const fn edit(
    file: &'static str,
    function: Option<&'static str>,
    find: &'static str,
    place: Place,
    text: &'static str,
) -> Edit {
    Edit {
        file,
        function,
        find,
        place,
        text,
    }
}

const PEERS: &str = "bench-suite/src/harness/peers.rs";
const ITERATORS: &str = "bench-suite/benches/iterator_throughput.rs";
const TOUCH: &str = "bench-suite/benches/touch_pages_large.rs";
const WRITES: &str = "bench-suite/benches/sequential_write.rs";
const COUNTS: &str = "bench-suite/benches/instruction_counts.rs";

/// The injection sites: every mmapio variant's hot loop in the
/// single-threaded workloads and in their instruction-count twins.
pub const EDITS: &[Edit] = &[
    // sequential_read and random_read, and their twins: the read adapters
    // (a macro shared with mmap-io's, hence the test of the crate's name).
    edit(
        PEERS,
        None,
        "checksum(std::hint::black_box(&view))",
        Place::Before,
        "if $crate_name == \"mmapio\" { crate::harness::injected::viewed(len); }",
    ),
    edit(
        PEERS,
        None,
        "self.map.read_into(offset as u64, buffer).expect(\"in range\");",
        Place::After,
        "if $crate_name == \"mmapio\" { crate::harness::injected::copied(len); }",
    ),
    // The missed loads' buffer is filled when a mapping is opened, outside
    // every timed region and every measured function.
    edit(
        PEERS,
        Some("open_mmapio"),
        "let result = match access {",
        Place::Before,
        "crate::harness::injected::prepare();",
    ),
    edit(
        PEERS,
        Some("open_mmapio_with_policy"),
        "let map = mmapio::MemoryMappedFile::builder(path)",
        Place::Before,
        "crate::harness::injected::prepare();",
    ),
    // iterator_throughput: every byte of each item read...
    edit(
        ITERATORS,
        Some("every_byte"),
        "map.chunks(chunk_size)",
        Place::Replace,
        "map.chunks(chunk_size).inspect(|_| bench_suite::harness::injected::checksummed_item(chunk_size))",
    ),
    edit(
        ITERATORS,
        Some("every_byte"),
        "map.pages()",
        Place::Replace,
        "map.pages().inspect(|_| bench_suite::harness::injected::checksummed_item(page_size))",
    ),
    edit(
        ITERATORS,
        Some("every_byte"),
        "map.chunks_owned(4096)",
        Place::Replace,
        "map.chunks_owned(4096).inspect(|_| bench_suite::harness::injected::checksummed_item(4096))",
    ),
    edit(
        ITERATORS,
        Some("every_byte"),
        "map.pages_owned()",
        Place::Replace,
        "map.pages_owned().inspect(|_| bench_suite::harness::injected::checksummed_item(page_size))",
    ),
    // ...or two bytes of each.
    edit(
        ITERATORS,
        Some("two_bytes_per_chunk"),
        "map.chunks(CHUNK)",
        Place::Replace,
        "map.chunks(CHUNK).inspect(|_| bench_suite::harness::injected::light_item())",
    ),
    edit(
        ITERATORS,
        Some("two_bytes_per_chunk"),
        "for_loop_two_bytes(lent)",
        Place::Replace,
        "for_loop_two_bytes(lent.inspect(|_| bench_suite::harness::injected::light_item()))",
    ),
    // touch_pages_large, warm and fresh.
    edit(
        TOUCH,
        Some("main"),
        "map.touch_pages().expect(\"touch\");",
        Place::After,
        "bench_suite::harness::injected::touched(map.len() as usize);",
    ),
    edit(
        TOUCH,
        Some("fresh_mmapio"),
        "map.touch_pages().expect(\"touch\");",
        Place::After,
        "bench_suite::harness::injected::touched(map.len() as usize);",
    ),
    // sequential_write: every mmapio write.
    edit(
        WRITES,
        Some("main"),
        "map.update_region(offset as u64, black_box(source))",
        Place::Replace,
        "{ bench_suite::harness::injected::written(source.len()); map.update_region(offset as u64, black_box(source)) }",
    ),
    // The instruction-count twins (the read twins go through the adapters).
    edit(
        COUNTS,
        Some("mmapio_chunks_4096"),
        ".chunks(black_box(4096))",
        Place::Replace,
        ".chunks(black_box(4096)).inspect(|_| bench_suite::harness::injected::checksummed_item(4096))",
    ),
    edit(
        COUNTS,
        Some("mmapio_chunks_4096_two_bytes"),
        ".chunks(black_box(4096))",
        Place::Replace,
        ".chunks(black_box(4096)).inspect(|_| bench_suite::harness::injected::light_item())",
    ),
    edit(
        COUNTS,
        Some("mmapio_for_chunks_4096_two_bytes"),
        "map.chunks(black_box(4096))",
        Place::Replace,
        "map.chunks(black_box(4096)).inspect(|_| bench_suite::harness::injected::light_item())",
    ),
    edit(
        COUNTS,
        Some("mmapio_for_lent_chunks_4096_two_bytes"),
        "for_two_bytes(lent)",
        Place::Replace,
        "for_two_bytes(lent.inspect(|_| bench_suite::harness::injected::light_item()))",
    ),
    edit(
        COUNTS,
        Some("mmapio_touch_pages_range"),
        ".expect(\"touch\");",
        Place::After,
        "bench_suite::harness::injected::touched(TOUCH_LEN);",
    ),
    edit(
        COUNTS,
        Some("mmapio_sequential_update_region"),
        "map.update_region(offset as u64, black_box(&source))",
        Place::Replace,
        "{ bench_suite::harness::injected::written(source.len()); map.update_region(offset as u64, black_box(&source)) }",
    ),
];

/// The module the edits call, for `injection` (see [`INJECTED_MODULE`]).
fn injected_module(injection: Injection) -> String {
    INJECTED_MODULE
        .replace("{DESCRIPTION}", &injection.description())
        .replace(
            "{MISSES}",
            if injection == Injection::CacheMiss {
                "true"
            } else {
                "false"
            },
        )
}

/// `bench-suite/src/harness/injected.rs` in the scratch copy. The extra
/// instructions per site are a loop of `nop`s sized to a tenth or a little
/// more of the instructions the loop twin spends per item there (per
/// request for reads, per 4 KiB of a long read, per chunk, per page
/// touched, per 64 KiB write); a light iterator item gets three `nop`s.
const INJECTED_MODULE: &str = r#"//! Written by `bench-gate resolution` into a scratch copy of the head, to
//! measure what the regression gate catches: {DESCRIPTION}.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Whether the loads that miss are injected (else extra instructions).
const MISSES: bool = {MISSES};
/// Far larger than any cache (a power of two).
const BUFFER_LEN: usize = 64 << 20;
/// A page and a line between two loads: each one a new line of a new page.
const STRIDE: usize = 4096 + 64;
static BUFFER: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Fills the buffer of the missed loads once (called when a mapping is
/// opened, outside every timed region and measured function).
pub fn prepare() {
    if MISSES && BUFFER.load(Ordering::Relaxed).is_null() {
        let buffer: &'static mut [u8] = vec![1u8; BUFFER_LEN].leak();
        BUFFER.store(buffer.as_mut_ptr(), Ordering::Relaxed);
    }
}

/// About three instructions per step (a `nop`, the count, the branch):
/// `n` goes through `black_box`, so the loop is never unrolled away.
#[inline(always)]
fn spin(n: usize) {
    let mut left = black_box(n);
    while left != 0 {
        // SAFETY: `nop` reads and writes nothing.
        unsafe { std::arch::asm!("nop", options(nomem, nostack, preserves_flags)) };
        left -= 1;
    }
}

/// `n` loads, each of a line no cache holds: a handful of instructions
/// each.
#[inline(always)]
fn misses(n: usize) {
    let base = BUFFER.load(Ordering::Relaxed);
    assert!(!base.is_null(), "prepare() runs when a mapping is opened");
    let mut at = NEXT.load(Ordering::Relaxed);
    for _ in 0..n {
        // The byte read (1) is part of the next address: a load whose
        // value goes unused may be dropped by valgrind's translation.
        // SAFETY: `base` points to the `BUFFER_LEN` bytes `prepare` leaked,
        // and `at < BUFFER_LEN`.
        let byte = unsafe { base.add(at).read_volatile() };
        at = (at + STRIDE + usize::from(byte)) & (BUFFER_LEN - 1);
    }
    NEXT.store(at, Ordering::Relaxed);
}

#[inline(always)]
fn inject(steps: usize, loads: usize) {
    if MISSES {
        misses(loads);
    } else {
        spin(steps);
    }
}

/// Loads of an item of `len` bytes: one, and one per 4 KiB page.
#[inline(always)]
fn pages(len: usize) -> usize {
    (len / 4096).max(1)
}

/// A read of `len` bytes through `as_slice`: about 100 instructions per
/// 64-byte request, 600 per 4 KiB of a long read.
#[inline(always)]
pub fn viewed(len: usize) {
    inject(3 + len / 186, pages(len));
}

/// A read of `len` bytes through `read_into`: about 140 instructions per
/// 64-byte request, 4700 per 4 KiB of a long copy.
#[inline(always)]
pub fn copied(len: usize) {
    inject(3 + len / 24, pages(len));
}

/// An iterator item of `len` bytes, every byte of which is read: about 650
/// instructions per 4 KiB.
#[inline(always)]
pub fn checksummed_item(len: usize) {
    inject(len / 178, pages(len));
}

/// An iterator item of which two bytes are read: 7 to 14 instructions, so
/// three `nop`s and no loop.
#[inline(always)]
pub fn light_item() {
    if MISSES {
        misses(1);
    } else {
        // SAFETY: `nop` reads and writes nothing.
        unsafe { std::arch::asm!("nop", "nop", "nop", options(nomem, nostack, preserves_flags)) };
    }
}

/// A `touch_pages` over `len` bytes: about 4 instructions per page.
#[inline(always)]
pub fn touched(len: usize) {
    inject(len / 28672, len / 4096);
}

/// A write of `len` bytes: about 65 000 instructions per 64 KiB (one per
/// byte copied).
#[inline(always)]
pub fn written(len: usize) {
    inject(3 + len / 27, pages(len));
}
"#;

/// The lines `function` spans in `text`: from the line holding `fn NAME(`
/// to the next line that is `}`.
fn function_span(text: &str, function: &str) -> Option<(usize, usize)> {
    let open = format!("fn {function}(");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.contains(&open))?;
    let end = lines[start..].iter().position(|l| *l == "}")? + start;
    Some((start, end))
}

/// `text` with `edit` applied, or why it does not apply.
fn apply_edit(text: &str, edit: &Edit) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let (start, end) = match edit.function {
        Some(function) => function_span(text, function)
            .ok_or_else(|| format!("{}: no function {function}", edit.file))?,
        None => (0, lines.len().saturating_sub(1)),
    };
    let within = |i: usize| lines[i].contains(edit.find);
    let Some(hit) = (start..=end).find(|&i| within(i)) else {
        return Err(format!(
            "{}: {:?} not found{}",
            edit.file,
            edit.find,
            edit.function
                .map_or_else(String::new, |f| format!(" in fn {f}"))
        ));
    };
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    match edit.place {
        Place::Before => out.insert(hit, edit.text.to_owned()),
        Place::After => out.insert(hit + 1, edit.text.to_owned()),
        Place::Replace => {
            for line in &mut out[start..=end] {
                *line = line.replace(edit.find, edit.text);
            }
        }
    }
    Ok(out.join("\n") + "\n")
}

/// Applies every edit to the files under `root` in memory; the files'
/// new texts, or the first edit that does not apply.
fn edited(root: &Path) -> Result<Vec<(String, String)>, String> {
    let mut files: Vec<(String, String)> = Vec::new();
    for edit in EDITS {
        let index = match files.iter().position(|(f, _)| f == edit.file) {
            Some(i) => i,
            None => {
                let path = root.join(edit.file);
                let text =
                    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                files.push((edit.file.to_owned(), text));
                files.len() - 1
            }
        };
        files[index].1 = apply_edit(&files[index].1, edit)?;
    }
    Ok(files)
}

/// Checks that every edit still applies to the tree at `root`.
pub fn check_edits(root: &Path) -> Result<(), String> {
    edited(root).map(|_| ())
}

/// Applies `injection` to the scratch copy at `root`: its edits and the
/// module they call. Nothing to do for a slowdown.
pub fn apply(root: &Path, injection: Injection) -> Result<(), String> {
    if !injection.edits_source() {
        return Ok(());
    }
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    for (file, text) in edited(root)? {
        write(&file, &text)?;
    }
    write(
        "bench-suite/src/harness/injected.rs",
        &injected_module(injection),
    )?;
    let module = "bench-suite/src/harness/mod.rs";
    let text = fs::read_to_string(root.join(module)).map_err(|e| format!("{module}: {e}"))?;
    write(module, &(text + "\npub mod injected;\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edit_applies_to_the_current_tree() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        check_edits(root).unwrap();
    }

    #[test]
    fn edits_apply_in_their_function_only() {
        let text = "fn a() {\n    x.go();\n}\n\nfn b() {\n    x.go();\n    x.go();\n}\n";
        let replace = edit("f", Some("b"), "x.go()", Place::Replace, "y.go()");
        let out = apply_edit(text, &replace).unwrap();
        assert_eq!(
            out,
            "fn a() {\n    x.go();\n}\n\nfn b() {\n    y.go();\n    y.go();\n}\n"
        );
        let after = edit("f", Some("b"), "x.go()", Place::After, "    z();");
        let out = apply_edit(text, &after).unwrap();
        assert!(
            out.contains("fn b() {\n    x.go();\n    z();\n    x.go();"),
            "{out}"
        );
        let missing = edit("f", Some("a"), "w()", Place::Before, "");
        assert_eq!(
            apply_edit(text, &missing).unwrap_err(),
            "f: \"w()\" not found in fn a"
        );
        let no_fn = edit("f", Some("c"), "x", Place::Before, "");
        assert_eq!(apply_edit(text, &no_fn).unwrap_err(), "f: no function c");
    }

    #[test]
    fn injections_are_named_and_parsed() {
        for injection in [
            Injection::Instructions,
            Injection::CacheMiss,
            Injection::Slowdown(0.15),
        ] {
            assert_eq!(Injection::parse(&injection.name()).unwrap(), injection);
        }
        assert_eq!(
            Injection::parse("slowdown-0.25").unwrap(),
            Injection::Slowdown(0.25)
        );
        assert!(Injection::parse("slowdown-0").is_err());
        assert!(Injection::parse("faster").is_err());
        assert_eq!(
            Injection::Slowdown(0.25).head_env(),
            [(INJECT_SLOWDOWN_ENV.to_owned(), "0.25".to_owned())]
        );
    }

    #[test]
    fn code_edits_reach_the_single_threaded_workloads_only() {
        for injection in [Injection::Instructions, Injection::CacheMiss] {
            assert!(injection.reaches("random_read"));
            assert!(!injection.reaches("atomic_contention"));
            assert!(!injection.reaches("reader_gate"));
        }
        assert!(Injection::Slowdown(0.15).reaches("reader_gate"));
    }

    #[test]
    fn the_module_says_which_injection_it_is() {
        let misses = injected_module(Injection::CacheMiss);
        assert!(misses.contains("const MISSES: bool = true;"));
        assert!(misses.contains("one cache-missing load per item"));
        assert!(injected_module(Injection::Instructions).contains("const MISSES: bool = false;"));
    }
}
