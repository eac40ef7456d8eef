//! Shared pieces of the `mmapio` fuzz targets.
//!
//! * A per-process scratch directory on a tmpfs (`/dev/shm` when it is
//!   usable, the system temp dir otherwise), created once; every target
//!   reuses a fixed file name in it, so nothing accumulates however long a
//!   run lasts. Directories left by earlier fuzzing processes that no longer
//!   exist (a crash ends a process without cleanup) are removed when the next
//!   process starts.
//! * Input shapes ([`Pos`], [`Span`], [`BufLen`], [`FileLen`], ...) that
//!   steer the fuzzer to the interesting edges: the last byte, one past the
//!   end, page boundaries and values near `u64::MAX`, besides any value.
//! * Small models: the bounds rule ([`model_range`]), the error shapes
//!   ([`assert_out_of_bounds`], [`assert_invalid_mode`]) and the flush
//!   accounting of every deterministic [`FlushPolicy`] ([`FlushModel`]).
//!   The bounds rule and the flush model are mmapio's own test models
//!   (`mmapio/tests/model/`), included here by path, so that the property
//!   tests and the fuzz targets check against one model.

use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use mmapio::{FlushPolicy, MemoryMappedFile, MmapIoError, MmapMode};

#[path = "../../mmapio/tests/model/bounds.rs"]
mod bounds;
#[path = "../../mmapio/tests/model/flush.rs"]
mod flush_model;

pub use bounds::model_range;
pub use flush_model::FlushModel;

/// Largest file a target creates ("a few hundred KiB").
pub const MAX_FILE: usize = 320 * 1024;

/// Largest buffer a target allocates beyond the file's length: reads and
/// writes of any `u64` length are covered by the `u64`-length methods and
/// `bounds_checks`; buffers are real allocations.
pub const MAX_BUF_EXTRA: usize = 64 * 1024;

/// The OS page size, as `mmapio` sees it.
pub fn page() -> usize {
    mmapio::page_size()
}

const PREFIX: &str = "mmapio-fuzz-";

/// This process's scratch directory, created on first use.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let name = format!("{PREFIX}{}", std::process::id());
        let shm = Path::new("/dev/shm");
        for base in [shm.to_path_buf(), std::env::temp_dir()] {
            if !base.is_dir() {
                continue;
            }
            sweep_stale(&base);
            let dir = base.join(&name);
            // A directory of an earlier process that had our pid.
            let _ = fs::remove_dir_all(&dir);
            if fs::create_dir_all(&dir).is_ok() {
                return dir;
            }
        }
        panic!("cannot create a scratch directory in /dev/shm or the temp dir");
    })
}

/// Removes scratch directories whose process is gone (Linux: no `/proc/PID`).
fn sweep_stale(base: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != me && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A fixed path in the scratch directory, with any file left there by the
/// previous iteration removed.
pub fn scratch_file(name: &str) -> PathBuf {
    let path = scratch_dir().join(name);
    match fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot remove {}: {e}", path.display()),
    }
    path
}

/// `len` deterministic, aperiodic bytes (xorshift64), so a byte read from
/// the wrong offset shows up as a mismatch.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let take = (len - out.len()).min(8);
        out.extend_from_slice(&state.to_le_bytes()[..take]);
    }
    out
}

/// The mapping mode, as the fuzzer chooses it.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `MmapMode::ReadOnly`.
    ReadOnly,
    /// `MmapMode::ReadWrite`.
    ReadWrite,
    /// `MmapMode::CopyOnWrite` (feature `cow`).
    CopyOnWrite,
}

impl Mode {
    /// The library's mode.
    pub fn mmap_mode(self) -> MmapMode {
        match self {
            Mode::ReadOnly => MmapMode::ReadOnly,
            Mode::ReadWrite => MmapMode::ReadWrite,
            Mode::CopyOnWrite => MmapMode::CopyOnWrite,
        }
    }
}

/// A flush policy whose effects are deterministic (no background thread).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Policy {
    /// `FlushPolicy::Manual`.
    Manual,
    /// `FlushPolicy::Never`.
    Never,
    /// `FlushPolicy::Always`.
    Always,
    /// `FlushPolicy::EveryBytes(n + 1)`.
    EveryBytes(u16),
    /// `FlushPolicy::EveryWrites(n + 1)`.
    EveryWrites(u8),
}

impl Policy {
    /// The library's policy (parameters are at least 1, so always valid).
    pub fn flush_policy(self) -> FlushPolicy {
        match self {
            Policy::Manual => FlushPolicy::Manual,
            Policy::Never => FlushPolicy::Never,
            Policy::Always => FlushPolicy::Always,
            Policy::EveryBytes(n) => FlushPolicy::EveryBytes(usize::from(n) + 1),
            Policy::EveryWrites(n) => FlushPolicy::EveryWrites(usize::from(n) + 1),
        }
    }
}

/// Writes `bytes` to `path` and maps it in `mode` with `policy`.
pub fn map_bytes(path: &Path, bytes: &[u8], mode: Mode, policy: FlushPolicy) -> MemoryMappedFile {
    fs::write(path, bytes).expect("write the scratch file");
    let map = MemoryMappedFile::builder(path)
        .mode(mode.mmap_mode())
        .flush_policy(policy)
        .open()
        .unwrap_or_else(|e| panic!("open {mode:?} over {} bytes: {e}", bytes.len()));
    assert_eq!(map.len(), bytes.len() as u64, "length after open");
    assert_eq!(map.mode(), mode.mmap_mode());
    map
}

/// A file length from 0 to [`MAX_FILE`], biased to small lengths and to
/// lengths around page multiples.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum FileLen {
    /// 0 to 255 bytes.
    Tiny(u8),
    /// Up to 64 KiB.
    Small(u16),
    /// `pages` pages plus or minus a few bytes.
    Pages {
        /// Number of pages (taken modulo what fits).
        pages: u8,
        /// Bytes added (or taken) after the whole pages.
        delta: i8,
    },
    /// Any length up to the maximum.
    Any(u32),
}

impl FileLen {
    /// The length, at most `max`.
    pub fn resolve(self, max: usize) -> usize {
        let page = page() as i64;
        let len = match self {
            FileLen::Tiny(n) => i64::from(n),
            FileLen::Small(n) => i64::from(n),
            FileLen::Pages { pages, delta } => {
                let pages = i64::from(pages) % (max as i64 / page + 1);
                pages * page + i64::from(delta)
            }
            FileLen::Any(n) => i64::from(n) % (max as i64 + 1),
        };
        len.clamp(0, max as i64) as usize
    }
}

/// An offset: any `u64`, biased to the start, the end, one past it and the
/// top of the `u64` range. Resolved against the current total length.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Pos {
    /// 0.
    Zero,
    /// A small offset from the start.
    Start(u16),
    /// Exactly the end.
    End,
    /// `n` bytes before the end (saturating at 0).
    BeforeEnd(u16),
    /// `n` bytes after the end.
    AfterEnd(u16),
    /// A page boundary plus a small delta.
    Page(u8, i8),
    /// `u64::MAX - n`.
    NearMax(u16),
    /// Anything.
    Any(u64),
}

impl Pos {
    /// The offset for a mapping of `total` bytes.
    pub fn resolve(self, total: u64) -> u64 {
        match self {
            Pos::Zero => 0,
            Pos::Start(n) => u64::from(n),
            Pos::End => total,
            Pos::BeforeEnd(n) => total.saturating_sub(u64::from(n)),
            Pos::AfterEnd(n) => total.saturating_add(u64::from(n)),
            Pos::Page(p, d) => {
                let base = u64::from(p) * page() as u64;
                base.saturating_add_signed(i64::from(d))
            }
            Pos::NearMax(n) => u64::MAX - u64::from(n),
            Pos::Any(n) => n,
        }
    }
}

/// A `u64` length, biased to 0, "the rest of the mapping" plus or minus a
/// little, and values that overflow `offset + len`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Span {
    /// 0.
    Zero,
    /// A small length.
    Small(u16),
    /// `total - offset + delta` (clamped to `0..=u64::MAX`).
    Rest(i16),
    /// `u64::MAX - n`.
    NearMax(u16),
    /// `u64::MAX - offset + 1 + n`: just enough to overflow `offset + len`.
    Overflow(u8),
    /// Anything.
    Any(u64),
}

impl Span {
    /// The length for a request at `offset` in a mapping of `total` bytes.
    pub fn resolve(self, offset: u64, total: u64) -> u64 {
        match self {
            Span::Zero => 0,
            Span::Small(n) => u64::from(n),
            Span::Rest(d) => {
                let v = i128::from(total) - i128::from(offset) + i128::from(d);
                v.clamp(0, i128::from(u64::MAX)) as u64
            }
            Span::NearMax(n) => u64::MAX - u64::from(n),
            Span::Overflow(n) => (u64::MAX - offset).wrapping_add(1 + u64::from(n)),
            Span::Any(n) => n,
        }
    }
}

/// A buffer length: like [`Span`] but an allocation, so it stays below
/// `total + MAX_BUF_EXTRA`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum BufLen {
    /// 0.
    Zero,
    /// A small length.
    Small(u8),
    /// `total - offset + delta`.
    Rest(i16),
    /// `n` pages plus a small delta.
    Pages(u8, i8),
    /// Any length up to 64 KiB.
    Any(u16),
}

impl BufLen {
    /// The length for a buffer at `offset` in a mapping of `total` bytes.
    pub fn resolve(self, offset: u64, total: u64) -> usize {
        let v: i128 = match self {
            BufLen::Zero => 0,
            BufLen::Small(n) => i128::from(n),
            BufLen::Rest(d) => i128::from(total) - i128::from(offset) + i128::from(d),
            BufLen::Pages(p, d) => i128::from(p) * page() as i128 + i128::from(d),
            BufLen::Any(n) => i128::from(n),
        };
        let max = total as i128 + MAX_BUF_EXTRA as i128;
        v.clamp(0, max) as usize
    }
}

/// Asserts `Err(OutOfBounds { offset, len, total })` with exactly these
/// fields.
#[track_caller]
pub fn assert_out_of_bounds<T: Debug>(
    result: Result<T, MmapIoError>,
    offset: u64,
    len: u64,
    total: u64,
) {
    match result {
        Err(MmapIoError::OutOfBounds {
            offset: o,
            len: l,
            total: t,
        }) if (o, l, t) == (offset, len, total) => {}
        other => panic!("expected OutOfBounds {{ offset: {offset}, len: {len}, total: {total} }}, got {other:?}"),
    }
}

/// Asserts `Err(InvalidMode { op, mode })` with exactly these fields.
#[track_caller]
pub fn assert_invalid_mode<T: Debug>(result: Result<T, MmapIoError>, op: &str, mode: MmapMode) {
    match result {
        Err(MmapIoError::InvalidMode { op: o, mode: m }) if o == op && m == mode => {}
        other => panic!("expected InvalidMode {{ op: {op:?}, mode: {mode:?} }}, got {other:?}"),
    }
}

/// Asserts that the whole mapping equals `model`, length included.
#[track_caller]
pub fn assert_mapping_eq(map: &MemoryMappedFile, model: &[u8]) {
    assert_eq!(map.len(), model.len() as u64, "mapping length");
    let view = map
        .as_slice(0, model.len() as u64)
        .expect("whole-mapping view");
    if *view != *model {
        let at = view
            .iter()
            .zip(model)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "mapping differs from the model at byte {at} (mapping {:#04x}, model {:#04x}), length {}",
            view[at],
            model[at],
            model.len()
        );
    }
}

/// Asserts that the file at `path` holds exactly `model`.
#[track_caller]
pub fn assert_file_eq(path: &Path, model: &[u8]) {
    let disk = fs::read(path).expect("read the scratch file back");
    assert_eq!(disk.len(), model.len(), "file length on disk");
    if disk != model {
        let at = disk
            .iter()
            .zip(model)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!("file on disk differs from the model at byte {at}");
    }
}

/// Number of chunks of `chunk` bytes that tile `len` bytes.
pub fn chunk_count(len: usize, chunk: usize) -> usize {
    len / chunk + usize::from(!len.is_multiple_of(chunk))
}

/// Checks one chunk of a tiling walk: not empty, at most `chunk` bytes,
/// exactly `chunk` unless it is the last, starting at `pos`, and equal to
/// the model's bytes there. Returns the position after it.
#[track_caller]
pub fn check_chunk(model: &[u8], pos: usize, offset: u64, bytes: &[u8], chunk: usize) -> usize {
    assert_eq!(offset, pos as u64, "chunk offset");
    assert!(!bytes.is_empty(), "empty chunk at {pos}");
    assert!(
        bytes.len() <= chunk,
        "chunk of {} bytes > {chunk}",
        bytes.len()
    );
    let end = pos + bytes.len();
    assert!(end <= model.len(), "chunk at {pos} runs past the end");
    if end < model.len() {
        assert_eq!(
            bytes.len(),
            chunk,
            "short chunk at {pos} that is not the last"
        );
    }
    assert!(
        bytes == &model[pos..end],
        "chunk at {pos} differs from the file"
    );
    end
}
