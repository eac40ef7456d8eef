//! Opening the same file with each implementation (mmapio, `mmap-io`, raw
//! `memmap2`, `std::fs`), and the read adapters the read workloads share:
//! page-aligned copy buffers and one `RangeReader` per implementation.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::inputs::{Xorshift64, REQUEST_SEED};
use super::kernels::checksum;

/// How a mapping is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read-only.
    ReadOnly,
    /// Read-write (shared, writes reach the file).
    ReadWrite,
}

impl Access {
    /// `ro` or `rw`, the suffix used in benchmark ids.
    pub fn suffix(self) -> &'static str {
        match self {
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
        }
    }
}

/// Asks the kernel to map `bytes`, the whole of a new mapping, with base
/// pages only. Whether a file mapping gets 2 MiB entries depends on where
/// the kernel placed it and on the page cache's folio sizes: a draw made
/// anew for every mapping, which would move a variant's time over its
/// floor's between runs of the same code. With base pages everywhere,
/// variants differ only in the library. Every mapping constructor below
/// calls it before the mapping is first touched.
fn base_pages_only(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    // SAFETY: MADV_NOHUGEPAGE only restricts the page sizes the kernel may
    // use for the range; it changes neither the contents nor the validity
    // of the mapping, which `bytes` borrows and so keeps alive for the call.
    let rc = unsafe {
        libc::madvise(
            bytes.as_ptr() as *mut libc::c_void,
            bytes.len(),
            libc::MADV_NOHUGEPAGE,
        )
    };
    assert_eq!(
        rc,
        0,
        "madvise(MADV_NOHUGEPAGE): {}",
        std::io::Error::last_os_error()
    );
}

/// Maps `path` with `mmapio` (default flush policy, `Manual`).
pub fn open_mmapio(path: &Path, access: Access) -> mmapio::MemoryMappedFile {
    let result = match access {
        Access::ReadOnly => mmapio::MemoryMappedFile::open_ro(path),
        Access::ReadWrite => mmapio::MemoryMappedFile::open_rw(path),
    };
    mmapio_base_pages(result.unwrap_or_else(|e| panic!("mmapio: mapping {}: {e}", path.display())))
}

fn mmapio_base_pages(map: mmapio::MemoryMappedFile) -> mmapio::MemoryMappedFile {
    base_pages_only(&map.as_slice(0, map.len()).expect("whole mapping"));
    map
}

fn mmap_io_base_pages(map: mmap_io::MemoryMappedFile) -> mmap_io::MemoryMappedFile {
    base_pages_only(&map.as_slice(0, map.len()).expect("whole mapping"));
    map
}

/// An input file that a `mmapio` variant maps afresh for each run of it.
///
/// `mmapio` keeps one state per file in a process: a read-write mapping is
/// refused beside its own lock-free read-only mappings of the same file,
/// and a read-only one opened beside a read-write one shares its lock. So
/// a batch that times read-only and read-write `mmapio` variants of one
/// input cannot keep both mapped; each maps it only while it runs. Every
/// page is faulted in before the timed region starts, so the loop that is
/// timed meets the same warm mapping as a variant that keeps one, over the
/// same page-cache memory as its floor.
#[derive(Clone, Debug)]
pub struct MmapioInput {
    path: PathBuf,
    access: Access,
}

impl MmapioInput {
    /// `path`, to be mapped with `access`.
    pub fn new(path: &Path, access: Access) -> Self {
        MmapioInput {
            path: path.to_path_buf(),
            access,
        }
    }

    /// Maps the file and faults every page in: the untimed set-up of a run.
    pub fn map(&self) -> mmapio::MemoryMappedFile {
        let map = open_mmapio(&self.path, self.access);
        map.touch_pages().expect("faulting the mapping in");
        map
    }
}

/// An input file that a raw `memmap2` floor maps afresh for each run of
/// it, as [`MmapioInput`] does for `mmapio`: both sides of a ratio then
/// meet page tables made for the run, and the time of either does not hang
/// on where the kernel placed the page tables of one long-lived mapping,
/// which differs from process to process.
#[derive(Clone, Debug)]
pub struct Memmap2Input {
    path: PathBuf,
}

impl Memmap2Input {
    /// `path`, to be mapped read-only.
    pub fn new(path: &Path) -> Self {
        Memmap2Input {
            path: path.to_path_buf(),
        }
    }

    /// Maps the file and faults every page in: the untimed set-up of a run.
    pub fn map(&self) -> memmap2::Mmap {
        let map = map_memmap2(&self.path);
        super::kernels::volatile_touch(&map, mmapio::page_size());
        map
    }
}

/// Maps `path` read-write with `mmapio` under `policy`.
pub fn open_mmapio_with_policy(
    path: &Path,
    policy: mmapio::FlushPolicy,
) -> mmapio::MemoryMappedFile {
    let map = mmapio::MemoryMappedFile::builder(path)
        .mode(mmapio::MmapMode::ReadWrite)
        .flush_policy(policy)
        .open()
        .unwrap_or_else(|e| panic!("mmapio: mapping {}: {e}", path.display()));
    mmapio_base_pages(map)
}

/// Maps `path` with the published `mmap-io` crate.
pub fn open_mmap_io(path: &Path, access: Access) -> mmap_io::MemoryMappedFile {
    let result = match access {
        Access::ReadOnly => mmap_io::MemoryMappedFile::open_ro(path),
        Access::ReadWrite => mmap_io::MemoryMappedFile::open_rw(path),
    };
    mmap_io_base_pages(
        result.unwrap_or_else(|e| panic!("mmap-io: mapping {}: {e}", path.display())),
    )
}

/// Maps `path` read-write with `mmap-io` under `policy`.
pub fn open_mmap_io_with_policy(
    path: &Path,
    policy: mmap_io::flush::FlushPolicy,
) -> mmap_io::MemoryMappedFile {
    let map = mmap_io::MemoryMappedFile::builder(path)
        .mode(mmap_io::MmapMode::ReadWrite)
        .flush_policy(policy)
        .open()
        .unwrap_or_else(|e| panic!("mmap-io: mapping {}: {e}", path.display()));
    mmap_io_base_pages(map)
}

/// Maps `path` read-only with raw `memmap2`.
pub fn map_memmap2(path: &Path) -> memmap2::Mmap {
    let file = File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    // SAFETY: the bench files live in the suite's own data folder and no
    // process truncates or rewrites them while they are mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .unwrap_or_else(|e| panic!("memmap2: mapping {}: {e}", path.display()));
    base_pages_only(&map);
    map
}

/// Maps `path` read-write (shared) with raw `memmap2`.
pub fn map_memmap2_mut(path: &Path) -> memmap2::MmapMut {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    // SAFETY: as in `map_memmap2`; only this process writes the scratch
    // files, and only through this mapping while it lives.
    let map = unsafe { memmap2::MmapMut::map_mut(&file) }
        .unwrap_or_else(|e| panic!("memmap2: mapping {}: {e}", path.display()));
    base_pages_only(&map);
    map
}

/// A way of reading a byte range and checksumming every byte of it. The
/// read variants of `sequential_read` and `random_read` are the
/// implementations of this trait, so both workloads run identical code
/// per variant.
pub trait RangeReader {
    /// [`checksum`] of the `len` bytes at `offset`.
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64;

    /// How many bytes one call covers when reading a whole file: the whole
    /// file for zero-copy views, [`COPY_BUFFER_SIZE`](super::COPY_BUFFER_SIZE) for copies.
    fn block_size(&self, file_len: usize) -> usize;
}

impl<R: RangeReader + ?Sized> RangeReader for &mut R {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        (**self).checksum_range(offset, len)
    }

    fn block_size(&self, file_len: usize) -> usize {
        (**self).block_size(file_len)
    }
}

/// What a read variant gets its reader from at the start of every run:
/// itself, for a reader that keeps its mapping, or a new reader over a
/// fresh mapping ([`PerRun`]).
pub trait ReaderSource {
    /// The reader of one run.
    type Reader<'s>: RangeReader
    where
        Self: 's;

    /// The reader for the next run (made outside the timed region).
    fn reader(&mut self) -> Self::Reader<'_>;
}

impl<R: RangeReader> ReaderSource for R {
    type Reader<'s>
        = &'s mut R
    where
        R: 's;

    fn reader(&mut self) -> &mut R {
        self
    }
}

/// A reader made anew for every run by the closure, for `mmapio` variants
/// that map their input only while they run (see [`MmapioInput`]).
pub struct PerRun<F>(pub F);

impl<R: RangeReader, F: FnMut() -> R> ReaderSource for PerRun<F> {
    type Reader<'s>
        = R
    where
        F: 's;

    fn reader(&mut self) -> R {
        (self.0)()
    }
}

/// Alignment of every [`CopyBuffer`]: a page.
const COPY_BUFFER_ALIGN: usize = 4096;

/// The reused destination of a copying read variant, starting on a page
/// boundary. `memcpy`'s speed depends on where the destination sits
/// relative to the source; heap buffers of the same size landed at
/// different offsets in a page (0x3f0 and 0x1b0 for the 4 KiB buffers of
/// `read_into` in one run), so two variants doing the same copy were
/// timed up to 15% apart. Aligned alike, they differ only in the library.
pub struct CopyBuffer {
    /// The buffer and up to a page less one byte before it.
    storage: Vec<u8>,
    /// Where the buffer starts in `storage`.
    start: usize,
}

impl CopyBuffer {
    /// `len` zero bytes starting on a page boundary.
    pub fn new(len: usize) -> Self {
        let storage = vec![0; len + COPY_BUFFER_ALIGN - 1];
        let misalignment = storage.as_ptr() as usize % COPY_BUFFER_ALIGN;
        let start = (COPY_BUFFER_ALIGN - misalignment) % COPY_BUFFER_ALIGN;
        CopyBuffer { storage, start }
    }

    /// The buffer's bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.len();
        &mut self.storage[self.start..self.start + len]
    }

    /// The buffer's length.
    pub fn len(&self) -> usize {
        self.storage.len() + 1 - COPY_BUFFER_ALIGN
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Defines the zero-copy (`$slices`) and copying (`$copies`) readers of one
/// crate whose `MemoryMappedFile` has `as_slice` and `read_into`. mmapio and
/// mmap-io share those names, so both get the same adapter code and the
/// comparison differs only in the library called.
macro_rules! peer_readers {
    ($crate_name:literal, $map:ty, $slices:ident, $copies:ident) => {
        #[doc = concat!("`", $crate_name, "` `as_slice` views (zero-copy).")]
        pub struct $slices(pub $map);

        impl RangeReader for $slices {
            #[inline]
            fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
                let view = self
                    .0
                    .as_slice(offset as u64, len as u64)
                    .expect("in range");
                checksum(std::hint::black_box(&view))
            }

            fn block_size(&self, file_len: usize) -> usize {
                file_len
            }
        }

        #[doc = concat!("`", $crate_name, "` `read_into` copies into one reused buffer.")]
        pub struct $copies {
            map: $map,
            buffer: CopyBuffer,
        }

        impl $copies {
            /// Copies from `map` through a buffer of `buffer_len` bytes.
            pub fn new(map: $map, buffer_len: usize) -> Self {
                $copies {
                    map,
                    buffer: CopyBuffer::new(buffer_len),
                }
            }
        }

        impl RangeReader for $copies {
            #[inline]
            fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
                let buffer = &mut self.buffer.bytes_mut()[..len];
                self.map.read_into(offset as u64, buffer).expect("in range");
                checksum(std::hint::black_box(buffer))
            }

            fn block_size(&self, _file_len: usize) -> usize {
                self.buffer.len()
            }
        }
    };
}

peer_readers!(
    "mmapio",
    mmapio::MemoryMappedFile,
    MmapioSlices,
    MmapioCopies
);
peer_readers!(
    "mmap-io",
    mmap_io::MemoryMappedFile,
    MmapIoSlices,
    MmapIoCopies
);

/// Raw `memmap2` slicing: the floor.
pub struct Memmap2Slices(pub memmap2::Mmap);

impl RangeReader for Memmap2Slices {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        checksum(std::hint::black_box(&self.0[offset..offset + len]))
    }

    fn block_size(&self, file_len: usize) -> usize {
        file_len
    }
}

/// Raw `memmap2` copies into one reused buffer: the floor of the copying
/// readers (`read_into`), which do the same copy through a library.
pub struct Memmap2Copies {
    map: memmap2::Mmap,
    buffer: CopyBuffer,
}

impl Memmap2Copies {
    /// Copies from `map` through a buffer of `buffer_len` bytes.
    pub fn new(map: memmap2::Mmap, buffer_len: usize) -> Self {
        Memmap2Copies {
            map,
            buffer: CopyBuffer::new(buffer_len),
        }
    }
}

impl RangeReader for Memmap2Copies {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        let buffer = &mut self.buffer.bytes_mut()[..len];
        buffer.copy_from_slice(&self.map[offset..offset + len]);
        checksum(std::hint::black_box(buffer))
    }

    fn block_size(&self, _file_len: usize) -> usize {
        self.buffer.len()
    }
}

/// `std::fs::File` positional reads (`pread`) into one reused buffer.
pub struct StdFsReads {
    file: File,
    buffer: CopyBuffer,
}

impl StdFsReads {
    /// Reads `path` through a buffer of `buffer_len` bytes.
    pub fn open(path: &Path, buffer_len: usize) -> Self {
        let file = File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
        StdFsReads {
            file,
            buffer: CopyBuffer::new(buffer_len),
        }
    }
}

impl RangeReader for StdFsReads {
    #[inline]
    fn checksum_range(&mut self, offset: usize, len: usize) -> u64 {
        let buffer = &mut self.buffer.bytes_mut()[..len];
        self.file
            .read_exact_at(buffer, offset as u64)
            .expect("in range");
        checksum(std::hint::black_box(buffer))
    }

    fn block_size(&self, _file_len: usize) -> usize {
        self.buffer.len()
    }
}

/// Where a read workload registers a reader variant (`sequential_read`
/// and `random_read` run the same variants over different requests).
pub trait ReaderVariants {
    /// Adds the reader of `source` as `function` (its role is the
    /// catalog's).
    fn add(&mut self, function: &str, source: impl ReaderSource + 'static);
}

/// Registers the read variants of `path`, copying through buffers of
/// `buffer_len` bytes: raw memmap2 views and copies (the floors), mmapio
/// and mmap-io `as_slice` on read-only and read-write mappings and
/// `read_into`, and `std::fs` positional reads.
pub fn add_read_variants(variants: &mut impl ReaderVariants, path: &Path, buffer_len: usize) {
    let raw = Memmap2Input::new(path);
    variants.add("memmap2_slice", PerRun(move || Memmap2Slices(raw.map())));
    let raw = Memmap2Input::new(path);
    variants.add(
        "memmap2_copy",
        PerRun(move || Memmap2Copies::new(raw.map(), buffer_len)),
    );
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let input = MmapioInput::new(path, access);
        variants.add(
            &format!("mmapio_as_slice_{}", access.suffix()),
            PerRun(move || MmapioSlices(input.map())),
        );
        variants.add(
            &format!("mmap_io_as_slice_{}", access.suffix()),
            MmapIoSlices(open_mmap_io(path, access)),
        );
    }
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let input = MmapioInput::new(path, access);
        variants.add(
            &format!("mmapio_read_into_{}", access.suffix()),
            PerRun(move || MmapioCopies::new(input.map(), buffer_len)),
        );
    }
    variants.add(
        "mmap_io_read_into_ro",
        MmapIoCopies::new(open_mmap_io(path, Access::ReadOnly), buffer_len),
    );
    variants.add("std_fs_read_at", StdFsReads::open(path, buffer_len));
}

/// The request stream of `random_read`: `request_len`-byte requests at
/// request-aligned offsets chosen by xorshift64 (so every request is in
/// range). The timed workload and its instruction-count twin read the same
/// stream through the same code.
#[derive(Clone, Copy, Debug)]
pub struct RandomRequests {
    request_len: usize,
    /// `file_len / request_len - 1`; both are powers of two.
    slot_mask: usize,
}

impl RandomRequests {
    /// Requests of `request_len` bytes over a file of `file_len` bytes;
    /// both must be powers of two, `request_len <= file_len`.
    pub fn new(file_len: usize, request_len: usize) -> Self {
        assert!(file_len.is_power_of_two() && request_len.is_power_of_two());
        assert!(request_len <= file_len);
        RandomRequests {
            request_len,
            slot_mask: file_len / request_len - 1,
        }
    }

    /// The bytes of one request.
    pub fn request_len(&self) -> usize {
        self.request_len
    }

    /// The offset of the next request of `rng`'s stream.
    #[inline(always)]
    pub fn next_offset(&self, rng: &mut Xorshift64) -> usize {
        (rng.next_u64() as usize & self.slot_mask) * self.request_len
    }

    /// Reads the next `count` requests of `rng`'s stream through `reader`
    /// and returns the sum of their checksums.
    #[inline]
    pub fn checksum_next(
        &self,
        reader: &mut impl RangeReader,
        rng: &mut Xorshift64,
        count: u64,
    ) -> u64 {
        let mut sum = 0u64;
        for _ in 0..count {
            let offset = self.next_offset(rng);
            sum = sum.wrapping_add(reader.checksum_range(offset, self.request_len));
        }
        sum
    }

    /// The sum of the checksums of the first `count` requests of the
    /// stream seeded with [`REQUEST_SEED`].
    pub fn checksum_first(&self, reader: &mut impl RangeReader, count: u64) -> u64 {
        self.checksum_next(reader, &mut Xorshift64::new(REQUEST_SEED), count)
    }
}

/// Reads all `file_len` bytes through `reader`, in its block size, and
/// returns the checksum of the whole file.
#[inline]
pub fn checksum_whole_file<R: RangeReader>(reader: &mut R, file_len: usize) -> u64 {
    let block = reader.block_size(file_len).max(1);
    let mut sum = 0u64;
    let mut offset = 0;
    while offset < file_len {
        let len = block.min(file_len - offset);
        sum = sum.wrapping_add(reader.checksum_range(offset, len));
        offset += len;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::MIB;

    #[test]
    fn copy_buffers_start_on_a_page_whatever_their_size() {
        // Allocated between small allocations, so the heap places them at
        // assorted offsets; every one still starts on a page boundary.
        let mut keep = Vec::new();
        for len in [0, 1, 64, 256, 4096, 65536, MIB] {
            keep.push(vec![0u8; len % 97 + 1]);
            let mut buffer = CopyBuffer::new(len);
            assert_eq!(buffer.len(), len);
            assert_eq!(buffer.is_empty(), len == 0);
            let bytes = buffer.bytes_mut();
            assert_eq!(bytes.len(), len);
            assert!(bytes.iter().all(|&b| b == 0));
            assert_eq!(bytes.as_ptr() as usize % COPY_BUFFER_ALIGN, 0, "len {len}");
        }
    }
}
