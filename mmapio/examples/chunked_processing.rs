//! Process a multi-MiB file in chunks: checksum it zero-copy with `chunks`
//! and `pages`, compare with owned copies, then transform it in place.
//!
//! Run with `cargo run -p mmapio --example chunked_processing`.

use std::time::Instant;

use mmapio::MemoryMappedFile;

const SIZE: u64 = 8 << 20; // 8 MiB
const CHUNK: usize = 64 * 1024;

/// FNV-1a, fed piece by piece: the result depends only on the byte stream,
/// not on how it was cut into chunks.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn show(what: &str, items: usize, hash: u64, started: Instant) {
    let took = started.elapsed();
    println!("{what:<15} {items:>5} items, fnv1a {hash:016x}, {took:.1?}");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("data.bin");

    // Deterministic pseudo-random content, kept in memory to check against.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let data: Vec<u8> = (0..SIZE)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let expected = fnv1a(FNV_START, &data);

    let map = MemoryMappedFile::create_rw(&path, SIZE)?;
    for (i, block) in data.chunks(1 << 20).enumerate() {
        map.update_region(i as u64 * (1 << 20), block)?;
    }
    map.flush()?;
    println!("wrote {} MiB to {}", SIZE >> 20, path.display());

    // Zero-copy chunks: each item is a view into the mapping.
    let t = Instant::now();
    let chunks = map.chunks(CHUNK);
    let n = chunks.len();
    let hash = chunks.fold(FNV_START, |h, chunk| fnv1a(h, &chunk));
    show("chunks(64 KiB)", n, hash, t);
    assert_eq!((n, hash), (SIZE as usize / CHUNK, expected));

    // The same walk, one OS page at a time.
    let t = Instant::now();
    let pages = map.pages();
    let n = pages.len();
    let hash = pages.fold(FNV_START, |h, page| fnv1a(h, &page));
    show("pages()", n, hash, t);
    assert_eq!((n, hash), (SIZE as usize / mmapio::page_size(), expected));

    // Owned copies: one allocation and one lock operation per chunk.
    let t = Instant::now();
    let (mut n, mut hash) = (0, FNV_START);
    for chunk in map.chunks_owned(CHUNK) {
        (n, hash) = (n + 1, fnv1a(hash, &chunk?));
    }
    show("chunks_owned", n, hash, t);
    assert_eq!((n, hash), (SIZE as usize / CHUNK, expected));

    // In-place transform: invert every byte under one write lock.
    map.chunks_mut(CHUNK).for_each_mut(|_offset, chunk| {
        for b in chunk.iter_mut() {
            *b = !*b;
        }
        Ok(())
    })?;
    assert_eq!(map.flush_stats().pending_bytes, SIZE, "all of it is dirty");
    map.flush()?;
    drop(map);

    // Check the transformed file through a fresh read-only mapping.
    let inverted: Vec<u8> = data.iter().map(|b| !b).collect();
    let ro = MemoryMappedFile::open_ro(&path)?;
    let after = ro.chunks(CHUNK).fold(FNV_START, |h, c| fnv1a(h, &c));
    assert_eq!(after, fnv1a(FNV_START, &inverted));
    assert_eq!(ro.as_slice(0, 16)?, &inverted[..16]);
    println!("after inverting in place: fnv1a {after:016x} (matches)");
    drop(ro);

    dir.close()?;
    println!("chunked_processing: ok");
    Ok(())
}
