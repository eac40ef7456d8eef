//! `mmap_io::anonymous::AnonymousMmap` (also at the crate root), every
//! method: `new`, `with_huge_pages`, `len`, `is_empty`, `as_slice`,
//! `as_mut_slice`, `try_as_slice`, `try_as_mut_slice`, `update_region`,
//! `try_update_region`, `read_into`, `as_ptr`, `as_mut_ptr`,
//! `is_hugepage_backed`, `atomic_u32`, `atomic_u64`, `atomic_u32_slice`,
//! `atomic_u64_slice`, and `Debug`.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use mmap_io::anonymous::AnonymousMmap;
use mmap_io::atomic::{AtomicSliceView, AtomicView};
use mmap_io::errors::{MmapIoError, Result};
use mmap_io::mmap::{MappedSlice, MappedSliceMut};

#[test]
fn new_is_zeroed_scratch_memory() -> Result<()> {
    let scratch: AnonymousMmap = AnonymousMmap::new(4096)?;
    assert_eq!(scratch.len(), 4096);
    assert!(!scratch.is_empty());
    let view: MappedSlice<'_> = scratch.as_slice(0, 4096)?;
    assert!(view.iter().all(|&b| b == 0));
    drop(view);

    scratch.update_region(10, b"scratch")?;
    assert_eq!(scratch.as_slice(10, 7)?, b"scratch");
    {
        let mut view: MappedSliceMut<'_> = scratch.as_mut_slice(0, 2)?;
        view.copy_from_slice(b"ok");
    }
    let mut buf = [0u8; 2];
    scratch.read_into(0, &mut buf)?;
    assert_eq!(&buf, b"ok");

    assert!(matches!(
        scratch.as_slice(4090, 7),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        scratch.update_region(4095, b"ab"),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        scratch.read_into(4095, &mut buf),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(AnonymousMmap::new(0).is_err());
    assert!(format!("{scratch:?}").contains("AnonymousMmap"));

    let root: mmap_io::AnonymousMmap = AnonymousMmap::new(1)?;
    assert_eq!(root.len(), 1);
    Ok(())
}

#[test]
fn try_forms_do_not_wait() -> Result<()> {
    let scratch = AnonymousMmap::new(64)?;
    let reader = scratch.as_slice(0, 8)?;
    let busy: Option<MappedSliceMut<'_>> = scratch.try_as_mut_slice(0, 8)?;
    assert!(busy.is_none());
    let written: bool = scratch.try_update_region(0, b"late")?;
    assert!(!written);
    drop(reader);

    let writer = scratch.try_as_mut_slice(0, 4)?.expect("free");
    let busy: Option<MappedSlice<'_>> = scratch.try_as_slice(0, 4)?;
    assert!(busy.is_none());
    drop(writer);

    assert!(scratch.try_update_region(0, b"now!")?);
    let view = scratch.try_as_slice(0, 4)?.expect("free");
    assert_eq!(view, b"now!");
    drop(view);
    assert!(scratch.try_as_slice(60, 8).is_err());
    Ok(())
}

#[test]
fn raw_pointers() -> Result<()> {
    let scratch = AnonymousMmap::new(16)?;
    scratch.update_region(0, b"abc")?;
    // SAFETY: no view or writer of `scratch` is alive, and no other thread
    // uses it.
    let (first, ptr) = unsafe { (*scratch.as_ptr(), scratch.as_mut_ptr()) };
    assert_eq!(first, b'a');
    // SAFETY: as above; offset 15 is inside the 16 bytes.
    unsafe { ptr.add(15).write(b'z') };
    assert_eq!(scratch.as_slice(15, 1)?, b"z");
    Ok(())
}

#[test]
fn huge_pages_are_a_request() -> Result<()> {
    let size = 4 << 20;
    let huge = AnonymousMmap::with_huge_pages(size)?;
    assert_eq!(huge.len(), size);
    huge.update_region(size - 4, b"tail")?;
    assert_eq!(huge.as_slice(size - 4, 4)?, b"tail");
    let backed: Option<bool> = huge.is_hugepage_backed();
    if cfg!(target_os = "linux") {
        assert!(backed.is_some());
    }
    let plain = AnonymousMmap::new(4096)?;
    if cfg!(target_os = "linux") {
        assert!(plain.is_hugepage_backed().is_some());
    }
    Ok(())
}

#[test]
fn atomics_in_anonymous_memory() -> Result<()> {
    let scratch = AnonymousMmap::new(4096)?;
    {
        let counter: AtomicView<'_, AtomicU64> = scratch.atomic_u64(0)?;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::Relaxed), 400);

        let flag: AtomicView<'_, AtomicU32> = scratch.atomic_u32(8)?;
        flag.store(7, Ordering::Release);

        let slots: AtomicSliceView<'_, AtomicU64> = scratch.atomic_u64_slice(16, 4)?;
        assert_eq!(slots.len(), 4);
        slots[3].store(9, Ordering::Relaxed);
        let small: AtomicSliceView<'_, AtomicU32> = scratch.atomic_u32_slice(48, 2)?;
        small[1].store(5, Ordering::Relaxed);
    } // byte access waits for the atomic views; they are gone now

    let mut buf = [0u8; 8];
    scratch.read_into(0, &mut buf)?;
    assert_eq!(u64::from_ne_bytes(buf), 400);
    let mut word = [0u8; 4];
    scratch.read_into(8, &mut word)?;
    assert_eq!(u32::from_ne_bytes(word), 7);
    scratch.read_into(40, &mut buf)?;
    assert_eq!(u64::from_ne_bytes(buf), 9);
    scratch.read_into(52, &mut word)?;
    assert_eq!(u32::from_ne_bytes(word), 5);

    assert!(matches!(
        scratch.atomic_u64(4),
        Err(MmapIoError::Misaligned {
            required: 8,
            offset: 4
        })
    ));
    assert!(matches!(
        scratch.atomic_u32(2),
        Err(MmapIoError::Misaligned { .. })
    ));
    assert!(matches!(
        scratch.atomic_u64_slice(4088, 2),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    assert!(matches!(
        scratch.atomic_u32_slice(4096, 1),
        Err(MmapIoError::OutOfBounds { .. })
    ));
    Ok(())
}
