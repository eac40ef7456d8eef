//! `Region`: the one internal type that owns mapped memory.
//!
//! Everything above this module (views, iterators, flushing, page touching)
//! sees a region only as "a pointer and a length that stay valid while the
//! region lives", so the same code runs over a real memmap2 mapping and — in
//! unit tests, where Miri cannot `mmap` — over a heap buffer.

use std::fs::File;
use std::io;
use std::ptr::NonNull;

use memmap2::{Mmap, MmapMut, MmapOptions};

/// How a file is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapKind {
    /// `PROT_READ`, `MAP_SHARED`.
    ReadOnly,
    /// `PROT_READ | PROT_WRITE`, `MAP_SHARED`: writes reach the file.
    Shared,
    /// `PROT_READ | PROT_WRITE`, `MAP_PRIVATE`: writes stay in this process.
    #[cfg_attr(not(feature = "cow"), allow(dead_code))]
    Private,
}

enum Backing {
    /// A zero-length region: nothing is mapped (`mmap` refuses length 0).
    Empty,
    ReadOnly(#[allow(dead_code)] Mmap),
    Writable(MmapMut),
    /// A page-aligned heap buffer standing in for a mapping, so unit tests
    /// can run under Miri. `ptr`/`len` own it (see `Region::heap`).
    #[cfg(test)]
    Heap,
}

pub(crate) struct Region {
    ptr: NonNull<u8>,
    len: usize,
    backing: Backing,
    /// `MAP_PRIVATE` (copy-on-write or anonymous): advice that discards
    /// pages (`DontNeed`) would change its bytes.
    private: bool,
}

// SAFETY: a `Region` owns its memory exactly as `Mmap`/`MmapMut` (both `Send +
// Sync`) or a `Box<[u8]>` do; the raw pointer is only a cached copy of that
// owner's address. Shared access hands out `&[u8]` and mutation needs
// `&mut Region`, so the usual borrow rules keep threads apart.
unsafe impl Send for Region {}
// SAFETY: see `Send` above; `&Region` only ever yields shared byte slices.
unsafe impl Sync for Region {}

impl Region {
    /// Maps `len` bytes of `file` from offset 0.
    pub(crate) fn map(file: &File, kind: MapKind, len: usize) -> io::Result<Region> {
        if len == 0 {
            return Ok(Region::empty());
        }
        let mut options = MmapOptions::new();
        options.len(len);
        // SAFETY (all three arms): mapping a file is unsafe because another
        // process or handle may truncate or rewrite it while it is mapped.
        // The crate cannot prevent that; it documents the hazard (crate docs,
        // "External modification") and checks the file length before page
        // walks. Within this process every access goes through `Region`,
        // whose borrows are governed by the lock/borrow rules of the caller.
        let region = match kind {
            MapKind::ReadOnly => {
                let map = unsafe { options.map(file)? };
                let ptr = NonNull::new(map.as_ptr() as *mut u8);
                Region::from_parts(ptr, map.len(), Backing::ReadOnly(map), false)
            }
            MapKind::Shared => {
                let mut map = unsafe { options.map_mut(file)? };
                let ptr = NonNull::new(map.as_mut_ptr());
                Region::from_parts(ptr, map.len(), Backing::Writable(map), false)
            }
            MapKind::Private => {
                let mut map = unsafe { options.map_copy(file)? };
                let ptr = NonNull::new(map.as_mut_ptr());
                Region::from_parts(ptr, map.len(), Backing::Writable(map), true)
            }
        };
        Ok(region)
    }

    /// `len` zero bytes of private anonymous memory (`MAP_PRIVATE |
    /// MAP_ANONYMOUS`; a pagefile-backed section on Windows).
    pub(crate) fn anonymous(len: usize) -> io::Result<Region> {
        if len == 0 {
            return Ok(Region::empty());
        }
        let mut map = MmapOptions::new().len(len).map_anon()?;
        let ptr = NonNull::new(map.as_mut_ptr());
        Ok(Region::from_parts(
            ptr,
            map.len(),
            Backing::Writable(map),
            true,
        ))
    }

    fn from_parts(ptr: Option<NonNull<u8>>, len: usize, backing: Backing, private: bool) -> Region {
        // memmap2 never returns a null mapping; fall back to an empty region
        // rather than trusting that blindly.
        match ptr {
            Some(ptr) => Region {
                ptr,
                len,
                backing,
                private,
            },
            None => Region::empty(),
        }
    }

    pub(crate) fn empty() -> Region {
        Region {
            ptr: NonNull::dangling(),
            len: 0,
            backing: Backing::Empty,
            private: false,
        }
    }

    /// A heap-backed, writable region holding `bytes` (unit tests only).
    #[cfg(test)]
    pub(crate) fn heap(bytes: Vec<u8>) -> Region {
        if bytes.is_empty() {
            return Region::empty();
        }
        // Page-aligned like a real mapping, so alignment checks that rely on
        // the base being aligned hold here too.
        let layout = Self::heap_layout(bytes.len());
        // SAFETY: the layout has a non-zero size (checked above).
        let raw = unsafe { std::alloc::alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: `ptr` is a fresh allocation of `bytes.len()` bytes, which
        // cannot overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), bytes.len()) };
        Region {
            ptr,
            len: bytes.len(),
            backing: Backing::Heap,
            private: false,
        }
    }

    #[cfg(test)]
    fn heap_layout(len: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(len, 4096).expect("test regions are small")
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is a private mapping (copy-on-write or anonymous),
    /// whose bytes `madvise(MADV_DONTNEED)` would discard.
    #[cfg_attr(not(feature = "advise"), allow(dead_code))]
    pub(crate) fn is_private(&self) -> bool {
        self.private
    }

    /// Whether the region is mapped without write access (`PROT_READ`):
    /// a store there would kill the process.
    #[inline]
    pub(crate) fn is_read_only(&self) -> bool {
        matches!(self.backing, Backing::ReadOnly(_))
    }

    /// Base address, valid for reads of `len()` bytes while `self` lives.
    #[cfg_attr(not(feature = "iterator"), allow(dead_code))]
    #[inline]
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// The whole region as bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is valid for reads of `len` bytes for as long as the
        // backing lives, which is at least as long as `&self`. Writes need
        // `&mut Region` (see `bytes_mut`), so none can happen while this
        // shared borrow exists.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The whole region as mutable bytes, or `None` when it is mapped
    /// read-only (a store there would kill the process).
    #[inline]
    pub(crate) fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        if self.is_read_only() {
            return None;
        }
        // SAFETY: the backing is writable (or empty, where `len` is 0 and the
        // dangling pointer is fine for an empty slice); `&mut self` proves no
        // other borrow of these bytes exists for the returned lifetime.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) })
    }

    /// The whole region as mutable bytes through a shared reference, or
    /// `None` when it is mapped read-only.
    ///
    /// # Safety
    /// The caller must guarantee that no other reference to these bytes
    /// exists or is created for the returned lifetime (copy-on-write
    /// mappings prove it with `&mut` on the only handle).
    #[cfg(feature = "cow")]
    // `&self -> &mut` is the point: exclusivity is proven by the caller
    // (see `# Safety`), not by the borrow of the `Region`.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn bytes_mut_unchecked(&self) -> Option<&mut [u8]> {
        if matches!(self.backing, Backing::ReadOnly(_)) {
            return None;
        }
        // SAFETY: the backing is writable and `ptr..ptr + len` is valid;
        // exclusivity is the caller's promise above.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) })
    }

    /// Writes the whole region back to the file and waits for the device
    /// (`msync(MS_SYNC)`). Returns whether a flush ran: read-only and empty
    /// regions have nothing to write. A heap region (unit tests) stands in
    /// for a mapping, so it counts as flushed.
    pub(crate) fn flush(&self) -> io::Result<bool> {
        match &self.backing {
            Backing::Writable(map) => map.flush().map(|()| true),
            #[cfg(test)]
            Backing::Heap => Ok(true),
            _ => Ok(false),
        }
    }

    /// `msync(MS_SYNC)` over `offset..offset + len` (memmap2 rounds the
    /// start down to a page boundary). The caller has bounds-checked it.
    /// Returns whether a flush ran (not for an empty range).
    pub(crate) fn flush_range(&self, offset: usize, len: usize) -> io::Result<bool> {
        match &self.backing {
            _ if len == 0 => Ok(false),
            Backing::Writable(map) => map.flush_range(offset, len).map(|()| true),
            #[cfg(test)]
            Backing::Heap => Ok(true),
            _ => Ok(false),
        }
    }

    /// Starts writing `offset..offset + len` back without waiting for it
    /// (`msync(MS_ASYNC)`). The caller has bounds-checked the range.
    pub(crate) fn flush_async_range(&self, offset: usize, len: usize) -> io::Result<()> {
        match &self.backing {
            Backing::Writable(map) if len > 0 => map.flush_async_range(offset, len),
            _ => Ok(()),
        }
    }

    /// Asks the kernel to back this region with transparent huge pages.
    /// Refusal is not an error: the region keeps working on normal pages.
    pub(crate) fn advise_huge_pages(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            let result = match &self.backing {
                Backing::ReadOnly(map) => map.advise(memmap2::Advice::HugePage),
                Backing::Writable(map) => map.advise(memmap2::Advice::HugePage),
                _ => return false,
            };
            result.is_ok()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// Starts asynchronous read-ahead of the whole region
    /// (`madvise(MADV_WILLNEED)`); purely a hint.
    pub(crate) fn advise_will_need(&self) {
        #[cfg(unix)]
        {
            let _ = match &self.backing {
                Backing::ReadOnly(map) => map.advise(memmap2::Advice::WillNeed),
                Backing::Writable(map) => map.advise(memmap2::Advice::WillNeed),
                _ => Ok(()),
            };
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        #[cfg(test)]
        if matches!(self.backing, Backing::Heap) {
            // SAFETY: `ptr` was allocated in `Region::heap` with exactly this
            // layout and is released exactly once, here.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr(), Self::heap_layout(self.len)) };
        }
        // Mapped backings unmap themselves when dropped.
    }
}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Region").field("len", &self.len).finish()
    }
}
