//! A counter shared by two processes through one mapped file.
//!
//! The example runs itself a second time as a child process. Parent and
//! child each map the same file read-write and bump the `AtomicU64` at
//! offset 0 concurrently; atomics on a shared mapping are atomic across
//! processes, so no increment is lost.
//!
//! Run with `cargo run -p mmapio --features atomic --example atomic_counter`.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mmapio::MemoryMappedFile;

/// Set in the child's environment: the path of the shared file.
const CHILD_ENV: &str = "MMAPIO_ATOMIC_COUNTER_FILE";
const INCREMENTS: u64 = 200_000;
/// Offset 0: the counter. Offset 8: how many processes are ready to start.
const COUNTER: u64 = 0;
const READY: u64 = 8;

/// Waits for both processes, then does this process's share of increments.
fn bump(path: &Path, who: &str) -> Result<(), mmapio::MmapIoError> {
    let map = MemoryMappedFile::open_rw(path)?;
    let counter = map.atomic_u64(COUNTER)?;
    let ready = map.atomic_u64(READY)?;

    // A start line, so the two loops really overlap.
    ready.fetch_add(1, Ordering::AcqRel);
    let deadline = Instant::now() + Duration::from_secs(30);
    while ready.load(Ordering::Acquire) < 2 {
        assert!(
            Instant::now() < deadline,
            "{who}: the other process never started"
        );
        std::hint::spin_loop();
    }

    let mut seen_other = false;
    for i in 0..INCREMENTS {
        let before = counter.fetch_add(1, Ordering::Relaxed);
        // More than our own count means the other process got in between.
        seen_other |= before > i;
    }
    println!(
        "{who} (pid {}): {INCREMENTS} increments done, interleaved: {seen_other}",
        std::process::id()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        bump(Path::new(&path), "child ")?;
        return Ok(());
    }

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("counter.bin");
    // Created (zero-filled) before the child starts, so both open it.
    drop(MemoryMappedFile::create_rw(&path, 4096)?);

    let mut child = Command::new(std::env::current_exe()?)
        .env(CHILD_ENV, &path)
        .spawn()?;
    let mine = bump(&path, "parent");
    let status = child.wait()?;
    mine?;
    assert!(status.success(), "child failed: {status}");

    let map = MemoryMappedFile::open_rw(&path)?;
    let total = map.atomic_u64(COUNTER)?.load(Ordering::Acquire);
    println!(
        "counter = {total} (expected 2 x {INCREMENTS} = {})",
        2 * INCREMENTS
    );
    assert_eq!(total, 2 * INCREMENTS);
    drop(map);

    dir.close()?;
    println!("atomic_counter: ok");
    Ok(())
}
