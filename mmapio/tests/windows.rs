//! Windows-only behaviour:
//! * `AsHandle` / `AsRawHandle`: the mapping exposes the mapped file's own
//!   handle, shared by every clone and kept across `resize` (the Unix
//!   counterpart, `AsFd`, is tested in `fd.rs`);
//! * shrinking a file that another mapping still maps, which Windows
//!   refuses: a typed error, and the mapping stays as it was.
#![cfg(windows)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::windows::io::{AsHandle, AsRawHandle};
use std::path::Path;

use mmapio::{MemoryMappedFile, MmapIoError, MmapMode};

/// The file behind `map`'s handle, through an owned duplicate.
fn file_of(map: &MemoryMappedFile) -> File {
    File::from(map.as_handle().try_clone_to_owned().unwrap())
}

/// The handle is the mapped file's: same length, same bytes (each test file
/// has its own pattern), shared by clones.
fn check(map: &MemoryMappedFile, path: &Path) {
    assert_eq!(map.as_raw_handle(), map.as_handle().as_raw_handle());
    let mut file = file_of(map);
    assert_ne!(
        file.as_raw_handle(),
        map.as_raw_handle(),
        "try_clone_to_owned duplicates"
    );
    assert_eq!(
        file.metadata().unwrap().len(),
        map.len(),
        "{:?}",
        map.mode()
    );
    assert_eq!(std::fs::metadata(path).unwrap().len(), map.len());
    let n = map.len().min(64) as usize;
    let mut head = vec![0u8; n];
    file.seek(SeekFrom::Start(0)).unwrap();
    file.read_exact(&mut head).unwrap();
    assert_eq!(&head[..], &map.as_slice(0, n as u64).unwrap()[..]);
    assert_eq!(map.clone().as_raw_handle(), map.as_raw_handle());
}

#[test]
fn handles_of_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let rw_path = dir.path().join("rw.bin");
    let rw = MemoryMappedFile::create_rw(&rw_path, 12_345).unwrap();
    rw.update_region(0, b"read-write file").unwrap();
    check(&rw, &rw_path);

    let ro_path = dir.path().join("ro.bin");
    std::fs::write(&ro_path, vec![7u8; 5000]).unwrap();
    let ro = MemoryMappedFile::open_ro(&ro_path).unwrap();
    check(&ro, &ro_path);
    assert_ne!(ro.as_raw_handle(), rw.as_raw_handle());

    #[cfg(feature = "cow")]
    {
        let cow = MemoryMappedFile::open_cow(&ro_path).unwrap();
        check(&cow, &ro_path);
        assert_ne!(cow.as_raw_handle(), ro.as_raw_handle());
    }
}

#[test]
fn handle_follows_resize_and_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grow.bin");
    let map = MemoryMappedFile::create_rw(&path, 4096).unwrap();
    map.update_region(0, b"grown").unwrap();
    let handle = map.as_raw_handle();
    map.resize(3 * 4096 + 1).unwrap();
    assert_eq!(map.as_raw_handle(), handle, "resize keeps the same file");
    check(&map, &path);
    map.resize(100).unwrap();
    check(&map, &path);
    drop(map);

    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let raw = file.as_raw_handle();
    let map = MemoryMappedFile::from_file(file, MmapMode::ReadWrite, &path).unwrap();
    assert_eq!(map.as_raw_handle(), raw, "from_file keeps the given handle");
    check(&map, &path);
}

#[test]
fn shrinking_under_another_mapping_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.bin");
    let len = 3 * 65_536;
    let map = MemoryMappedFile::create_rw(&path, len).unwrap();
    map.update_region(0, b"kept").unwrap();

    let file = File::open(&path).unwrap();
    // SAFETY: nothing writes or truncates the file while `other` lives:
    // the shrink below is refused by Windows, which is what is tested.
    let other = unsafe { mmapio::raw::RawMmap::map(&file) }.unwrap();
    match map.resize(4096) {
        Err(MmapIoError::ResizeFailed { new_len, .. }) => assert_eq!(new_len, 4096),
        other => panic!("expected ResizeFailed, got {other:?}"),
    }
    assert_eq!(map.len(), len);
    assert_eq!(map.as_slice(0, 4).unwrap(), b"kept");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    assert_eq!(&other[..4], b"kept");

    // Growing is allowed, and once the other mapping is gone so is
    // shrinking.
    map.resize(len + 4096).unwrap();
    drop(other);
    map.resize(4096).unwrap();
    assert_eq!(map.as_slice(0, 4).unwrap(), b"kept");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
}
