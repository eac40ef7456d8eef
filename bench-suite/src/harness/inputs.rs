//! Deterministic inputs: the seeded xorshift64 PRNG and the input and
//! scratch files generated once under `target/bench-data/`.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::profile::{size_label, KIB, MIB};
use crate::store::target_dir;

/// Seed of the input files' contents.
pub const DATA_SEED: u64 = 0x6d6d_6170_696f_2d31;
/// Seed of the `random_read` request offsets.
pub const REQUEST_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// Marsaglia's xorshift64 (shifts 13, 7, 17): tiny, fast and deterministic,
/// so every run reads the same bytes at the same offsets.
#[derive(Clone, Debug)]
pub struct Xorshift64 {
    state: u64,
}

impl Xorshift64 {
    /// A generator seeded with `seed` (0, which xorshift cannot leave, is
    /// replaced by a fixed non-zero constant).
    pub const fn new(seed: u64) -> Xorshift64 {
        Xorshift64 {
            state: if seed == 0 { DATA_SEED } else { seed },
        }
    }

    /// The next value.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// Fills `buf` with the next values, little-endian.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut words = buf.chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let tail = words.into_remainder();
        let last = self.next_u64().to_le_bytes();
        let n = tail.len();
        tail.copy_from_slice(&last[..n]);
    }
}

/// `target/bench-data/`: the generated input files (on the target
/// directory's disk, not a tmpfs). Created on first use.
pub fn data_dir() -> PathBuf {
    let dir = target_dir().join("bench-data");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// A read-only input file of `len` bytes of xorshift64 output seeded with
/// [`DATA_SEED`], generated once and reused by later runs (its length and
/// first 64 KiB are checked, and it is regenerated if they are wrong).
/// Benches never write to it.
pub fn input_file(len: usize) -> PathBuf {
    let path = data_dir().join(format!("input-{}.bin", size_label(len)));
    if !has_expected_head(&path, len) {
        generate(&path, len);
    }
    path
}

/// A file of `len` bytes that a bench may write to (the write targets and
/// the atomic counters), named after `purpose`. Filled with the same
/// deterministic bytes as the inputs when first created, so it is never
/// sparse; reused afterwards if its length is right.
pub fn scratch_file(purpose: &str, len: usize) -> PathBuf {
    let path = data_dir().join(format!("scratch-{purpose}-{}.bin", size_label(len)));
    let right_len = fs::metadata(&path).map(|m| m.len() == len as u64);
    if !matches!(right_len, Ok(true)) {
        generate(&path, len);
    }
    path
}

fn has_expected_head(path: &Path, len: usize) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    if !matches!(file.metadata(), Ok(m) if m.len() == len as u64) {
        return false;
    }
    let head_len = len.min(64 * KIB);
    let mut expected = vec![0u8; head_len];
    Xorshift64::new(DATA_SEED).fill(&mut expected);
    let mut actual = vec![0u8; head_len];
    file.read_exact(&mut actual).is_ok() && actual == expected
}

/// Writes `len` bytes of the [`DATA_SEED`] stream to `path` through a
/// temporary file and a rename, so a half-written file is never reused.
fn generate(path: &Path, len: usize) {
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = File::create(&partial)?;
        let mut rng = Xorshift64::new(DATA_SEED);
        let mut block = vec![0u8; MIB];
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len());
            // Blocks are whole multiples of 8 bytes except possibly the last,
            // so the stream is the same whatever the file length.
            rng.fill(&mut block[..n]);
            file.write_all(&block[..n])?;
            left -= n;
        }
        file.sync_all()?;
        fs::rename(&partial, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&partial);
        panic!("generating {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift64_matches_the_reference_sequence() {
        // Reference values of Marsaglia's 13/7/17 generator from seed 1.
        let mut rng = Xorshift64::new(1);
        assert_eq!(rng.next_u64(), 1_082_269_761);
        assert_eq!(rng.next_u64(), 1_152_992_998_833_853_505);
        assert_eq!(rng.next_u64(), 11_177_516_664_432_764_457);
    }
}
