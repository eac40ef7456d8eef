//! `ops_model`: a sequence of operations on one read-write mapping, checked
//! against a `Vec<u8>` model after every step.
//!
//! Up to a few hundred operations, through any of up to three handles
//! (clones share one mapping), segments and a reader: `as_slice`,
//! `as_slice_mut`, `read_into`, `update_region`, `resize` (grow, shrink,
//! same length, 0, too large for the address space, too large for the file
//! system), `flush`, `flush_range`, `touch_pages`, `touch_pages_range`,
//! `chunks`, `pages`, `chunks_owned` (with a resize between items),
//! `chunks_mut().for_each_mut`, `segment`/`segment_mut` and every segment
//! method, and `reader()` with seeks, reads, `fill_buf`/`consume`,
//! `read_until` and `read_to_string` (checked against `std::io::Cursor` over
//! the model, which the reader documents it behaves exactly like).
//!
//! After every step: every handle's length equals the model's, the whole
//! mapping reads back as the model, and `flush_stats()` follows the flush
//! policy's documented accounting. Every error is predicted exactly by the
//! model (variant and fields). At the end, after dropping or unmapping, the
//! file on disk holds exactly the model.
#![no_main]

use std::io::{self, BufRead, Cursor, IoSliceMut, Read, Seek, SeekFrom};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mmapio::{MemoryMappedFile, MmapIoError, Segment, SegmentMut};
use mmapio_fuzz::{
    assert_file_eq, assert_mapping_eq, assert_out_of_bounds, check_chunk, chunk_count, model_range,
    page, pattern, scratch_file, BufLen, FileLen, FlushModel, Policy, Pos, Span,
};

/// Longest the mapping grows to.
const MAX_LEN: usize = 256 * 1024;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum NewLen {
    Zero,
    Same,
    Small(u16),
    Pages(u8, i8),
    Grow(u16),
    Shrink(u16),
    /// `u64::MAX`: not mappable (`InvalidSize`).
    Max,
    /// `isize::MAX + 1`: not mappable (`InvalidSize`).
    PastIsize,
    /// `2^62`: mappable on paper, but the file system or `mmap` refuses it
    /// (`ResizeFailed`, old length and contents kept).
    Enormous,
}

impl NewLen {
    fn resolve(self, len: usize) -> u64 {
        let v = match self {
            NewLen::Zero => 0,
            NewLen::Same => len as i64,
            NewLen::Small(n) => i64::from(n),
            NewLen::Pages(p, d) => i64::from(p) * page() as i64 + i64::from(d),
            NewLen::Grow(n) => len as i64 + i64::from(n),
            NewLen::Shrink(n) => len as i64 - i64::from(n),
            NewLen::Max => return u64::MAX,
            NewLen::PastIsize => return isize::MAX as u64 + 1,
            NewLen::Enormous => return 1 << 62,
        };
        v.clamp(0, MAX_LEN as i64) as u64
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Chunk {
    One,
    Page,
    Small(u16),
    Huge(u64),
    Zero,
}

impl Chunk {
    fn resolve(self) -> usize {
        match self {
            Chunk::One => 1,
            Chunk::Page => page(),
            Chunk::Small(n) => usize::from(n),
            Chunk::Huge(n) => n as usize,
            Chunk::Zero => 0,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Delta {
    Small(i16),
    Any(i64),
}

impl Delta {
    fn get(self) -> i64 {
        match self {
            Delta::Small(n) => i64::from(n),
            Delta::Any(n) => n,
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum ReaderOp {
    SeekStart(Pos),
    SeekEnd(Delta),
    SeekCurrent(Delta),
    SetPosition(Pos),
    Read(BufLen),
    ReadExact(BufLen),
    ReadVectored(Vec<u8>),
    FillBufConsume(u16),
    ReadUntil(u8),
    ReadLine,
    ReadToEnd,
    ReadToString,
}

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    Clone,
    DropHandle(u8),
    AsSlice {
        h: u8,
        offset: Pos,
        len: Span,
    },
    AsSliceMut {
        h: u8,
        offset: Pos,
        len: Span,
        seed: u64,
    },
    ReadInto {
        h: u8,
        offset: Pos,
        len: BufLen,
    },
    Update {
        h: u8,
        offset: Pos,
        len: BufLen,
        seed: u64,
    },
    Resize {
        h: u8,
        to: NewLen,
    },
    Flush {
        h: u8,
    },
    FlushRange {
        h: u8,
        offset: Pos,
        len: Span,
    },
    TouchPages {
        h: u8,
    },
    TouchPagesRange {
        h: u8,
        offset: Pos,
        len: Span,
    },
    Chunks {
        h: u8,
        size: Chunk,
        keep: bool,
    },
    Pages {
        h: u8,
    },
    ChunksOwned {
        h: u8,
        size: Chunk,
        resize: Option<(u8, NewLen)>,
    },
    ChunksMut {
        h: u8,
        size: Chunk,
        fail_at: Option<u8>,
        xor: u8,
    },
    Segment {
        h: u8,
        offset: Pos,
        len: Span,
        writable: bool,
    },
    DropSegment(u8),
    SegSlice {
        s: u8,
        rel: Pos,
        len: Span,
    },
    SegAsSlice {
        s: u8,
    },
    SegReadInto {
        s: u8,
        rel: Pos,
        len: BufLen,
    },
    SegUpdate {
        s: u8,
        rel: Pos,
        len: BufLen,
        seed: u64,
    },
    SegAsSliceMut {
        s: u8,
        seed: u64,
    },
    SegFlush {
        s: u8,
    },
    Reader {
        h: u8,
        ops: Vec<ReaderOp>,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ending {
    Drop,
    /// `unmap()` once every other handle and segment is gone: gives the file.
    Unmap,
    /// `unmap()` while other handles or segments still exist: refused.
    UnmapShared,
}

#[derive(Arbitrary, Debug)]
struct Input {
    len: FileLen,
    /// Create the file with `create()` (zero-filled) instead of writing it
    /// first and opening it.
    create: bool,
    policy: Policy,
    seed: u64,
    ops: Vec<Op>,
    ending: Ending,
}

enum Seg {
    Ro(Segment),
    Rw(SegmentMut),
}

impl Seg {
    fn bounds(&self) -> (u64, u64) {
        match self {
            Seg::Ro(s) => (s.offset(), s.len()),
            Seg::Rw(s) => (s.offset(), s.len()),
        }
    }
}

/// The segment rule: checked against the segment first (relative fields),
/// then against the mapping's current length (absolute fields).
fn seg_range(
    seg: (u64, u64),
    rel: u64,
    len: u64,
    total: u64,
) -> Result<std::ops::Range<usize>, (u64, u64, u64)> {
    let (offset, seg_len) = seg;
    if model_range(rel, len, seg_len).is_none() {
        return Err((rel, len, seg_len));
    }
    let abs = offset + rel;
    model_range(abs, len, total).ok_or((abs, len, total))
}

#[track_caller]
fn expect_range<T: std::fmt::Debug>(
    result: mmapio::Result<T>,
    expected: &Result<std::ops::Range<usize>, (u64, u64, u64)>,
    what: &str,
) -> Option<T> {
    match expected {
        Ok(_) => Some(result.unwrap_or_else(|e| panic!("{what} failed: {e:?}"))),
        Err((o, l, t)) => {
            assert_out_of_bounds(result, *o, *l, *t);
            None
        }
    }
}

fn io_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: io::Result<T>, want: io::Result<T>) {
    match (got, want) {
        (Ok(g), Ok(w)) => assert_eq!(g, w, "{what}: result differs from Cursor"),
        (Err(g), Err(w)) => assert_eq!(g.kind(), w.kind(), "{what}: error differs from Cursor"),
        (g, w) => panic!("{what}: reader gave {g:?}, Cursor gave {w:?}"),
    }
}

struct State {
    handles: Vec<MemoryMappedFile>,
    segs: Vec<Seg>,
    model: Vec<u8>,
    stats: FlushModel,
}

impl State {
    fn handle(&self, h: u8) -> &MemoryMappedFile {
        &self.handles[usize::from(h) % self.handles.len()]
    }

    fn total(&self) -> u64 {
        self.model.len() as u64
    }

    fn resize(&mut self, h: u8, to: NewLen) {
        let new_len = to.resolve(self.model.len());
        let result = self.handle(h).resize(new_len);
        match to {
            NewLen::Max | NewLen::PastIsize => match result {
                Err(MmapIoError::InvalidSize { size, .. }) if size == new_len => {}
                other => panic!("resize({new_len}): expected InvalidSize, got {other:?}"),
            },
            NewLen::Enormous => match result {
                // The failure leaves the old length and contents; checked
                // after this step like every other.
                Err(MmapIoError::ResizeFailed { new_len: n, .. }) if n == new_len => {}
                other => panic!("resize({new_len}): expected ResizeFailed, got {other:?}"),
            },
            _ if new_len == 0 => match result {
                Err(MmapIoError::InvalidSize { size: 0, .. }) => {}
                other => panic!("resize(0): expected InvalidSize, got {other:?}"),
            },
            _ => {
                result.unwrap_or_else(|e| panic!("resize({new_len}) failed: {e:?}"));
                let old_len = self.total();
                self.model.resize(new_len as usize, 0);
                self.stats.resize(old_len, new_len);
            }
        }
    }

    fn apply(&mut self, op: Op) {
        let total = self.total();
        match op {
            Op::Clone => {
                if self.handles.len() < 3 {
                    let h = self.handles[0].clone();
                    self.handles.push(h);
                }
            }
            Op::DropHandle(i) => {
                if self.handles.len() > 1 {
                    let i = usize::from(i) % self.handles.len();
                    self.handles.remove(i);
                }
            }
            Op::AsSlice { h, offset, len } => {
                let offset = offset.resolve(total);
                let len = len.resolve(offset, total);
                let result = self.handle(h).as_slice(offset, len);
                match model_range(offset, len, total) {
                    Some(range) => {
                        let view = result
                            .unwrap_or_else(|e| panic!("as_slice({offset}, {len}) failed: {e:?}"));
                        assert_eq!(view.offset(), offset);
                        assert!(
                            *view == self.model[range],
                            "as_slice({offset}, {len}) bytes"
                        );
                    }
                    None => assert_out_of_bounds(result, offset, len, total),
                }
            }
            Op::AsSliceMut {
                h,
                offset,
                len,
                seed,
            } => {
                let offset = offset.resolve(total);
                let len = len.resolve(offset, total);
                let result =
                    self.handles[usize::from(h) % self.handles.len()].as_slice_mut(offset, len);
                match model_range(offset, len, total) {
                    Some(range) => {
                        let mut view = result.unwrap_or_else(|e| {
                            panic!("as_slice_mut({offset}, {len}) failed: {e:?}")
                        });
                        assert_eq!((view.offset(), view.len()), (offset, range.len()));
                        assert!(
                            *view == self.model[range.clone()],
                            "as_slice_mut({offset}, {len}) bytes"
                        );
                        let data = pattern(seed, range.len());
                        view.copy_from_slice(&data);
                        drop(view);
                        self.model[range].copy_from_slice(&data);
                        self.stats.slice_mut_dropped(len);
                    }
                    None => assert_out_of_bounds(result, offset, len, total),
                }
            }
            Op::ReadInto { h, offset, len } => {
                let offset = offset.resolve(total);
                let len = len.resolve(offset, total);
                let mut buf = vec![0x5A; len];
                let result = self.handle(h).read_into(offset, &mut buf);
                match model_range(offset, len as u64, total) {
                    Some(range) => {
                        result
                            .unwrap_or_else(|e| panic!("read_into({offset}, {len}) failed: {e:?}"));
                        assert!(buf == self.model[range], "read_into({offset}, {len}) bytes");
                    }
                    None => {
                        assert_out_of_bounds(result, offset, len as u64, total);
                        assert!(buf.iter().all(|&b| b == 0x5A), "failed read_into wrote");
                    }
                }
            }
            Op::Update {
                h,
                offset,
                len,
                seed,
            } => {
                let offset = offset.resolve(total);
                let data = pattern(seed, len.resolve(offset, total));
                let n = data.len() as u64;
                let result = self.handle(h).update_region(offset, &data);
                match model_range(offset, n, total) {
                    Some(range) => {
                        result.unwrap_or_else(|e| {
                            panic!("update_region({offset}, {n}) failed: {e:?}")
                        });
                        self.model[range].copy_from_slice(&data);
                        self.stats.update_region(n);
                    }
                    None => assert_out_of_bounds(result, offset, n, total),
                }
            }
            Op::Resize { h, to } => self.resize(h, to),
            Op::Flush { h } => {
                self.handle(h).flush().expect("flush");
                self.stats.flush(total);
            }
            Op::FlushRange { h, offset, len } => {
                let offset = offset.resolve(total);
                let len = len.resolve(offset, total);
                let result = self.handle(h).flush_range(offset, len);
                match model_range(offset, len, total) {
                    Some(_) => {
                        result.unwrap_or_else(|e| {
                            panic!("flush_range({offset}, {len}) failed: {e:?}")
                        });
                        self.stats.flush_range(len);
                    }
                    None => assert_out_of_bounds(result, offset, len, total),
                }
            }
            Op::TouchPages { h } => {
                self.handle(h).touch_pages().expect("touch_pages");
                self.handle(h).check_file_len().expect("check_file_len");
            }
            Op::TouchPagesRange { h, offset, len } => {
                let offset = offset.resolve(total);
                let len = len.resolve(offset, total);
                let result = self.handle(h).touch_pages_range(offset, len);
                match model_range(offset, len, total) {
                    Some(_) => result.unwrap_or_else(|e| {
                        panic!("touch_pages_range({offset}, {len}) failed: {e:?}")
                    }),
                    None => assert_out_of_bounds(result, offset, len, total),
                }
            }
            Op::Chunks { h, size, keep } => {
                let size = size.resolve();
                let result = self.handle(h).try_chunks(size);
                if size == 0 {
                    assert!(
                        matches!(result, Err(MmapIoError::InvalidChunkSize)),
                        "try_chunks(0): {result:?}"
                    );
                    assert_eq!(self.handle(h).chunks(0).count(), 0);
                    return;
                }
                let mut iter = result.expect("chunks");
                let count = chunk_count(self.model.len(), size);
                assert_eq!(iter.len(), count);
                let mut kept = Vec::new();
                let mut pos = 0;
                for item in iter.by_ref() {
                    pos = check_chunk(&self.model, pos, item.offset(), &item, size);
                    if keep {
                        kept.push(item);
                    }
                }
                assert_eq!(pos, self.model.len());
                drop(iter);
                let mut pos = 0;
                for item in &kept {
                    pos = check_chunk(&self.model, pos, item.offset(), item, size);
                }
            }
            Op::Pages { h } => {
                let iter = self.handle(h).pages();
                assert_eq!(iter.len(), chunk_count(self.model.len(), page()));
                let mut pos = 0;
                for item in iter {
                    pos = check_chunk(&self.model, pos, item.offset(), &item, page());
                }
                assert_eq!(pos, self.model.len());
            }
            Op::ChunksOwned { h, size, resize } => {
                let size = size.resolve();
                let map = self.handles[usize::from(h) % self.handles.len()].clone();
                let result = map.try_chunks_owned(size);
                if size == 0 {
                    assert!(
                        matches!(result, Err(MmapIoError::InvalidChunkSize)),
                        "try_chunks_owned(0): {result:?}"
                    );
                    assert_eq!(map.chunks_owned(0).count(), 0);
                    return;
                }
                let mut iter = result.expect("chunks_owned");
                // The items are fixed when the iterator is made.
                let end = self.model.len();
                let count = chunk_count(end, size);
                for i in 0.. {
                    if let Some((at, to)) = resize {
                        if usize::from(at) == i {
                            // Owned iterators hold no lock between items.
                            self.resize(h, to);
                        }
                    }
                    assert_eq!(iter.len(), count - i, "chunks_owned len() before item {i}");
                    let Some(item) = iter.next() else { break };
                    let offset = i * size;
                    let n = (end - offset).min(size);
                    match model_range(offset as u64, n as u64, self.total()) {
                        Some(range) => {
                            let bytes =
                                item.unwrap_or_else(|e| panic!("owned item {i} failed: {e:?}"));
                            assert!(bytes == self.model[range], "owned item {i} bytes");
                        }
                        None => assert_out_of_bounds(item, offset as u64, n as u64, self.total()),
                    }
                }
            }
            Op::ChunksMut {
                h,
                size,
                fail_at,
                xor,
            } => {
                let size = size.resolve();
                let fail_at = fail_at.map(usize::from);
                let mut calls = 0usize;
                let mut pos = 0usize;
                let mut handed = 0u64;
                let model = &mut self.model;
                let map = &self.handles[usize::from(h) % self.handles.len()];
                let result = map.chunks_mut(size).for_each_mut(|offset, chunk| {
                    let index = calls;
                    calls += 1;
                    pos = check_chunk(model, pos, offset, chunk, size);
                    handed += chunk.len() as u64;
                    for (b, m) in chunk.iter_mut().zip(&mut model[offset as usize..]) {
                        *b ^= xor;
                        *m ^= xor;
                    }
                    if fail_at == Some(index) {
                        return Err(MmapIoError::InvalidChunkSize);
                    }
                    Ok(())
                });
                if size == 0 {
                    assert!(matches!(result, Err(MmapIoError::InvalidChunkSize)) && calls == 0);
                    return;
                }
                let count = chunk_count(self.model.len(), size);
                match fail_at.filter(|&i| i < count) {
                    Some(i) => {
                        assert!(
                            matches!(result, Err(MmapIoError::InvalidChunkSize)),
                            "{result:?}"
                        );
                        assert_eq!(calls, i + 1, "the walk stops at the first error");
                        self.stats.walk(handed, false);
                    }
                    None => {
                        result.unwrap_or_else(|e| panic!("chunks_mut walk failed: {e:?}"));
                        assert_eq!((calls, pos), (count, self.model.len()));
                        self.stats.walk(handed, true);
                    }
                }
            }
            Op::Segment {
                h,
                offset,
                len,
                writable,
            } => {
                let offset = offset.resolve(total);
                let len = len.resolve(offset, total);
                let map = self.handle(h);
                let seg = if writable {
                    map.segment_mut(offset, len).map(Seg::Rw)
                } else {
                    map.segment(offset, len).map(Seg::Ro)
                };
                match model_range(offset, len, total) {
                    Some(_) => {
                        let seg = seg
                            .unwrap_or_else(|e| panic!("segment({offset}, {len}) failed: {e:?}"));
                        assert_eq!(seg.bounds(), (offset, len));
                        if self.segs.len() >= 4 {
                            self.segs.remove(0);
                        }
                        self.segs.push(seg);
                    }
                    None => assert_out_of_bounds(seg.map(|s| s.bounds()), offset, len, total),
                }
            }
            Op::DropSegment(s) => {
                if !self.segs.is_empty() {
                    let i = usize::from(s) % self.segs.len();
                    self.segs.remove(i);
                }
            }
            Op::SegSlice { s, rel, len } => {
                let Some(seg) = self.seg(s) else { return };
                let b = seg.bounds();
                let rel = rel.resolve(b.1);
                let len = len.resolve(rel, b.1);
                let expected = seg_range(b, rel, len, total);
                let result = match seg {
                    Seg::Ro(x) => x.slice(rel, len),
                    Seg::Rw(x) => x.slice(rel, len),
                };
                if let Some(view) = expect_range(result, &expected, "segment slice") {
                    let range = expected.unwrap();
                    assert_eq!(
                        view.offset(),
                        range.start as u64,
                        "segment views carry absolute offsets"
                    );
                    assert!(*view == self.model[range], "segment slice bytes");
                }
            }
            Op::SegAsSlice { s } => {
                let Some(seg) = self.seg(s) else { return };
                let (offset, len) = seg.bounds();
                let expected = model_range(offset, len, total).ok_or((offset, len, total));
                let result = match seg {
                    Seg::Ro(x) => x.as_slice(),
                    Seg::Rw(x) => x.as_slice(),
                };
                if let Some(view) = expect_range(result, &expected, "segment as_slice") {
                    assert_eq!(view.offset(), offset);
                    assert!(
                        *view == self.model[expected.unwrap()],
                        "segment as_slice bytes"
                    );
                }
            }
            Op::SegReadInto { s, rel, len } => {
                let Some(seg) = self.seg(s) else { return };
                let b = seg.bounds();
                let rel = rel.resolve(b.1);
                let len = len.resolve(rel, b.1);
                let expected = seg_range(b, rel, len as u64, total);
                let mut buf = vec![0xC3; len];
                let result = match seg {
                    Seg::Ro(x) => x.read_into(rel, &mut buf),
                    Seg::Rw(x) => x.read_into(rel, &mut buf),
                };
                if expect_range(result, &expected, "segment read_into").is_some() {
                    assert!(
                        buf == self.model[expected.unwrap()],
                        "segment read_into bytes"
                    );
                } else {
                    assert!(
                        buf.iter().all(|&b| b == 0xC3),
                        "failed segment read_into wrote"
                    );
                }
            }
            Op::SegUpdate { s, rel, len, seed } => {
                let Some(Seg::Rw(seg)) = self.seg(s) else {
                    return;
                };
                // A clone (cheap) so the model can change while it is used.
                let seg = seg.clone();
                let b = (seg.offset(), seg.len());
                let rel = rel.resolve(b.1);
                let data = pattern(seed, len.resolve(rel, b.1));
                let n = data.len() as u64;
                let expected = seg_range(b, rel, n, total);
                let result = seg.update_region(rel, &data);
                if expect_range(result, &expected, "segment update_region").is_some() {
                    self.model[expected.unwrap()].copy_from_slice(&data);
                    self.stats.update_region(n);
                }
            }
            Op::SegAsSliceMut { s, seed } => {
                let Some(Seg::Rw(seg)) = self.seg(s) else {
                    return;
                };
                // A clone (cheap) so the model can change while it is used.
                let seg = seg.clone();
                let (offset, len) = (seg.offset(), seg.len());
                let expected = model_range(offset, len, total).ok_or((offset, len, total));
                let view = expect_range(seg.as_slice_mut(), &expected, "segment as_slice_mut");
                if let Some(mut view) = view {
                    let range = expected.unwrap();
                    assert_eq!((view.offset(), view.len()), (offset, range.len()));
                    assert!(
                        *view == self.model[range.clone()],
                        "segment as_slice_mut bytes"
                    );
                    let data = pattern(seed, range.len());
                    view.copy_from_slice(&data);
                    drop(view);
                    self.model[range].copy_from_slice(&data);
                    self.stats.slice_mut_dropped(len);
                }
            }
            Op::SegFlush { s } => {
                let Some(Seg::Rw(seg)) = self.seg(s) else {
                    return;
                };
                // A clone (cheap) so the model can change while it is used.
                let seg = seg.clone();
                let (offset, len) = (seg.offset(), seg.len());
                let expected = model_range(offset, len, total).ok_or((offset, len, total));
                if expect_range(seg.flush(), &expected, "segment flush").is_some() {
                    self.stats.flush_range(len);
                }
            }
            Op::Reader { h, ops } => self.reader(h, &ops),
        }
    }

    fn seg(&self, s: u8) -> Option<&Seg> {
        if self.segs.is_empty() {
            return None;
        }
        Some(&self.segs[usize::from(s) % self.segs.len()])
    }

    fn reader(&self, h: u8, ops: &[ReaderOp]) {
        let mut reader = self.handle(h).reader();
        let mut cursor = Cursor::new(&self.model[..]);
        assert_eq!(reader.get_ref().len(), self.model.len());
        for op in ops.iter().take(32) {
            let total = self.total();
            let pos = cursor.position();
            match op {
                ReaderOp::SeekStart(p) => {
                    let to = SeekFrom::Start(p.resolve(total));
                    io_eq("seek", reader.seek(to), cursor.seek(to));
                }
                ReaderOp::SeekEnd(d) => {
                    let to = SeekFrom::End(d.get());
                    io_eq("seek", reader.seek(to), cursor.seek(to));
                }
                ReaderOp::SeekCurrent(d) => {
                    let to = SeekFrom::Current(d.get());
                    io_eq("seek", reader.seek(to), cursor.seek(to));
                }
                ReaderOp::SetPosition(p) => {
                    let to = p.resolve(total);
                    reader.set_position(to);
                    cursor.set_position(to);
                }
                ReaderOp::Read(len) => {
                    let n = len.resolve(pos, total);
                    let (mut a, mut b) = (vec![0; n], vec![0; n]);
                    io_eq("read", reader.read(&mut a), cursor.read(&mut b));
                    assert!(a == b, "read bytes");
                }
                ReaderOp::ReadExact(len) => {
                    let n = len.resolve(pos, total);
                    let (mut a, mut b) = (vec![0; n], vec![0; n]);
                    let (ra, rb) = (reader.read_exact(&mut a), cursor.read_exact(&mut b));
                    let ok = ra.is_ok();
                    io_eq("read_exact", ra, rb);
                    if ok {
                        assert!(a == b, "read_exact bytes");
                    }
                }
                ReaderOp::ReadVectored(lens) => {
                    let lens: Vec<usize> =
                        lens.iter().take(4).map(|&l| usize::from(l) * 37).collect();
                    let mut a: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0; l]).collect();
                    let mut b = a.clone();
                    let mut sa: Vec<IoSliceMut<'_>> =
                        a.iter_mut().map(|v| IoSliceMut::new(v)).collect();
                    let mut sb: Vec<IoSliceMut<'_>> =
                        b.iter_mut().map(|v| IoSliceMut::new(v)).collect();
                    io_eq(
                        "read_vectored",
                        reader.read_vectored(&mut sa),
                        cursor.read_vectored(&mut sb),
                    );
                    drop((sa, sb));
                    assert!(a == b, "read_vectored bytes");
                }
                ReaderOp::FillBufConsume(amt) => {
                    let got = reader.fill_buf().expect("fill_buf").to_vec();
                    let want = cursor.fill_buf().expect("Cursor::fill_buf").to_vec();
                    assert!(got == want, "fill_buf bytes");
                    let amt = usize::from(*amt);
                    // `Cursor::consume` would overflow its position; the
                    // reader saturates. Compare only where both are defined.
                    if pos.checked_add(amt as u64).is_some() {
                        reader.consume(amt);
                        cursor.consume(amt);
                    }
                }
                ReaderOp::ReadUntil(byte) => {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    io_eq(
                        "read_until",
                        reader.read_until(*byte, &mut a),
                        cursor.read_until(*byte, &mut b),
                    );
                    assert!(a == b, "read_until bytes");
                }
                ReaderOp::ReadLine => {
                    let (mut a, mut b) = (String::new(), String::new());
                    io_eq(
                        "read_line",
                        reader.read_line(&mut a),
                        cursor.read_line(&mut b),
                    );
                    assert_eq!(a, b, "read_line text");
                }
                ReaderOp::ReadToEnd => {
                    let (mut a, mut b) = (vec![1], vec![1]);
                    io_eq(
                        "read_to_end",
                        reader.read_to_end(&mut a),
                        cursor.read_to_end(&mut b),
                    );
                    assert!(a == b, "read_to_end bytes");
                }
                ReaderOp::ReadToString => {
                    let (mut a, mut b) = (String::from("x"), String::from("x"));
                    io_eq(
                        "read_to_string",
                        reader.read_to_string(&mut a),
                        cursor.read_to_string(&mut b),
                    );
                    assert_eq!(a, b, "read_to_string text");
                }
            }
            assert_eq!(
                reader.position(),
                cursor.position(),
                "position after {op:?}"
            );
            assert_eq!(reader.stream_position().unwrap(), cursor.position());
        }
        let whole = reader.into_inner();
        assert_eq!(whole.offset(), 0);
        assert!(
            *whole == self.model[..],
            "the reader's view is the whole mapping"
        );
    }

    #[track_caller]
    fn check(&self) {
        for h in &self.handles {
            assert_eq!(h.len(), self.total(), "every handle sees one length");
        }
        assert_mapping_eq(&self.handles[0], &self.model);
        self.stats.assert_matches(&self.handles[0]);
    }
}

fuzz_target!(|input: Input| {
    let len = input.len.resolve(128 * 1024);
    let policy = input.policy.flush_policy();
    let path = scratch_file("ops_model.bin");
    let (map, model) = if input.create && len > 0 {
        let map = MemoryMappedFile::builder(&path)
            .size(len as u64)
            .flush_policy(policy)
            .create()
            .expect("create");
        (map, vec![0; len])
    } else {
        let bytes = pattern(input.seed, len);
        let map = mmapio_fuzz::map_bytes(&path, &bytes, mmapio_fuzz::Mode::ReadWrite, policy);
        (map, bytes)
    };
    let mut state = State {
        handles: vec![map],
        segs: Vec::new(),
        model,
        stats: FlushModel::new(policy),
    };
    state.check();
    for op in input.ops.into_iter().take(300) {
        state.apply(op);
        state.check();
    }

    let State {
        mut handles,
        segs,
        model,
        ..
    } = state;
    match input.ending {
        Ending::Drop => {
            drop(segs);
            drop(handles);
        }
        Ending::Unmap => {
            drop(segs);
            handles.truncate(1);
            let map = handles.pop().unwrap();
            let file = map
                .unmap()
                .expect("unmap of the only handle gives the file back");
            assert_eq!(file.metadata().unwrap().len(), model.len() as u64);
        }
        Ending::UnmapShared => {
            let shared = handles.len() > 1 || !segs.is_empty();
            let map = handles.pop().unwrap();
            match map.unmap() {
                Err(map) if shared => assert_eq!(map.len(), model.len() as u64),
                Ok(file) if !shared => {
                    assert_eq!(file.metadata().unwrap().len(), model.len() as u64)
                }
                Ok(_) => panic!("unmap gave the file back while other handles exist"),
                Err(_) => panic!("unmap of the only handle was refused"),
            }
            drop(segs);
            drop(handles);
        }
    }
    assert_file_eq(&path, &model);
});
