//! [`MmapReader`]: `std::io::Read`, `Seek` and `BufRead` over a whole
//! mapping, zero-copy.

use std::fmt;
use std::io::{self, BufRead, IoSliceMut, Read, Seek, SeekFrom};

use crate::shared_state::Storage;
use crate::views::MappedSlice;
use crate::{MemoryMappedFile, MmapIoError, Result};

/// A cursor over a whole mapping implementing [`Read`], [`Seek`] and
/// [`BufRead`], made by [`MemoryMappedFile::reader`].
///
/// It holds one [`MappedSlice`] of the whole mapping, taken when the reader
/// is made, and reads from it without copying more than the caller asks for:
/// [`fill_buf`](BufRead::fill_buf) hands out the mapped bytes themselves, so
/// `read_line`, `read_until` and `lines` need no intermediate buffer. On a
/// read-write mapping the reader therefore **holds a share of the file's
/// reader gate for its whole life**: [`resize`](MemoryMappedFile::resize)
/// and every writer wait until it is dropped (asked for by the thread that
/// holds it, they return
/// [`MmapIoError::WouldDeadlock`](crate::MmapIoError::WouldDeadlock)), so
/// the reader's length is the mapping's length when it was made, and no
/// write through this mapping can change the bytes under it.
/// Like every view it is neither `Send` nor `Sync`.
///
/// Positions behave exactly like [`std::io::Cursor`]'s: any `u64` position
/// is allowed, reading past the end returns 0 bytes, and a seek to a
/// negative or overflowing position is an [`io::ErrorKind::InvalidInput`]
/// error that leaves the position unchanged (never a panic, whatever the
/// arguments).
///
/// ```
/// use std::io::{BufRead, Read, Seek, SeekFrom};
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("lines.txt");
/// # std::fs::write(&path, b"first line\nsecond line\n").unwrap();
/// let map = mmapio::MemoryMappedFile::open_ro(&path)?;
/// let mut reader = map.reader();
/// let mut line = String::new();
/// reader.read_line(&mut line).unwrap();
/// assert_eq!(line, "first line\n");
///
/// reader.seek(SeekFrom::End(-5)).unwrap();
/// let mut tail = String::new();
/// reader.read_to_string(&mut tail).unwrap();
/// assert_eq!(tail, "line\n");
/// assert_eq!(reader.position(), 23);
/// assert!(reader.seek(SeekFrom::Current(-24)).is_err());
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub struct MmapReader<'a> {
    view: MappedSlice<'a>,
    pos: u64,
    /// Why the reader could not take its view (then `view` is empty): every
    /// read fails with this error instead.
    refused: Option<&'static str>,
}

impl MemoryMappedFile {
    /// A [`MmapReader`] over the whole mapping, positioned at 0.
    ///
    /// Works in every mode. On a read-write mapping the reader holds a
    /// share of the file's reader gate until dropped, so `resize` and
    /// writers wait for it (see [`MmapReader`]). Asked for by a thread that
    /// holds a [`MappedSliceMut`](crate::MappedSliceMut) of the file or is
    /// inside its `for_each_mut` walk, it would wait for that thread
    /// itself: instead, every read from it fails with an
    /// [`io::Error`] whose source is
    /// [`MmapIoError::WouldDeadlock`](crate::MmapIoError::WouldDeadlock)
    /// ([`try_reader`](Self::try_reader) says so at once).
    ///
    /// ```
    /// use std::io::Read;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("r.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 8)?;
    /// map.update_region(0, b"mmapio!!")?;
    /// let mut bytes = Vec::new();
    /// map.reader().read_to_end(&mut bytes).unwrap();
    /// assert_eq!(bytes, b"mmapio!!");
    ///
    /// let mut writing = map.as_slice_mut(0, 1)?;
    /// writing[0] = b'M';
    /// let mut refused = map.reader(); // this thread's own MappedSliceMut
    /// assert!(refused.read_to_end(&mut bytes).is_err());
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn reader(&self) -> MmapReader<'_> {
        self.try_reader().unwrap_or_else(|error| MmapReader {
            view: MappedSlice::borrowed(&[], 0),
            pos: 0,
            refused: Some(match error {
                MmapIoError::WouldDeadlock { op } => op,
                _ => "reader",
            }),
        })
    }

    /// [`reader`](Self::reader), or
    /// [`MmapIoError::WouldDeadlock`] when the calling thread holds the
    /// file for writing (a `MappedSliceMut` or a `for_each_mut` walk).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("t.bin");
    /// let map = mmapio::MemoryMappedFile::create_rw(&path, 8)?;
    /// let view = map.as_slice_mut(0, 8)?;
    /// assert!(matches!(
    ///     map.try_reader(),
    ///     Err(mmapio::MmapIoError::WouldDeadlock { op: "reader" })
    /// ));
    /// drop(view);
    /// assert_eq!(map.try_reader()?.get_ref().len(), 8);
    /// # Ok::<(), mmapio::MmapIoError>(())
    /// ```
    pub fn try_reader(&self) -> Result<MmapReader<'_>> {
        // The whole region, whatever its length is at this moment: taken
        // under the gate (if any), so there is no window in which a resize
        // could make a separately read length stale.
        let view = match &self.shared.storage {
            Storage::Unlocked(region) => MappedSlice::borrowed(region.bytes(), 0),
            Storage::Private(private) => {
                let guard = private.file().read(private.gate(), "reader")?;
                let len = guard.len().min(private.len()) as u64;
                MemoryMappedFile::private_slice_under(private, guard, 0, len)?
            }
            Storage::Locked(gate) => {
                let guard = self.shared.read(gate, "reader")?;
                let len = guard.len();
                MappedSlice::guarded(guard, 0..len)
            }
        };
        Ok(MmapReader {
            view,
            pos: 0,
            refused: None,
        })
    }
}

impl<'a> MmapReader<'a> {
    /// The current position (may be past the end).
    #[inline]
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Moves to `pos`; any value is allowed, as for [`std::io::Cursor`].
    #[inline]
    pub fn set_position(&mut self, pos: u64) {
        self.pos = pos;
    }

    /// The whole mapping this reader reads, zero-copy, whatever the
    /// position.
    #[inline]
    pub fn get_ref(&self) -> &MappedSlice<'a> {
        &self.view
    }

    /// Gives back the view of the whole mapping (and, on a read-write
    /// mapping, the read lock it holds).
    pub fn into_inner(self) -> MappedSlice<'a> {
        self.view
    }

    /// The bytes from the position to the end; empty when the position is
    /// at or past the end.
    /// Fails for a reader that could not take its view.
    #[inline]
    fn remaining(&self) -> io::Result<&[u8]> {
        if let Some(op) = self.refused {
            return Err(io::Error::other(MmapIoError::WouldDeadlock { op }));
        }
        let bytes: &[u8] = &self.view;
        // `min` with the length makes the cast lossless.
        let start = self.pos.min(bytes.len() as u64) as usize;
        Ok(&bytes[start..])
    }

    /// Advances by `n` bytes that were just read (`n` is at most the
    /// remaining length, so this cannot overflow; saturating regardless).
    #[inline]
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n as u64);
    }
}

impl Read for MmapReader<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let src = self.remaining()?;
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        self.advance(n);
        Ok(n)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let mut total = 0;
        for buf in bufs {
            let n = self.read(buf)?;
            total += n;
            if n < buf.len() {
                break;
            }
        }
        Ok(total)
    }

    /// Fills `buf` completely or fails with
    /// [`io::ErrorKind::UnexpectedEof`] and moves to the end, as
    /// [`std::io::Cursor`] does.
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        let src = self.remaining()?;
        if src.len() < buf.len() {
            self.pos = self.view.len() as u64;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "failed to fill whole buffer",
            ));
        }
        buf.copy_from_slice(&src[..buf.len()]);
        self.advance(buf.len());
        Ok(())
    }

    /// Appends everything from the position to the end with one copy.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let src = self.remaining()?;
        let n = src.len();
        buf.try_reserve(n).map_err(out_of_memory)?;
        buf.extend_from_slice(src);
        self.advance(n);
        Ok(n)
    }

    /// Appends everything from the position to the end, after checking that
    /// it is UTF-8 ([`io::ErrorKind::InvalidData`] otherwise, with `buf` and
    /// the position unchanged).
    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let src = std::str::from_utf8(self.remaining()?).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        })?;
        let n = src.len();
        buf.try_reserve(n).map_err(out_of_memory)?;
        buf.push_str(src);
        self.advance(n);
        Ok(n)
    }
}

fn out_of_memory(_: std::collections::TryReserveError) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        "cannot allocate room for the mapped bytes",
    )
}

impl BufRead for MmapReader<'_> {
    /// The mapped bytes from the position to the end, without copying.
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.remaining()
    }

    /// Moves forward by `amt` bytes (saturating at `u64::MAX`, so even an
    /// `amt` larger than [`fill_buf`](BufRead::fill_buf) returned cannot
    /// panic).
    #[inline]
    fn consume(&mut self, amt: usize) {
        self.advance(amt);
    }
}

impl Seek for MmapReader<'_> {
    /// As [`std::io::Cursor`]: `Start(n)` goes to `n`; `End(n)` and
    /// `Current(n)` go to the length or position plus `n`, and fail with
    /// [`io::ErrorKind::InvalidInput`] (position unchanged) if that is
    /// negative or overflows a `u64`.
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (base, delta) = match pos {
            SeekFrom::Start(n) => {
                self.pos = n;
                return Ok(n);
            }
            SeekFrom::End(n) => (self.view.len() as u64, n),
            SeekFrom::Current(n) => (self.pos, n),
        };
        match base.checked_add_signed(delta) {
            Some(n) => {
                self.pos = n;
                Ok(n)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            )),
        }
    }

    #[inline]
    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

impl fmt::Debug for MmapReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MmapReader")
            .field("len", &self.view.len())
            .field("position", &self.pos)
            .finish()
    }
}
