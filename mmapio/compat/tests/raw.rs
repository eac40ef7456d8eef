//! `mmap_io::raw::{RawMmap, RawMmapMut, RawMmapOptions, offset_granularity}`:
//! file, copy-on-write and anonymous raw mappings, windows (`offset`,
//! `len`), `populate`, `huge`, `make_mut`/`make_read_only`, the flushes,
//! `advise`/`advise_range`, `lock`/`unlock`, pointers and the `Deref`,
//! `DerefMut`, `AsRef`, `AsMut`, `Debug`, `Clone` and `Default` impls.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};

use mmap_io::advise::MmapAdvice;
use mmap_io::raw::{offset_granularity, RawMmap, RawMmapMut, RawMmapOptions};

fn file_with(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> io::Result<File> {
    let path = dir.path().join(name);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    Ok(file)
}

#[test]
fn map_and_map_mut_share_the_file() -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("raw.bin");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    file.set_len(16)?;

    // SAFETY: the file is private to this test: nothing else modifies or
    // truncates it while it is mapped.
    let mut rw: RawMmapMut = unsafe { RawMmapMut::map_mut(&file)? };
    assert_eq!(rw.len(), 16);
    assert!(!rw.is_empty());
    rw[..5].copy_from_slice(b"hello");
    rw.as_mut()[5] = b'!';
    let p = rw.as_mut_ptr();
    // SAFETY: offset 6 is inside the 16-byte mapping, borrowed exclusively.
    unsafe { p.add(6).write(b'?') };
    assert_eq!(rw.as_ptr(), rw[..].as_ptr());
    rw.flush()?;
    rw.flush_async()?;
    rw.flush_range(0, 7)?;
    rw.flush_async_range(8, 8)?;
    assert_eq!(
        rw.flush_range(10, 7).unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
    assert!(rw.flush_async_range(usize::MAX, 2).is_err());
    assert!(!format!("{rw:?}").is_empty());
    drop(rw);
    assert_eq!(&std::fs::read(&path)?[..7], b"hello!?");

    // SAFETY: as above.
    let ro: RawMmap = unsafe { RawMmap::map(&file)? };
    drop(file); // the mapping stays valid
    assert_eq!(ro.len(), 16);
    assert!(!ro.is_empty());
    assert_eq!(&ro[..7], b"hello!?");
    let as_ref: &[u8] = ro.as_ref();
    assert_eq!(as_ref.len(), 16);
    assert_eq!(ro.as_ptr(), ro[..].as_ptr());
    assert!(!format!("{ro:?}").is_empty());
    Ok(())
}

#[test]
fn options_map_windows_of_a_file() -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = file_with(&dir, "window.bin", b"0123456789")?;

    let mut options: RawMmapOptions = RawMmapOptions::new();
    options.offset(3).len(4);
    // SAFETY: the file is private to this test.
    let window: RawMmap = unsafe { options.map(&file)? };
    assert_eq!(&window[..], b"3456");

    // SAFETY: as above.
    let tail = unsafe { RawMmapOptions::new().offset(6).populate().map(&file)? };
    assert_eq!(&tail[..], b"6789");

    // SAFETY: as above.
    let past_end = unsafe { RawMmapOptions::new().offset(8).len(3).map(&file) };
    assert_eq!(past_end.unwrap_err().kind(), io::ErrorKind::InvalidInput);

    // SAFETY: as above.
    let mut shared: RawMmapMut = unsafe { RawMmapOptions::new().len(2).map_mut(&file)? };
    shared.copy_from_slice(b"AB");
    shared.flush()?;
    drop(shared);

    // SAFETY: as above.
    let mut private: RawMmapMut = unsafe { RawMmapOptions::new().map_copy(&file)? };
    private[..4].copy_from_slice(b"EDIT");
    assert_eq!(&private[..], b"EDIT456789");
    private.flush()?; // nothing to write back
    drop(private);
    assert_eq!(&window[..], b"3456");

    let path = dir.path().join("window.bin");
    assert_eq!(std::fs::read(path)?, b"AB23456789");

    let cloned = options.clone();
    assert!(!format!("{cloned:?}").is_empty());
    let default = RawMmapOptions::default();
    assert_eq!(default.map_anon()?.len(), 0);
    const CONST_OPTIONS: RawMmapOptions = RawMmapOptions::new();
    assert!(CONST_OPTIONS.map_anon()?.is_empty());
    Ok(())
}

#[test]
fn anonymous_raw_mappings() -> io::Result<()> {
    let mut anon: RawMmapMut = RawMmapMut::map_anon(4096)?;
    assert_eq!(anon.len(), 4096);
    assert!(anon.iter().all(|&b| b == 0));
    anon[0] = 1;
    let as_mut: &mut [u8] = anon.as_mut();
    as_mut[1] = 2;
    let as_ref: &[u8] = anon.as_ref();
    assert_eq!(&as_ref[..2], [1, 2]);

    let ro: RawMmap = anon.make_read_only()?;
    assert_eq!(&ro[..2], [1, 2]);
    let mut rw: RawMmapMut = ro.make_mut()?;
    rw[0] = 3;
    assert_eq!(rw[0], 3);

    let populated = RawMmapOptions::new().len(8192).populate().map_anon()?;
    assert_eq!(populated.len(), 8192);
    assert!(RawMmapMut::map_anon(0)?.is_empty());

    // Huge pages need reserved pages: either a 2 MiB mapping or the OS
    // error, never a fallback.
    let mut huge = RawMmapOptions::new();
    huge.len(2 * 1024 * 1024).huge();
    if let Ok(map) = huge.map_anon() {
        assert_eq!(map.len(), 2 * 1024 * 1024);
    }
    Ok(())
}

#[test]
fn offset_granularity_is_a_power_of_two() -> io::Result<()> {
    let granularity: usize = offset_granularity()?;
    assert!(granularity.is_power_of_two());
    if cfg!(unix) {
        assert_eq!(granularity, mmap_io::utils::page_size());
    }
    // Offsets need not be multiples of it.
    let dir = tempfile::tempdir()?;
    let file = file_with(&dir, "gran.bin", &vec![7u8; granularity + 10])?;
    // SAFETY: the file is private to this test.
    let map = unsafe {
        RawMmapOptions::new()
            .offset(granularity as u64 + 1)
            .map(&file)?
    };
    assert_eq!(map.len(), 9);
    Ok(())
}

#[test]
fn advice_is_checked_then_given() -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = file_with(&dir, "advise.bin", &[7u8; 8192])?;
    // SAFETY: the file is private to this test.
    let map = unsafe { RawMmap::map(&file)? };
    for advice in [
        MmapAdvice::Normal,
        MmapAdvice::Random,
        MmapAdvice::Sequential,
        MmapAdvice::WillNeed,
        MmapAdvice::DontNeed, // a shared mapping: the bytes stay
    ] {
        map.advise(advice)?;
        map.advise_range(advice, 100, 5000)?;
    }
    assert!(map.iter().all(|&b| b == 7));
    assert_eq!(
        map.advise_range(MmapAdvice::WillNeed, 8000, 500)
            .unwrap_err()
            .kind(),
        io::ErrorKind::InvalidInput
    );

    let anon = RawMmapMut::map_anon(3 * 4096)?;
    anon.advise(MmapAdvice::Random)?;
    anon.advise_range(MmapAdvice::WillNeed, 4097, 100)?;
    assert!(anon
        .advise_range(MmapAdvice::WillNeed, 3 * 4096, 1)
        .is_err());
    // DontNeed would discard private pages: refused.
    assert!(anon.advise(MmapAdvice::DontNeed).is_err());
    Ok(())
}

#[test]
fn lock_and_unlock() -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = file_with(&dir, "lock.bin", &[1u8; 4096])?;
    // SAFETY: the file is private to this test.
    let map = unsafe { RawMmap::map(&file)? };
    // mlock needs RLIMIT_MEMLOCK room or CAP_IPC_LOCK: either outcome is
    // valid, and unlocking unlocked pages succeeds.
    match map.lock() {
        Ok(()) => map.unlock()?,
        Err(e) => assert!(e.raw_os_error().is_some() || e.kind() == io::ErrorKind::Unsupported),
    }
    let anon = RawMmapMut::map_anon(4096)?;
    if anon.lock().is_ok() {
        anon.unlock()?;
    }
    if cfg!(unix) {
        map.unlock()?;
        anon.unlock()?;
    }
    Ok(())
}
