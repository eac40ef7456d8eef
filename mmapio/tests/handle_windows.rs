//! `AsHandle` / `AsRawHandle` (Windows): the mapping exposes the mapped
//! file's own handle, shared by every clone and kept across `resize`. The
//! Unix counterpart, `AsFd`, is tested in `fd.rs`.
#![cfg(windows)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::windows::io::{AsHandle, AsRawHandle};
use std::path::Path;

use mmapio::{MemoryMappedFile, MmapMode};

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
