//! `mmap_io::atomic::{AtomicView, AtomicSliceView}` from
//! `MemoryMappedFile::atomic_u32`/`atomic_u64`/`atomic_u32_slice`/
//! `atomic_u64_slice`; `mmap_io::advise::MmapAdvice` with
//! `MemoryMappedFile::advise` and `prefetch_range`; and the `mmap_io::lock`
//! methods `lock`, `unlock`, `lock_all`, `unlock_all` (an `mlock` refused
//! for lack of privileges is `Err(LockFailed)`, a valid outcome).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use mmap_io::advise::MmapAdvice;
use mmap_io::atomic::{AtomicSliceView, AtomicView};
use mmap_io::errors::{MmapIoError, Result};
#[allow(unused_imports)] // mmap-io's `lock` module holds no items either
use mmap_io::lock;
use mmap_io::mmap::MemoryMappedFile;

#[test]
fn atomic_u64_counter_is_shared_and_durable() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("counter.bin");
    let map = MemoryMappedFile::create_rw(&path, 64)?;
    {
        let counter: AtomicView<'_, AtomicU64> = map.atomic_u64(8)?;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..250 {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::Relaxed), 1000);
        // flush runs while atomic views are alive.
        map.flush()?;
    }
    let mut buf = [0u8; 8];
    map.read_into(8, &mut buf)?;
    assert_eq!(u64::from_ne_bytes(buf), 1000);
    map.flush()?;
    assert_eq!(
        u64::from_ne_bytes(std::fs::read(&path)?[8..16].try_into().unwrap()),
        1000
    );
    Ok(())
}

#[test]
fn atomic_u32_and_slices() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("slots.bin");
    let map = MemoryMappedFile::create_rw(&path, 4096)?;
    {
        let flag: AtomicView<'_, AtomicU32> = map.atomic_u32(4)?;
        assert_eq!(
            flag.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire),
            Ok(0)
        );
        let slots: AtomicSliceView<'_, AtomicU64> = map.atomic_u64_slice(64, 8)?;
        assert_eq!(slots.len(), 8);
        slots[3].store(7, Ordering::Release);
        assert_eq!(
            slots.iter().map(|s| s.load(Ordering::Acquire)).sum::<u64>(),
            7
        );
        let words: AtomicSliceView<'_, AtomicU32> = map.atomic_u32_slice(128, 3)?;
        words[2].fetch_add(41, Ordering::Relaxed);
        words[2].fetch_add(1, Ordering::Relaxed);
        let empty = map.atomic_u64_slice(4096, 0)?;
        assert!(empty.is_empty());
    }
    let mut word = [0u8; 4];
    map.read_into(4, &mut word)?;
    assert_eq!(u32::from_ne_bytes(word), 1);
    map.read_into(136, &mut word)?;
    assert_eq!(u32::from_ne_bytes(word), 42);
    let mut wide = [0u8; 8];
    map.read_into(64 + 3 * 8, &mut wide)?;
    assert_eq!(u64::from_ne_bytes(wide), 7);
    Ok(())
}

#[test]
fn atomic_errors() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("errors.bin");
    let map = MemoryMappedFile::create_rw(&path, 64)?;
    assert!(matches!(
        map.atomic_u64(4),
        Err(MmapIoError::Misaligned {
            required: 8,
            offset: 4
        })
    ));
    assert!(matches!(
        map.atomic_u32(6),
        Err(MmapIoError::Misaligned {
            required: 4,
            offset: 6
        })
    ));
    assert!(matches!(
        map.atomic_u64(64),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        map.atomic_u32_slice(60, 2),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        map.atomic_u64_slice(8, usize::MAX),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    drop(map);
    let ro = MemoryMappedFile::open_ro(&path)?;
    assert!(matches!(
        ro.atomic_u64(0),
        Err(MmapIoError::InvalidMode { .. })
    ));
    Ok(())
}

#[test]
fn advise_every_kind_over_any_range() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("advise.bin");
    let map = MemoryMappedFile::create_rw(&path, 1 << 20)?;
    map.update_region(12_345, b"kept")?;
    for advice in [
        MmapAdvice::Normal,
        MmapAdvice::Random,
        MmapAdvice::Sequential,
        MmapAdvice::WillNeed,
        MmapAdvice::DontNeed,
    ] {
        map.advise(12_345, 100_000, advice)?;
        map.advise(0, map.len(), advice)?;
        map.advise(map.len(), 0, advice)?;
    }
    // DontNeed on a shared mapping never changes the bytes.
    assert_eq!(map.as_slice(12_345, 4)?, b"kept");
    assert!(matches!(
        map.advise(1, 1 << 20, MmapAdvice::WillNeed),
        Err(MmapIoError::OutOfBounds { .. })
    ));

    map.prefetch_range(0, 1 << 20)?;
    map.prefetch_range(4096, 10)?;
    assert!(matches!(
        map.prefetch_range(1, 1 << 20),
        Err(MmapIoError::OutOfBounds { .. })
    ));

    let advice: MmapAdvice = MmapAdvice::Sequential;
    #[allow(clippy::clone_on_copy)]
    let cloned = advice.clone();
    assert_eq!(cloned, MmapAdvice::Sequential);
    assert_ne!(cloned, MmapAdvice::Random);
    assert_eq!(format!("{:?}", MmapAdvice::WillNeed), "WillNeed");
    let root: mmap_io::MmapAdvice = MmapAdvice::DontNeed;
    assert_eq!(root, MmapAdvice::DontNeed);
    Ok(())
}

/// `Ok(())`, or `LockFailed` when the kernel refuses for lack of
/// privileges; any other outcome fails the test.
fn locked_or_refused(result: Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(MmapIoError::LockFailed { .. }) => false,
        Err(other) => panic!("expected Ok or LockFailed, got {other:?}"),
    }
}

#[test]
fn lock_and_unlock_ranges_and_everything() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("lock.bin");
    let map = MemoryMappedFile::create_rw(&path, 64 * 1024)?;
    map.update_region(0, b"resident")?;

    if locked_or_refused(map.lock(0, 4096)) {
        assert!(locked_or_refused(map.unlock(0, 4096)));
    }
    if locked_or_refused(map.lock_all()) {
        assert!(locked_or_refused(map.unlock_all()));
    }
    // Unlocking pages that are not locked succeeds (or is refused the same
    // way), and bounds are checked before any system call.
    locked_or_refused(map.unlock(100, 5000));
    assert!(matches!(
        map.lock(64 * 1024 - 1, 2),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        map.unlock(u64::MAX, 1),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    map.lock(map.len(), 0)?; // nothing to lock
    assert_eq!(map.as_slice(0, 8)?, b"resident");

    drop(map);
    let ro = MemoryMappedFile::open_ro(&path)?;
    if locked_or_refused(ro.lock_all()) {
        assert!(locked_or_refused(ro.unlock_all()));
    }
    Ok(())
}
