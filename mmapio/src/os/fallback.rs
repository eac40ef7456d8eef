//! Platform layer for targets without a Unix `sysconf`.

/// The page size assumed where the OS cannot be asked. 4096 bytes is the
/// smallest page of every mainstream platform, so page walks never skip one.
pub(crate) fn page_size() -> usize {
    4096
}
