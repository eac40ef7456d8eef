//! `lock`, `unlock`, `lock_all`, `unlock_all` (feature `locking`): success
//! on small mappings in every mode, page rounding (checked against the
//! kernel's own locked spans in `/proc/self/smaps`), exact bounds
//! errors, and a clear `LockFailed` when `RLIMIT_MEMLOCK` refuses — shown in
//! a child process that has lost `CAP_IPC_LOCK` (root bypasses the limit).
#![cfg(feature = "locking")]

mod common;

use mmapio::MemoryMappedFile;

use common::{assert_oob, base_addr, file_with};

fn page() -> u64 {
    mmapio::page_size() as u64
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 253) as u8).collect()
}

/// The `/proc/self/smaps` entry (VMA) containing `addr`: `(size, locked)`
/// in bytes, where `locked` is the whole size when the entry's `VmFlags`
/// has `lo` (`VM_LOCKED`) and 0 otherwise. `mlock` of part of a mapping
/// splits it into separate entries, so an entry's size shows the locked
/// span exactly. The flag, not the `Locked:` field, because `Locked:` is
/// counted in proportional (PSS) terms: it halved on a CI machine where the
/// file's pages were mapped twice.
#[cfg(target_os = "linux")]
fn vma_at(addr: usize) -> (u64, u64) {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut inside = false;
    let (mut size, mut flags) = (None, None);
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-') {
            if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                if inside {
                    break;
                }
                inside = (a..b).contains(&addr);
                continue;
            }
        }
        if inside {
            let mut parts = line.split_whitespace();
            match parts.next() {
                Some("Size:") => {
                    size = parts
                        .next()
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(|v| v * 1024)
                }
                Some("VmFlags:") => flags = Some(parts.any(|flag| flag == "lo")),
                _ => {}
            }
        }
    }
    let size = size.unwrap_or_else(|| panic!("no smaps entry with Size for {addr:#x}"));
    let locked = flags.unwrap_or_else(|| panic!("no smaps entry with VmFlags for {addr:#x}"));
    (size, if locked { size } else { 0 })
}

#[cfg(not(target_os = "linux"))]
fn vma_at(_addr: usize) -> (u64, u64) {
    unreachable!("only called on Linux")
}

const LINUX: bool = cfg!(target_os = "linux");

#[test]
fn lock_all_and_unlock_all_on_small_mappings_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let total = 16 * page() + 100; // partial last page
    let rounded = 17 * page();
    let data = pattern(total as usize);
    let rw = MemoryMappedFile::open_rw(file_with(&dir, "rw.bin", &data)).unwrap();
    let ro = MemoryMappedFile::open_ro(file_with(&dir, "ro.bin", &data)).unwrap();
    #[cfg_attr(not(feature = "cow"), allow(unused_mut))]
    let mut maps = vec![rw, ro];
    #[cfg(feature = "cow")]
    maps.push(MemoryMappedFile::open_cow(file_with(&dir, "cow.bin", &data)).unwrap());
    for map in &maps {
        let addr = base_addr(map);
        map.lock_all()
            .unwrap_or_else(|e| panic!("{:?} lock_all: {e}", map.mode()));
        if LINUX {
            assert_eq!(
                vma_at(addr),
                (rounded, rounded),
                "{:?}: whole mapping locked",
                map.mode()
            );
        }
        assert_eq!(map.as_slice(0, total).unwrap(), &data[..]);
        map.unlock_all().unwrap();
        if LINUX {
            assert_eq!(
                vma_at(addr).1,
                0,
                "{:?}: unlock_all left pages locked",
                map.mode()
            );
        }
        // Ranged forms over the whole mapping.
        map.lock(0, total).unwrap();
        if LINUX {
            assert_eq!(vma_at(addr), (rounded, rounded));
        }
        map.unlock(0, total).unwrap();
        // Unlocking what is not locked is fine.
        map.unlock(0, total).unwrap();
        map.unlock_all().unwrap();
        if LINUX {
            assert_eq!(vma_at(addr).1, 0);
        }
    }
    // The read-write mapping still writes normally while locked.
    maps[0].lock_all().unwrap();
    maps[0].update_region(5, b"locked write").unwrap();
    assert_eq!(maps[0].as_slice(5, 12).unwrap(), b"locked write");
    maps[0].unlock_all().unwrap();
}

#[test]
fn lock_rounds_unaligned_ranges_out_to_whole_pages() {
    let dir = tempfile::tempdir().unwrap();
    let p = page();
    let total = 8 * p;
    let map =
        MemoryMappedFile::open_rw(file_with(&dir, "round.bin", &pattern(total as usize))).unwrap();
    let addr = base_addr(&map);
    let at = |o: u64| addr + o as usize;

    // Ten bytes inside page 1 lock exactly page 1.
    map.lock(p + 904, 10).unwrap();
    if LINUX {
        assert_eq!(vma_at(at(p)), (p, p), "page 1 alone is locked");
        assert_eq!(vma_at(at(0)).1, 0, "page 0 is not locked");
        assert_eq!(vma_at(at(2 * p)).1, 0, "page 2 is not locked");
    }
    map.unlock(p + p - 1, 1).unwrap();
    if LINUX {
        assert_eq!(vma_at(at(p)).1, 0, "unlock of the last byte unlocks page 1");
    }

    // Two bytes straddling a page boundary lock both pages.
    map.lock(3 * p - 1, 2).unwrap();
    if LINUX {
        assert_eq!(
            vma_at(at(2 * p)),
            (2 * p, 2 * p),
            "pages 2 and 3 are locked"
        );
        assert_eq!(vma_at(at(4 * p)).1, 0);
    }
    map.unlock_all().unwrap();

    // The last byte locks the last page.
    map.lock(total - 1, 1).unwrap();
    if LINUX {
        assert_eq!(vma_at(at(total - 1)), (p, p));
    }
    map.unlock_all().unwrap();

    // Zero-length ranges do nothing, anywhere up to len().
    for offset in [0, 7, p + 3, total] {
        map.lock(offset, 0).unwrap();
        map.unlock(offset, 0).unwrap();
    }
    if LINUX {
        assert_eq!(
            vma_at(addr),
            (total, 0),
            "a zero-length lock locked something"
        );
    }
}

#[test]
fn lock_and_unlock_bounds_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let total = 3 * page() + 17;
    let map =
        MemoryMappedFile::open_rw(file_with(&dir, "bounds.bin", &pattern(total as usize))).unwrap();
    let ro = MemoryMappedFile::open_ro(file_with(&dir, "bounds-ro.bin", &pattern(total as usize)))
        .unwrap();
    for m in [&map, &ro] {
        for (offset, len) in [
            (u64::MAX, 0),
            (u64::MAX, 1),
            (0, u64::MAX),
            (1, u64::MAX),
            (u64::MAX, u64::MAX),
            (total, 1),
            (total + 1, 0),
            (1, total),
            (total - 1, 2),
        ] {
            assert_oob(m.lock(offset, len), offset, len, total);
            assert_oob(m.unlock(offset, len), offset, len, total);
        }
        m.lock(total, 0).unwrap();
        m.lock(total - 1, 1).unwrap();
        m.unlock(total - 1, 1).unwrap();
    }
    if LINUX {
        assert_eq!(vma_at(base_addr(&map)).1, 0);
    }
}

#[test]
fn locking_an_empty_mapping_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let map = MemoryMappedFile::open_ro(file_with(&dir, "empty.bin", b"")).unwrap();
    map.lock_all().unwrap();
    map.unlock_all().unwrap();
    map.lock(0, 0).unwrap();
    assert_oob(map.lock(0, 1), 0, 1, 0);
    assert_oob(map.unlock(1, 0), 1, 0, 0);
}

#[test]
fn resize_drops_the_locks_of_the_old_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let map =
        MemoryMappedFile::open_rw(file_with(&dir, "resize.bin", &pattern(4 * page() as usize)))
            .unwrap();
    map.lock_all().unwrap();
    if LINUX {
        assert_eq!(vma_at(base_addr(&map)).1, 4 * page());
    }
    map.resize(6 * page()).unwrap();
    let addr = base_addr(&map);
    if LINUX {
        assert_eq!(vma_at(addr).1, 0, "the new mapping should start unlocked");
    }
    map.lock(4 * page(), 2 * page()).unwrap();
    if LINUX {
        assert_eq!(vma_at(addr + 4 * page() as usize), (2 * page(), 2 * page()));
    }
    map.unlock_all().unwrap();
}

// ------------------------------------------------ refusal: RLIMIT_MEMLOCK = 0

#[cfg(target_os = "linux")]
mod refused {
    use std::os::unix::process::CommandExt;
    use std::time::Duration;

    use mmapio::{MemoryMappedFile, MmapIoError};

    const CHILD_ENV: &str = "MMAPIO_LOCKING_TEST_CHILD";
    const MARKER: &str = "MMAPIO-CHILD: LockFailed under RLIMIT_MEMLOCK=0 confirmed";
    /// `CAP_IPC_LOCK` (linux/capability.h); libc has no constant for it.
    const CAP_IPC_LOCK: libc::c_ulong = 14;
    const CHILD_WITHIN: Duration = Duration::from_secs(20);

    /// Whether `cap` is in this process's effective set.
    fn has_effective_cap(cap: u32) -> bool {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let hex = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .expect("CapEff in /proc/self/status")
            .trim();
        let bits = u64::from_str_radix(hex, 16).unwrap();
        bits & (1 << cap) != 0
    }

    fn expect_lock_failed(result: mmapio::Result<()>, offset: u64, len: u64) {
        match result {
            Err(MmapIoError::LockFailed {
                offset: o,
                len: l,
                source,
            }) => {
                assert_eq!(
                    (o, l),
                    (offset, len),
                    "LockFailed must carry the rounded range"
                );
                let errno = source.raw_os_error();
                assert!(
                    [Some(libc::EPERM), Some(libc::ENOMEM), Some(libc::EAGAIN)].contains(&errno),
                    "unexpected errno in LockFailed: {source} ({errno:?})"
                );
                println!("LockFailed {{ offset: {o}, len: {l}, source: {source} }}");
            }
            other => {
                panic!("expected LockFailed {{ offset: {offset}, len: {len} }}, got {other:?}")
            }
        }
    }

    /// The part run in the child: no `CAP_IPC_LOCK`, `RLIMIT_MEMLOCK` = 0.
    fn child() {
        assert!(
            !has_effective_cap(CAP_IPC_LOCK as u32),
            "child still has CAP_IPC_LOCK: the refusal cannot be demonstrated"
        );
        let mut lim = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: getrlimit writes into the struct we pass.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut lim) },
            0
        );
        assert_eq!(lim.rlim_cur, 0, "RLIMIT_MEMLOCK was not lowered to 0");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refused.bin");
        let total = 1u64 << 20;
        let map = MemoryMappedFile::create_rw(&path, total).unwrap();
        map.update_region(0, b"still usable").unwrap();

        expect_lock_failed(map.lock_all(), 0, total);
        let p = super::page();
        expect_lock_failed(map.lock(p + 904, 10), p, p);
        expect_lock_failed(map.lock(3 * p - 1, 2), 2 * p, 2 * p);
        expect_lock_failed(map.lock(total - 1, 1), total - p, p);
        // Errors that are not the kernel's come first and stay exact.
        super::assert_oob(map.lock(total, 1), total, 1, total);
        // Zero-length requests never reach mlock.
        map.lock(5, 0).unwrap();
        // Unlocking needs no privilege, and the mapping still works.
        map.unlock_all().unwrap();
        assert_eq!(map.as_slice(0, 12).unwrap(), b"still usable");

        let ro = MemoryMappedFile::open_ro(&path).unwrap();
        expect_lock_failed(ro.lock_all(), 0, total);
        println!("{MARKER}");
    }

    #[test]
    fn lock_failed_when_rlimit_memlock_refuses() {
        if std::env::var_os(CHILD_ENV).is_some() {
            child();
            return;
        }
        let mut command = crate::common::child_test_command(
            "refused::lock_failed_when_rlimit_memlock_refuses",
            CHILD_ENV,
        );
        // SAFETY: the hook runs between fork and exec and only makes raw
        // system calls (prctl, setrlimit) and builds `io::Error`s from error
        // numbers, none of which allocate or take locks.
        unsafe {
            command.pre_exec(|| {
                // Root bypasses RLIMIT_MEMLOCK through CAP_IPC_LOCK; remove it
                // from the bounding set so the exec'd child does not regain it.
                // Without CAP_SETPCAP (not root) this fails with EPERM, and then
                // the process has no CAP_IPC_LOCK to lose (the child checks).
                if libc::prctl(
                    libc::PR_CAPBSET_DROP,
                    CAP_IPC_LOCK,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                ) != 0
                {
                    let err = std::io::Error::last_os_error();
                    if err.raw_os_error() != Some(libc::EPERM) {
                        return Err(err);
                    }
                }
                // Ambient capabilities would survive exec; clear them (EINVAL
                // on kernels without ambient capabilities is fine).
                let _ = libc::prctl(
                    libc::PR_CAP_AMBIENT,
                    libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                );
                let zero = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::setrlimit(libc::RLIMIT_MEMLOCK, &zero) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("spawn the child test process");
        let (status, out, err) =
            crate::common::wait_with_output_within(child, CHILD_WITHIN, "the child test");
        println!("--- child stdout\n{out}--- child stderr\n{err}---");
        assert!(status.success(), "child failed ({status}):\n{out}\n{err}");
        assert!(
            out.contains(MARKER),
            "the child did not run the locking branch:\n{out}\n{err}"
        );
        assert!(out.contains("1 passed"), "the child ran no test:\n{out}");
        // The parent itself is unaffected by the child's limits.
        let dir = tempfile::tempdir().unwrap();
        let map = MemoryMappedFile::create_rw(dir.path().join("parent.bin"), 4096).unwrap();
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            map.lock_all().expect("root can still lock in the parent");
            map.unlock_all().unwrap();
        }
    }
}
