//! Raw memory maps: an `unsafe` escape hatch, a thin layer over `memmap2`.
//!
//! The rest of this crate is the safe API: [`MemoryMappedFile`] and its
//! views keep a mapping alive, locked and in bounds for as long as a slice
//! of it is borrowed, share one mapping between all handles of a file, and
//! turn every misuse into an error. This module does none of that. Its
//! types hand out plain `&[u8]` / `&mut [u8]` over a mapping whose bytes the
//! operating system lets anyone change, so the constructors that map a file
//! are `unsafe`, with the contract described on [`RawMmapOptions::map`].
//! Prefer [`MemoryMappedFile`]; reach for this module only where a raw
//! mapping is really needed.
//!
//! It exists for migration: it has the public API of the `raw` module of
//! the `mmap-io` crate (version 1.1.0), so code written against
//! `mmap_io::raw` builds against `mmapio::raw` once the crate name is
//! changed, and it follows `memmap2`, whose types it wraps, so that code
//! ports by renaming types:
//!
//! | `memmap2`     | `mmapio::raw`       |
//! |---------------|---------------------|
//! | `Mmap`        | [`RawMmap`]         |
//! | `MmapMut`     | [`RawMmapMut`]      |
//! | `MmapOptions` | [`RawMmapOptions`]  |
//!
//! ```
//! use std::fs::OpenOptions;
//! use mmapio::raw::{RawMmap, RawMmapMut};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("raw.bin");
//! let file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
//! file.set_len(16)?;
//!
//! // SAFETY: the file is private to this example: nothing else modifies or
//! // truncates it while it is mapped.
//! let mut rw = unsafe { RawMmapMut::map_mut(&file)? };
//! rw[..5].copy_from_slice(b"hello");
//! rw.flush()?;
//! drop(rw);
//!
//! // SAFETY: as above.
//! let ro = unsafe { RawMmap::map(&file)? };
//! assert_eq!(&ro[..5], b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What this layer adds to `memmap2`
//!
//! Checks, made before anything is mapped, flushed or advised, and answered with
//! `io::ErrorKind::InvalidInput` (never a panic, never a mapping that
//! faults):
//!
//! * A window that would reach past the end of the file is refused when it
//!   is mapped (memmap2 maps it, and touching its pages past the end raises
//!   `SIGBUS`).
//! * Every `(offset, len)` of `flush_range`, `flush_async_range` and
//!   `advise_range` is checked against the mapping with checked arithmetic
//!   (memmap2 checks these ranges only since 0.9.11, and its `advise_range`
//!   checks `offset` and `len` each against the length but not their sum).
//! * `MmapAdvice::DontNeed` is refused on private mappings (copy-on-write
//!   and anonymous), where the kernel would throw away their bytes while
//!   `&[u8]` borrows of them may be alive. On shared file mappings it is
//!   allowed: the bytes are read back unchanged from the page cache.
//!
//! Like memmap2 and `mmap-io`, it accepts any file offset: the OS mapping
//! starts at the offset rounded down to [`offset_granularity`] and the bytes
//! before the offset are hidden. Offsets that are a multiple of it waste no
//! address space. A mapping stays valid after the `File` it was made from
//! is dropped. `flush` is durable (`msync(MS_SYNC)`; `FlushViewOfFile` and
//! `FlushFileBuffers` on Windows); on private mappings, which have nothing
//! to write back, it only checks its range.
//!
//! # Platforms
//!
//! | | Unix | Windows | other targets |
//! |---|---|---|---|
//! | mapping | `mmap` (memmap2) | `MapViewOfFile` (memmap2) | `Unsupported` error |
//! | [`offset_granularity`] | the page size | the allocation granularity (64 KiB) | `Unsupported` error |
//! | `advise`, `advise_range` (feature `advise`) | `madvise` | range checked, then `Ok(())` | as Windows |
//! | `lock`, `unlock` (feature `locking`) | `mlock`, `munlock` | `Unsupported` error | `Unsupported` error |
//! | [`RawMmapOptions::populate`] | `MAP_POPULATE` on Linux and Android, else nothing | nothing | nothing |
//! | [`RawMmapOptions::huge`] | `MAP_HUGETLB` on Linux and Android, else nothing | nothing | nothing |
//!
//! Advice is a hint, which a platform without `madvise` may ignore, as
//! memmap2 does (its `advise` exists on Unix only); `mmap-io` also accepts
//! every advice on Windows (it turns `WillNeed` into a prefetch). A lock is
//! a promise, so where memmap2 cannot keep it the call fails with
//! `io::ErrorKind::Unsupported` rather than pretend; `mmap-io` uses
//! `VirtualLock` on Windows.
//!
//! [`MemoryMappedFile`]: crate::MemoryMappedFile

use std::fmt;
use std::fs::File;
use std::io;
use std::ops::{Deref, DerefMut};

#[cfg(feature = "advise")]
use crate::MmapAdvice;

/// The alignment the OS gives the file offset of a mapping: the page size
/// on Unix ([`page_size`](crate::page_size)), the allocation granularity on
/// Windows (64 KiB on every current version).
///
/// The constructors accept any offset and round it down to this internally
/// (the bytes before the offset are mapped but hidden), so no caller needs
/// it to map a file; offsets that are a multiple of it waste no address
/// space.
///
/// # Errors
///
/// `io::ErrorKind::Unsupported` on targets that are neither Unix nor
/// Windows, which have no mapping backend; an error if Windows reports a
/// granularity that is not a power of two.
///
/// ```
/// let granularity = mmapio::raw::offset_granularity()?;
/// assert!(granularity.is_power_of_two());
/// # #[cfg(unix)]
/// assert_eq!(granularity, mmapio::page_size());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn offset_granularity() -> io::Result<usize> {
    crate::os::offset_granularity()
}

/// Whose bytes a mapping shows: decides whether a flush has anything to
/// write back and whether `DontNeed` advice may change the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sharing {
    /// A shared mapping of a file (`map`, `map_mut`): writes reach the file.
    File,
    /// Memory of this mapping alone: copy-on-write (`map_copy`) or
    /// anonymous (`map_anon`).
    Private,
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// `Ok` when `len` bytes at `offset` lie inside a mapping of `total` bytes.
fn check_range(offset: usize, len: usize, total: usize) -> io::Result<()> {
    match offset.checked_add(len) {
        Some(end) if end <= total => Ok(()),
        _ => Err(invalid_input(format!(
            "range of {len} bytes at offset {offset} is outside the {total}-byte mapping"
        ))),
    }
}

/// `Ok` when a mapping of `len` bytes fits the address space (Rust slices
/// are at most `isize::MAX` bytes; this matters on 32-bit targets).
fn check_len(len: usize) -> io::Result<()> {
    if isize::try_from(len).is_ok() {
        Ok(())
    } else {
        Err(invalid_input(format!(
            "a mapping of {len} bytes does not fit in the address space"
        )))
    }
}

/// A window of a file, or an anonymous region, to map: its file offset, its
/// length and how to map it. The counterpart of memmap2's `MmapOptions`.
///
/// Without [`offset`](Self::offset) the window starts at the beginning of
/// the file; without [`len`](Self::len) it runs to the end of the file.
///
/// ```
/// use std::io::Write;
/// use mmapio::raw::RawMmapOptions;
/// let mut file = tempfile::tempfile()?;
/// file.write_all(b"0123456789")?;
/// // SAFETY: the temporary file is private to this example.
/// let window = unsafe { RawMmapOptions::new().offset(3).len(4).map(&file)? };
/// assert_eq!(&window[..], b"3456");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RawMmapOptions {
    offset: u64,
    len: Option<usize>,
    populate: bool,
    // Read only where memmap2 can ask for huge pages.
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    huge: bool,
}

impl RawMmapOptions {
    /// Options for the whole file: offset 0, to the end of the file, no
    /// flags.
    ///
    /// ```
    /// const OPTIONS: mmapio::raw::RawMmapOptions = mmapio::raw::RawMmapOptions::new();
    /// let anon = OPTIONS.map_anon()?;
    /// assert!(anon.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub const fn new() -> Self {
        Self {
            offset: 0,
            len: None,
            populate: false,
            huge: false,
        }
    }

    /// Starts the window at byte `offset` of the file. Any offset is
    /// accepted (see [`offset_granularity`]); it is checked against the
    /// file's length when the file is mapped. [`map_anon`](Self::map_anon)
    /// ignores it.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(b"abcdef")?;
    /// // SAFETY: the temporary file is private to this example.
    /// let tail = unsafe { mmapio::raw::RawMmapOptions::new().offset(2).map(&file)? };
    /// assert_eq!(&tail[..], b"cdef");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn offset(&mut self, offset: u64) -> &mut Self {
        self.offset = offset;
        self
    }

    /// Makes the window `len` bytes long, instead of running to the end of
    /// the file. The length of an anonymous mapping (0 when not set).
    ///
    /// ```
    /// let anon = mmapio::raw::RawMmapOptions::new().len(100).map_anon()?;
    /// assert_eq!(anon.len(), 100);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&mut self, len: usize) -> &mut Self {
        self.len = Some(len);
        self
    }

    /// Pre-faults the mapping when it is made (`MAP_POPULATE` on Linux and
    /// Android): a file mapping reads its pages in, an anonymous one
    /// allocates them, so first accesses do not fault. Elsewhere the option
    /// is accepted and does nothing.
    ///
    /// ```
    /// let anon = mmapio::raw::RawMmapOptions::new().len(8192).populate().map_anon()?;
    /// assert_eq!(anon.len(), 8192);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn populate(&mut self) -> &mut Self {
        self.populate = true;
        self
    }

    /// Backs an anonymous mapping ([`map_anon`](Self::map_anon)) with huge
    /// pages of the system's default size (`MAP_HUGETLB` on Linux and
    /// Android). Ignored by file mappings and on other platforms.
    ///
    /// Huge pages must have been reserved (`vm.nr_hugepages`); without them
    /// `map_anon` fails with the OS error (usually `ENOMEM`) and does not
    /// fall back to normal pages. The length is passed to the kernel as it
    /// is, so make it a multiple of the huge page size: the kernel rounds
    /// the mapping up, but memmap2 unmaps only the requested length, and
    /// `munmap` refuses a partial huge page, so the mapping would leak when
    /// dropped. (`mmap-io` rounds the length up itself.)
    ///
    /// ```
    /// let mut options = mmapio::raw::RawMmapOptions::new();
    /// options.len(2 * 1024 * 1024).huge();
    /// // On Linux this fails unless huge pages are reserved.
    /// if let Ok(map) = options.map_anon() {
    ///     assert_eq!(map.len(), 2 * 1024 * 1024);
    /// }
    /// ```
    pub fn huge(&mut self) -> &mut Self {
        self.huge = true;
        self
    }

    /// memmap2's options for this window of `file`, checked against the
    /// file's current length.
    fn file_options(&self, file: &File) -> io::Result<memmap2::MmapOptions> {
        let file_len = file.metadata()?.len();
        let Some(available) = file_len.checked_sub(self.offset) else {
            return Err(invalid_input(format!(
                "offset {} is past the end of the {file_len}-byte file",
                self.offset
            )));
        };
        let len = match self.len {
            // usize is at most 64 bits on every target Rust supports, so the
            // conversion cannot fail; u64::MAX would be refused anyway.
            Some(len) if u64::try_from(len).unwrap_or(u64::MAX) > available => {
                return Err(invalid_input(format!(
                    "a window of {len} bytes at offset {} runs past the end of the {file_len}-byte file",
                    self.offset
                )));
            }
            Some(len) => len,
            None => usize::try_from(available).map_err(|_| {
                invalid_input(format!(
                    "a window of {available} bytes does not fit in the address space"
                ))
            })?,
        };
        check_len(len)?;
        let mut options = memmap2::MmapOptions::new();
        options.offset(self.offset).len(len);
        if self.populate {
            options.populate();
        }
        Ok(options)
    }

    /// Maps the window of `file` read-only, shared with the file: changes
    /// others make to the file show through it.
    ///
    /// # Safety
    ///
    /// The mapping hands out `&[u8]` that Rust assumes nothing changes while
    /// it is borrowed, and the OS cannot make sure of it. For as long as the
    /// mapping (or anything made from it) lives, the caller must make sure
    /// that the mapped part of the file is neither modified nor truncated:
    ///
    /// * not by this process, through `std::fs` or any other I/O on the
    ///   file, or through another mapping of it (a [`RawMmapMut`], a
    ///   [`MemoryMappedFile`](crate::MemoryMappedFile)) while a slice of
    ///   this mapping is borrowed;
    /// * not by any other process.
    ///
    /// Modification while a slice is borrowed is undefined behaviour (in
    /// practice, reads that change or tear). Truncation makes later accesses
    /// past the new end raise `SIGBUS` on Unix, which kills the process.
    /// This is memmap2's contract. File permissions, advisory locks every
    /// writer honours, or a private temporary file are the usual ways to
    /// meet it.
    ///
    /// Writes through a mapping this one becomes with
    /// [`make_mut`](RawMmap::make_mut) are modifications of the file too:
    /// the caller must make them only while no slice of any other mapping of
    /// those bytes is borrowed (a view of a `MemoryMappedFile` included), as
    /// [`map_mut`](RawMmapMut::map_mut) requires.
    ///
    /// # Errors
    ///
    /// * `InvalidInput` when the offset is past the end of the file, when
    ///   `offset + len` is, or when the window does not fit in the address
    ///   space;
    /// * the OS error when the file's length cannot be read or the mapping
    ///   cannot be made (for example a file not opened for reading);
    /// * `Unsupported` on targets that are neither Unix nor Windows.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(b"abcdef")?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmapOptions::new().len(3).map(&file)? };
    /// assert_eq!(&map[..], b"abc");
    /// // SAFETY: as above.
    /// let past_end = unsafe { mmapio::raw::RawMmapOptions::new().offset(4).len(3).map(&file) };
    /// assert_eq!(past_end.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn map(&self, file: &File) -> io::Result<RawMmap> {
        let options = self.file_options(file)?;
        // SAFETY: memmap2's contract for `map` is the one stated above, which
        // the caller upholds; `file_options` made sure the window lies inside
        // the file.
        let inner = unsafe { options.map(file)? };
        Ok(RawMmap {
            inner,
            sharing: Sharing::File,
        })
    }

    /// Maps the window of `file` read-write, shared with the file: writes
    /// reach the file (durably after [`RawMmapMut::flush`]) and show in
    /// every other mapping of it. The file must be open for reading and
    /// writing.
    ///
    /// # Safety
    ///
    /// The contract of [`map`](Self::map). Writes through this mapping count
    /// as modifications for every other mapping of the same bytes: none may
    /// have a slice borrowed while they happen.
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map); a file not open for writing gives the OS
    /// permission error.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("map_mut.bin");
    /// let file = std::fs::OpenOptions::new().read(true).write(true).create(true).open(&path)?;
    /// file.set_len(8192)?;
    /// // SAFETY: the file is private to this example.
    /// let mut map = unsafe { mmapio::raw::RawMmapOptions::new().offset(4096).map_mut(&file)? };
    /// map[0] = 7;
    /// map.flush()?;
    /// assert_eq!(std::fs::read(&path)?[4096], 7);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn map_mut(&self, file: &File) -> io::Result<RawMmapMut> {
        let options = self.file_options(file)?;
        // SAFETY: memmap2's contract for `map_mut` is the one stated above,
        // which the caller upholds; the window lies inside the file.
        let inner = unsafe { options.map_mut(file)? };
        Ok(RawMmapMut {
            inner,
            sharing: Sharing::File,
        })
    }

    /// Maps the window of `file` copy-on-write (`MAP_PRIVATE`;
    /// `PAGE_WRITECOPY` on Windows): writes stay in this mapping and never
    /// reach the file, and [`RawMmapMut::flush`] has nothing to do. The file
    /// only needs to be open for reading.
    ///
    /// # Safety
    ///
    /// The contract of [`map`](Self::map): pages not written yet may still
    /// show later changes to the file.
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map).
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(b"original")?;
    /// // SAFETY: the temporary file is private to this example.
    /// let mut cow = unsafe { mmapio::raw::RawMmapOptions::new().map_copy(&file)? };
    /// cow[..4].copy_from_slice(b"EDIT");
    /// assert_eq!(&cow[..], b"EDITinal");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn map_copy(&self, file: &File) -> io::Result<RawMmapMut> {
        let options = self.file_options(file)?;
        // SAFETY: memmap2's contract for `map_copy` is the one stated above,
        // which the caller upholds; the window lies inside the file.
        let inner = unsafe { options.map_copy(file)? };
        Ok(RawMmapMut {
            inner,
            sharing: Sharing::Private,
        })
    }

    /// Makes a private, zero-filled anonymous mapping of the length set by
    /// [`len`](Self::len) (0 when not set). The offset is ignored.
    ///
    /// # Errors
    ///
    /// * `InvalidInput` when the length does not fit in the address space;
    /// * the OS error when the kernel refuses, including a
    ///   [`huge`](Self::huge) request with no huge pages reserved;
    /// * `Unsupported` on targets that are neither Unix nor Windows.
    ///
    /// ```
    /// let mut anon = mmapio::raw::RawMmapOptions::new().len(4096).map_anon()?;
    /// assert!(anon.iter().all(|&b| b == 0));
    /// anon[0] = 1;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn map_anon(&self) -> io::Result<RawMmapMut> {
        let len = self.len.unwrap_or(0);
        check_len(len)?;
        let mut options = memmap2::MmapOptions::new();
        options.len(len);
        if self.populate {
            options.populate();
        }
        // memmap2 documents huge pages as Linux-only (0.9.1); where it has
        // no MAP_HUGETLB the request is dropped here instead.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.huge {
            options.huge(None);
        }
        Ok(RawMmapMut {
            inner: options.map_anon()?,
            sharing: Sharing::Private,
        })
    }
}

/// A read-only mapping of a file window. Derefs to `[u8]`.
///
/// Made by [`RawMmap::map`] and [`RawMmapOptions::map`] (or
/// [`RawMmapMut::make_read_only`]); unmapped when dropped. It does not need
/// the `File` it was made from to stay open. `Send` and `Sync`: any number
/// of threads may read it at once.
///
/// ```
/// use std::io::Write;
/// let mut file = tempfile::tempfile()?;
/// file.write_all(b"data")?;
/// // SAFETY: the temporary file is private to this example.
/// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
/// drop(file); // the mapping stays valid
/// assert_eq!(&*map, b"data");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RawMmap {
    inner: memmap2::Mmap,
    sharing: Sharing,
}

impl RawMmap {
    /// Maps the whole file read-only: `RawMmapOptions::new().map(file)`.
    ///
    /// # Safety
    ///
    /// The contract of [`RawMmapOptions::map`]: nobody may modify or
    /// truncate the file while it is mapped.
    ///
    /// # Errors
    ///
    /// As for [`RawMmapOptions::map`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("map.bin");
    /// std::fs::write(&path, b"xyz")?;
    /// let file = std::fs::File::open(&path)?;
    /// // SAFETY: the file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// assert_eq!(&map[..], b"xyz");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn map(file: &File) -> io::Result<Self> {
        // SAFETY: the caller upholds the same contract.
        unsafe { RawMmapOptions::new().map(file) }
    }

    /// The address of the first byte. Of an empty mapping: an address that
    /// must not be read.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(b"q")?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// assert_eq!(map.as_ptr(), map[..].as_ptr());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.inner.as_ptr()
    }

    /// The length of the mapping in bytes.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(b"xyz")?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// assert_eq!(map.len(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the mapping is empty (an empty file, or an empty window).
    ///
    /// ```
    /// let file = tempfile::tempfile()?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// assert!(map.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Makes the mapping writable (`mprotect`; `VirtualProtect` on
    /// Windows), consuming it.
    ///
    /// A mapping that came from [`RawMmapMut::make_read_only`] gets its
    /// writes back as they were: shared with the file, or private. One made
    /// read-only from a file becomes a shared writable mapping, which needs
    /// the file to have been opened for writing (else the OS permission
    /// error); its writes fall under the contract it was mapped with.
    ///
    /// # Errors
    ///
    /// The OS error. The mapping is unmapped then.
    ///
    /// ```
    /// let mut anon = mmapio::raw::RawMmapMut::map_anon(4096)?;
    /// anon[0] = 1;
    /// let ro = anon.make_read_only()?;
    /// assert_eq!(ro[0], 1);
    /// let mut rw = ro.make_mut()?;
    /// rw[0] = 2;
    /// assert_eq!(rw[0], 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn make_mut(self) -> io::Result<RawMmapMut> {
        Ok(RawMmapMut {
            inner: self.inner.make_mut()?,
            sharing: self.sharing,
        })
    }

    /// Tells the kernel how the whole mapping will be used:
    /// [`advise_range`](Self::advise_range) over every byte.
    ///
    /// # Errors
    ///
    /// As for [`advise_range`](Self::advise_range).
    ///
    /// ```
    /// use std::io::Write;
    /// use mmapio::MmapAdvice;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(&[7; 8192])?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// map.advise(MmapAdvice::Sequential)?;
    /// map.advise(MmapAdvice::DontNeed)?; // a shared mapping: the bytes stay
    /// assert!(map.iter().all(|&b| b == 7));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "advise")]
    pub fn advise(&self, advice: MmapAdvice) -> io::Result<()> {
        self.advise_range(advice, 0, self.len())
    }

    /// Tells the kernel how `len` bytes at `offset` will be used
    /// (`madvise`; memmap2 widens the start down to a page boundary). A
    /// hint: on platforms without `madvise` the range is checked and the
    /// advice dropped. A zero-length range does nothing.
    ///
    /// # Errors
    ///
    /// * `InvalidInput` when the range is not inside the mapping (checked
    ///   with checked arithmetic, before any system call);
    /// * `InvalidInput` for `DontNeed` on a private mapping (one made
    ///   read-only from a copy-on-write or anonymous [`RawMmapMut`]), whose
    ///   bytes it would discard;
    /// * the OS error of `madvise`.
    ///
    /// ```
    /// use std::io::Write;
    /// use mmapio::MmapAdvice;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(&[7; 8192])?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// map.advise_range(MmapAdvice::WillNeed, 100, 5000)?;
    /// assert!(map.advise_range(MmapAdvice::WillNeed, 8000, 500).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "advise")]
    pub fn advise_range(&self, advice: MmapAdvice, offset: usize, len: usize) -> io::Result<()> {
        advise_checked(&self.inner, self.sharing, advice, offset, len)
    }

    /// Locks the mapping's pages in RAM (`mlock`) until
    /// [`unlock`](Self::unlock) or the drop of the mapping. Usually needs a
    /// raised `RLIMIT_MEMLOCK` or `CAP_IPC_LOCK`.
    ///
    /// # Errors
    ///
    /// The OS error (`EPERM`, `ENOMEM`, ...); `Unsupported` on platforms
    /// other than Unix, where memmap2 cannot lock.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(&[1; 4096])?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// match map.lock() {
    ///     Ok(()) => map.unlock()?,
    ///     Err(e) => eprintln!("not allowed to lock: {e}"),
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "locking")]
    pub fn lock(&self) -> io::Result<()> {
        lock_pages(&self.inner, true)
    }

    /// Unlocks pages locked by [`lock`](Self::lock) (`munlock`). Unlocking
    /// pages that are not locked succeeds.
    ///
    /// # Errors
    ///
    /// The OS error; `Unsupported` on platforms other than Unix.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(&[1; 16])?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmap::map(&file)? };
    /// # #[cfg(unix)]
    /// map.unlock()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "locking")]
    pub fn unlock(&self) -> io::Result<()> {
        lock_pages(&self.inner, false)
    }
}

impl Deref for RawMmap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.inner
    }
}

impl AsRef<[u8]> for RawMmap {
    fn as_ref(&self) -> &[u8] {
        &self.inner
    }
}

impl fmt::Debug for RawMmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMmap")
            .field("ptr", &self.as_ptr())
            .field("len", &self.len())
            .finish()
    }
}

/// A writable mapping: shared with a file, copy-on-write, or anonymous.
/// Derefs to `[u8]` and `mut [u8]`.
///
/// Made by [`RawMmapMut::map_mut`], [`RawMmapMut::map_anon`],
/// [`RawMmapOptions::map_mut`], [`RawMmapOptions::map_copy`],
/// [`RawMmapOptions::map_anon`] (or [`RawMmap::make_mut`]); unmapped when
/// dropped. `Send` and `Sync`; writing takes `&mut self`, so writers on
/// several threads need a lock around it.
///
/// ```
/// let file = tempfile::tempfile()?;
/// file.set_len(4)?;
/// // SAFETY: the temporary file is private to this example.
/// let mut map = unsafe { mmapio::raw::RawMmapMut::map_mut(&file)? };
/// map.copy_from_slice(b"abcd");
/// map.flush()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RawMmapMut {
    inner: memmap2::MmapMut,
    sharing: Sharing,
}

impl RawMmapMut {
    /// Maps the whole file read-write, shared with the file:
    /// `RawMmapOptions::new().map_mut(file)`.
    ///
    /// # Safety
    ///
    /// The contract of [`RawMmapOptions::map_mut`]: nobody else may modify
    /// or truncate the file while it is mapped, and no other mapping of it
    /// may have a slice borrowed while this one writes.
    ///
    /// # Errors
    ///
    /// As for [`RawMmapOptions::map_mut`].
    ///
    /// ```
    /// let file = tempfile::tempfile()?;
    /// file.set_len(1)?;
    /// // SAFETY: the temporary file is private to this example.
    /// let mut map = unsafe { mmapio::raw::RawMmapMut::map_mut(&file)? };
    /// map[0] = 0xAB;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn map_mut(file: &File) -> io::Result<Self> {
        // SAFETY: the caller upholds the same contract.
        unsafe { RawMmapOptions::new().map_mut(file) }
    }

    /// A private, zero-filled anonymous mapping of `len` bytes:
    /// `RawMmapOptions::new().len(len).map_anon()`. Safe: nothing but this
    /// value can reach its memory.
    ///
    /// # Errors
    ///
    /// As for [`RawMmapOptions::map_anon`].
    ///
    /// ```
    /// let mut anon = mmapio::raw::RawMmapMut::map_anon(64)?;
    /// assert_eq!(anon.len(), 64);
    /// anon[63] = 1;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn map_anon(len: usize) -> io::Result<Self> {
        RawMmapOptions::new().len(len).map_anon()
    }

    /// The address of the first byte. Of an empty mapping: an address that
    /// must not be accessed.
    ///
    /// ```
    /// let anon = mmapio::raw::RawMmapMut::map_anon(8)?;
    /// assert_eq!(anon.as_ptr(), anon[..].as_ptr());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.inner.as_ptr()
    }

    /// The address of the first byte, for writing. Takes `&mut self`, like
    /// `<[u8]>::as_mut_ptr`, so the pointer comes from exclusive access.
    ///
    /// ```
    /// let mut anon = mmapio::raw::RawMmapMut::map_anon(8)?;
    /// let p = anon.as_mut_ptr();
    /// // SAFETY: the mapping is 8 bytes long and exclusively borrowed.
    /// unsafe { p.add(7).write(5) };
    /// assert_eq!(anon[7], 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.inner.as_mut_ptr()
    }

    /// The length of the mapping in bytes.
    ///
    /// ```
    /// let anon = mmapio::raw::RawMmapMut::map_anon(10)?;
    /// assert_eq!(anon.len(), 10);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the mapping is empty.
    ///
    /// ```
    /// assert!(mmapio::raw::RawMmapMut::map_anon(0)?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether a flush of `len` bytes at `offset` has anything to do, once
    /// the range is checked.
    fn flush_needed(&self, offset: usize, len: usize) -> io::Result<bool> {
        check_range(offset, len, self.len())?;
        Ok(len > 0 && self.sharing == Sharing::File)
    }

    /// Writes every modified page back to the file and waits until it is on
    /// stable storage (`msync(MS_SYNC)`; `FlushViewOfFile` then
    /// `FlushFileBuffers` on Windows). On copy-on-write and anonymous
    /// mappings, which have nothing to write back, it does nothing.
    ///
    /// # Errors
    ///
    /// The OS error of the write-back.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("flush.bin");
    /// let file = std::fs::OpenOptions::new().read(true).write(true).create(true).open(&path)?;
    /// file.set_len(16)?;
    /// // SAFETY: the file is private to this example.
    /// let mut map = unsafe { mmapio::raw::RawMmapMut::map_mut(&file)? };
    /// map[0] = 1;
    /// map.flush()?;
    /// assert_eq!(std::fs::read(&path)?[0], 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn flush(&self) -> io::Result<()> {
        self.flush_range(0, self.len())
    }

    /// Starts writing every modified page back to the file without waiting
    /// (`msync(MS_ASYNC)`; `FlushViewOfFile` on Windows): not durable when
    /// it returns. Does nothing on private mappings.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// ```
    /// let file = tempfile::tempfile()?;
    /// file.set_len(16)?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmapMut::map_mut(&file)? };
    /// map.flush_async()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn flush_async(&self) -> io::Result<()> {
        self.flush_async_range(0, self.len())
    }

    /// [`flush`](Self::flush) for the pages overlapping `len` bytes at
    /// `offset`: the range is widened to whole pages, so neighbouring bytes
    /// on those pages are written too. A zero-length range does nothing.
    ///
    /// # Errors
    ///
    /// * `InvalidInput` when the range is not inside the mapping, checked
    ///   with checked arithmetic before any system call: never a panic.
    ///   (memmap2 answers the same since 0.9.11; earlier 0.9 releases went
    ///   on to unchecked pointer arithmetic.)
    /// * The OS error of the write-back.
    ///
    /// ```
    /// let file = tempfile::tempfile()?;
    /// file.set_len(10_000)?;
    /// // SAFETY: the temporary file is private to this example.
    /// let mut map = unsafe { mmapio::raw::RawMmapMut::map_mut(&file)? };
    /// map[5000] = 9;
    /// map.flush_range(5000, 1)?;
    /// assert!(map.flush_range(9_999, 2).is_err());
    /// assert!(map.flush_range(usize::MAX, 2).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn flush_range(&self, offset: usize, len: usize) -> io::Result<()> {
        if !self.flush_needed(offset, len)? {
            return Ok(());
        }
        self.inner.flush_range(offset, len)
    }

    /// [`flush_async`](Self::flush_async) for the pages overlapping `len`
    /// bytes at `offset`, checked like [`flush_range`](Self::flush_range).
    ///
    /// # Errors
    ///
    /// As for [`flush_range`](Self::flush_range).
    ///
    /// ```
    /// let file = tempfile::tempfile()?;
    /// file.set_len(64)?;
    /// // SAFETY: the temporary file is private to this example.
    /// let map = unsafe { mmapio::raw::RawMmapMut::map_mut(&file)? };
    /// map.flush_async_range(8, 8)?;
    /// assert!(map.flush_async_range(60, 8).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn flush_async_range(&self, offset: usize, len: usize) -> io::Result<()> {
        if !self.flush_needed(offset, len)? {
            return Ok(());
        }
        self.inner.flush_async_range(offset, len)
    }

    /// Takes away write access (`mprotect(PROT_READ)`; `VirtualProtect` on
    /// Windows), consuming the mapping. [`RawMmap::make_mut`] gives it back
    /// as it was (shared, copy-on-write or anonymous). Does not flush: call
    /// [`flush`](Self::flush) first when the writes must be durable.
    ///
    /// # Errors
    ///
    /// The OS error. The mapping is unmapped then.
    ///
    /// ```
    /// let mut anon = mmapio::raw::RawMmapMut::map_anon(16)?;
    /// anon[..3].copy_from_slice(b"abc");
    /// let ro = anon.make_read_only()?;
    /// assert_eq!(&ro[..3], b"abc");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn make_read_only(self) -> io::Result<RawMmap> {
        Ok(RawMmap {
            inner: self.inner.make_read_only()?,
            sharing: self.sharing,
        })
    }

    /// Tells the kernel how the whole mapping will be used:
    /// [`advise_range`](Self::advise_range) over every byte.
    ///
    /// # Errors
    ///
    /// As for [`advise_range`](Self::advise_range).
    ///
    /// ```
    /// use mmapio::MmapAdvice;
    /// let anon = mmapio::raw::RawMmapMut::map_anon(8192)?;
    /// anon.advise(MmapAdvice::Random)?;
    /// // DontNeed would discard private pages: it is refused.
    /// assert!(anon.advise(MmapAdvice::DontNeed).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "advise")]
    pub fn advise(&self, advice: MmapAdvice) -> io::Result<()> {
        self.advise_range(advice, 0, self.len())
    }

    /// Tells the kernel how `len` bytes at `offset` will be used, checked
    /// like [`RawMmap::advise_range`]. `DontNeed` is refused on
    /// copy-on-write and anonymous mappings, where it would discard the
    /// private bytes; on shared file mappings the bytes, unflushed writes
    /// included, stay in the page cache and read back unchanged.
    ///
    /// # Errors
    ///
    /// As for [`RawMmap::advise_range`].
    ///
    /// ```
    /// use mmapio::MmapAdvice;
    /// let anon = mmapio::raw::RawMmapMut::map_anon(3 * 4096)?;
    /// anon.advise_range(MmapAdvice::WillNeed, 4097, 100)?;
    /// assert!(anon.advise_range(MmapAdvice::WillNeed, 3 * 4096, 1).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "advise")]
    pub fn advise_range(&self, advice: MmapAdvice, offset: usize, len: usize) -> io::Result<()> {
        advise_checked(&self.inner, self.sharing, advice, offset, len)
    }

    /// Locks the mapping's pages in RAM (`mlock`), like [`RawMmap::lock`].
    ///
    /// # Errors
    ///
    /// The OS error; `Unsupported` on platforms other than Unix.
    ///
    /// ```
    /// let anon = mmapio::raw::RawMmapMut::map_anon(4096)?;
    /// if anon.lock().is_ok() {
    ///     anon.unlock()?;
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "locking")]
    pub fn lock(&self) -> io::Result<()> {
        lock_pages(&self.inner, true)
    }

    /// Unlocks pages locked by [`lock`](Self::lock) (`munlock`). Unlocking
    /// pages that are not locked succeeds.
    ///
    /// # Errors
    ///
    /// The OS error; `Unsupported` on platforms other than Unix.
    ///
    /// ```
    /// let anon = mmapio::raw::RawMmapMut::map_anon(4096)?;
    /// # #[cfg(unix)]
    /// anon.unlock()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "locking")]
    pub fn unlock(&self) -> io::Result<()> {
        lock_pages(&self.inner, false)
    }
}

impl Deref for RawMmapMut {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.inner
    }
}

impl DerefMut for RawMmapMut {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.inner
    }
}

impl AsRef<[u8]> for RawMmapMut {
    fn as_ref(&self) -> &[u8] {
        &self.inner
    }
}

impl AsMut<[u8]> for RawMmapMut {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.inner
    }
}

impl fmt::Debug for RawMmapMut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMmapMut")
            .field("ptr", &self.as_ptr())
            .field("len", &self.len())
            .finish()
    }
}

/// memmap2's advice and lock calls, which `Mmap` and `MmapMut` each have
/// (on Unix only), behind one interface so the checks in front of them are
/// written once. Elsewhere the trait has no methods.
#[cfg(any(feature = "advise", feature = "locking"))]
trait OsMap {
    /// The number of bytes mapped.
    #[cfg(feature = "advise")]
    fn mapped_len(&self) -> usize;

    /// `madvise` of a safe advice over `len` bytes at `offset`.
    #[cfg(all(unix, feature = "advise"))]
    fn os_advise(&self, advice: memmap2::Advice, offset: usize, len: usize) -> io::Result<()>;

    /// `madvise(MADV_DONTNEED)` over `len` bytes at `offset`.
    ///
    /// # Safety
    ///
    /// The mapping must be a shared file mapping, whose bytes
    /// `MADV_DONTNEED` does not change (they are read back from the page
    /// cache, where dirty pages stay); on private memory it would discard
    /// the bytes under live borrows.
    #[cfg(all(unix, feature = "advise"))]
    unsafe fn os_dont_need(&self, offset: usize, len: usize) -> io::Result<()>;

    /// `mlock` (`lock == true`) or `munlock` of the whole mapping.
    #[cfg(all(unix, feature = "locking"))]
    fn os_lock(&self, lock: bool) -> io::Result<()>;
}

/// Implements [`OsMap`] for one of memmap2's map types by forwarding to
/// its inherent methods of the same meaning.
macro_rules! impl_os_map {
    ($map:ty) => {
        #[cfg(any(feature = "advise", feature = "locking"))]
        impl OsMap for $map {
            #[cfg(feature = "advise")]
            fn mapped_len(&self) -> usize {
                self.len()
            }

            #[cfg(all(unix, feature = "advise"))]
            fn os_advise(
                &self,
                advice: memmap2::Advice,
                offset: usize,
                len: usize,
            ) -> io::Result<()> {
                self.advise_range(advice, offset, len)
            }

            #[cfg(all(unix, feature = "advise"))]
            unsafe fn os_dont_need(&self, offset: usize, len: usize) -> io::Result<()> {
                // SAFETY: memmap2 asks that no borrow of the range sees its
                // bytes change; the caller guarantees a shared file mapping,
                // where MADV_DONTNEED leaves them as they are.
                unsafe {
                    self.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len)
                }
            }

            #[cfg(all(unix, feature = "locking"))]
            fn os_lock(&self, lock: bool) -> io::Result<()> {
                if lock {
                    self.lock()
                } else {
                    self.unlock()
                }
            }
        }
    };
}

impl_os_map!(memmap2::Mmap);
impl_os_map!(memmap2::MmapMut);

/// The advice of [`RawMmap::advise_range`] and
/// [`RawMmapMut::advise_range`]: range and `DontNeed` checks, then
/// `madvise` on Unix; elsewhere the advice is dropped once checked.
#[cfg(feature = "advise")]
fn advise_checked(
    map: &impl OsMap,
    sharing: Sharing,
    advice: MmapAdvice,
    offset: usize,
    len: usize,
) -> io::Result<()> {
    check_range(offset, len, map.mapped_len())?;
    if advice == MmapAdvice::DontNeed && sharing == Sharing::Private {
        return Err(invalid_input(
            "DontNeed is refused on a private (copy-on-write or anonymous) mapping: \
             it would discard its bytes while they may be borrowed"
                .to_owned(),
        ));
    }
    if len == 0 {
        return Ok(());
    }
    #[cfg(unix)]
    {
        let advice = match advice {
            MmapAdvice::Normal => memmap2::Advice::Normal,
            MmapAdvice::Random => memmap2::Advice::Random,
            MmapAdvice::Sequential => memmap2::Advice::Sequential,
            MmapAdvice::WillNeed => memmap2::Advice::WillNeed,
            // SAFETY: DontNeed on a private mapping was refused above, so
            // this is a shared file mapping.
            MmapAdvice::DontNeed => return unsafe { map.os_dont_need(offset, len) },
        };
        map.os_advise(advice, offset, len)
    }
    #[cfg(not(unix))]
    {
        // A hint without `madvise` (memmap2 has none here): dropped.
        let _ = advice;
        Ok(())
    }
}

/// The locking of [`RawMmap::lock`] and [`RawMmapMut::lock`] (and their
/// `unlock`): memmap2's `lock`/`unlock` on Unix, `Unsupported` elsewhere.
#[cfg(feature = "locking")]
fn lock_pages(map: &impl OsMap, lock: bool) -> io::Result<()> {
    #[cfg(unix)]
    {
        map.os_lock(lock)
    }
    #[cfg(not(unix))]
    {
        let _ = (map, lock);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "locking a raw mapping is only supported on Unix",
        ))
    }
}
