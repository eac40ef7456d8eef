//! The three ways a file can be mapped.

/// How a [`MemoryMappedFile`](crate::MemoryMappedFile) maps its file.
///
/// | mode | reads | writes | writes reach the file | locking |
/// |---|---|---|---|---|
/// | `ReadOnly` | zero-copy, behind the file's reader gate | refused | — | the file's reader gate, shared with its read-write handles |
/// | `ReadWrite` | zero-copy, behind the file's reader gate | `update_region`, `as_slice_mut`, `chunks_mut` | yes, durable after `flush` | reader gate, so `resize` is safe |
/// | `CopyOnWrite` | zero-copy, behind the file's reader gate | private, through `&mut` (`cow_update_region`) | never | the file's reader gate, which keeps the file's writers out |
///
/// `CopyOnWrite` needs the `cow` feature; without it, opening in that mode
/// returns [`MmapIoError::InvalidMode`](crate::MmapIoError::InvalidMode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MmapMode {
    /// Shared, read-only mapping.
    ReadOnly,
    /// Shared, writable mapping: writes go to the file.
    ReadWrite,
    /// Private mapping: the file is never modified through it.
    CopyOnWrite,
}

impl std::fmt::Display for MmapMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MmapMode::ReadOnly => "read-only",
            MmapMode::ReadWrite => "read-write",
            MmapMode::CopyOnWrite => "copy-on-write",
        })
    }
}
