//! A model of several handles of one file, opened separately in one
//! process, shared by the property test `tests/handles_model.rs` and the
//! fuzz target `handles_model` (both include this file by path).
//!
//! The handles are opened in the given modes, every one beside every other
//! and in any order (copy-on-write ones show the file's bytes: the model
//! makes no private writes).
//! Then a sequence of operations runs through them: views that stay alive
//! across steps, writes, mutable views, resizes, flushes, reads, opens that
//! probe the rule, and races between a writer and readers on other threads.
//! A call that must wait for live views runs on its own thread, which must
//! not finish while the views live; the views are then dropped and it must.
//! After every step: no live view has changed, every handle has the model's
//! length and reads back the model's bytes.

use std::path::Path;
use std::time::{Duration, Instant};

use mmapio::{MappedSlice, MemoryMappedFile, MmapIoError, MmapMode};

#[path = "bounds.rs"]
mod bounds;

/// One operation; handle and view numbers are taken modulo what exists.
#[derive(Clone, Debug)]
pub enum Op {
    /// `as_slice(offset, len)` through handle `h`, kept alive.
    View { h: usize, offset: u64, len: u64 },
    /// Drops live view `i`.
    DropView { i: usize },
    /// `update_region(offset, data)` through handle `h`.
    Write {
        h: usize,
        offset: u64,
        data: Vec<u8>,
    },
    /// `as_slice_mut(offset, len)` through `h`, filled with `byte`.
    SliceMut {
        h: usize,
        offset: u64,
        len: u64,
        byte: u8,
    },
    /// `resize(len)` through `h`.
    Resize { h: usize, len: u64 },
    /// `flush()` through `h`.
    Flush { h: usize },
    /// `flush_range(offset, len)` through `h`.
    FlushRange { h: usize, offset: u64, len: u64 },
    /// `read_into(offset, ..)` of `len` bytes through `h`.
    ReadInto { h: usize, offset: u64, len: u64 },
    /// Opens one more handle in `mode` and drops it again.
    Probe { mode: MmapMode },
    /// A writer (handle `writer`) fills the mapping with `byte` while two
    /// threads read through handle `reader`: no reader view may be torn.
    Race {
        writer: usize,
        reader: usize,
        byte: u8,
    },
}

/// How long a call that must wait is given to (wrongly) finish.
pub struct Timing {
    pub blocked_for: Duration,
}

struct LiveView<'h> {
    view: MappedSlice<'h>,
    snapshot: Vec<u8>,
}

/// Runs `ops` over handles of the file at `path` (which holds `initial`)
/// opened in `modes`; panics on any departure from the model.
pub fn run(path: &Path, initial: &[u8], modes: &[MmapMode], ops: &[Op], timing: &Timing) {
    std::fs::write(path, initial).unwrap();
    // Every mode opens beside every other (none of these handles lends
    // bare borrows, the one thing that refuses a read-write open).
    let handles: Vec<MemoryMappedFile> = modes
        .iter()
        .map(
            |&mode| match MemoryMappedFile::builder(path).mode(mode).open() {
                Ok(map) => map,
                Err(e) => panic!("open {mode:?}: {e:?}"),
            },
        )
        .collect();
    // A copy-on-write mapping keeps the length it was mapped at, and ends
    // sooner where the file does.
    let caps = handles
        .iter()
        .map(|h| match h.mode() {
            MmapMode::CopyOnWrite => initial.len() as u64,
            _ => u64::MAX,
        })
        .collect();
    if handles.is_empty() {
        return;
    }
    let bytes = {
        let mut model = Model {
            handles: &handles,
            bytes: initial.to_vec(),
            views: Vec::new(),
            caps,
            path,
            timing,
        };
        model.check();
        for op in ops {
            model.apply(op);
            model.check();
        }
        model.views.clear();
        model.bytes
    };
    let writable = handles.iter().any(|h| h.mode() == MmapMode::ReadWrite);
    drop(handles);
    if writable {
        assert_eq!(
            std::fs::read(path).unwrap(),
            bytes,
            "the file after the last handle"
        );
    }
}

struct Model<'h> {
    handles: &'h [MemoryMappedFile],
    bytes: Vec<u8>,
    views: Vec<LiveView<'h>>,
    /// Per handle, the most bytes it can show (see `run`).
    caps: Vec<u64>,
    path: &'h Path,
    timing: &'h Timing,
}

impl<'h> Model<'h> {
    fn handle(&self, h: usize) -> &'h MemoryMappedFile {
        &self.handles[h % self.handles.len()]
    }

    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn range(&self, offset: u64, len: u64) -> Option<std::ops::Range<usize>> {
        bounds::model_range(offset, len, self.len())
    }

    /// The length handle `h` shows.
    fn len_of(&self, h: usize) -> u64 {
        self.caps[h % self.handles.len()].min(self.len())
    }

    /// `range` within what handle `h` shows.
    fn range_of(&self, h: usize, offset: u64, len: u64) -> Option<std::ops::Range<usize>> {
        bounds::model_range(offset, len, self.len_of(h))
    }

    /// Whether a writer must wait for the live views: they hold the shared
    /// lock of a writable state (every handle shares it when one is
    /// read-write).
    fn views_hold_the_lock(&self) -> bool {
        !self.views.is_empty() && self.handles.iter().any(|h| h.mode() == MmapMode::ReadWrite)
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::View { h, offset, len } => {
                let map = self.handle(h);
                match (self.range_of(h, offset, len), map.as_slice(offset, len)) {
                    (Some(range), Ok(view)) => {
                        let snapshot = self.bytes[range].to_vec();
                        assert_eq!(&*view, snapshot.as_slice(), "a new view");
                        if self.views.len() == 4 {
                            self.views.remove(0);
                        }
                        self.views.push(LiveView { view, snapshot });
                    }
                    (None, Err(MmapIoError::OutOfBounds { .. })) => {}
                    (want, got) => panic!("as_slice({offset}, {len}): {want:?} vs {got:?}"),
                }
            }
            Op::DropView { i } => {
                if !self.views.is_empty() {
                    let i = i % self.views.len();
                    self.views.remove(i);
                }
            }
            Op::Write {
                h,
                offset,
                ref data,
            } => {
                let map = self.handle(h);
                let want = self.write_outcome(map, offset, data.len() as u64);
                let blocks = map.mode() == MmapMode::ReadWrite;
                let result = self.writer(blocks, || map.update_region(offset, data));
                if let (Ok(range), Ok(())) = (&want, &result) {
                    self.bytes[range.clone()].copy_from_slice(data);
                }
                expect("update_region", want.map(drop), result);
            }
            Op::SliceMut {
                h,
                offset,
                len,
                byte,
            } => {
                let map = self.handle(h);
                let want = self.write_outcome(map, offset, len);
                let blocks = map.mode() == MmapMode::ReadWrite;
                let result = self.writer(blocks, move || {
                    map.as_slice_mut(offset, len)
                        .map(|mut view| view.fill(byte))
                });
                if let (Ok(range), Ok(())) = (&want, &result) {
                    self.bytes[range.clone()].fill(byte);
                }
                expect("as_slice_mut", want.map(drop), result);
            }
            Op::Resize { h, len } => {
                let map = self.handle(h);
                // Windows refuses to cut a file while any view of it is
                // mapped, and a copy-on-write handle's private mapping is one.
                let cut_beside_a_private_mapping = cfg!(windows)
                    && len < self.len()
                    && self
                        .handles
                        .iter()
                        .any(|h| h.mode() == MmapMode::CopyOnWrite);
                let want = if map.mode() != MmapMode::ReadWrite {
                    Err("InvalidMode")
                } else if len == 0 {
                    Err("InvalidSize")
                } else if cut_beside_a_private_mapping {
                    Err("ResizeFailed")
                } else {
                    Ok(())
                };
                // Only a valid request gets as far as the lock (one Windows
                // refuses gets there too: the OS says no under it).
                let reaches_the_lock = want.is_ok() || want == Err("ResizeFailed");
                let result = self.writer(reaches_the_lock, move || map.resize(len));
                if want.is_ok() && result.is_ok() {
                    self.bytes.resize(len as usize, 0);
                }
                expect("resize", want, result);
            }
            Op::Flush { h } => self.handle(h).flush().expect("flush"),
            Op::FlushRange { h, offset, len } => {
                let result = self.handle(h).flush_range(offset, len);
                let want = self.range_of(h, offset, len).map(drop).ok_or("OutOfBounds");
                expect("flush_range", want, result);
            }
            Op::ReadInto { h, offset, len } => {
                let len = len.min(1 << 16);
                let mut buf = vec![0; len as usize];
                let result = self.handle(h).read_into(offset, &mut buf);
                match self.range_of(h, offset, len) {
                    Some(range) => {
                        result.expect("read_into");
                        assert_eq!(buf, self.bytes[range], "read_into({offset}, {len})");
                    }
                    None => expect("read_into", Err("OutOfBounds"), result),
                }
            }
            Op::Probe { mode } => {
                let opened = MemoryMappedFile::builder(self.path).mode(mode).open();
                let map = opened.unwrap_or_else(|e| panic!("probe open {mode:?}: {e:?}"));
                assert_eq!(map.len(), self.len(), "a new handle's length");
                let mut all = vec![0; self.bytes.len()];
                map.read_into(0, &mut all).unwrap();
                assert_eq!(all, self.bytes, "a new handle's bytes");
            }
            Op::Race {
                writer,
                reader,
                byte,
            } => self.race(writer, reader, byte),
        }
    }

    /// What a write of `len` bytes at `offset` through `map` must give.
    fn write_outcome(
        &self,
        map: &MemoryMappedFile,
        offset: u64,
        len: u64,
    ) -> Result<std::ops::Range<usize>, &'static str> {
        if map.mode() != MmapMode::ReadWrite {
            return Err("InvalidMode");
        }
        self.range(offset, len).ok_or("OutOfBounds")
    }

    /// Runs a call that takes the write lock when `blocks`. While views
    /// hold the lock it runs on its own thread: it must still be waiting
    /// after the grace period, with every view unchanged; then the views
    /// are dropped and it must finish.
    fn writer(
        &mut self,
        blocks: bool,
        call: impl FnOnce() -> mmapio::Result<()> + Send,
    ) -> mmapio::Result<()> {
        if !blocks || !self.views_hold_the_lock() {
            return call();
        }
        let started = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                started.wait();
                call()
            });
            started.wait();
            std::thread::sleep(self.timing.blocked_for);
            self.check_views();
            assert!(
                !waiter.is_finished(),
                "a writer did not wait for live views"
            );
            self.views.clear();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !waiter.is_finished() {
                assert!(
                    Instant::now() < deadline,
                    "a writer still waits with no view left"
                );
                std::thread::sleep(Duration::from_micros(200));
            }
            waiter.join().unwrap()
        })
    }

    fn race(&mut self, writer: usize, reader: usize, byte: u8) {
        self.views.clear();
        let shown = self.len_of(reader) as usize;
        let (writer, reader) = (self.handle(writer), self.handle(reader));
        let before = self.bytes.clone();
        let after = vec![byte; before.len()];
        let (before_shown, after_shown) = (&before[..shown], &after[..shown]);
        let writes = writer.mode() == MmapMode::ReadWrite && !after.is_empty();
        std::thread::scope(|s| {
            // Joined by hand: a scope's implicit join waits for the closures,
            // not for the threads to exit, and LeakSanitizer (in the fuzz
            // target) then sees a thread's TLS destructor list as leaked.
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        for _ in 0..8 {
                            let view = reader.as_slice(0, shown as u64).unwrap();
                            let first = view.to_vec();
                            std::thread::yield_now();
                            assert_eq!(&*view, first.as_slice(), "a view changed while alive");
                            assert!(
                                first == before_shown || (writes && first == after_shown),
                                "a torn view: neither the old nor the new bytes"
                            );
                        }
                    })
                })
                .collect();
            if writes {
                writer.update_region(0, &after).unwrap();
            }
            for reader in readers {
                reader.join().unwrap();
            }
        });
        if writes {
            self.bytes = after;
        }
    }

    fn check_views(&self) {
        for (i, live) in self.views.iter().enumerate() {
            assert_eq!(
                &*live.view,
                live.snapshot.as_slice(),
                "live view {i} changed"
            );
        }
    }

    fn check(&self) {
        self.check_views();
        for (i, map) in self.handles.iter().enumerate() {
            let len = self.len_of(i);
            assert_eq!(map.len(), len, "handle {i}'s length");
            let mut all = vec![0; len as usize];
            map.read_into(0, &mut all).unwrap();
            assert_eq!(all, self.bytes[..len as usize], "handle {i}'s bytes");
        }
    }
}

/// Compares a result with the model's verdict (`Err` names the variant).
#[track_caller]
fn expect(what: &str, want: Result<(), &'static str>, got: mmapio::Result<()>) {
    let got_name = got.as_ref().map_err(|e| match e {
        MmapIoError::InvalidMode { .. } => "InvalidMode",
        MmapIoError::OutOfBounds { .. } => "OutOfBounds",
        MmapIoError::InvalidSize { .. } => "InvalidSize",
        MmapIoError::ResizeFailed { .. } => "ResizeFailed",
        _ => "other",
    });
    assert_eq!(got_name.map(drop), want, "{what}: {got:?}");
}
