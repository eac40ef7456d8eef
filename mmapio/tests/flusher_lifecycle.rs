//! Lifecycle of the `EveryMillis` background flusher thread.
//!
//! This binary holds a SINGLE test on purpose: it counts the process's
//! threads named `mmapio-flusher` through `/proc/self/task/*/comm`, so no
//! other test may create mappings concurrently in the same process.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::time::{Duration, Instant};

use mmapio::{FlushPolicy, MemoryMappedFile, MmapMode};

const THREAD_NAME: &str = "mmapio-flusher";
/// Upper bound for "returns promptly".
const PROMPT: Duration = Duration::from_secs(1);

/// Number of live threads of this process named `mmapio-flusher`.
fn flusher_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("read /proc/self/task")
        .filter_map(|entry| {
            // A thread may exit between listing and reading: skip it.
            std::fs::read_to_string(entry.ok()?.path().join("comm")).ok()
        })
        .filter(|comm| comm.trim_end_matches('\n') == THREAD_NAME)
        .count()
}

/// Waits (up to 2 s) for the flusher thread count to become `expected`.
///
/// Polling is needed in both directions: a new thread names itself only
/// once it runs, and a joined thread's `/proc` entry can linger for a
/// moment after `join` returns.
fn assert_flusher_threads(expected: usize, what: &str) {
    let start = Instant::now();
    let mut seen = flusher_threads();
    while seen != expected && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(5));
        seen = flusher_threads();
    }
    assert_eq!(seen, expected, "{what}: flusher threads");
}

/// Asserts the count stays at `expected` for a while (nothing spawned or
/// stopped late).
fn assert_flusher_threads_stay(expected: usize, what: &str) {
    for _ in 0..10 {
        assert_eq!(flusher_threads(), expected, "{what}: flusher threads");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn every_millis(path: &Path, ms: u64) -> MemoryMappedFile {
    MemoryMappedFile::builder(path)
        .size(4096)
        .flush_policy(FlushPolicy::EveryMillis(ms))
        .open_or_create()
        .expect("map with EveryMillis")
}

/// Runs `f` (which drops or unmaps the last handle) and asserts it returns
/// promptly.
fn promptly<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let start = Instant::now();
    let r = f();
    let took = start.elapsed();
    assert!(took < PROMPT, "{what} took {took:?}");
    r
}

#[test]
fn flusher_thread_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.bin");
    let baseline = flusher_threads();
    assert_eq!(baseline, 0, "no mapping exists yet");

    // --- Policies other than EveryMillis, and non-RW modes, spawn nothing.
    {
        let manual = MemoryMappedFile::builder(&path)
            .size(4096)
            .flush_policy(FlushPolicy::Manual)
            .open_or_create()
            .unwrap();
        let always = MemoryMappedFile::builder(&path)
            .flush_policy(FlushPolicy::Always)
            .open()
            .unwrap();
        let ro = MemoryMappedFile::builder(&path)
            .mode(MmapMode::ReadOnly)
            .flush_policy(FlushPolicy::EveryMillis(1))
            .open()
            .unwrap();
        assert_flusher_threads_stay(baseline, "Manual, Always and read-only mappings");
        drop((manual, always, ro));
    }

    // --- One thread per mapping, gone promptly after the last drop, for a
    // long interval and for the longest one expressible.
    for ms in [60_000, u64::MAX] {
        let map = every_millis(&path, ms);
        assert_flusher_threads(baseline + 1, &format!("one EveryMillis({ms}) mapping"));
        map.update_region(0, b"dirty at drop").unwrap();
        promptly(&format!("dropping EveryMillis({ms})"), || drop(map));
        assert_flusher_threads(baseline, &format!("after dropping EveryMillis({ms})"));
    }

    // --- Two mappings at once: two threads; each drop stops only its own.
    {
        let a = every_millis(&dir.path().join("a.bin"), 60_000);
        let b = every_millis(&dir.path().join("b.bin"), u64::MAX);
        assert_flusher_threads(baseline + 2, "two mappings");
        promptly("dropping the first of two mappings", || drop(a));
        assert_flusher_threads(baseline + 1, "one of two mappings dropped");
        assert_flusher_threads_stay(baseline + 1, "one of two mappings dropped");
        b.update_region(0, b"still works").unwrap();
        promptly("dropping the second of two mappings", || drop(b));
        assert_flusher_threads(baseline, "both mappings dropped");
    }

    // --- Clones share one flusher; only the last drop stops it.
    for ms in [60_000, u64::MAX] {
        let map = every_millis(&path, ms);
        let c1 = map.clone();
        let c2 = c1.clone();
        assert_flusher_threads(baseline + 1, "three clones of one mapping");
        assert_flusher_threads_stay(baseline + 1, "three clones share one thread");
        drop(map);
        drop(c1);
        assert_flusher_threads_stay(baseline + 1, "one clone left");
        c2.update_region(0, b"last clone").unwrap();
        promptly("dropping the last clone", || drop(c2));
        assert_flusher_threads(baseline, "all clones dropped");
    }

    // --- unmap(): refused while a clone lives (thread keeps running), then
    // returns the File and stops the thread.
    for ms in [60_000, u64::MAX] {
        let map = every_millis(&path, ms);
        let clone = map.clone();
        assert_flusher_threads(baseline + 1, "mapping before unmap");
        let map = match map.unmap() {
            Ok(_) => panic!("unmap succeeded while a clone was alive"),
            Err(map) => map,
        };
        assert_flusher_threads_stay(baseline + 1, "after a refused unmap");
        drop(clone);
        assert_flusher_threads_stay(baseline + 1, "one handle left after refused unmap");
        map.update_region(0, b"before unmap").unwrap();
        let file = promptly(&format!("unmap of EveryMillis({ms})"), || map.unmap())
            .expect("unmap of the only handle returns the File");
        assert_flusher_threads(baseline, "after unmap");
        assert_eq!(file.metadata().unwrap().len(), 4096);
        // The returned File is a working handle on the same file.
        file.set_len(8192).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 8192);
        file.set_len(4096).unwrap();
    }

    // --- A short interval: the thread actually runs (flushes) and still
    // stops promptly.
    {
        let map = every_millis(&path, 5);
        map.update_region(0, b"short interval").unwrap();
        let start = Instant::now();
        while map.flush_stats().flushes == 0 && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(map.flush_stats().flushes >= 1, "flusher never flushed");
        assert_flusher_threads(baseline + 1, "short-interval mapping");
        promptly("dropping a short-interval mapping", || drop(map));
        assert_flusher_threads(baseline, "after dropping short-interval mapping");
    }
}
