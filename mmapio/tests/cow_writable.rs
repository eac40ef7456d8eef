//! Copy-on-write mappings with private writes through `&self`
//! (`open_cow_writable`, the builder's `cow_writable(true)`, feature
//! `cow`): the writes change what the mapping reads and never the file,
//! count nothing as pending, close the file's reader gate like any write
//! (waiting for other threads' views of every handle, refusing beside the
//! calling thread's own), walks, pointers and atomic views write private
//! pages too, and the operations that cannot be offered on a private
//! mapping refuse with a typed error.
//!
//! Reading the file with `std::fs::read` is a valid check here: written
//! pages of a private mapping are private copies, never the page cache
//! that `read(2)` goes through.
#![cfg(feature = "cow")]

mod common;

use mmapio::{MemoryMappedFile, MmapIoError, MmapMode};

use common::{assert_invalid_mode, assert_oob, file_with, spawn_waiter};

#[test]
fn private_writes_through_a_shared_reference_never_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "w.bin", b"original bytes");
    let cow = MemoryMappedFile::open_cow_writable(&path).unwrap();
    assert!(cow.is_cow_writable());
    assert_eq!(cow.mode(), MmapMode::CopyOnWrite);
    cow.update_region(0, b"ORIGINAL").unwrap();
    assert!(cow.try_update_region(9, b"BYTES").unwrap());
    cow.as_slice_mut(8, 1).unwrap()[0] = b'_';
    cow.try_as_slice_mut(13, 1).unwrap().unwrap()[0] = b'!';
    assert_eq!(&*cow.as_slice(0, 14).unwrap(), b"ORIGINAL_BYTE!");
    assert_eq!(cow.pending_bytes(), 0, "private bytes are never pending");
    cow.flush().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"original bytes");
    // Clones share the private mapping.
    assert_eq!(&*cow.clone().as_slice(0, 8).unwrap(), b"ORIGINAL");
    assert_oob(cow.update_region(11, b"long"), 11, 4, 14);
    // `&mut` private writes still work.
    let mut cow = cow;
    cow.cow_update_region(0, b"o").unwrap();
    assert_eq!(&*cow.as_slice(0, 2).unwrap(), b"oR");
}

#[test]
fn the_builder_option_is_ignored_outside_copy_on_write_and_off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "b.bin", b"abcd");
    let cow = MemoryMappedFile::open_cow(&path).unwrap();
    assert!(!cow.is_cow_writable());
    assert_invalid_mode(
        cow.update_region(0, b"x"),
        "update_region",
        MmapMode::CopyOnWrite,
    );
    assert_invalid_mode(
        cow.as_slice_mut(0, 1),
        "as_slice_mut",
        MmapMode::CopyOnWrite,
    );
    let ro = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadOnly)
        .cow_writable(true)
        .open()
        .unwrap();
    assert!(!ro.is_cow_writable());
    assert_invalid_mode(
        ro.update_region(0, b"x"),
        "update_region",
        MmapMode::ReadOnly,
    );
    let rw = MemoryMappedFile::builder(&path)
        .mode(MmapMode::ReadWrite)
        .cow_writable(true)
        .open()
        .unwrap();
    assert!(!rw.is_cow_writable());
    rw.update_region(0, b"A").unwrap();
    assert_eq!(&*ro.as_slice(0, 1).unwrap(), b"A", "a shared write");
}

#[test]
fn a_private_write_waits_for_views_of_every_handle_and_refuses_beside_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "g.bin", &[0; 4096]);
    let ro = MemoryMappedFile::open_ro(&path).unwrap();
    let cow = MemoryMappedFile::open_cow_writable(&path).unwrap();

    // The calling thread's own view, of this handle or another one.
    let own = cow.as_slice(0, 1).unwrap();
    assert!(matches!(
        cow.update_region(0, b"x"),
        Err(MmapIoError::WouldDeadlock { .. })
    ));
    assert!(!cow.try_update_region(0, b"x").unwrap());
    drop(own);
    let other = ro.as_slice(0, 1).unwrap();
    assert!(matches!(
        cow.as_slice_mut(0, 1),
        Err(MmapIoError::WouldDeadlock { .. })
    ));

    // Another thread's write waits until the view is dropped.
    let writer = {
        let cow = cow.clone();
        spawn_waiter(move || cow.update_region(0, b"private"))
    };
    writer.assert_blocked("a private write under a read-only handle's view");
    assert_eq!(other[0], 0);
    drop(other);
    writer.finish("the private write").unwrap();
    assert_eq!(&*cow.as_slice(0, 7).unwrap(), b"private");
    assert_eq!(&*ro.as_slice(0, 7).unwrap(), &[0; 7], "never the file");
}

#[test]
fn beside_a_read_write_handle_copied_pages_keep_the_private_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "rw.bin", &[0; 8192]);
    let cow = MemoryMappedFile::open_cow_writable(&path).unwrap();
    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    cow.update_region(0, b"mine").unwrap();
    rw.update_region(0, b"file").unwrap();
    assert_eq!(&*cow.as_slice(0, 4).unwrap(), b"mine");
    assert_eq!(&*rw.as_slice(0, 4).unwrap(), b"file");
    rw.flush().unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[..4], b"file");
}

#[test]
fn operations_a_private_mapping_cannot_offer_refuse_with_invalid_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "r.bin", b"abcd");
    let cow = MemoryMappedFile::open_cow_writable(&path).unwrap();
    assert_invalid_mode(cow.resize(8), "resize", MmapMode::CopyOnWrite);
    // A bare borrow could not keep the `&self` writes out.
    assert!(matches!(
        cow.as_slice_bytes(0, 4),
        Err(MmapIoError::InvalidMode { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), b"abcd");
}

#[test]
fn walks_pointers_and_atomic_views_write_private_pages_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "p.bin", &[0; 64]);
    // Read-write first: then the file's mapping is writable from the start
    // (made writable later, it would have to wait for the atomic mode).
    let rw = MemoryMappedFile::open_rw(&path).unwrap();
    let cow = MemoryMappedFile::open_cow_writable(&path).unwrap();

    #[cfg(feature = "iterator")]
    {
        cow.chunks_mut(16)
            .for_each_mut(|offset, chunk| {
                chunk.fill(offset as u8 + 1);
                Ok(())
            })
            .unwrap();
        assert_eq!(&*cow.as_slice(15, 2).unwrap(), &[1, 17]);
        // The walk's own calls on the file refuse instead of waiting for it.
        cow.chunks_mut(64)
            .for_each_mut(|_, _| {
                assert!(matches!(
                    rw.as_slice(0, 1),
                    Err(MmapIoError::WouldDeadlock { .. })
                ));
                assert!(matches!(
                    cow.update_region(0, b"x"),
                    Err(MmapIoError::WouldDeadlock { .. })
                ));
                Ok(())
            })
            .unwrap();
        assert!(matches!(
            cow.chunks_mut(0).for_each_mut(|_, _| Ok(())),
            Err(MmapIoError::InvalidChunkSize)
        ));
    }

    // SAFETY: no view of the mapping lives and no other thread uses it.
    unsafe { cow.as_mut_ptr().unwrap().add(1).write(b'p') };
    assert_eq!(cow.as_slice(1, 1).unwrap()[0], b'p');

    #[cfg(feature = "atomic")]
    {
        use std::sync::atomic::Ordering;
        let private = cow.atomic_u64(32).unwrap();
        let before = private.fetch_add(5, Ordering::Relaxed);
        // The file's atomic mode is shared: a read-write handle's atomic
        // view joins it, and sees the file's bytes, not the private ones.
        let shared = rw.atomic_u64(32).unwrap();
        assert_eq!(shared.load(Ordering::Relaxed), 0);
        assert!(matches!(
            rw.as_slice(0, 1),
            Err(MmapIoError::WouldDeadlock { .. })
        ));
        drop((private, shared));
        let mut bytes = [0; 8];
        cow.read_into(32, &mut bytes).unwrap();
        assert_eq!(u64::from_ne_bytes(bytes), before + 5);
        assert!(matches!(
            cow.atomic_u64(3),
            Err(MmapIoError::Misaligned { .. })
        ));
        assert_oob(cow.atomic_u64(64).map(|_| ()), 64, 8, 64);
    }

    assert_eq!(cow.pending_bytes(), 0, "private bytes are never pending");
    rw.flush().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), vec![0; 64]);
}
