//! Create a file, write fixed-size records into it, grow it, flush it
//! durably and read it back through a fresh read-only mapping.
//!
//! Run with `cargo run -p mmapio --example create_and_write`.

use mmapio::{MemoryMappedFile, MmapIoError};

/// Each record: an 8-byte little-endian id and a 24-byte zero-padded name.
const RECORD: u64 = 32;

fn encode(id: u64, name: &str) -> [u8; RECORD as usize] {
    let mut rec = [0u8; RECORD as usize];
    rec[..8].copy_from_slice(&id.to_le_bytes());
    rec[8..8 + name.len()].copy_from_slice(name.as_bytes());
    rec
}

fn decode(rec: &[u8]) -> (u64, String) {
    let id = u64::from_le_bytes(rec[..8].try_into().expect("8 bytes"));
    let name = rec[8..].split(|&b| b == 0).next().unwrap_or_default();
    (id, String::from_utf8_lossy(name).into_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("records.bin");
    let names = ["ada", "grace", "edsger", "barbara", "donald", "frances"];

    // Room for four records to begin with; the file is zero-filled.
    let map = MemoryMappedFile::create_rw(&path, 4 * RECORD)?;
    println!("created {} with {} bytes", path.display(), map.len());
    // create_rw never clobbers an existing file.
    assert!(matches!(
        MemoryMappedFile::create_rw(&path, RECORD),
        Err(MmapIoError::Io { .. })
    ));

    for (i, name) in names.iter().enumerate() {
        let offset = i as u64 * RECORD;
        if offset + RECORD > map.len() {
            // Full: double the file. Existing records are kept.
            map.resize(map.len() * 2)?;
            println!("grew the file to {} bytes", map.len());
        }
        map.update_region(offset, &encode(i as u64 + 1, name))?;
    }
    assert_eq!(map.len(), 8 * RECORD);

    // The default policy (Manual) has not flushed anything yet.
    let before = map.flush_stats();
    assert_eq!(before.flushes, 0);
    assert_eq!(before.pending_writes, names.len() as u64);
    assert_eq!(before.pending_bytes, names.len() as u64 * RECORD);
    map.flush()?; // msync(MS_SYNC): on the device when this returns
    let after = map.flush_stats();
    println!("before flush: {before:?}");
    println!("after flush:  {after:?}");
    assert_eq!(after.flushes, 1);
    assert_eq!(after.file_syncs, 1, "resize fsyncs the new length");
    assert_eq!((after.pending_bytes, after.pending_writes), (0, 0));
    drop(map);

    // The file on disk has the grown length; map it again read-only.
    assert_eq!(std::fs::metadata(&path)?.len(), 8 * RECORD);
    let ro = MemoryMappedFile::open_ro(&path)?;
    for (i, name) in names.iter().enumerate() {
        let (id, got) = decode(&ro.as_slice(i as u64 * RECORD, RECORD)?);
        assert_eq!((id, got.as_str()), (i as u64 + 1, *name));
        println!("record {id}: {got}");
    }
    // The unused tail is still zero.
    let tail = ro.as_slice(names.len() as u64 * RECORD, 2 * RECORD)?;
    assert!(tail.iter().all(|&b| b == 0));
    drop(tail);
    drop(ro);

    dir.close()?;
    println!("create_and_write: ok");
    Ok(())
}
