//! `mmapio::raw`, the unsafe escape hatch over memmap2: read-only, shared
//! read-write, copy-on-write and anonymous mappings and what they show of
//! the file (read back through `std::fs`, which is fine for this layer),
//! windows at aligned and unaligned offsets, every range check answering
//! `InvalidInput` instead of panicking, the read-only/writable round trips,
//! and advice and locking behind their features.
//!
//! Every `unsafe` map below is of a file inside a fresh temporary directory
//! that only the test itself touches, and only between mappings, which is
//! the contract of the raw constructors.

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use mmapio::raw::{offset_granularity, RawMmap, RawMmapMut, RawMmapOptions};
use tempfile::TempDir;

fn page() -> usize {
    mmapio::page_size()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

/// A new file `name` in `dir` holding `content`.
fn file_with(dir: &TempDir, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn open_rw(path: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap()
}

#[track_caller]
fn assert_invalid_input<T: std::fmt::Debug>(result: io::Result<T>) {
    match result {
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
        Ok(v) => panic!("expected InvalidInput, got Ok({v:?})"),
    }
}

// ------------------------------------------------------------- read-only

#[test]
fn map_reads_the_file_and_outlives_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(3 * page() + 123, 1);
    let path = file_with(&dir, "ro.bin", &data);
    let file = File::open(&path).unwrap();
    // SAFETY: the file is private to this test and not modified while mapped.
    let map = unsafe { RawMmap::map(&file) }.unwrap();
    drop(file);
    assert_eq!(map.len(), data.len());
    assert!(!map.is_empty());
    assert_eq!(&map[..], &data[..]);
    assert_eq!(map.as_ref(), &data[..]);
    assert_eq!(map.as_ptr(), map[..].as_ptr());
    let debug = format!("{map:?}");
    assert!(debug.starts_with("RawMmap {"), "{debug}");
    assert!(debug.contains(&format!("len: {}", data.len())), "{debug}");
}

#[test]
fn an_empty_file_maps_as_an_empty_mapping_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "empty.bin", b"");
    let file = open_rw(&path);
    // SAFETY: the file is private to this test and not modified while mapped.
    let ro = unsafe { RawMmap::map(&file) }.unwrap();
    assert!(ro.is_empty());
    assert_eq!(ro.len(), 0);
    assert_eq!(&ro[..], b"");
    drop(ro);
    // SAFETY: as above.
    let rw = unsafe { RawMmapMut::map_mut(&file) }.unwrap();
    assert!(rw.is_empty());
    rw.flush().unwrap();
    rw.flush_range(0, 0).unwrap();
    assert_invalid_input(rw.flush_range(0, 1));
    drop(rw);
    // SAFETY: as above.
    let cow = unsafe { RawMmapOptions::new().map_copy(&file) }.unwrap();
    assert!(cow.is_empty());
}

// ------------------------------------------------------- shared read-write

#[test]
fn map_mut_writes_reach_the_file_after_every_kind_of_flush() {
    let dir = tempfile::tempdir().unwrap();
    let len = 4 * page();
    let path = file_with(&dir, "rw.bin", &vec![0u8; len]);
    let file = open_rw(&path);
    // SAFETY: the file is private to this test; std::fs reads it only
    // while no slice of the mapping is borrowed.
    let mut map = unsafe { RawMmapMut::map_mut(&file) }.unwrap();
    assert_eq!(map.len(), len);
    assert!(map.iter().all(|&b| b == 0));

    map[..5].copy_from_slice(b"hello");
    map.flush().unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[..5], b"hello");

    let at = page() + 17;
    map[at..at + 3].copy_from_slice(b"abc");
    map.flush_range(at, 3).unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[at..at + 3], b"abc");

    let at = 3 * page() - 2; // straddles a page boundary
    map[at..at + 4].copy_from_slice(b"WXYZ");
    map.flush_async_range(at, 4).unwrap();
    map.flush_async().unwrap();
    map.flush().unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[at..at + 4], b"WXYZ");

    // Through the raw pointer too.
    let p = map.as_mut_ptr();
    // SAFETY: `len - 1` is inside the mapping, which is exclusively borrowed.
    unsafe { p.add(len - 1).write(0xEE) };
    map.flush_range(len - 1, 1).unwrap();
    assert_eq!(*std::fs::read(&path).unwrap().last().unwrap(), 0xEE);
    map.as_mut()[1] = b'E';
    map.flush().unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[..5], b"hEllo");
    assert!(format!("{map:?}").starts_with("RawMmapMut {"));
}

#[test]
fn map_mut_of_a_read_only_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "ro-only.bin", &[1; 64]);
    let file = File::open(&path).unwrap();
    // SAFETY: the file is private to this test.
    let result = unsafe { RawMmapMut::map_mut(&file) };
    assert!(result.is_err());
    // A copy-on-write mapping only needs read access.
    // SAFETY: as above.
    let mut cow = unsafe { RawMmapOptions::new().map_copy(&file) }.unwrap();
    cow[0] = 2;
    assert_eq!(cow[0], 2);
}

// ----------------------------------------------------------- copy-on-write

#[test]
fn map_copy_writes_never_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(2 * page() + 10, 2);
    let path = file_with(&dir, "cow.bin", &data);
    let file = File::open(&path).unwrap();
    // SAFETY: the file is private to this test and never written.
    let mut cow = unsafe { RawMmapOptions::new().map_copy(&file) }.unwrap();
    assert_eq!(&cow[..], &data[..]);
    cow[..4].copy_from_slice(b"EDIT");
    let last = cow.len() - 1;
    cow[last] = !data[last];
    // Nothing to write back: checked, then a no-op.
    cow.flush().unwrap();
    cow.flush_async().unwrap();
    cow.flush_range(0, 4).unwrap();
    assert_invalid_input(cow.flush_range(last, 2));
    assert_eq!(&cow[..4], b"EDIT");
    assert_eq!(std::fs::read(&path).unwrap(), data);
    // SAFETY: as above.
    let fresh = unsafe { RawMmap::map(&file) }.unwrap();
    assert_eq!(&fresh[..], &data[..]);
}

// ------------------------------------------------------ offsets and lengths

#[test]
fn offset_granularity_is_the_page_size_on_unix() {
    let granularity = offset_granularity().unwrap();
    assert!(granularity.is_power_of_two());
    assert!(granularity >= 4096);
    #[cfg(unix)]
    assert_eq!(granularity, mmapio::page_size());
    #[cfg(windows)]
    assert_eq!(granularity % mmapio::page_size(), 0);
}

#[test]
fn windows_at_multiples_of_the_granularity_show_the_right_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let granularity = offset_granularity().unwrap();
    let data = pattern(3 * granularity + 500, 3);
    let path = file_with(&dir, "aligned.bin", &data);
    let file = open_rw(&path);
    for k in 0..=3 {
        let offset = k * granularity;
        // SAFETY: the file is private to this test and not modified while mapped.
        let map = unsafe { RawMmapOptions::new().offset(offset as u64).map(&file) }.unwrap();
        assert_eq!(&map[..], &data[offset..], "offset {offset}");
        // SAFETY: as above.
        let map = unsafe {
            RawMmapOptions::new()
                .offset(offset as u64)
                .len(100)
                .map(&file)
        }
        .unwrap();
        assert_eq!(&map[..], &data[offset..offset + 100], "offset {offset}");
    }
    // A writable window at an aligned offset writes exactly there.
    let offset = granularity;
    // SAFETY: as above; std::fs reads the file only after the flush.
    let mut map = unsafe {
        RawMmapOptions::new()
            .offset(offset as u64)
            .len(8)
            .map_mut(&file)
    }
    .unwrap();
    map.copy_from_slice(b"ALIGNED!");
    map.flush().unwrap();
    drop(map);
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(&on_disk[offset..offset + 8], b"ALIGNED!");
    assert_eq!(&on_disk[..offset], &data[..offset]);
    assert_eq!(&on_disk[offset + 8..], &data[offset + 8..]);
}

/// Like memmap2 and mmap-io, any offset works: the OS mapping starts at the
/// offset rounded down to the granularity, and the bytes before it are
/// hidden. No error, no panic, and the window shows exactly its bytes.
#[test]
fn unaligned_offsets_map_exactly_their_window() {
    let dir = tempfile::tempdir().unwrap();
    let granularity = offset_granularity().unwrap();
    let data = pattern(2 * granularity + 999, 4);
    let path = file_with(&dir, "unaligned.bin", &data);
    let file = open_rw(&path);
    for offset in [
        1,
        7,
        granularity - 1,
        granularity + 1,
        2 * granularity + 998,
    ] {
        assert_ne!(offset % granularity, 0);
        // SAFETY: the file is private to this test and not modified while mapped.
        let map = unsafe { RawMmapOptions::new().offset(offset as u64).map(&file) }.unwrap();
        assert_eq!(map.len(), data.len() - offset);
        assert_eq!(&map[..], &data[offset..], "offset {offset}");
        // SAFETY: as above.
        let cow = unsafe {
            RawMmapOptions::new()
                .offset(offset as u64)
                .len(1)
                .map_copy(&file)
        }
        .unwrap();
        assert_eq!(&cow[..], &data[offset..offset + 1]);
    }
    // Writes through an unaligned window land at its offset, and flushing
    // it (which rounds to whole pages) leaves the bytes around it alone.
    let offset = granularity + 3;
    // SAFETY: as above; std::fs reads the file only after the flush.
    let mut map = unsafe {
        RawMmapOptions::new()
            .offset(offset as u64)
            .len(4)
            .map_mut(&file)
    }
    .unwrap();
    map.copy_from_slice(b"odd!");
    map.flush_range(1, 2).unwrap();
    map.flush().unwrap();
    drop(map);
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(&on_disk[offset..offset + 4], b"odd!");
    assert_eq!(&on_disk[..offset], &data[..offset]);
    assert_eq!(&on_disk[offset + 4..], &data[offset + 4..]);
}

#[test]
fn windows_past_the_end_of_the_file_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let file_len = 2 * page() + 10;
    let path = file_with(&dir, "bounds.bin", &pattern(file_len, 5));
    let file = open_rw(&path);
    let end = file_len as u64;
    let refused: [(u64, Option<usize>); 8] = [
        (end + 1, None),
        (end + 1, Some(0)),
        (u64::MAX, None),
        (u64::MAX, Some(1)),
        (0, Some(file_len + 1)),
        (end - 1, Some(2)),
        (1, Some(usize::MAX)),
        (end, Some(1)),
    ];
    for (offset, len) in refused {
        let mut options = RawMmapOptions::new();
        options.offset(offset);
        if let Some(len) = len {
            options.len(len);
        }
        // SAFETY: the file is private to this test (and nothing gets mapped).
        assert_invalid_input(unsafe { options.map(&file) });
        // SAFETY: as above.
        assert_invalid_input(unsafe { options.map_mut(&file) });
        // SAFETY: as above.
        assert_invalid_input(unsafe { options.map_copy(&file) });
    }
    // The end of the file itself is a valid, empty window.
    // SAFETY: as above.
    let at_end = unsafe { RawMmapOptions::new().offset(end).map(&file) }.unwrap();
    assert!(at_end.is_empty());
    // SAFETY: as above.
    let last = unsafe { RawMmapOptions::new().offset(end - 1).len(1).map(&file) }.unwrap();
    assert_eq!(last.len(), 1);
}

#[test]
fn len_sets_the_window_length() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(page() + 50, 6);
    let path = file_with(&dir, "len.bin", &data);
    let file = File::open(&path).unwrap();
    for len in [0, 1, 49, page(), data.len()] {
        // SAFETY: the file is private to this test and not modified while mapped.
        let map = unsafe { RawMmapOptions::new().len(len).map(&file) }.unwrap();
        assert_eq!(map.len(), len);
        assert_eq!(map.is_empty(), len == 0);
        assert_eq!(&map[..], &data[..len]);
    }
    // Offset and length together; populate changes nothing visible.
    // SAFETY: as above.
    let map = unsafe {
        RawMmapOptions::new()
            .offset(10)
            .len(20)
            .populate()
            .map(&file)
    }
    .unwrap();
    assert_eq!(&map[..], &data[10..30]);
}

#[test]
fn options_are_default_clone_and_debug() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(300, 7);
    let path = file_with(&dir, "opts.bin", &data);
    let file = File::open(&path).unwrap();
    const NEW: RawMmapOptions = RawMmapOptions::new();
    let default = RawMmapOptions::default();
    // SAFETY: the file is private to this test and not modified while mapped.
    let (a, b) = unsafe { (NEW.map(&file).unwrap(), default.map(&file).unwrap()) };
    assert_eq!(&a[..], &data[..]);
    assert_eq!(&b[..], &data[..]);

    let mut options = RawMmapOptions::new();
    options.offset(100).len(50);
    let copy = options.clone();
    options.offset(0); // does not change the clone
                       // SAFETY: as above.
    let window = unsafe { copy.map(&file) }.unwrap();
    assert_eq!(&window[..], &data[100..150]);
    let debug = format!("{copy:?}");
    assert!(debug.contains("RawMmapOptions"), "{debug}");
    assert!(debug.contains("100"), "{debug}");
}

// ---------------------------------------------------------------- anonymous

#[test]
fn map_anon_is_zero_filled_and_writable() {
    for len in [1, 100, page(), 3 * page() + 5] {
        let mut anon = RawMmapMut::map_anon(len).unwrap();
        assert_eq!(anon.len(), len);
        assert!(anon.iter().all(|&b| b == 0), "len {len}");
        let data = pattern(len, 8);
        anon.copy_from_slice(&data);
        assert_eq!(&anon[..], &data[..]);
        // Private: flushing is checked and does nothing.
        anon.flush().unwrap();
        anon.flush_async_range(0, len).unwrap();
        assert_invalid_input(anon.flush_range(0, len + 1));
    }
    let mut populated = RawMmapOptions::new()
        .len(2 * page())
        .offset(12_345) // ignored by anonymous mappings
        .populate()
        .map_anon()
        .unwrap();
    assert_eq!(populated.len(), 2 * page());
    assert!(populated.iter().all(|&b| b == 0));
    populated[2 * page() - 1] = 1;
    assert_eq!(populated[2 * page() - 1], 1);

    let empty = RawMmapMut::map_anon(0).unwrap();
    assert!(empty.is_empty());
    assert!(RawMmapOptions::new().map_anon().unwrap().is_empty());
}

#[test]
fn an_anonymous_mapping_too_large_for_the_address_space_is_an_error() {
    assert_invalid_input(RawMmapMut::map_anon(usize::MAX));
    assert_invalid_input(RawMmapMut::map_anon(isize::MAX as usize + 1));
}

#[test]
fn huge_is_a_request_that_fails_cleanly_or_maps_the_length() {
    let len = 2 * 1024 * 1024;
    match RawMmapOptions::new().len(len).huge().map_anon() {
        Ok(mut map) => {
            assert_eq!(map.len(), len);
            assert!(map.iter().all(|&b| b == 0));
            map[len - 1] = 1;
            assert_eq!(map[len - 1], 1);
        }
        // No huge pages reserved: the OS error, no fallback.
        Err(e) => assert_ne!(e.kind(), ErrorKind::InvalidInput, "{e}"),
    }
    // File mappings ignore it.
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "huge.bin", b"not huge");
    let file = File::open(&path).unwrap();
    // SAFETY: the file is private to this test and not modified while mapped.
    let map = unsafe { RawMmapOptions::new().huge().map(&file) }.unwrap();
    assert_eq!(&map[..], b"not huge");
}

// ------------------------------------------------------------- round trips

#[test]
fn anonymous_mappings_round_trip_through_read_only() {
    let mut anon = RawMmapMut::map_anon(page() + 1).unwrap();
    anon[..3].copy_from_slice(b"abc");
    let ro = anon.make_read_only().unwrap();
    assert_eq!(ro.len(), page() + 1);
    assert_eq!(&ro[..3], b"abc");
    let mut rw = ro.make_mut().unwrap();
    assert_eq!(&rw[..3], b"abc");
    rw[page()] = 9;
    let ro = rw.make_read_only().unwrap();
    assert_eq!(ro[page()], 9);

    let empty = RawMmapMut::map_anon(0).unwrap().make_read_only().unwrap();
    assert!(empty.make_mut().unwrap().is_empty());
}

#[test]
fn shared_mappings_round_trip_and_keep_writing_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "trip.bin", &vec![0u8; 2 * page()]);
    let file = open_rw(&path);
    // SAFETY: the file is private to this test; std::fs reads it only after
    // the flushes.
    let mut rw = unsafe { RawMmapMut::map_mut(&file) }.unwrap();
    rw[0] = 1;
    let ro = rw.make_read_only().unwrap();
    assert_eq!(ro[0], 1);
    let mut rw = ro.make_mut().unwrap();
    rw[page()] = 2;
    rw.flush().unwrap();
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!((on_disk[0], on_disk[page()]), (1, 2));

    // A mapping made read-only of a file opened for writing can be made
    // writable; its writes are shared with the file.
    // SAFETY: as above.
    let ro = unsafe { RawMmap::map(&file) }.unwrap();
    let mut rw = ro.make_mut().unwrap();
    rw[1] = 3;
    rw.flush().unwrap();
    assert_eq!(std::fs::read(&path).unwrap()[1], 3);
}

#[test]
fn copy_on_write_mappings_stay_private_through_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(page(), 9);
    let path = file_with(&dir, "cow-trip.bin", &data);
    let file = File::open(&path).unwrap();
    // SAFETY: the file is private to this test and never written.
    let mut cow = unsafe { RawMmapOptions::new().map_copy(&file) }.unwrap();
    cow[0] = !data[0];
    let ro = cow.make_read_only().unwrap();
    assert_eq!(ro[0], !data[0]);
    let mut cow = ro.make_mut().unwrap();
    cow[1] = !data[1];
    cow.flush().unwrap();
    assert_eq!((cow[0], cow[1]), (!data[0], !data[1]));
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[cfg(unix)]
#[test]
fn make_mut_of_a_file_opened_read_only_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "ro-mut.bin", &[5; 100]);
    let file = File::open(&path).unwrap();
    // SAFETY: the file is private to this test and not modified while mapped.
    let ro = unsafe { RawMmap::map(&file) }.unwrap();
    let error = ro.make_mut().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PermissionDenied, "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), vec![5; 100]);
}

// ------------------------------------------------------------ flush bounds

/// Every out-of-range flush is `InvalidInput`, checked before any pointer
/// arithmetic or `msync`; none panics, whatever the arithmetic would do.
#[test]
fn flush_ranges_outside_the_mapping_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let len = 2 * page() + 100;
    let path = file_with(&dir, "flush.bin", &vec![0u8; len]);
    let file = open_rw(&path);
    // SAFETY: the file is private to this test and not modified while mapped.
    let map = unsafe { RawMmapMut::map_mut(&file) }.unwrap();
    let refused = [
        (len, 1),
        (len + 1, 0),
        (0, len + 1),
        (len - 1, 2),
        (1, len),
        (usize::MAX, 0),
        (usize::MAX, 1),
        (1, usize::MAX),
        (usize::MAX, usize::MAX),
    ];
    for (offset, n) in refused {
        assert_invalid_input(map.flush_range(offset, n));
        assert_invalid_input(map.flush_async_range(offset, n));
    }
    for (offset, n) in [(0, 0), (len, 0), (0, len), (len - 1, 1), (page() - 1, 2)] {
        map.flush_range(offset, n).unwrap();
        map.flush_async_range(offset, n).unwrap();
    }
}

#[test]
fn raw_maps_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RawMmap>();
    assert_send_sync::<RawMmapMut>();
    assert_send_sync::<RawMmapOptions>();

    let data = pattern(page(), 10);
    let mut anon = RawMmapMut::map_anon(data.len()).unwrap();
    anon.copy_from_slice(&data);
    let ro = anon.make_read_only().unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(&ro[..], &data[..]));
        }
    });
}

// ------------------------------------------------------------------ advice

#[cfg(feature = "advise")]
mod advise {
    use super::*;
    use mmapio::MmapAdvice;

    const ALL: [MmapAdvice; 5] = [
        MmapAdvice::Normal,
        MmapAdvice::Random,
        MmapAdvice::Sequential,
        MmapAdvice::WillNeed,
        MmapAdvice::DontNeed,
    ];
    const SAFE: [MmapAdvice; 4] = [
        MmapAdvice::Normal,
        MmapAdvice::Random,
        MmapAdvice::Sequential,
        MmapAdvice::WillNeed,
    ];

    #[test]
    fn every_advice_on_a_shared_mapping_keeps_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let len = 3 * page() + 1234;
        let data = pattern(len, 11);
        let path = file_with(&dir, "advise.bin", &data);
        let file = open_rw(&path);
        // SAFETY: the file is private to this test and not modified while
        // mapped (the writable mapping below is of the same test).
        let ro = unsafe { RawMmap::map(&file) }.unwrap();
        for advice in ALL {
            ro.advise(advice).unwrap();
            ro.advise_range(advice, 1, 2 * page()).unwrap();
            ro.advise_range(advice, len - 1, 1).unwrap();
            ro.advise_range(advice, len, 0).unwrap();
            assert_eq!(&ro[..], &data[..], "{advice:?}");
        }
        drop(ro);

        // DontNeed on a shared writable mapping keeps unflushed writes: the
        // dirty pages stay in the page cache.
        // SAFETY: as above.
        let mut rw = unsafe { RawMmapMut::map_mut(&file) }.unwrap();
        rw[page() + 5] = !data[page() + 5];
        for advice in ALL {
            rw.advise(advice).unwrap();
            rw.advise_range(advice, page() + 5, 1).unwrap();
        }
        assert_eq!(rw[page() + 5], !data[page() + 5]);
        assert_eq!(&rw[..page() + 5], &data[..page() + 5]);
        assert_eq!(&rw[page() + 6..], &data[page() + 6..]);
    }

    #[test]
    fn dont_need_is_refused_on_private_mappings_and_leaves_them_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = pattern(2 * page(), 12);
        let path = file_with(&dir, "private.bin", &data);
        let file = File::open(&path).unwrap();

        let mut anon = RawMmapMut::map_anon(2 * page()).unwrap();
        anon.copy_from_slice(&data);
        // SAFETY: the file is private to this test and never written.
        let mut cow = unsafe { RawMmapOptions::new().map_copy(&file) }.unwrap();
        cow[0] = !data[0];
        for map in [&anon, &cow] {
            assert_invalid_input(map.advise(MmapAdvice::DontNeed));
            assert_invalid_input(map.advise_range(MmapAdvice::DontNeed, 0, 1));
            for advice in SAFE {
                map.advise(advice).unwrap();
            }
        }
        assert_eq!(&anon[..], &data[..]);
        assert_eq!(cow[0], !data[0]);

        // Still private once made read-only.
        let ro = anon.make_read_only().unwrap();
        assert_invalid_input(ro.advise(MmapAdvice::DontNeed));
        ro.advise(MmapAdvice::WillNeed).unwrap();
        assert_eq!(&ro[..], &data[..]);
    }

    #[test]
    fn advice_ranges_outside_the_mapping_are_errors() {
        let len = 2 * page() + 7;
        let anon = RawMmapMut::map_anon(len).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = file_with(&dir, "adv-bounds.bin", &pattern(len, 13));
        let file = File::open(&path).unwrap();
        // SAFETY: the file is private to this test and not modified while mapped.
        let ro = unsafe { RawMmap::map(&file) }.unwrap();
        // (len - 1, len): memmap2's own check (offset and len each at most
        // the length) lets it through.
        let refused = [
            (len, 1),
            (len + 1, 0),
            (0, len + 1),
            (len - 1, len),
            (usize::MAX, 1),
            (1, usize::MAX),
        ];
        for advice in ALL {
            for (offset, n) in refused {
                assert_invalid_input(ro.advise_range(advice, offset, n));
                if advice != MmapAdvice::DontNeed {
                    assert_invalid_input(anon.advise_range(advice, offset, n));
                }
            }
        }
        // The empty mapping takes only empty ranges.
        let empty = RawMmapMut::map_anon(0).unwrap();
        empty.advise(MmapAdvice::WillNeed).unwrap();
        assert_invalid_input(empty.advise_range(MmapAdvice::WillNeed, 0, 1));
    }
}

// ----------------------------------------------------------------- locking

#[cfg(feature = "locking")]
mod locking {
    use super::*;

    /// The `VmFlags` of the `/proc/self/smaps` entry holding `addr`.
    #[cfg(target_os = "linux")]
    fn vm_flags(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((a, b)) = first.split_once('-') {
                if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                {
                    inside = (a..b).contains(&addr);
                    continue;
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return flags.to_owned();
                }
            }
        }
        panic!("no smaps entry holds {addr:#x}");
    }

    #[cfg(target_os = "linux")]
    fn is_locked(addr: *const u8) -> bool {
        vm_flags(addr as usize)
            .split_whitespace()
            .any(|f| f == "lo")
    }

    /// Locking may be refused by `RLIMIT_MEMLOCK`: then it is the OS error,
    /// never a panic; when it is granted the pages are really locked.
    #[cfg(unix)]
    #[test]
    fn lock_and_unlock_lock_the_pages_or_report_the_os_error() {
        let dir = tempfile::tempdir().unwrap();
        let data = pattern(2 * page(), 14);
        let path = file_with(&dir, "lock.bin", &data);
        let file = File::open(&path).unwrap();
        // SAFETY: the file is private to this test and not modified while mapped.
        let ro = unsafe { RawMmap::map(&file) }.unwrap();
        let anon = RawMmapMut::map_anon(page()).unwrap();
        let locked = [(ro.as_ptr(), ro.lock()), (anon.as_ptr(), anon.lock())];
        for (_addr, result) in locked {
            match result {
                Ok(()) => {
                    #[cfg(target_os = "linux")]
                    assert!(is_locked(_addr));
                }
                Err(e) => assert!(e.raw_os_error().is_some(), "{e}"),
            }
        }
        ro.unlock().unwrap();
        anon.unlock().unwrap();
        #[cfg(target_os = "linux")]
        {
            assert!(!is_locked(ro.as_ptr()));
            assert!(!is_locked(anon.as_ptr()));
        }
        assert_eq!(&ro[..], &data[..]);
        // Unlocking what is not locked succeeds; so do empty mappings.
        ro.unlock().unwrap();
        let empty = RawMmapMut::map_anon(0).unwrap();
        empty.unlock().unwrap();
    }

    #[cfg(not(unix))]
    #[test]
    fn locking_is_unsupported_off_unix() {
        let anon = RawMmapMut::map_anon(4096).unwrap();
        assert_eq!(anon.lock().unwrap_err().kind(), ErrorKind::Unsupported);
        assert_eq!(anon.unlock().unwrap_err().kind(), ErrorKind::Unsupported);
    }
}
