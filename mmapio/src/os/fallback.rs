//! Platform layer for targets without a Unix `sysconf`.

/// The page size assumed where the OS cannot be asked. 4096 bytes is the
/// smallest page of every mainstream platform, so page walks never skip one.
pub(crate) fn page_size() -> usize {
    4096
}

/// The alignment the file offset of a mapping has at the OS level: the
/// allocation granularity (`MapViewOfFile` offsets must be a multiple of
/// it, and memmap2 rounds down to it), 64 KiB on every current Windows.
#[cfg(windows)]
pub(crate) fn offset_granularity() -> std::io::Result<usize> {
    use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
    // SAFETY: an all-zero SYSTEM_INFO is a valid value (a plain C struct of
    // integers, a union of integers and null pointers).
    let mut info: SYSTEM_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: GetSystemInfo cannot fail; it only fills in the struct it is
    // given, which is valid and writable for the call.
    unsafe { GetSystemInfo(&mut info) };
    match usize::try_from(info.dwAllocationGranularity) {
        Ok(granularity) if granularity.is_power_of_two() => Ok(granularity),
        _ => Err(std::io::Error::other(format!(
            "GetSystemInfo reported an allocation granularity of {}",
            info.dwAllocationGranularity
        ))),
    }
}

/// No mapping backend (memmap2 has none here either): there is no
/// granularity to report.
#[cfg(not(windows))]
pub(crate) fn offset_granularity() -> std::io::Result<usize> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Advice kinds; advice is a no-op on this platform.
#[cfg_attr(not(feature = "advise"), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Advice {
    Normal,
    Random,
    Sequential,
    WillNeed,
    DontNeed,
}

/// Advice is only a hint; platforms without `madvise` ignore it.
///
/// # Safety
/// Same contract as the Unix version; nothing is dereferenced here.
#[cfg_attr(not(feature = "advise"), allow(dead_code))]
pub(crate) unsafe fn madvise(
    _addr: *const u8,
    _len: usize,
    _advice: Advice,
) -> std::io::Result<()> {
    Ok(())
}

/// Read-ahead hint; ignored where it does not exist.
#[cfg_attr(not(feature = "advise"), allow(dead_code))]
pub(crate) fn fadvise_will_need(
    _file: &std::fs::File,
    _offset: u64,
    _len: u64,
) -> std::io::Result<()> {
    Ok(())
}

/// `VirtualLock(addr, len)` (`lock == true`) or `VirtualUnlock(addr, len)`.
/// Unlocking pages that are not locked succeeds, as `munlock` does.
///
/// # Safety
/// Same contract as the Unix version: `addr..addr + len` lies within pages
/// of a mapping the caller keeps mapped for the call.
#[cfg(windows)]
#[cfg_attr(not(feature = "locking"), allow(dead_code))]
pub(crate) unsafe fn mlock(addr: *const u8, len: usize, lock: bool) -> std::io::Result<()> {
    use windows_sys::Win32::Foundation::ERROR_NOT_LOCKED;
    use windows_sys::Win32::System::Memory::{VirtualLock, VirtualUnlock};
    let addr = addr.cast::<std::ffi::c_void>();
    // SAFETY: forwarded under the caller's guarantees above; locking never
    // changes memory contents.
    let ok = unsafe {
        if lock {
            VirtualLock(addr, len)
        } else {
            VirtualUnlock(addr, len)
        }
    };
    if ok != 0 {
        return Ok(());
    }
    let error = std::io::Error::last_os_error();
    if !lock && error.raw_os_error() == Some(ERROR_NOT_LOCKED as i32) {
        return Ok(());
    }
    Err(error)
}

/// Memory locking is not implemented on this platform.
///
/// # Safety
/// Same contract as the Unix version; nothing is dereferenced here.
#[cfg(not(windows))]
#[cfg_attr(not(feature = "locking"), allow(dead_code))]
pub(crate) unsafe fn mlock(_addr: *const u8, _len: usize, _lock: bool) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The identity of an open file: volume serial number and file index,
/// which cannot be reused while this file is open.
#[cfg(windows)]
pub(crate) fn file_id(file: &std::fs::File) -> std::io::Result<crate::registry::FileId> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION,
    };
    // SAFETY: an all-zero BY_HANDLE_FILE_INFORMATION is a valid value (a
    // plain C struct of integers).
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is owned by `file`, borrowed for the call, and
    // `info` is a valid, writable struct of the type the call fills in.
    let ok = unsafe { GetFileInformationByHandle(file.as_raw_handle() as _, &mut info) };
    if ok == 0 {
        return Err(std::io::Error::last_os_error());
    }
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Ok(crate::registry::FileId::new(
        u64::from(info.dwVolumeSerialNumber),
        index,
    ))
}

/// Without a way to tell two opens of one file apart from two files, no
/// mapping could be shared safely: refuse to map.
#[cfg(not(windows))]
pub(crate) fn file_id(_file: &std::fs::File) -> std::io::Result<crate::registry::FileId> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Tries to take an advisory lock without waiting (`LockFileEx` with
/// `LOCKFILE_FAIL_IMMEDIATELY`); `Ok(false)` when another handle holds a
/// conflicting lock. The lock covers one byte far past any real file end,
/// so it never blocks reads or writes of the file's data (Windows byte-range
/// locks are mandatory for `ReadFile`/`WriteFile`).
#[cfg(windows)]
pub(crate) fn try_lock_file(file: &std::fs::File, exclusive: bool) -> std::io::Result<bool> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Foundation::ERROR_LOCK_VIOLATION;
    use windows_sys::Win32::Storage::FileSystem::{
        LockFileEx, UnlockFileEx, LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY,
    };
    use windows_sys::Win32::System::IO::OVERLAPPED;
    let handle = file.as_raw_handle() as _;
    let lock_offset = || {
        // SAFETY: an all-zero OVERLAPPED is valid; only its offset is set.
        let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
        overlapped.Anonymous.Anonymous.Offset = u32::MAX;
        overlapped.Anonymous.Anonymous.OffsetHigh = u32::MAX >> 1;
        overlapped
    };
    // A handle's lock does not convert between kinds: give back the one it
    // may hold first (failing when there is none is fine).
    let mut overlapped = lock_offset();
    // SAFETY: the handle is owned by `file`; `overlapped` lives for the call.
    unsafe { UnlockFileEx(handle, 0, 1, 0, &mut overlapped) };
    let flags = LOCKFILE_FAIL_IMMEDIATELY
        | if exclusive {
            LOCKFILE_EXCLUSIVE_LOCK
        } else {
            0
        };
    let mut overlapped = lock_offset();
    // SAFETY: as above; a synchronous handle completes the call before it
    // returns.
    let ok = unsafe { LockFileEx(handle, flags, 0, 1, 0, &mut overlapped) };
    if ok != 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    if exclusive {
        // Keep the shared lock this handle may have given up above.
        let mut overlapped = lock_offset();
        // SAFETY: as above.
        unsafe { LockFileEx(handle, LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &mut overlapped) };
    }
    if error.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) {
        Ok(false)
    } else {
        Err(error)
    }
}

/// Advisory locks are not implemented on this platform.
#[cfg(not(windows))]
pub(crate) fn try_lock_file(_file: &std::fs::File, _exclusive: bool) -> std::io::Result<bool> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}
