//! Compatibility tests for `mmapio` as a drop-in replacement of the
//! `mmap-io` crate (version 1.1.0).
//!
//! This crate has no code of its own. Its tests (`tests/*.rs`) depend on
//! `mmapio` renamed, the way a user switches:
//!
//! ```toml
//! mmap-io = { package = "mmapio", path = "..", features = [...] }
//! ```
//!
//! and are written the way an mmap-io 1.1.0 user writes code: every public
//! item of mmap-io's `public-api.txt` that `mmapio` has a counterpart for is
//! named by its mmap-io path (`mmap_io::mmap::MemoryMappedFile`,
//! `mmap_io::errors::Result`, `mmap_io::iterator::ChunkIterator`, ...) and
//! used with mmap-io's signature, often with the return type bound
//! explicitly, and its behaviour is checked. A change to `mmapio` that
//! breaks a path, a signature or a behaviour mmap-io code relies on makes
//! these tests fail to build or fail.
//!
//! Items `mmapio` intentionally lacks (`for_each_mut_legacy`,
//! `MmapIoError::UnlockFailed`, tuple variants of `MmapIoError`, building a
//! `ChangeEvent` by struct literal) would not compile and are not used here.

#![deny(missing_docs)]
