//! `mmap_io::flush::FlushPolicy` (every variant, `Default`, `Clone`, `Eq`,
//! `Debug`) as given to `MemoryMappedFileBuilder::flush_policy`, and the
//! flush methods of `mmap_io::mmap::MemoryMappedFile`: `flush`,
//! `flush_range`, `schedule_flush`, `schedule_flush_range`,
//! `pending_bytes`, `flush_policy`, and `mmap_io::manager::flush`.

use std::path::Path;
use std::time::{Duration, Instant};

use mmap_io::errors::{MmapIoError, Result};
use mmap_io::flush::FlushPolicy;
use mmap_io::mmap::MemoryMappedFile;

fn create_with(path: &Path, size: u64, policy: FlushPolicy) -> Result<MemoryMappedFile> {
    MemoryMappedFile::builder(path)
        .size(size)
        .flush_policy(policy)
        .create()
}

#[test]
fn policy_values() {
    // mmap-io documents `Manual` and `Never` as the same policy ("Manual
    // (or the alias Never) is the default"); which of the two `default()`
    // names differs between the crates, so accept either.
    let default = FlushPolicy::default();
    assert!(
        matches!(default, FlushPolicy::Manual | FlushPolicy::Never),
        "{default:?}"
    );
    let n: usize = 4096;
    let every_bytes = FlushPolicy::EveryBytes(n);
    let every_writes = FlushPolicy::EveryWrites(3_usize);
    let every_millis = FlushPolicy::EveryMillis(250_u64);
    #[allow(clippy::clone_on_copy)]
    let cloned = every_bytes.clone();
    assert_eq!(cloned, FlushPolicy::EveryBytes(4096));
    assert_ne!(every_bytes, FlushPolicy::EveryBytes(4097));
    assert_ne!(every_writes, every_millis);
    assert_ne!(FlushPolicy::Always, FlushPolicy::Never);
    assert_eq!(format!("{every_millis:?}"), "EveryMillis(250)");
    match every_bytes {
        FlushPolicy::EveryBytes(bytes) => {
            let bytes: usize = bytes;
            assert_eq!(bytes, 4096);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn manual_policy_leaves_pending_bytes_until_flush() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("manual.bin");
    let map = create_with(&path, 4096, FlushPolicy::Manual)?;
    assert_eq!(map.flush_policy(), FlushPolicy::Manual);
    map.update_region(0, b"12345")?;
    map.update_region(10, b"678")?;
    let pending: u64 = map.pending_bytes();
    assert_eq!(pending, 8);
    map.flush()?;
    assert_eq!(map.pending_bytes(), 0);
    assert_eq!(&std::fs::read(&path)?[..5], b"12345");
    Ok(())
}

#[test]
fn never_policy_still_flushes_on_request() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("never.bin");
    let map = create_with(&path, 64, FlushPolicy::Never)?;
    assert_eq!(map.flush_policy(), FlushPolicy::Never);
    map.update_region(0, b"abc")?;
    assert_eq!(map.pending_bytes(), 3);
    mmap_io::manager::flush(&map)?;
    assert_eq!(map.pending_bytes(), 0);
    assert_eq!(&std::fs::read(&path)?[..3], b"abc");
    Ok(())
}

#[test]
fn always_policy_flushes_every_write() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("always.bin");
    let map = create_with(&path, 64, FlushPolicy::Always)?;
    map.update_region(0, b"one")?;
    assert_eq!(map.pending_bytes(), 0);
    map.update_region(3, b"two")?;
    assert_eq!(map.pending_bytes(), 0);
    assert_eq!(&std::fs::read(&path)?[..6], b"onetwo");
    Ok(())
}

#[test]
fn every_bytes_policy_flushes_at_the_threshold() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bytes.bin");
    let threshold: usize = 8;
    let map = create_with(&path, 64, FlushPolicy::EveryBytes(threshold))?;
    map.update_region(0, b"abcd")?;
    assert_eq!(map.pending_bytes(), 4);
    map.update_region(4, b"efg")?;
    assert_eq!(map.pending_bytes(), 7);
    map.update_region(7, b"h")?; // 8 bytes: due
    assert_eq!(map.pending_bytes(), 0);
    Ok(())
}

#[test]
fn every_writes_policy_flushes_every_nth_write() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("writes.bin");
    let map = create_with(&path, 64, FlushPolicy::EveryWrites(2))?;
    map.update_region(0, b"a")?;
    assert_eq!(map.pending_bytes(), 1);
    map.update_region(1, b"b")?;
    assert_eq!(map.pending_bytes(), 0);
    Ok(())
}

#[test]
fn every_millis_policy_flushes_in_the_background() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("millis.bin");
    let map = create_with(&path, 64, FlushPolicy::EveryMillis(5))?;
    assert_eq!(map.flush_policy(), FlushPolicy::EveryMillis(5));
    map.update_region(0, b"timed")?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while map.pending_bytes() != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(map.pending_bytes(), 0, "the background flusher ran");
    Ok(())
}

#[test]
fn flush_range_and_scheduled_flushes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ranges.bin");
    let map = MemoryMappedFile::create_rw(&path, 8192)?;
    map.update_region(4096, b"page two")?;

    map.flush_range(4096, 8)?;
    map.flush_range(8192, 0)?;
    assert!(matches!(
        map.flush_range(8000, 500),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert_eq!(&std::fs::read(&path)?[4096..4104], b"page two");

    // Write-back started, not durable: nothing is taken off the count.
    map.update_region(0, b"batch")?;
    let before = map.pending_bytes();
    map.schedule_flush()?;
    map.schedule_flush_range(0, 5)?;
    assert_eq!(map.pending_bytes(), before);
    assert!(matches!(
        map.schedule_flush_range(8190, 3),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    map.flush()?;
    assert_eq!(map.pending_bytes(), 0);
    Ok(())
}

#[test]
fn flushing_read_only_mappings_does_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ro.bin");
    std::fs::write(&path, b"read only")?;
    let map = MemoryMappedFile::open_ro(&path)?;
    map.flush()?;
    map.flush_range(0, 4)?;
    map.schedule_flush()?;
    map.schedule_flush_range(0, 9)?;
    assert_eq!(map.pending_bytes(), 0);
    assert!(matches!(
        map.flush_range(5, 5),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    Ok(())
}
