//! `advise` and `prefetch_range` (feature `advise`): every advice in every
//! mode at unaligned ranges, exact bounds errors, `DontNeed` never changing
//! the bytes of shared mappings (unflushed writes included) and being
//! refused on copy-on-write mappings.
#![cfg(feature = "advise")]

mod common;

#[cfg(feature = "cow")]
use mmapio::MmapIoError;
use mmapio::{MemoryMappedFile, MmapAdvice};

#[cfg(target_os = "linux")]
use common::base_addr;
use common::{assert_oob, contents, file_with};

const ALL: [MmapAdvice; 5] = [
    MmapAdvice::Normal,
    MmapAdvice::Random,
    MmapAdvice::Sequential,
    MmapAdvice::WillNeed,
    MmapAdvice::DontNeed,
];

/// Three pages and a bit, so the last page is partial.
const TOTAL: u64 = 3 * 4096 + 1234;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

/// Unaligned, page-straddling, whole, tail and empty ranges of a mapping of
/// `total` bytes.
fn ranges(total: u64) -> Vec<(u64, u64)> {
    vec![
        (0, 1),
        (1, 1),
        (4095, 2),
        (5000, 1234),
        (123, total - 123),
        (total - 1, 1),
        (0, total),
        (7, 0),
        (total, 0),
    ]
}

/// A size field (`Rss:`, `Locked:`, ...; in bytes) of the
/// `/proc/self/smaps` entry containing `addr`.
#[cfg(target_os = "linux")]
fn smaps_field(addr: usize, field: &str) -> Option<u64> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let mut inside = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-') {
            if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                if inside {
                    return None;
                }
                inside = (a..b).contains(&addr);
                continue;
            }
        }
        if inside {
            let mut parts = line.split_whitespace();
            if parts.next() == Some(field) {
                return parts.next()?.parse::<u64>().ok().map(|kb| kb * 1024);
            }
        }
    }
    None
}

#[test]
fn every_advice_on_read_only_and_read_write_at_unaligned_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL as usize, 3);
    let ro = MemoryMappedFile::open_ro(file_with(&dir, "ro.bin", &data)).unwrap();
    let rw = MemoryMappedFile::open_rw(file_with(&dir, "rw.bin", &data)).unwrap();
    for map in [&ro, &rw] {
        for advice in ALL {
            for (offset, len) in ranges(TOTAL) {
                map.advise(offset, len, advice).unwrap_or_else(|e| {
                    panic!(
                        "{:?} advise({offset}, {len}, {advice:?}) failed: {e}",
                        map.mode()
                    )
                });
            }
            assert_eq!(
                contents(map),
                data,
                "{:?} bytes changed by {advice:?}",
                map.mode()
            );
        }
    }
    // The mappings still work normally afterwards.
    rw.update_region(4095, b"xy").unwrap();
    assert_eq!(rw.as_slice(4095, 2).unwrap(), b"xy");
}

#[test]
fn every_advice_on_a_page_multiple_and_a_one_byte_mapping() {
    let dir = tempfile::tempdir().unwrap();
    for total in [1u64, 4096, 8192] {
        let data = pattern(total as usize, 9);
        let map =
            MemoryMappedFile::open_rw(file_with(&dir, &format!("m{total}.bin"), &data)).unwrap();
        for advice in ALL {
            map.advise(0, total, advice).unwrap();
            map.advise(total - 1, 1, advice).unwrap();
            map.advise(total, 0, advice).unwrap();
            assert_oob(map.advise(total, 1, advice), total, 1, total);
        }
        assert_eq!(contents(&map), data);
    }
}

#[test]
fn advise_bounds_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL as usize, 1);
    let ro = MemoryMappedFile::open_ro(file_with(&dir, "b-ro.bin", &data)).unwrap();
    let rw = MemoryMappedFile::open_rw(file_with(&dir, "b-rw.bin", &data)).unwrap();
    for map in [&ro, &rw] {
        for advice in ALL {
            for (offset, len) in [
                (u64::MAX, 0),
                (u64::MAX, 1),
                (u64::MAX, u64::MAX),
                (0, u64::MAX),
                (1, u64::MAX),
                (TOTAL, 1),
                (TOTAL + 1, 0),
                (1, TOTAL),
                (TOTAL - 1, 2),
                (4096, TOTAL),
            ] {
                assert_oob(map.advise(offset, len, advice), offset, len, TOTAL);
            }
            // Zero-length ranges are fine anywhere up to and including len().
            map.advise(TOTAL, 0, advice).unwrap();
            map.advise(0, 0, advice).unwrap();
        }
    }
}

#[test]
fn advise_on_an_empty_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::open_ro(file_with(&dir, "empty.bin", b"")).unwrap();
    for advice in ALL {
        map.advise(0, 0, advice).unwrap();
        assert_oob(map.advise(0, 1, advice), 0, 1, 0);
        assert_oob(map.advise(1, 0, advice), 1, 0, 0);
    }
    map.prefetch_range(0, 0).unwrap();
    assert_oob(map.prefetch_range(0, 1), 0, 1, 0);
}

/// Writes that were never flushed survive `DontNeed` over the whole mapping:
/// the kernel drops this process's page-table entries, but dirty pages stay
/// in the page cache and are read back from there.
#[test]
fn dont_need_keeps_unflushed_writes_of_a_read_write_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dirty.bin");
    let total = 64 * 1024 + 100;
    let map = MemoryMappedFile::create_rw(&path, total).unwrap();
    let data = pattern(total as usize, 77);
    map.update_region(0, &data).unwrap();
    assert_eq!(
        map.pending_bytes(),
        total,
        "the writes must still be unflushed"
    );
    assert_eq!(map.flush_stats().flushes, 0);

    #[cfg(target_os = "linux")]
    let addr = base_addr(&map);
    #[cfg(target_os = "linux")]
    let rss_before = smaps_field(addr, "Rss:").expect("mapping is in smaps");
    #[cfg(target_os = "linux")]
    assert!(
        rss_before >= total,
        "written pages are resident ({rss_before} bytes)"
    );

    map.advise(0, total, MmapAdvice::DontNeed).unwrap();

    // The advice really ran: the pages left this process's page tables.
    #[cfg(target_os = "linux")]
    assert_eq!(
        smaps_field(addr, "Rss:"),
        Some(0),
        "DontNeed did not drop the pages"
    );

    assert_eq!(
        contents(&map),
        data,
        "DontNeed changed the bytes of a shared mapping"
    );
    let mut buf = vec![0u8; total as usize];
    map.read_into(0, &mut buf).unwrap();
    assert_eq!(buf, data);
    // Another mapping of the file sees the same (still unflushed) bytes.
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    assert_eq!(contents(&ro), data);
    assert_eq!(map.pending_bytes(), total);

    // Partial, unaligned DontNeed with more unflushed writes.
    map.update_region(5000, b"second write").unwrap();
    map.advise(4999, 20, MmapAdvice::DontNeed).unwrap();
    assert_eq!(map.as_slice(5000, 12).unwrap(), b"second write");
    map.flush().unwrap();
    let mut expected = data.clone();
    expected[5000..5012].copy_from_slice(b"second write");
    assert_eq!(std::fs::read(&path).unwrap(), expected);
}

#[test]
fn dont_need_keeps_the_bytes_of_a_read_only_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(40_000, 5);
    let path = file_with(&dir, "ro-dn.bin", &data);
    let map = MemoryMappedFile::open_ro(&path).unwrap();
    map.touch_pages().unwrap();
    assert_eq!(contents(&map), data);
    #[cfg(target_os = "linux")]
    let addr = base_addr(&map);
    #[cfg(target_os = "linux")]
    assert!(smaps_field(addr, "Rss:").unwrap() > 0);
    map.advise(0, map.len(), MmapAdvice::DontNeed).unwrap();
    #[cfg(target_os = "linux")]
    assert_eq!(
        smaps_field(addr, "Rss:"),
        Some(0),
        "DontNeed did not drop the pages"
    );
    assert_eq!(contents(&map), data);

    // A read-only handle of a file with another handle's unflushed writes
    // (opened after the read-write one, so it shares its mapping).
    drop(map);
    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    rw.update_region(100, b"unflushed!").unwrap();
    let map = MemoryMappedFile::open_ro(&path).unwrap();
    map.advise(0, map.len(), MmapAdvice::DontNeed).unwrap();
    assert_eq!(map.as_slice(100, 10).unwrap(), b"unflushed!");
    let mut expected = data;
    expected[100..110].copy_from_slice(b"unflushed!");
    assert_eq!(contents(&map), expected);
}

#[cfg(feature = "cow")]
#[test]
fn dont_need_is_refused_on_copy_on_write_but_other_advice_works() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL as usize, 11);
    let path = file_with(&dir, "cow.bin", &data);
    let mut map = MemoryMappedFile::open_cow(&path).unwrap();
    map.cow_update_region(4090, b"private bytes").unwrap();
    let mut expected = data.clone();
    expected[4090..4103].copy_from_slice(b"private bytes");

    // Refused whatever the range, before bounds are checked.
    for (offset, len) in [
        (0, TOTAL),
        (4090, 13),
        (0, 0),
        (TOTAL, 0),
        (u64::MAX, 1),
        (0, u64::MAX),
    ] {
        match map.advise(offset, len, MmapAdvice::DontNeed) {
            Err(MmapIoError::InvalidMode { op, mode }) => {
                assert_eq!(
                    (op, mode),
                    ("advise(DontNeed)", mmapio::MmapMode::CopyOnWrite)
                );
            }
            other => {
                panic!("DontNeed({offset}, {len}) on COW: expected InvalidMode, got {other:?}")
            }
        }
    }
    assert_eq!(contents(&map), expected, "private writes lost");

    for advice in ALL.into_iter().filter(|&a| a != MmapAdvice::DontNeed) {
        for (offset, len) in ranges(TOTAL) {
            map.advise(offset, len, advice).unwrap();
        }
        assert_oob(map.advise(TOTAL, 1, advice), TOTAL, 1, TOTAL);
        assert_eq!(
            contents(&map),
            expected,
            "private writes changed by {advice:?}"
        );
    }
    map.prefetch_range(0, TOTAL).unwrap();
    assert_eq!(contents(&map), expected);
    drop(map);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[test]
fn prefetch_range_bounds_and_success() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(TOTAL as usize, 21);
    let ro = MemoryMappedFile::open_ro(file_with(&dir, "p-ro.bin", &data)).unwrap();
    let rw = MemoryMappedFile::open_rw(file_with(&dir, "p-rw.bin", &data)).unwrap();
    for map in [&ro, &rw] {
        for (offset, len) in ranges(TOTAL) {
            map.prefetch_range(offset, len).unwrap();
        }
        for (offset, len) in [
            (u64::MAX, 0),
            (u64::MAX, 1),
            (0, u64::MAX),
            (i64::MAX as u64, 1),
            (TOTAL, 1),
            (TOTAL + 1, 0),
            (1, TOTAL),
        ] {
            assert_oob(map.prefetch_range(offset, len), offset, len, TOTAL);
        }
        assert_eq!(contents(map), data);
    }
    // After a resize the new length is the bound.
    rw.resize(2 * TOTAL).unwrap();
    rw.prefetch_range(TOTAL, TOTAL).unwrap();
    rw.advise(TOTAL, TOTAL, MmapAdvice::WillNeed).unwrap();
    assert_oob(
        rw.prefetch_range(TOTAL, TOTAL + 1),
        TOTAL,
        TOTAL + 1,
        2 * TOTAL,
    );
    assert_oob(
        rw.advise(2 * TOTAL, 1, MmapAdvice::Random),
        2 * TOTAL,
        1,
        2 * TOTAL,
    );
}
