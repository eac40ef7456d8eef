//! A tiny append-only log: an 8-byte header at offset 0 holds how many
//! record bytes are in use; each record is a 4-byte length and its bytes.
//! The file doubles when full, and `FlushPolicy::EveryBytes` decides when
//! the appended bytes are flushed.
//!
//! Run with `cargo run -p mmapio --example log_appender`.

use std::path::Path;

use mmapio::{FlushPolicy, MemoryMappedFile, Result};

const HEADER: u64 = 8;
const FLUSH_EVERY: usize = 512;

fn used(log: &MemoryMappedFile) -> Result<u64> {
    let mut header = [0u8; 8];
    log.read_into(0, &mut header)?;
    Ok(u64::from_le_bytes(header))
}

/// Appends one record; returns the bytes written (record, then header).
fn append(log: &MemoryMappedFile, record: &[u8]) -> Result<[u64; 2]> {
    let used = used(log)?;
    let len = u32::try_from(record.len()).expect("records are under 4 GiB");
    let mut bytes = len.to_le_bytes().to_vec();
    bytes.extend_from_slice(record);
    let end = HEADER + used + bytes.len() as u64;
    if end > log.len() {
        log.resize(end.max(log.len() * 2))?;
    }
    log.update_region(HEADER + used, &bytes)?;
    // The header moves last, so a record counts only once it is complete.
    log.update_region(0, &(used + bytes.len() as u64).to_le_bytes())?;
    Ok([bytes.len() as u64, HEADER])
}

fn records(log: &MemoryMappedFile) -> Result<Vec<String>> {
    let view = log.as_slice(HEADER, used(log)?)?; // zero-copy
    let (mut out, mut rest) = (Vec::new(), &view[..]);
    while rest.len() >= 4 {
        let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        out.push(String::from_utf8_lossy(&rest[4..4 + len]).into_owned());
        rest = &rest[4 + len..];
    }
    Ok(out)
}

/// Appends `count` records numbered from `first`; checks the policy's
/// flush count against a model of `EveryBytes`.
fn session(path: &Path, first: usize, count: usize) -> Result<()> {
    // Creates a 256-byte file (all zero: an empty log) or opens the old one.
    let log = MemoryMappedFile::builder(path)
        .size(256)
        .flush_policy(FlushPolicy::EveryBytes(FLUSH_EVERY))
        .open_or_create()?;
    let earlier = records(&log)?.len();
    assert_eq!(earlier, first, "earlier records survive reopening");
    let (mut pending, mut expected_flushes) = (0, 0);
    for i in first..first + count {
        let record = format!("event {i:03}: sensor {} reads {}", i % 4, 15 + i % 10);
        for written in append(&log, record.as_bytes())? {
            pending += written;
            if pending >= FLUSH_EVERY as u64 {
                (pending, expected_flushes) = (0, expected_flushes + 1);
            }
        }
    }
    let stats = log.flush_stats();
    let (flushes, resizes) = (stats.flushes, stats.file_syncs);
    println!(
        "records {first}..{}: {count} appends, {flushes} policy flushes, {resizes} resizes, \
         {} bytes pending; file is {} bytes",
        first + count,
        stats.pending_bytes,
        log.len()
    );
    assert_eq!(stats.flushes, expected_flushes);
    assert_eq!(stats.pending_bytes, pending);
    assert!(0 < stats.flushes && stats.flushes < count as u64);
    log.flush() // the tail that has not reached the threshold
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("events.log");

    session(&path, 0, 60)?; // creates the file
    session(&path, 60, 40)?; // reopens it and carries on

    let ro = MemoryMappedFile::open_ro(&path)?;
    let all = records(&ro)?;
    assert_eq!(all.len(), 100);
    for (i, record) in all.iter().enumerate() {
        assert!(record.starts_with(&format!("event {i:03}:")), "{record}");
    }
    let (oldest, newest) = (&all[0], &all[99]);
    println!("read back {} records: {oldest:?} .. {newest:?}", all.len());
    drop(ro);

    dir.close()?;
    println!("log_appender: ok");
    Ok(())
}
