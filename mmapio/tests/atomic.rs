//! Atomic views (feature `atomic`): exact counts under contention (shared
//! views, per-thread views through cloned handles, per-cache-line slice
//! counters), the bytes they leave behind, the exact error order as a
//! property, and the "atomic mode" exclusion rule against byte access,
//! checked with bounded waits on other threads.
#![cfg(feature = "atomic")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use mmapio::{MemoryMappedFile, MmapIoError, MmapMode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tempfile::TempDir;

use common::{spawn_waiter, Waiter};

/// How long an operation that should proceed is given to finish.
const PROCEED_WITHIN: Duration = Duration::from_secs(10);

const THREADS: usize = 4;
const ADDS: u64 = 20_000;

fn rw(dir: &TempDir, name: &str, size: u64) -> (PathBuf, MemoryMappedFile) {
    let path = dir.path().join(name);
    let map = MemoryMappedFile::create_rw(&path, size).unwrap();
    (path, map)
}

fn bytes_at(map: &MemoryMappedFile, offset: u64, len: u64) -> Vec<u8> {
    map.as_slice(offset, len).unwrap().to_vec()
}

/// Runs `f` on another thread through a clone of the handle; returns once
/// that thread is about to call it.
fn spawn_on_clone<T, F>(map: &MemoryMappedFile, f: F) -> Waiter<T>
where
    T: Send + 'static,
    F: FnOnce(&MemoryMappedFile) -> T + Send + 'static,
{
    let map = map.clone();
    spawn_waiter(move || f(&map))
}

fn finish_all<T>(pending: Vec<Waiter<T>>, what: &str) -> Vec<T> {
    pending.into_iter().map(|p| p.finish(what)).collect()
}

// ---------------------------------------------------------------- counting

#[test]
fn shared_u64_view_counts_exactly_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "shared64.bin", 4096);
    map.update_region(0, &[0xAA; 64]).unwrap();
    map.update_region(24, &[0; 8]).unwrap();
    {
        let counter = map.atomic_u64(24).unwrap();
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for _ in 0..ADDS {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::SeqCst), THREADS as u64 * ADDS);
    }
    let expected = THREADS as u64 * ADDS;
    assert_eq!(bytes_at(&map, 24, 8), expected.to_le_bytes());
    // Neighbours untouched.
    assert_eq!(bytes_at(&map, 16, 8), [0xAA; 8]);
    assert_eq!(bytes_at(&map, 32, 8), [0xAA; 8]);
    let mut buf = [0u8; 8];
    map.read_into(24, &mut buf).unwrap();
    assert_eq!(u64::from_le_bytes(buf), expected);
}

#[test]
fn shared_u32_view_counts_exactly_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "shared32.bin", 4096);
    map.update_region(0, &[0x55; 16]).unwrap();
    map.update_region(4, &[0; 4]).unwrap();
    {
        let counter = map.atomic_u32(4).unwrap();
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for _ in 0..ADDS {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(
            counter.load(Ordering::SeqCst),
            (THREADS as u64 * ADDS) as u32
        );
    }
    let expected = (THREADS as u64 * ADDS) as u32;
    assert_eq!(bytes_at(&map, 4, 4), expected.to_le_bytes());
    assert_eq!(bytes_at(&map, 0, 4), [0x55; 4]);
    assert_eq!(bytes_at(&map, 8, 4), [0x55; 4]);
}

/// Every thread takes its own view through its own clone of the handle; a
/// barrier makes all the views live at once before anyone counts.
#[test]
fn per_thread_views_through_cloned_handles_count_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "own.bin", 4096);
    let barrier = Arc::new(Barrier::new(THREADS));
    let pending: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            spawn_on_clone(&map, move |m| {
                let c64 = m.atomic_u64(64).unwrap();
                let c32 = m.atomic_u32(128).unwrap();
                barrier.wait();
                for _ in 0..ADDS {
                    c64.fetch_add(1, Ordering::Relaxed);
                    c32.fetch_add(2, Ordering::Relaxed);
                }
            })
        })
        .collect();
    finish_all(pending, "per-thread counting");
    let n = THREADS as u64 * ADDS;
    assert_eq!(bytes_at(&map, 64, 8), n.to_le_bytes());
    assert_eq!(bytes_at(&map, 128, 4), ((2 * n) as u32).to_le_bytes());
    // The lock was released by the last view: byte writes and resize work.
    map.update_region(0, b"after").unwrap();
    map.resize(8192).unwrap();
    assert_eq!(bytes_at(&map, 64, 8), n.to_le_bytes());
}

/// One counter per 64-byte cache line in a `u64` slice view shared by all
/// threads, and in per-thread `u32` slice views.
#[test]
fn slice_views_with_one_counter_per_cache_line() {
    const U64_STRIDE: usize = 64 / 8;
    const U32_STRIDE: usize = 64 / 4;
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "lines.bin", 4096);
    let base64 = 512u64;
    let base32 = 1024u64;
    {
        let slots = map.atomic_u64_slice(base64, THREADS * U64_STRIDE).unwrap();
        assert_eq!(slots.len(), THREADS * U64_STRIDE);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let slots = &slots;
                s.spawn(move || {
                    for _ in 0..ADDS {
                        slots[t * U64_STRIDE].fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
    }
    let pending: Vec<_> = (0..THREADS)
        .map(|t| {
            spawn_on_clone(&map, move |m| {
                let slots = m.atomic_u32_slice(base32, THREADS * U32_STRIDE).unwrap();
                for _ in 0..ADDS {
                    slots[t * U32_STRIDE].fetch_add(3, Ordering::Relaxed);
                }
            })
        })
        .collect();
    finish_all(pending, "per-thread u32 slices");

    let lines64 = bytes_at(&map, base64, (THREADS * 64) as u64);
    let lines32 = bytes_at(&map, base32, (THREADS * 64) as u64);
    for t in 0..THREADS {
        let line = &lines64[t * 64..(t + 1) * 64];
        assert_eq!(line[..8], ADDS.to_le_bytes(), "u64 line {t}");
        assert!(line[8..].iter().all(|&b| b == 0), "u64 line {t} padding");
        let line = &lines32[t * 64..(t + 1) * 64];
        assert_eq!(line[..4], ((3 * ADDS) as u32).to_le_bytes(), "u32 line {t}");
        assert!(line[4..].iter().all(|&b| b == 0), "u32 line {t} padding");
    }
}

// ------------------------------------------------------------- error order

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    InvalidMode(MmapMode),
    Misaligned { required: u64, offset: u64 },
    OutOfBounds { offset: u64, len: u64, total: u64 },
    Ok(usize),
}

fn model(mode: MmapMode, size: u64, offset: u64, count: usize, total: u64) -> Expect {
    if mode != MmapMode::ReadWrite {
        return Expect::InvalidMode(mode);
    }
    if offset % size != 0 {
        return Expect::Misaligned {
            required: size,
            offset,
        };
    }
    let len = (count as u64).saturating_mul(size);
    match offset.checked_add(len) {
        Some(end) if end <= total => Expect::Ok(count),
        _ => Expect::OutOfBounds { offset, len, total },
    }
}

fn observed<V>(
    result: mmapio::Result<V>,
    op: &str,
    len_of: impl Fn(&V) -> usize,
) -> Result<Expect, TestCaseError> {
    Ok(match result {
        Ok(v) => Expect::Ok(len_of(&v)),
        Err(MmapIoError::InvalidMode { op: o, mode }) => {
            prop_assert_eq!(o, op);
            Expect::InvalidMode(mode)
        }
        Err(MmapIoError::Misaligned { required, offset }) => {
            Expect::Misaligned { required, offset }
        }
        Err(MmapIoError::OutOfBounds { offset, len, total }) => {
            Expect::OutOfBounds { offset, len, total }
        }
        Err(other) => return Err(TestCaseError::fail(format!("{op}: unexpected {other:?}"))),
    })
}

/// A successful view must point at `offset`: store through it, drop it and
/// read the little-endian bytes back.
fn check_points_at(map: &MemoryMappedFile, offset: u64, size: usize) -> Result<(), TestCaseError> {
    let mut buf = vec![0u8; size];
    map.read_into(offset, &mut buf).unwrap();
    prop_assert!(buf.iter().all(|&b| b == 0), "stale bytes at {}", offset);
    let marker = 0x0102_0304_0506_0708u64;
    if size == 8 {
        map.atomic_u64(offset)
            .unwrap()
            .store(marker, Ordering::SeqCst);
        map.read_into(offset, &mut buf).unwrap();
        prop_assert_eq!(&buf[..], &marker.to_le_bytes()[..]);
    } else {
        map.atomic_u32(offset)
            .unwrap()
            .store(marker as u32, Ordering::SeqCst);
        map.read_into(offset, &mut buf).unwrap();
        prop_assert_eq!(&buf[..], &(marker as u32).to_le_bytes()[..]);
    }
    map.update_region(offset, &vec![0u8; size]).unwrap();
    Ok(())
}

fn offsets() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..4200,
        any::<u64>(),
        (u64::MAX - 16)..=u64::MAX,
        (0u64..16).prop_map(|k| 4100 - k),
    ]
}

fn counts() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..600,
        any::<usize>(),
        (usize::MAX / 8 - 2)..=(usize::MAX / 8 + 2),
        (usize::MAX / 4 - 2)..=(usize::MAX / 4 + 2),
        (usize::MAX - 2)..=usize::MAX,
    ]
}

fn check_error_order(
    map: &MemoryMappedFile,
    offset: u64,
    count: usize,
) -> Result<(), TestCaseError> {
    let mode = map.mode();
    let total = map.len();
    let one = |v: &mmapio::AtomicView<'_, AtomicU64>| {
        let _ = v.load(Ordering::Relaxed);
        1
    };
    let got = observed(map.atomic_u64(offset), "atomic_u64", one)?;
    prop_assert_eq!(
        got,
        model(mode, 8, offset, 1, total),
        "atomic_u64({})",
        offset
    );
    let one32 = |v: &mmapio::AtomicView<'_, AtomicU32>| {
        let _ = v.load(Ordering::Relaxed);
        1
    };
    let got = observed(map.atomic_u32(offset), "atomic_u32", one32)?;
    prop_assert_eq!(
        got,
        model(mode, 4, offset, 1, total),
        "atomic_u32({})",
        offset
    );
    let got = observed(
        map.atomic_u64_slice(offset, count),
        "atomic_u64_slice",
        |v| v.len(),
    )?;
    prop_assert_eq!(
        got,
        model(mode, 8, offset, count, total),
        "atomic_u64_slice({}, {})",
        offset,
        count
    );
    let got = observed(
        map.atomic_u32_slice(offset, count),
        "atomic_u32_slice",
        |v| v.len(),
    )?;
    prop_assert_eq!(
        got,
        model(mode, 4, offset, count, total),
        "atomic_u32_slice({}, {})",
        offset,
        count
    );
    if mode == MmapMode::ReadWrite {
        for size in [8usize, 4] {
            if model(mode, size as u64, offset, 1, total) == Expect::Ok(1) {
                check_points_at(map, offset, size)?;
            }
        }
    }
    Ok(())
}

fn run_error_order(map: &MemoryMappedFile, cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&(offsets(), counts()), |(offset, count)| {
        check_error_order(map, offset, count)
    }) {
        panic!("{:?} mapping: {e}", map.mode());
    }
}

/// 4100 bytes: not a multiple of 8, so the last `u64` slot (4096) does not
/// fit while a `u32` there does.
const TOTAL: u64 = 4100;

#[test]
fn error_order_on_read_write_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "order-rw.bin", TOTAL);
    run_error_order(&map, 1024);
    // Spot checks of the model's edges.
    assert!(matches!(
        map.atomic_u64(4096),
        Err(MmapIoError::OutOfBounds {
            offset: 4096,
            len: 8,
            total: TOTAL
        })
    ));
    assert_eq!(map.atomic_u32(4096).unwrap().load(Ordering::SeqCst), 0);
    assert!(matches!(
        map.atomic_u64(4097),
        Err(MmapIoError::Misaligned {
            required: 8,
            offset: 4097
        })
    ));
    assert!(matches!(
        map.atomic_u32_slice(6, usize::MAX),
        Err(MmapIoError::Misaligned {
            required: 4,
            offset: 6
        })
    ));
    assert!(matches!(
        map.atomic_u64_slice(0, usize::MAX),
        Err(MmapIoError::OutOfBounds {
            offset: 0,
            len: u64::MAX,
            total: TOTAL
        })
    ));
    assert!(matches!(
        map.atomic_u64_slice(u64::MAX - 7, 0),
        Err(MmapIoError::OutOfBounds { offset, len: 0, total: TOTAL }) if offset == u64::MAX - 7
    ));
    assert_eq!(map.atomic_u32_slice(4100, 0).unwrap().len(), 0);
    assert_eq!(map.atomic_u64_slice(4096, 0).unwrap().len(), 0);
    assert_eq!(map.atomic_u64_slice(0, 512).unwrap().len(), 512);
    assert_eq!(map.atomic_u32_slice(0, 1025).unwrap().len(), 1025);
}

fn ro_file(dir: &TempDir, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, vec![0u8; TOTAL as usize]).unwrap();
    path
}

#[test]
fn error_order_on_read_only_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::open_ro(ro_file(&dir, "order-ro.bin")).unwrap();
    run_error_order(&map, 256);
    assert!(matches!(
        map.atomic_u64(0),
        Err(MmapIoError::InvalidMode {
            op: "atomic_u64",
            mode: MmapMode::ReadOnly
        })
    ));
}

#[cfg(feature = "cow")]
#[test]
fn error_order_on_copy_on_write_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::open_cow(ro_file(&dir, "order-cow.bin")).unwrap();
    run_error_order(&map, 256);
    assert!(matches!(
        map.atomic_u32_slice(0, 1),
        Err(MmapIoError::InvalidMode {
            op: "atomic_u32_slice",
            mode: MmapMode::CopyOnWrite
        })
    ));
}

// ------------------------------------------------------ atomic mode vs bytes

#[test]
fn live_atomic_view_blocks_resize_writes_and_reads_on_other_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "block.bin", 4096);
    let counter = map.atomic_u64(0).unwrap();
    counter.store(41, Ordering::SeqCst);

    let resize = spawn_on_clone(&map, |m| m.resize(8192));
    let update = spawn_on_clone(&map, |m| m.update_region(100, b"written"));
    let slice = spawn_on_clone(&map, |m| m.as_slice(0, 8).map(|v| v.to_vec()));
    let read = spawn_on_clone(&map, |m| {
        let mut buf = [0u8; 8];
        m.read_into(0, &mut buf).map(|()| buf)
    });
    common::let_waiters_run();
    resize.assert_still_blocked("resize under a live atomic view");
    update.assert_still_blocked("update_region under a live atomic view");
    slice.assert_still_blocked("as_slice under a live atomic view");
    read.assert_still_blocked("read_into under a live atomic view");
    // The view still works while they wait, and only its own thread uses it.
    counter.fetch_add(1, Ordering::SeqCst);
    drop(counter);

    resize.finish("resize after the view dropped").unwrap();
    update
        .finish("update_region after the view dropped")
        .unwrap();
    assert_eq!(
        slice.finish("as_slice after the view dropped").unwrap(),
        42u64.to_le_bytes()
    );
    assert_eq!(
        read.finish("read_into after the view dropped").unwrap(),
        42u64.to_le_bytes()
    );
    assert_eq!(map.len(), 8192);
    assert_eq!(bytes_at(&map, 100, 7), b"written");
    assert_eq!(bytes_at(&map, 0, 8), 42u64.to_le_bytes());
}

#[test]
fn live_byte_view_blocks_atomic_views_on_other_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "byteview.bin", 4096);

    // A read view (read lock).
    let view = map.as_slice(0, 16).unwrap();
    let atomic = spawn_on_clone(&map, |m| {
        let v = m.atomic_u64(8).unwrap();
        v.fetch_add(5, Ordering::SeqCst)
    });
    atomic.assert_blocked("atomic_u64 under a live byte view");
    assert_eq!(&view[8..16], [0u8; 8], "bytes changed under a live view");
    drop(view);
    assert_eq!(atomic.finish("atomic_u64 after the byte view dropped"), 0);
    assert_eq!(bytes_at(&map, 8, 8), 5u64.to_le_bytes());

    // A write view (write lock).
    let mut view = map.as_slice_mut(0, 16).unwrap();
    view[0..4].copy_from_slice(&7u32.to_le_bytes());
    let atomic = spawn_on_clone(&map, |m| {
        let v = m.atomic_u32_slice(0, 4).unwrap();
        v[0].fetch_add(1, Ordering::SeqCst)
    });
    atomic.assert_blocked("atomic_u32_slice under a live mutable view");
    drop(view);
    assert_eq!(
        atomic.finish("atomic_u32_slice after the mutable view dropped"),
        7
    );
    assert_eq!(bytes_at(&map, 0, 4), 8u32.to_le_bytes());
}

#[test]
fn several_atomic_views_on_one_thread_do_not_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "two.bin", 4096);
    let work = spawn_on_clone(&map, |m| {
        let a = m.atomic_u64(0).unwrap();
        let b = m.atomic_u64(0).unwrap(); // same location, second view
        let c = m.atomic_u32_slice(8, 2).unwrap();
        a.fetch_add(1, Ordering::SeqCst);
        b.fetch_add(2, Ordering::SeqCst);
        c[1].store(9, Ordering::SeqCst);
        let seen = (a.load(Ordering::SeqCst), c[1].load(Ordering::SeqCst));
        drop(b);
        a.fetch_add(10, Ordering::SeqCst);
        drop(a);
        c[0].store(4, Ordering::SeqCst);
        seen
    });
    assert_eq!(work.finish("two atomic views on one thread"), (3, 9));
    assert_eq!(bytes_at(&map, 0, 8), 13u64.to_le_bytes());
    assert_eq!(bytes_at(&map, 8, 4), 4u32.to_le_bytes());
    assert_eq!(bytes_at(&map, 12, 4), 9u32.to_le_bytes());
}

/// The write lock outlives views dropped on other threads and is released
/// by the last one, here dropped on this thread.
#[test]
fn write_lock_released_by_last_view_dropped_here() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "last-here.bin", 4096);
    let v1 = map.atomic_u64(0).unwrap();
    let v2 = map.atomic_u64(8).unwrap();
    let v3 = map.atomic_u32_slice(16, 4).unwrap();
    let resize = spawn_on_clone(&map, |m| m.resize(12288));
    std::thread::scope(|s| {
        s.spawn(move || {
            v2.fetch_add(2, Ordering::SeqCst);
            drop(v2);
        });
        s.spawn(move || {
            v3[3].store(3, Ordering::SeqCst);
            drop(v3);
        });
    });
    resize.assert_blocked("resize while one of several atomic views is alive");
    v1.store(1, Ordering::SeqCst);
    drop(v1);
    resize
        .finish("resize after the last atomic view dropped")
        .unwrap();
    assert_eq!(map.len(), 12288);
    assert_eq!(bytes_at(&map, 0, 8), 1u64.to_le_bytes());
    assert_eq!(bytes_at(&map, 8, 8), 2u64.to_le_bytes());
    assert_eq!(bytes_at(&map, 28, 4), 3u32.to_le_bytes());
}

/// As above, with the last view dropped on another thread.
#[test]
fn write_lock_released_by_last_view_dropped_on_another_thread() {
    let dir = tempfile::tempdir().unwrap();
    let (_, map) = rw(&dir, "last-there.bin", 4096);
    let v1 = map.atomic_u64(0).unwrap();
    let v2 = map.atomic_u64_slice(8, 2).unwrap();
    let v3 = map.atomic_u32(24).unwrap();
    v1.store(11, Ordering::SeqCst);
    drop(v1);
    let resize = spawn_on_clone(&map, |m| m.resize(2048));
    std::thread::scope(|s| {
        s.spawn(move || {
            v3.store(33, Ordering::SeqCst);
            drop(v3);
        });
    });
    resize.assert_blocked("resize while one of several atomic views is alive");
    std::thread::scope(|s| {
        s.spawn(move || {
            v2[1].store(22, Ordering::SeqCst);
            drop(v2); // the last view, dropped on a thread that did not take the lock
        });
    });
    resize
        .finish("resize after the last atomic view dropped elsewhere")
        .unwrap();
    assert_eq!(map.len(), 2048);
    assert_eq!(bytes_at(&map, 0, 8), 11u64.to_le_bytes());
    assert_eq!(bytes_at(&map, 16, 8), 22u64.to_le_bytes());
    assert_eq!(bytes_at(&map, 24, 4), 33u32.to_le_bytes());
    // And atomic mode can be entered again afterwards.
    assert_eq!(map.atomic_u64(0).unwrap().load(Ordering::SeqCst), 11);
    map.update_region(0, &[0; 8]).unwrap();
}

// ------------------------------------------------------ empty mappings

const CHILD_ENV: &str = "MMAPIO_ATOMIC_TEST_CHILD";
const EMPTY_MARKER: &str = "MMAPIO-CHILD: empty atomic slices checked";

/// Runs `test_name` of this binary in a child process with `CHILD_ENV` set,
/// bounded in time; returns (success, stdout, stderr).
fn run_in_child(test_name: &str) -> (bool, String, String) {
    let child = common::child_test_command(test_name, CHILD_ENV)
        .spawn()
        .unwrap();
    let (status, out, err) =
        common::wait_with_output_within(child, PROCEED_WITHIN, &format!("child test {test_name}"));
    (status.success(), out, err)
}

/// `count == 0` is documented to give an empty slice at any aligned offset
/// up to the length, so it must also work on an (existing, empty file's)
/// empty read-write mapping. Run in a child process because a failure here
/// may abort the process (undefined-behaviour checks are non-unwinding).
#[test]
fn empty_slices_on_an_empty_mapping() {
    if std::env::var_os(CHILD_ENV).is_some() {
        let dir = tempfile::tempdir().unwrap();
        let path: &Path = &dir.path().join("empty.bin");
        std::fs::write(path, b"").unwrap();
        let map = MemoryMappedFile::open_rw(path).unwrap();
        assert_eq!(map.len(), 0);
        let s64 = map.atomic_u64_slice(0, 0).unwrap();
        assert!(s64.is_empty());
        assert_eq!(s64.iter().count(), 0);
        drop(s64);
        let s32 = map.atomic_u32_slice(0, 0).unwrap();
        assert!(s32.is_empty());
        drop(s32);
        assert!(matches!(
            map.atomic_u64(0),
            Err(MmapIoError::OutOfBounds {
                offset: 0,
                len: 8,
                total: 0
            })
        ));
        println!("{EMPTY_MARKER}");
        return;
    }
    let (ok, out, err) = run_in_child("empty_slices_on_an_empty_mapping");
    assert!(
        ok && out.contains(EMPTY_MARKER),
        "child failed (empty atomic slice on an empty mapping):\n--- stdout\n{out}\n--- stderr\n{err}"
    );
}
