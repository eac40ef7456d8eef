//! What `TouchHint::Eager` does, measured: it maps every page of the mapping
//! into this process's page tables at open/create and again after `resize`.
//!
//! The measure is the mapping's `Rss:` in `/proc/self/smaps`, which counts
//! the pages mapped into this process, not the file's pages in the page
//! cache: a plain `mmap` of a file whose pages are all cached still has an
//! Rss near 0 until its pages are accessed. `TouchHint::Never` is the
//! control. The bounds leave room for huge pages and for the odd page the
//! kernel maps or reclaims on its own.
#![cfg(target_os = "linux")]

mod common;

use std::path::Path;

use mmapio::{MemoryMappedFile, MmapMode, TouchHint};

use common::base_addr;

const MIB: u64 = 1 << 20;
const LEN: u64 = 8 * MIB;
const GROWN_LEN: u64 = 20 * MIB;

/// The `Rss` of the mapping of `len` bytes at `start`, in bytes: the sum over
/// the smaps entries that overlap it (the kernel may split one mapping into
/// several entries). Panics if those entries do not cover the whole range.
fn mapping_rss(start: usize, len: u64) -> u64 {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    rss_in_range(&smaps, start, start + len as usize)
        .unwrap_or_else(|| panic!("no smaps entries cover {start:#x} + {len}"))
}

/// Sums `Rss:` over the entries of `smaps` that overlap `start..end`;
/// `None` unless they cover all of it.
fn rss_in_range(smaps: &str, start: usize, end: usize) -> Option<u64> {
    let mut rss = 0;
    let mut covered = 0;
    let mut inside = false;
    for line in smaps.lines() {
        if let Some(range) = entry_range(line) {
            inside = range.start < end && start < range.end;
            if inside {
                covered += range.end.min(end) - range.start.max(start);
            }
        } else if inside {
            if let Some(kib) = line.strip_prefix("Rss:") {
                let kib = kib.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
                rss += kib * 1024;
            }
        }
    }
    (covered == end - start).then_some(rss)
}

/// The address range of an smaps entry header (`start-end perms offset dev
/// inode [path]`); `None` for the field lines.
fn entry_range(line: &str) -> Option<std::ops::Range<usize>> {
    let (start, end) = line.split_whitespace().next()?.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    Some(start..end)
}

#[track_caller]
fn assert_nearly_all_mapped(map: &MemoryMappedFile, what: &str) {
    let rss = mapping_rss(base_addr(map), map.len());
    assert!(
        rss >= map.len() / 10 * 9,
        "{what}: Rss {rss} of a {}-byte mapping is below 90%",
        map.len()
    );
}

#[track_caller]
fn assert_nearly_none_mapped(map: &MemoryMappedFile, what: &str) {
    let rss = mapping_rss(base_addr(map), map.len());
    assert!(
        rss <= map.len() / 10,
        "{what}: Rss {rss} of a {}-byte mapping is above 10%",
        map.len()
    );
}

fn create(path: &Path, hint: TouchHint) -> MemoryMappedFile {
    MemoryMappedFile::builder(path)
        .mode(MmapMode::ReadWrite)
        .size(LEN)
        .touch_hint(hint)
        .create()
        .unwrap()
}

#[test]
fn eager_maps_every_page_at_create_and_after_resize() {
    let dir = tempfile::tempdir().unwrap();
    let map = create(&dir.path().join("eager.bin"), TouchHint::Eager);
    assert_nearly_all_mapped(&map, "Eager, right after create");

    map.resize(GROWN_LEN).unwrap();
    assert_eq!(map.len(), GROWN_LEN);
    assert_nearly_all_mapped(&map, "Eager, right after growing");
}

#[test]
fn never_maps_no_page_at_create_or_after_resize() {
    let dir = tempfile::tempdir().unwrap();
    let map = create(&dir.path().join("never.bin"), TouchHint::Never);
    assert_nearly_none_mapped(&map, "Never, right after create");

    map.resize(GROWN_LEN).unwrap();
    assert_eq!(map.len(), GROWN_LEN);
    assert_nearly_none_mapped(&map, "Never, right after growing");
}

/// The file's pages are all in the page cache (just written), so only the
/// touch, not the cache, can make the mapping's Rss differ.
#[test]
fn eager_maps_every_page_of_an_opened_file_whose_pages_are_cached() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cached.bin");
    std::fs::write(&path, vec![0x5A; LEN as usize]).unwrap();
    let open = |hint| {
        MemoryMappedFile::builder(&path)
            .mode(MmapMode::ReadWrite)
            .touch_hint(hint)
            .open()
            .unwrap()
    };

    let never = open(TouchHint::Never);
    assert_eq!(never.len(), LEN);
    assert_nearly_none_mapped(&never, "Never, right after open");
    drop(never);

    let eager = open(TouchHint::Eager);
    assert_nearly_all_mapped(&eager, "Eager, right after open");
    eager.resize(GROWN_LEN).unwrap();
    assert_nearly_all_mapped(&eager, "Eager, right after growing");
}

#[test]
fn smaps_rss_is_summed_over_the_entries_covering_a_range() {
    let smaps = "\
7f0000000000-7f0000400000 rw-s 00000000 08:01 1234 /tmp/a.bin
Size:               4096 kB
Rss:                1024 kB
Pss:                1024 kB
7f0000400000-7f0000800000 rw-s 00400000 08:01 1234 /tmp/a.bin
Size:               4096 kB
Rss:                  12 kB
7f0000800000-7f0000801000 r--p 00000000 08:01 99 /lib/x.so
Rss:                   4 kB
";
    let (a, b, c) = (0x7f00_0000_0000, 0x7f00_0040_0000, 0x7f00_0080_0000);
    assert_eq!(rss_in_range(smaps, a, b), Some(1024 * 1024));
    assert_eq!(rss_in_range(smaps, a, c), Some(1036 * 1024));
    assert_eq!(rss_in_range(smaps, b + 4096, c), Some(12 * 1024));
    // Not fully covered: past the last entry, or before the first.
    assert_eq!(rss_in_range(smaps, a, c + 8192), None);
    assert_eq!(rss_in_range(smaps, a - 4096, b), None);
}
