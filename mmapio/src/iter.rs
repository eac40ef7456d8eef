//! Chunk and page iterators (feature `iterator`).
//!
//! [`Chunks`] yields [`MappedSlice`]s cut straight from the mapping: pointer
//! arithmetic only, no allocation and no lock operation per item. On a
//! read-write mapping the iterator takes the read lock once and shares it
//! with every item through a non-atomic reference count, so an item that
//! outlives its iterator still holds the lock and `resize` keeps waiting for
//! it. [`ChunksMut::for_each_mut`] takes the write lock once for a whole walk
//! and lends each chunk to a closure, which cannot keep it.

use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::rc::Rc;

use parking_lot::RwLockReadGuard;

use crate::bounds::check_range;
use crate::mapped_file::Storage;
use crate::region::Region;
use crate::views::MappedSlice;
use crate::{os, MemoryMappedFile, MmapIoError, Result};

/// Zero-copy iterator over fixed-size chunks of a mapping; the last chunk
/// may be shorter. Created by [`MemoryMappedFile::chunks`] and
/// [`MemoryMappedFile::pages`].
///
/// Items are `!Send`: on read-write mappings they share the iterator's lock
/// guard through an `Rc`.
pub struct Chunks<'a> {
    base: *const u8,
    len: usize,
    pos: usize,
    chunk_size: usize,
    /// The read-write mapping's read lock, shared with every yielded item;
    /// `None` for lock-free modes.
    guard: Option<Rc<RwLockReadGuard<'a, Region>>>,
    _bytes: PhantomData<&'a [u8]>,
}

impl<'a> Chunks<'a> {
    fn new(map: &'a MemoryMappedFile, chunk_size: usize) -> Self {
        match &map.shared.storage {
            Storage::Unlocked(region) => Chunks {
                base: region.as_ptr(),
                len: region.len(),
                pos: 0,
                chunk_size,
                guard: None,
                _bytes: PhantomData,
            },
            Storage::Locked(lock) => {
                let guard = lock.read_recursive();
                Chunks {
                    base: guard.as_ptr(),
                    len: guard.len(),
                    pos: 0,
                    chunk_size,
                    guard: Some(Rc::new(guard)),
                    _bytes: PhantomData,
                }
            }
        }
    }

    fn remaining(&self) -> usize {
        let rest = self.len - self.pos;
        rest / self.chunk_size + usize::from(rest % self.chunk_size != 0)
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = MappedSlice<'a>;

    #[inline]
    fn next(&mut self) -> Option<MappedSlice<'a>> {
        let rest = self.len - self.pos;
        if rest == 0 {
            return None;
        }
        let n = rest.min(self.chunk_size);
        let offset = self.pos;
        // SAFETY: `offset + n <= len`, so the pointer stays inside the
        // `len`-byte region `base` points at.
        let ptr = unsafe { self.base.add(offset) };
        self.pos = offset + n;
        Some(match &self.guard {
            // SAFETY: lock-free regions are borrowed from `&'a
            // MemoryMappedFile` and are never written or resized while
            // shared, so `ptr..ptr + n` stays valid and unchanged for `'a`.
            None => {
                MappedSlice::borrowed(unsafe { std::slice::from_raw_parts(ptr, n) }, offset as u64)
            }
            // SAFETY: `ptr..ptr + n` lies in the region behind `guard` and
            // `offset` is its distance from the start; the item keeps the
            // guard alive for as long as it lives.
            Some(guard) => unsafe { MappedSlice::shared(Rc::clone(guard), ptr, n, offset as u64) },
        })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Chunks<'_> {}
impl FusedIterator for Chunks<'_> {}

impl std::fmt::Debug for Chunks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunks")
            .field("len", &self.len)
            .field("pos", &self.pos)
            .field("chunk_size", &self.chunk_size)
            .finish()
    }
}

/// Iterator over owned copies of fixed-size chunks. Created by
/// [`MemoryMappedFile::chunks_owned`] and [`MemoryMappedFile::pages_owned`].
///
/// Each item takes the lock only for its own copy, so `resize` can run
/// between items. The number of items is fixed when the iterator is made; an
/// item whose range no longer fits (the mapping shrank) is
/// `Err(OutOfBounds)`.
#[derive(Debug)]
pub struct ChunksOwned<'a> {
    map: &'a MemoryMappedFile,
    pos: u64,
    end: u64,
    chunk_size: u64,
}

impl Iterator for ChunksOwned<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        let rest = self.end - self.pos;
        if rest == 0 {
            return None;
        }
        let n = rest.min(self.chunk_size);
        let offset = self.pos;
        self.pos += n;
        Some(self.map.with_bytes(|bytes| {
            let range = check_range(offset, n, bytes.len())?;
            Ok(bytes[range].to_vec())
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest = self.end - self.pos;
        let n = rest / self.chunk_size + u64::from(rest % self.chunk_size != 0);
        // `n <= len / 1`, and the length of a mapping always fits in `usize`.
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl ExactSizeIterator for ChunksOwned<'_> {}
impl FusedIterator for ChunksOwned<'_> {}

/// A pending mutable walk over fixed-size chunks of a read-write mapping.
/// Created by [`MemoryMappedFile::chunks_mut`]; run it with
/// [`for_each_mut`](Self::for_each_mut).
#[derive(Debug)]
#[must_use = "nothing happens until for_each_mut is called"]
pub struct ChunksMut<'a> {
    map: &'a MemoryMappedFile,
    chunk_size: usize,
}

impl ChunksMut<'_> {
    /// Calls `f(offset, chunk)` for every chunk in order, under one
    /// acquisition of the write lock. The closure's first error stops the
    /// walk and is returned.
    ///
    /// Every chunk handed to the closure counts as pending bytes; afterwards
    /// the [`FlushPolicy`](crate::FlushPolicy) is applied (unless the
    /// closure failed). Errors: [`MmapIoError::InvalidChunkSize`] for a chunk
    /// size of 0, [`MmapIoError::InvalidMode`] on a mapping that is not
    /// read-write.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("w.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
    /// map.chunks_mut(4).for_each_mut(|offset, chunk| {
    ///     chunk.fill(offset as u8);
    ///     Ok(())
    /// })?;
    /// assert_eq!(map.as_slice(0, 10)?, [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn for_each_mut<F>(self, mut f: F) -> Result<()>
    where
        F: FnMut(u64, &mut [u8]) -> Result<()>,
    {
        if self.chunk_size == 0 {
            return Err(MmapIoError::InvalidChunkSize);
        }
        let lock = self.map.write_lock("chunks_mut")?;
        let mut dirtied = 0u64;
        let result = {
            let mut guard = lock.write();
            let bytes = guard.bytes_mut().ok_or(MmapIoError::InvalidMode {
                op: "chunks_mut",
                mode: self.map.mode(),
            })?;
            let mut offset = 0u64;
            let mut result = Ok(());
            for chunk in bytes.chunks_mut(self.chunk_size) {
                let n = chunk.len() as u64;
                dirtied += n;
                if let Err(e) = f(offset, chunk) {
                    result = Err(e);
                    break;
                }
                offset += n;
            }
            result
        };
        let due = self.map.shared.flush.record_dirty(dirtied);
        result?;
        if due {
            self.map.flush()?;
        }
        Ok(())
    }
}

impl MemoryMappedFile {
    /// Zero-copy chunks of `chunk_size` bytes over the whole mapping; the
    /// last may be shorter, and an empty mapping yields none.
    ///
    /// On a read-write mapping the iterator and its items hold the read lock
    /// (taken once), so `resize` and writers wait until all are dropped.
    /// A `chunk_size` of 0 is [`MmapIoError::InvalidChunkSize`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("c.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 10)?;
    /// let lens: Vec<usize> = map.chunks(4)?.map(|c| c.len()).collect();
    /// assert_eq!(lens, [4, 4, 2]);
    /// assert!(map.chunks(0).is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn chunks(&self, chunk_size: usize) -> Result<Chunks<'_>> {
        if chunk_size == 0 {
            return Err(MmapIoError::InvalidChunkSize);
        }
        Ok(Chunks::new(self, chunk_size))
    }

    /// Zero-copy chunks of exactly one OS page (the real page size; the
    /// last may be shorter).
    pub fn pages(&self) -> Chunks<'_> {
        Chunks::new(self, os::page_size())
    }

    /// Owned copies of `chunk_size`-byte chunks, one allocation per item.
    /// A `chunk_size` of 0 is [`MmapIoError::InvalidChunkSize`].
    pub fn chunks_owned(&self, chunk_size: usize) -> Result<ChunksOwned<'_>> {
        if chunk_size == 0 {
            return Err(MmapIoError::InvalidChunkSize);
        }
        Ok(ChunksOwned {
            map: self,
            pos: 0,
            end: self.len(),
            chunk_size: chunk_size as u64,
        })
    }

    /// Owned copies of page-sized chunks, one allocation per item.
    pub fn pages_owned(&self) -> ChunksOwned<'_> {
        ChunksOwned {
            map: self,
            pos: 0,
            end: self.len(),
            chunk_size: os::page_size() as u64,
        }
    }

    /// A mutable walk over `chunk_size`-byte chunks; see
    /// [`ChunksMut::for_each_mut`].
    pub fn chunks_mut(&self, chunk_size: usize) -> ChunksMut<'_> {
        ChunksMut {
            map: self,
            chunk_size,
        }
    }
}
