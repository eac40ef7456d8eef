//! # mmapio — safe, zero-copy memory-mapped file I/O
//!
//! `mmapio` maps a file into memory and lets safe Rust read and write it
//! without copying, in three modes:
//!
//! * **read-only** ([`MemoryMappedFile::open_ro`]) — zero-copy reads
//!   behind the file's reader gate (see "Reader gate and fairness"), which
//!   lets a read-write handle of the same file join at any time;
//! * **read-write** ([`MemoryMappedFile::create_rw`],
//!   [`MemoryMappedFile::open_rw`]) — the same reads, writes that exclude
//!   them, `resize`, and durable `flush`;
//! * **copy-on-write** (`MemoryMappedFile::open_cow`, feature `cow`) —
//!   a private mapping that never modifies the file; opened with
//!   `open_cow_writable`, its `&self` write methods change its private
//!   pages.
//!
//! ```
//! use mmapio::{MemoryMappedFile, FlushPolicy};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("quick.bin");
//! let map = MemoryMappedFile::builder(&path)
//!     .size(1 << 20)
//!     .flush_policy(FlushPolicy::EveryBytes(64 * 1024))
//!     .create()?;
//! map.update_region(0, b"hello, mapped world")?;
//! map.flush()?; // msync(MS_SYNC): durable when this returns
//! assert_eq!(map.flush_stats().flushes, 1);
//!
//! let view = map.as_slice(7, 6)?; // zero-copy
//! assert_eq!(view, b"mapped");
//! # drop(view);
//! # #[cfg(feature = "iterator")]
//! let total: u64 = map.chunks(4096).map(|c| c.iter().map(|&b| b as u64).sum::<u64>()).sum();
//! # Ok::<(), mmapio::MmapIoError>(())
//! ```
//!
//! ## Soundness rules
//! * A view ([`MappedSlice`], [`MappedSliceMut`], iterator items) borrows the
//!   handle it came from and, in every mode, holds a share of the file's
//!   *reader gate*, so it can never outlive the mapping or see it move or
//!   change: `resize` and every writer, through any handle of the file,
//!   wait for every view to be dropped. Views are `!Send`: a view is
//!   released on the thread that took it.
//! * Every ranged method checks `offset + len` with checked arithmetic: any
//!   `u64` gives a result or [`MmapIoError::OutOfBounds`], never a panic.
//! * A write, `resize`, `as_slice_mut`, `chunks_mut` walk or atomic view
//!   asked for by a thread that holds a view of the same file itself — a
//!   [`MappedSlice`], an iterator or one of its items, an
//!   [`MmapReader`], through any handle of the file — returns
//!   [`MmapIoError::WouldDeadlock`] instead of waiting for itself (the
//!   gate counts each thread's views of 8 files at once in slots of the
//!   thread's own, and those of 16 more in a private table; views beyond
//!   those are not seen). So do reads by the thread that holds a
//!   [`MappedSliceMut`] or is inside a `for_each_mut` walk; `flush` from
//!   such a thread simply runs. Still not detected: `chunks()`/`pages()`
//!   or [`MemoryMappedFile::reader`] asked for by the thread that holds an
//!   atomic view, which may be held for another thread as well.
//!
//! ## Reader gate and fairness
//! Each mapped file has one reader gate, shared by all its handles, of
//! every mode, in this process. A view announces itself in a slot of its own thread (one
//! cache line per thread, written by no other thread) and checks that the
//! gate is *biased*; it writes no cache line that other threads write, so
//! reads of a read-write mapping cost about what reads of a read-only one
//! do. A writer takes the gate's lock, turns the bias off, issues a
//! process-wide memory barrier (`membarrier` on Linux,
//! `FlushProcessWriteBuffers` on Windows; elsewhere, and under Wine, views
//! pay a full fence instead) and waits for the views that announced themselves to end.
//!
//! **Writers are never starved.** Once a writer waits, views that start
//! afterwards queue behind it; it waits only for the views that were live
//! when it arrived (and for views a thread nests inside one of those: a
//! thread that always keeps one view of the file live keeps writers out,
//! as a held lock would). A new gate starts without the bias, and the
//! bias comes (back) on only after 4 views through the lock and once the
//! gate has stayed without it for as long as the last revocation took: a
//! file written between every view or two never pays a revocation per
//! write, and however reads and writes mix, revocations cost at most about
//! half the time (a longer pause would make more views take the slower
//! lock path). [`MemoryMappedFile::bias_revocations`] counts them.
//! `MMAPIO_READER_GATE=fence` or `=lock` in the environment, read once per
//! process, forces the portable fence or no bias at all.
//!
//! ## Handles of one file
//! Every open goes through a process-wide registry keyed by the file's
//! identity (device and inode on Unix; volume serial number and file index
//! on Windows), so the same file opened twice, under any path, is never two
//! independent mappings that could change bytes under each other's views:
//!
//! | already mapped in this process | `open_rw` / `create_rw` / `write_mmap` | `open_ro` | `open_cow` |
//! |---|---|---|---|
//! | nothing | new state | new state | new state, and a private mapping over it |
//! | any handle | **shares** it | **shares** it | a private mapping over it |
//!
//! Every handle of a file, in any mode and opened in any order, takes part
//! in the file's one reader gate: read-only and read-write handles share
//! its mapping too, and a copy-on-write handle's views of its private
//! mapping pass the same gate. So writes, `resize`, atomic views and
//! `as_slice_mut` through any handle wait for the live views of every
//! handle of the file, whatever its mode. A state made by a read-only or
//! copy-on-write open is mapped again, writable, by the first write through
//! a read-write handle, which (like any write) waits for the views live
//! then; the open itself never waits. When a read-write handle shrinks the
//! file, every handle's views end at the new length (a copy-on-write
//! mapping keeps the length it was opened at, or less), so none reaches a
//! page past the end (`SIGBUS`).
//!
//! ```
//! use mmapio::MemoryMappedFile;
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("order.bin");
//! # std::fs::write(&path, [0u8; 8]).unwrap();
//! let ro = MemoryMappedFile::open_ro(&path)?;
//! let rw = MemoryMappedFile::open_rw(&path)?; // joins `ro`'s state
//! rw.update_region(0, b"both")?;
//! assert_eq!(&*ro.as_slice(0, 4)?, b"both");
//! # Ok::<(), mmapio::MmapIoError>(())
//! ```
//!
//! One thing is refused, with [`MmapIoError::HandleConflict`]: a
//! read-write handle while a read-only or copy-on-write handle of the file
//! lends bare borrows ([`MemoryMappedFile::as_slice_bytes`], or
//! `cow_slice_mut`), which no gate counts; a handle that lent them keeps
//! read-write opens out until it and its clones are dropped, and cannot
//! lend while a read-write handle lives. A copy-on-write mapping's pages
//! not yet copied show the file's later changes, as with any private
//! mapping. The state, and the registry entry, go away with the last
//! handle. Handles that share
//! a state share its length and flush counters; each keeps its own path,
//! flush policy, touch hint and huge-page request.
//!
//! ## External modification
//! What the crate cannot prevent: another process, or `std::fs` in this
//! one, changing or truncating a mapped file. Bytes written that way show
//! up in views without warning, and touching a page past a new, shorter
//! end raises `SIGBUS`, which kills the process and cannot be turned into
//! an error by any safe wrapper. `mmapio` maps the file's length at open,
//! re-checks the length before every page walk, the eager touch at open
//! included ([`MemoryMappedFile::touch_pages`] returns
//! [`MmapIoError::FileTruncated`] instead of faulting) and offers
//! [`MemoryMappedFile::check_file_len`]. Cooperating processes can keep off
//! each other's files with the advisory lock of
//! [`MmapBuilder::lock_file`]: shared for read-only and copy-on-write
//! mappings, exclusive for read-write ones.
//!
//! ## Zero lengths
//! Creating or resizing to 0 bytes is [`MmapIoError::InvalidSize`]; an
//! existing empty file opens as an empty mapping. Zero-length ranges are
//! valid at every offset up to and including `len()` and do nothing.
//!
//! ## Platforms
//! Linux, macOS and Windows. On Windows:
//! * shrinking a mapped file is refused by the OS, so
//!   [`MemoryMappedFile::resize`] to a smaller length unmaps, cuts and maps
//!   again; for the same reason another program cannot truncate a file
//!   mapped here, so the `SIGBUS` case above does not arise;
//! * [`flush`](MemoryMappedFile::flush) is `FlushViewOfFile` then
//!   `FlushFileBuffers`;
//! * advice is range- and mode-checked, then ignored (there is no
//!   `madvise`); locking is `VirtualLock`/`VirtualUnlock`;
//! * handles of one file are recognised by volume serial number and file
//!   index;
//! * watching reports permission changes as `Modified` and may report a
//!   removal only once the mapping is dropped (see `ChangeKind`).
//!
//! ## Raw mappings
//! [`raw`] is the one `unsafe` corner: thin wrappers over `memmap2` with the
//! API of the `raw` module of `mmap-io`, for code migrating from it. They
//! leave the file's stability to the caller, which is why their file
//! constructors are `unsafe fn`; everything else in this crate is the safe
//! API described above.
//!
//! ## Coming from mmap-io
//! Code written against mmap-io 1.1.0 compiles against this crate with the
//! dependency renamed (`mmap-io = { package = "mmapio", ... }`): its module
//! paths ([`mmap`], [`errors`], [`flush`](mod@flush), [`segment`], `iterator`,
//! [`utils`], [`manager`], `atomic`, `advise`, `lock`, `watch`,
//! [`anonymous`], [`raw`]), type names ([`mmap::MemoryMappedFileBuilder`],
//! `iterator::ChunkIterator`, ...) and methods are here, as are the 0.9.7
//! call shapes:
//!
//! ```
//! use mmapio as mmap_io; // what the renamed dependency does
//! use mmap_io::{mmap::MemoryMappedFile, MmapIoError};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("shapes.bin");
//! let mmap = MemoryMappedFile::create_rw(&path, 10_000)?;
//! # #[cfg(feature = "iterator")]
//! for chunk in mmap.chunks(4096) {
//!     assert!(chunk.len() <= 4096); // bytes, not chunks
//! }
//! # #[cfg(feature = "iterator")]
//! mmap.chunks_mut(4096).for_each_mut(|_offset, chunk| {
//!     std::io::Write::write_all(&mut &mut chunk[..], b"header")?; // io::Error -> MmapIoError
//!     Ok(())
//! })?;
//! # Ok::<(), MmapIoError>(())
//! ```
//!
//! Where following mmap-io would lose data or be unsound, this crate
//! differs on purpose; `docs/MIGRATING.md` in the repository maps every
//! public item of mmap-io 1.1.0 and explains each difference.
//!
//! ## Cargo features
//! * `iterator` (default): `MemoryMappedFile::chunks`, `pages`,
//!   `chunks_owned`, `pages_owned`, `chunks_mut`.
//! * `cow`: copy-on-write mappings (`MemoryMappedFile::open_cow`,
//!   `open_cow_writable`) and their private writes (`cow_update_region`,
//!   `cow_slice_mut`, and on a writable one every `&self` write method).
//! * `advise` (default): `advise` (`madvise` over page-rounded ranges) and
//!   `prefetch_range` (`posix_fadvise`).
//! * `locking`: `lock`, `unlock`, `lock_all`, `unlock_all` (`mlock`).
//! * `atomic`: `atomic_u64`, `atomic_u32` and their slice forms, under the
//!   atomic-mode rule described on `AtomicView`.
//! * `hugepages`: `huge_page_report`, which measures from
//!   `/proc/self/smaps` what a `huge_pages(true)` request obtained.
//! * `bytes`: `MemoryMappedFile::read_bytes` and `From<MappedSlice>` for
//!   `bytes::Bytes` (both copy, since `Bytes` is `'static`).
//! * `watch`: `MemoryMappedFile::watch` calls back when others change the
//!   file (`Modified`, `Metadata`, `Removed`), through the `notify` crate
//!   (inotify on Linux), until the returned `WatchHandle` is dropped.
//! * `async`: `MemoryMappedFile::update_region_async`, `flush_async` and
//!   `flush_range_async`: `Send + 'static` futures that run the blocking
//!   methods on the `blocking` crate's thread pool, on any executor.
//!
//! On Unix, `MemoryMappedFile` implements `AsFd` and `AsRawFd`.

#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

#[cfg(feature = "advise")]
mod advice;
pub mod anonymous;
#[cfg(feature = "async")]
mod async_ops;
#[cfg(feature = "atomic")]
pub mod atomic;
mod bounds;
mod builder;
#[cfg(feature = "bytes")]
mod bytes_support;
#[cfg(feature = "cow")]
mod cow;
mod cow_writable;
mod error;
pub mod flush;
mod gate;
#[cfg(feature = "hugepages")]
mod huge_pages;
#[cfg(feature = "iterator")]
mod iter;
#[cfg(feature = "locking")]
mod locking;
pub mod manager;
mod mapped_file;
mod mode;
mod nonblocking;
mod os;
mod pointers;
pub mod raw;
mod reader;
mod region;
mod registry;
pub mod segment;
mod shared_state;
mod touch;
pub mod utils;
mod views;
#[cfg(feature = "watch")]
pub mod watch;

#[cfg(test)]
mod miri_tests;

#[cfg(feature = "advise")]
pub use advice::MmapAdvice;
pub use bounds::validate_range;
pub use builder::MmapBuilder;
pub use error::{MmapIoError, Result};
pub use flush::{FlushPolicy, FlushStats};
#[cfg(feature = "iterator")]
pub use iter::{BorrowedChunks, Chunks, ChunksMut, ChunksOwned};
pub use mapped_file::MemoryMappedFile;
pub use mode::MmapMode;
pub use touch::TouchHint;
pub use views::{MappedSlice, MappedSliceMut};
// async_ops adds inherent methods only: nothing to re-export.
pub use anonymous::AnonymousMmap;
#[cfg(feature = "atomic")]
pub use atomic::{AtomicSliceView, AtomicView};
#[cfg(feature = "hugepages")]
pub use huge_pages::HugePageReport;
#[cfg(feature = "iterator")]
pub use iterator::{ChunkIterator, PageIterator};
pub use manager::{
    copy_mmap, create_mmap, delete_mmap, flush, load_mmap, update_region, write_mmap,
};
pub use reader::MmapReader;
pub use segment::{Segment, SegmentMut};
#[cfg(feature = "watch")]
pub use watch::{ChangeEvent, ChangeKind, WatchHandle};

/// The OS page size: the step of [`MemoryMappedFile::touch_pages`] and,
/// with the `iterator` feature, of `pages()`.
pub fn page_size() -> usize {
    os::page_size()
}

// The modules below give every item the path it has in mmap-io 1.1.0
// (`mmap_io::mmap::MemoryMappedFile`, `mmap_io::errors::Result`, ...), so
// code written against that crate compiles with the dependency renamed. The
// items themselves live in the modules above; `docs/MIGRATING.md` maps each
// one and lists the differences.

pub mod mmap {
    //! The mapping and its views, under mmap-io's module path
    //! (`mmap_io::mmap`). The same items are at the crate root.
    //!
    //! ```
    //! use mmapio::mmap::{MemoryMappedFile, MemoryMappedFileBuilder, MmapMode};
    //! # let dir = tempfile::tempdir().unwrap();
    //! # let path = dir.path().join("m.bin");
    //! let builder: MemoryMappedFileBuilder = MemoryMappedFile::builder(&path).size(8);
    //! let map = builder.create()?;
    //! assert_eq!(map.mode(), MmapMode::ReadWrite);
    //! # Ok::<(), mmapio::MmapIoError>(())
    //! ```
    pub use crate::builder::MmapBuilder as MemoryMappedFileBuilder;
    pub use crate::{
        MappedSlice, MappedSliceMut, MemoryMappedFile, MmapMode, MmapReader, TouchHint,
    };
}

pub mod errors {
    //! The error type, under mmap-io's module path (`mmap_io::errors`).
    pub use crate::error::{MmapIoError, Result};
}

#[cfg(feature = "iterator")]
pub mod iterator {
    //! The chunk and page iterators (feature `iterator`), under mmap-io's
    //! module path (`mmap_io::iterator`) and type names. mmap-io has one type
    //! for chunks and one for pages; here both are [`Chunks`] (and
    //! [`ChunksOwned`]), so the names below are aliases.
    //!
    //! ```
    //! use mmapio::iterator::{ChunkIterator, PageIterator};
    //! # let dir = tempfile::tempdir().unwrap();
    //! # let path = dir.path().join("i.bin");
    //! let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
    //! let chunks: ChunkIterator<'_> = map.chunks(4);
    //! assert_eq!(chunks.len(), 3);
    //! let pages: PageIterator<'_> = map.pages();
    //! assert_eq!(pages.len(), 1);
    //! # Ok::<(), mmapio::MmapIoError>(())
    //! ```
    pub use crate::iter::{BorrowedChunks, Chunks, ChunksMut, ChunksOwned};

    /// mmap-io's name for the iterator [`chunks`](crate::MemoryMappedFile::chunks) returns.
    pub type ChunkIterator<'a> = Chunks<'a>;
    /// mmap-io's name for the iterator [`pages`](crate::MemoryMappedFile::pages) returns.
    pub type PageIterator<'a> = Chunks<'a>;
    /// mmap-io's name for the walk [`chunks_mut`](crate::MemoryMappedFile::chunks_mut) returns.
    pub type ChunkIteratorMut<'a> = ChunksMut<'a>;
    /// mmap-io's name for the iterator [`chunks_owned`](crate::MemoryMappedFile::chunks_owned) returns.
    pub type ChunkIteratorOwned<'a> = ChunksOwned<'a>;
    /// mmap-io's name for the iterator [`pages_owned`](crate::MemoryMappedFile::pages_owned) returns.
    pub type PageIteratorOwned<'a> = ChunksOwned<'a>;
}

#[cfg(feature = "advise")]
pub mod advise {
    //! Access-pattern advice (feature `advise`), under mmap-io's module
    //! path (`mmap_io::advise`); the methods are
    //! [`MemoryMappedFile::advise`](crate::MemoryMappedFile::advise) and
    //! [`MemoryMappedFile::prefetch_range`](crate::MemoryMappedFile::prefetch_range).
    pub use crate::advice::MmapAdvice;
}

#[cfg(feature = "locking")]
pub mod lock {
    //! Memory locking (feature `locking`), under mmap-io's module path
    //! (`mmap_io::lock`). Like mmap-io's, this module holds no items: the
    //! methods are [`MemoryMappedFile::lock`], [`unlock`](MemoryMappedFile::unlock),
    //! [`lock_all`](MemoryMappedFile::lock_all) and
    //! [`unlock_all`](MemoryMappedFile::unlock_all).
    #[allow(unused_imports)] // for the intra-doc links above
    use crate::MemoryMappedFile;
}

// Compiles and runs the README's examples as doctests, so they cannot rot
// (they use the default `iterator` feature).
#[cfg(all(doctest, feature = "iterator"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// Compiles and runs the migration guide's examples (mmap-io code against
// this crate renamed), which use most features.
#[cfg(all(
    doctest,
    feature = "iterator",
    feature = "cow",
    feature = "atomic",
    feature = "async",
    feature = "watch",
    feature = "bytes",
    feature = "advise",
    feature = "locking",
    feature = "hugepages"
))]
#[doc = include_str!("../../docs/MIGRATING.md")]
struct MigratingDoctests;
