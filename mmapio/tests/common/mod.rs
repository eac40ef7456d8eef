//! Helpers shared by the integration-test binaries in `tests/`; each binary
//! that needs them says `mod common;`.

// Every test binary compiles this module separately and uses only a subset
// of it, so the helpers a binary does not use would be reported as dead code.
#![allow(dead_code)]

use std::fmt::Debug;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
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

/// The checked-arithmetic bounds model: `offset + len` fits in `total` bytes.
pub fn in_bounds(offset: u64, len: u64, total: u64) -> bool {
    offset.checked_add(len).is_some_and(|end| end <= total)
}

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
