//! `AsFd` / `AsRawFd` (unix): the handle exposes the mapped file's own
//! descriptor, shared by every clone.
#![cfg(unix)]

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use mmapio::{MemoryMappedFile, MmapMode};

/// The file behind `map`'s descriptor, through an owned duplicate.
fn file_of(map: &MemoryMappedFile) -> File {
    File::from(map.as_fd().try_clone_to_owned().unwrap())
}

fn check(map: &MemoryMappedFile, path: &Path) {
    assert_eq!(map.as_raw_fd(), map.as_fd().as_raw_fd());
    assert!(map.as_raw_fd() >= 0);
    let file = file_of(map);
    assert_ne!(
        file.as_raw_fd(),
        map.as_raw_fd(),
        "try_clone_to_owned duplicates"
    );
    let meta = file.metadata().unwrap();
    assert_eq!(meta.len(), map.len(), "{:?}", map.mode());
    let on_path = std::fs::metadata(path).unwrap();
    assert_eq!(
        (meta.dev(), meta.ino()),
        (on_path.dev(), on_path.ino()),
        "not the mapped file"
    );
    // Clones share the descriptor.
    let clone = map.clone();
    assert_eq!(clone.as_raw_fd(), map.as_raw_fd());
}

#[test]
fn descriptors_of_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let rw_path = dir.path().join("rw.bin");
    let rw = MemoryMappedFile::create_rw(&rw_path, 12_345).unwrap();
    check(&rw, &rw_path);

    let ro_path = dir.path().join("ro.bin");
    std::fs::write(&ro_path, vec![7u8; 5000]).unwrap();
    let ro = MemoryMappedFile::open_ro(&ro_path).unwrap();
    check(&ro, &ro_path);
    assert_ne!(ro.as_raw_fd(), rw.as_raw_fd());

    #[cfg(feature = "cow")]
    {
        let cow = MemoryMappedFile::open_cow(&ro_path).unwrap();
        check(&cow, &ro_path);
        assert_ne!(
            cow.as_raw_fd(),
            ro.as_raw_fd(),
            "each mapping opens its own file"
        );
    }

    let empty_path = dir.path().join("empty.bin");
    std::fs::write(&empty_path, b"").unwrap();
    let empty = MemoryMappedFile::open_ro(&empty_path).unwrap();
    check(&empty, &empty_path);
    assert_eq!(file_of(&empty).metadata().unwrap().len(), 0);
}

#[test]
fn descriptor_follows_resize_and_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grow.bin");
    let map = MemoryMappedFile::create_rw(&path, 4096).unwrap();
    let fd = map.as_raw_fd();
    map.resize(3 * 4096 + 1).unwrap();
    assert_eq!(map.as_raw_fd(), fd, "resize keeps the same file");
    check(&map, &path);
    map.resize(100).unwrap();
    check(&map, &path);
    drop(map);

    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let raw = file.as_raw_fd();
    let map = MemoryMappedFile::from_file(file, MmapMode::ReadWrite, &path).unwrap();
    assert_eq!(map.as_raw_fd(), raw, "from_file keeps the given descriptor");
    check(&map, &path);
}
