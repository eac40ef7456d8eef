//! Platform layer for targets without a Unix `sysconf`.

/// The page size assumed where the OS cannot be asked. 4096 bytes is the
/// smallest page of every mainstream platform, so page walks never skip one.
pub(crate) fn page_size() -> usize {
    4096
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

/// Memory locking is not implemented on this platform.
///
/// # Safety
/// Same contract as the Unix version; nothing is dereferenced here.
#[cfg_attr(not(feature = "locking"), allow(dead_code))]
pub(crate) unsafe fn mlock(_addr: *const u8, _len: usize, _lock: bool) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}
