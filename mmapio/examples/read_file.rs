//! Map an existing file read-only and read it without copying.
//!
//! Run with `cargo run -p mmapio --example read_file`.

use mmapio::{MemoryMappedFile, MmapIoError, MmapMode};

const TEXT: &str = "\
mmapio maps a file into memory.
Reads through as_slice are zero-copy:
the slice points straight into the page cache.
read_into copies bytes into a buffer you own.
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fresh temporary directory, removed again at the end (or on panic).
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, TEXT)?;

    let map = MemoryMappedFile::open_ro(&path)?;
    assert_eq!(map.mode(), MmapMode::ReadOnly);
    assert_eq!(map.len(), TEXT.len() as u64);
    println!(
        "mapped {} ({} bytes, {})",
        path.display(),
        map.len(),
        map.mode()
    );

    // Zero-copy: `view` borrows the mapping; no byte is copied.
    let view = map.as_slice(0, map.len())?;
    assert_eq!(view, TEXT.as_bytes());
    let first_line = view.split(|&b| b == b'\n').next().unwrap_or_default();
    println!(
        "first line (zero-copy): {:?}",
        std::str::from_utf8(first_line)?
    );

    // Count lines by scanning the mapped bytes directly.
    let lines = view.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines, TEXT.lines().count());
    println!("lines: {lines}");

    // A sub-range view knows where it starts in the file.
    let word_at = TEXT.find("zero-copy").expect("word is in the text") as u64;
    let word = map.as_slice(word_at, 9)?;
    assert_eq!(word, b"zero-copy");
    assert_eq!(word.offset(), word_at);

    // Copy part of the file into a buffer we own.
    let mut buf = [0u8; 6];
    map.read_into(0, &mut buf)?;
    assert_eq!(&buf, b"mmapio");
    println!("read_into copied: {:?}", std::str::from_utf8(&buf)?);

    // Ranges are checked: out of bounds is an error, never a panic.
    match map.as_slice(map.len() - 2, 3) {
        Err(MmapIoError::OutOfBounds { offset, len, total }) => {
            println!("out of bounds refused: offset {offset} + len {len} > {total}");
        }
        other => panic!("expected OutOfBounds, got {other:?}"),
    }
    // A read-only mapping refuses writes.
    assert!(matches!(
        map.update_region(0, b"X"),
        Err(MmapIoError::InvalidMode { .. })
    ));

    // Views borrow the mapping, so they must go before it does.
    drop((view, word));
    drop(map);
    dir.close()?;
    println!("read_file: ok");
    Ok(())
}
