//! `huge_page_report` (feature `hugepages`): what a `huge_pages(true)`
//! request really obtained, measured from `/proc/self/smaps`, against plain
//! and empty mappings. The measured figures are printed (run with
//! `--nocapture` to see them): whether transparent huge pages back a file
//! mapping depends on the kernel and the file system, so only their
//! consistency is asserted, never that huge pages were obtained.
#![cfg(feature = "hugepages")]

use mmapio::{HugePageReport, MemoryMappedFile, MmapMode};

const MIB: u64 = 1 << 20;
const HUGE: u64 = 2 * MIB;

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7) ^ (i >> 12) as u8)
        .collect()
}

/// Writes one byte into every page (so every page is faulted in and dirty),
/// then reads every page through `touch_pages`.
fn touch_for_writing(map: &MemoryMappedFile) {
    let page = mmapio::page_size() as u64;
    {
        let mut bytes = map.as_slice_mut(0, map.len()).unwrap();
        let mut offset = 0;
        while offset < map.len() {
            bytes[offset as usize] = (offset / page) as u8 | 1;
            offset += page;
        }
    }
    map.touch_pages().unwrap();
}

fn thp_configured() -> bool {
    std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists()
}

fn print_report(what: &str, map: &MemoryMappedFile, report: &HugePageReport) {
    println!(
        "[huge_pages] {what}: len={} requested={} advice_accepted={} huge_page_bytes={:?} \
         thp_eligible={:?} kernel_page_size={:?}",
        map.len(),
        report.requested,
        report.advice_accepted,
        report.huge_page_bytes,
        report.thp_eligible,
        report.kernel_page_size
    );
}

/// The figures every non-empty mapping must report on Linux.
fn assert_measured(report: &HugePageReport, len: u64) {
    if cfg!(target_os = "linux") {
        let bytes = report
            .huge_page_bytes
            .expect("a non-empty mapping is measurable from /proc/self/smaps");
        assert!(
            bytes <= len,
            "{bytes} huge-page bytes in a {len}-byte mapping"
        );
        assert_eq!(
            bytes % HUGE,
            0,
            "{bytes} is not a whole number of 2 MiB pages"
        );
    }
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert_eq!(report.kernel_page_size, Some(4096));
    }
}

#[test]
fn requested_huge_pages_are_reported_and_measured() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.bin");
    let len = 8 * MIB;
    let map = MemoryMappedFile::builder(&path)
        .size(len)
        .huge_pages(true)
        .create()
        .unwrap();
    touch_for_writing(&map);
    let report = map.huge_page_report().unwrap();
    print_report("8 MiB RW, huge_pages(true), touched", &map, &report);

    assert!(report.requested);
    assert_eq!(map.huge_pages(), (true, report.advice_accepted));
    if cfg!(target_os = "linux") && thp_configured() {
        // MADV_HUGEPAGE exists whenever THP is built in; it sets a flag on
        // the mapping whatever the system-wide THP mode is.
        assert!(
            report.advice_accepted,
            "MADV_HUGEPAGE refused although THP is configured"
        );
    }
    assert_measured(&report, len);

    // The mapping works normally.
    let data = pattern(3 * MIB as usize);
    map.update_region(MIB + 123, &data).unwrap();
    assert_eq!(
        map.as_slice(MIB + 123, data.len() as u64).unwrap(),
        &data[..]
    );
    map.flush().unwrap();
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(&on_disk[(MIB + 123) as usize..][..data.len()], &data[..]);

    // Resizing re-applies the request to the new mapping.
    map.resize(10 * MIB).unwrap();
    let report = map.huge_page_report().unwrap();
    print_report("after resize to 10 MiB", &map, &report);
    assert!(report.requested);
    assert_eq!(map.huge_pages(), (true, report.advice_accepted));
    if cfg!(target_os = "linux") && thp_configured() {
        assert!(report.advice_accepted);
    }
    assert_measured(&report, 10 * MIB);
    assert_eq!(
        map.as_slice(MIB + 123, data.len() as u64).unwrap(),
        &data[..]
    );
}

#[test]
fn read_only_mapping_with_huge_pages_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-ro.bin");
    let data = pattern(4 * MIB as usize);
    std::fs::write(&path, &data).unwrap();
    let map = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadOnly)
        .huge_pages(true)
        .open()
        .unwrap();
    map.touch_pages().unwrap();
    let report = map.huge_page_report().unwrap();
    print_report("4 MiB RO, huge_pages(true), touched", &map, &report);
    assert!(report.requested);
    assert_eq!(map.huge_pages(), (true, report.advice_accepted));
    assert_measured(&report, 4 * MIB);
    assert_eq!(map.as_slice(0, map.len()).unwrap(), &data[..]);
}

#[test]
fn mapping_without_huge_pages_reports_not_requested() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.bin");
    let len = 8 * MIB;
    let map = MemoryMappedFile::create_rw(&path, len).unwrap();
    touch_for_writing(&map);
    let report = map.huge_page_report().unwrap();
    print_report("8 MiB RW, no huge_pages, touched", &map, &report);
    assert!(!report.requested);
    assert!(
        !report.advice_accepted,
        "advice reported accepted though never given"
    );
    assert_eq!(map.huge_pages(), (false, false));
    assert_measured(&report, len);

    let explicit_off = MemoryMappedFile::builder(dir.path().join("off.bin"))
        .size(MIB)
        .huge_pages(false)
        .create()
        .unwrap();
    let report = explicit_off.huge_page_report().unwrap();
    assert!(!report.requested && !report.advice_accepted);

    map.update_region(len - 5, b"tail!").unwrap();
    assert_eq!(map.as_slice(len - 5, 5).unwrap(), b"tail!");
}

#[test]
fn empty_file_reports_nothing_measured() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.bin");
    std::fs::write(&path, b"").unwrap();
    for mode in [MmapMode::ReadOnly, MmapMode::ReadWrite] {
        for huge in [true, false] {
            let map = MemoryMappedFile::builder(&path)
                .mode(mode)
                .huge_pages(huge)
                .open()
                .unwrap();
            assert!(map.is_empty());
            let report = map.huge_page_report().unwrap();
            print_report(&format!("empty {mode:?} huge_pages({huge})"), &map, &report);
            assert_eq!(report.requested, huge);
            assert!(
                !report.advice_accepted,
                "nothing is mapped, so nothing was advised"
            );
            assert_eq!(report.huge_page_bytes, None);
            assert_eq!(report.thp_eligible, None);
            assert_eq!(report.kernel_page_size, None);
        }
    }
}
