//! Helpers shared by the integration-test binaries in `tests/`; each binary
//! that needs them says `mod common;`.

// Every test binary compiles this module separately and uses only a subset
// of it, so the helpers a binary does not use would be reported as dead code.
#![allow(dead_code)]

use std::fmt::Debug;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mmapio::{MemoryMappedFile, MmapIoError, MmapMode};
use tempfile::TempDir;

// ------------------------------------------------------------ files and maps

/// Writes `content` to a new file `name` in `dir` and returns its path.
pub fn file_with(dir: &TempDir, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// A new read-write mapping of `path`, exactly `data.len()` bytes, holding `data`.
pub fn create_rw_with(path: &Path, data: &[u8]) -> MemoryMappedFile {
    let map = MemoryMappedFile::create_rw(path, data.len() as u64).unwrap();
    map.update_region(0, data).unwrap();
    map
}

/// A copy of every byte the mapping currently reads.
pub fn contents(map: &MemoryMappedFile) -> Vec<u8> {
    map.as_slice(0, map.len()).unwrap().to_vec()
}

/// The address of the first byte of a (non-empty) mapping.
pub fn base_addr(map: &MemoryMappedFile) -> usize {
    map.as_slice(0, 1).unwrap().as_ptr() as usize
}

// ---------------------------------------------------------- bounds and errors

// The checked-arithmetic bounds model, shared with the fuzz targets:
// `in_bounds` (`offset + len` fits in `total` bytes) and `model_range`.
// (Re-exports a binary does not use are not reported either.)
#[path = "../model/bounds.rs"]
mod bounds;
#[allow(unused_imports)]
pub use bounds::{in_bounds, model_range};

/// Asserts that `result` is `OutOfBounds` with exactly these fields.
#[track_caller]
pub fn assert_oob<T: Debug>(result: mmapio::Result<T>, offset: u64, len: u64, total: u64) {
    match result {
        Err(MmapIoError::OutOfBounds {
            offset: o,
            len: l,
            total: t,
        }) => assert_eq!((o, l, t), (offset, len, total), "wrong OutOfBounds fields"),
        other => panic!("expected OutOfBounds({offset}, {len}, {total}), got {other:?}"),
    }
}

/// Asserts that `result` is `InvalidMode` with exactly this operation and mode.
#[track_caller]
pub fn assert_invalid_mode<T: Debug>(result: mmapio::Result<T>, op: &str, mode: MmapMode) {
    match result {
        Err(MmapIoError::InvalidMode { op: o, mode: m }) => {
            assert_eq!((o, m), (op, mode), "wrong InvalidMode fields");
        }
        other => panic!("expected InvalidMode {{ op: {op:?}, mode: {mode:?} }}, got {other:?}"),
    }
}

// ----------------------------------------------------------- child processes

/// Reruns only `test_name` of this binary, with `env_var=1` and output piped.
pub fn child_test_command(test_name: &str, env_var: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(env_var, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits at most `within` (else kills and panics) for `child`: (status, stdout, stderr).
pub fn wait_with_output_within(
    mut child: Child,
    within: Duration,
    what: &str,
) -> (ExitStatus, String, String) {
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, out, err)
}

// ------------------------------------------------------- blocking calls

/// How long a thread that has signalled it is about to make a call is given
/// to (wrongly) finish it. Nothing can tell that a thread is parked on a
/// lock, so a blocked call is one that has not returned after this long.
pub const BLOCKED_FOR: Duration = Duration::from_millis(150);
/// How long a call that should proceed is given to finish before the test
/// fails instead of hanging.
pub const FINISH_WITHIN: Duration = Duration::from_secs(10);

/// A call running on its own thread, made by [`spawn_waiter`].
pub struct Waiter<T> {
    handle: JoinHandle<T>,
}

/// Runs `call` on a new thread and returns once that thread is about to
/// make it, so the waits that follow are measured from the call itself and
/// not from a thread that may not have been scheduled yet.
pub fn spawn_waiter<T, F>(call: F) -> Waiter<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let reached = Arc::new(Barrier::new(2));
    let signal = Arc::clone(&reached);
    let handle = std::thread::spawn(move || {
        // The first thing the thread does, so nothing can fail before it
        // and leave the main thread waiting on the barrier.
        signal.wait();
        call()
    });
    reached.wait();
    Waiter { handle }
}

/// Sleeps `BLOCKED_FOR`: after it, a waiter whose call did not block has
/// had ample time to return.
pub fn let_waiters_run() {
    std::thread::sleep(BLOCKED_FOR);
}

impl<T> Waiter<T> {
    /// Whether the call has returned (or panicked).
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Asserts the call is still running `BLOCKED_FOR` from now.
    #[track_caller]
    pub fn assert_blocked(&self, what: &str) {
        let_waiters_run();
        self.assert_still_blocked(what);
    }

    /// Asserts the call has not returned yet, without waiting first (for
    /// several waiters checked after one [`let_waiters_run`]).
    #[track_caller]
    pub fn assert_still_blocked(&self, what: &str) {
        assert!(!self.is_finished(), "did not block: {what}");
    }

    /// The call's result, waiting at most `FINISH_WITHIN`. Panics (leaving
    /// the thread detached, so the test fails instead of hanging) if the
    /// call has not returned by then; re-raises the waiter's panic.
    #[track_caller]
    pub fn finish(self, what: &str) -> T {
        let start = Instant::now();
        while !self.handle.is_finished() {
            assert!(
                start.elapsed() < FINISH_WITHIN,
                "not finished within {FINISH_WITHIN:?}: {what}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        match self.handle.join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Asserts that `call`, run on another thread, blocks until `release` runs,
/// then returns once it finishes: `what` names the call and what it waits
/// for, for the failure messages.
#[track_caller]
pub fn assert_blocks_until<T, F>(what: &str, call: F, release: impl FnOnce()) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let waiter = spawn_waiter(call);
    waiter.assert_blocked(what);
    release();
    waiter.finish(what)
}
