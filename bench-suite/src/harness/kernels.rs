//! What every variant computes on the bytes it reaches: the shared
//! checksum, the per-item reads of the iterator benches and the volatile
//! page touch. Shared and never inlined where noted, so that every variant
//! runs the same machine code.

use std::cell::Cell;

/// Sum of `bytes` as little-endian `u64` words (plus any trailing bytes),
/// wrapping. Reads every byte; never inlined, so every variant runs the
/// same machine code, and callers pass its input through
/// [`std::hint::black_box`] so the call cannot be hoisted out of a loop.
/// Splitting a range at multiples of 8 bytes does not change the sum.
#[inline(never)]
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut lanes = [0u64; 4];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let word = u64::from_le_bytes(word.try_into().expect("8-byte chunk"));
            *lane = lane.wrapping_add(word);
        }
    }
    let mut sum = lanes.iter().fold(0u64, |a, &b| a.wrapping_add(b));
    let mut words = blocks.remainder().chunks_exact(8);
    for word in &mut words {
        sum = sum.wrapping_add(u64::from_le_bytes(word.try_into().expect("8-byte chunk")));
    }
    for &byte in words.remainder() {
        sum = sum.wrapping_add(u64::from(byte));
    }
    sum
}

/// The trivial per-chunk body of the per-item iterator variants: reads the
/// first and the last byte of the chunk.
#[inline(always)]
pub fn first_and_last_byte(chunk: &[u8]) -> u64 {
    u64::from(chunk[0]) + u64::from(chunk[chunk.len() - 1])
}

/// Items that, like a read-write `mmapio` chunk, give back a share of a
/// count when dropped and make an out-of-line call when it reaches 0. The
/// count starts far above the number of items, so the call never happens;
/// it is there because LLVM does not unroll a loop that may call. Wraps the
/// chunks of a raw loop, to measure what that costs a loop without
/// `mmapio` in it.
pub struct SharedCountItems<'a, I> {
    chunks: I,
    count: &'a Cell<usize>,
}

impl<'a, I> SharedCountItems<'a, I> {
    /// Wraps `chunks`; `count` must stay above the number of items.
    pub fn new(chunks: I, count: &'a Cell<usize>) -> Self {
        SharedCountItems { chunks, count }
    }
}

impl<'a, 'c, I: Iterator<Item = &'c [u8]>> Iterator for SharedCountItems<'a, I> {
    type Item = SharedCountItem<'a, 'c>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.chunks.next()?;
        Some(SharedCountItem {
            bytes,
            count: self.count,
        })
    }
}

/// An item of [`SharedCountItems`].
pub struct SharedCountItem<'a, 'c> {
    bytes: &'c [u8],
    count: &'a Cell<usize>,
}

impl std::ops::Deref for SharedCountItem<'_, '_> {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

impl Drop for SharedCountItem<'_, '_> {
    #[inline(always)]
    fn drop(&mut self) {
        let left = self.count.get() - 1;
        self.count.set(left);
        if left == 0 {
            count_reached_zero(self.count);
        }
    }
}

/// Never called: see [`SharedCountItems`].
#[cold]
#[inline(never)]
fn count_reached_zero(count: &Cell<usize>) {
    count.set(usize::MAX);
}

/// The raw floor of `touch_pages`: one volatile read of the first byte of
/// every `page_size` step of `bytes`. Returns the number of pages read.
#[inline(never)]
pub fn volatile_touch(bytes: &[u8], page_size: usize) -> usize {
    let base = bytes.as_ptr();
    let mut pages = 0;
    let mut at = 0;
    while at < bytes.len() {
        // SAFETY: `at < bytes.len()`, so `base + at` points into `bytes`,
        // which is valid for reads for the whole call.
        std::hint::black_box(unsafe { std::ptr::read_volatile(base.add(at)) });
        pages += 1;
        at += page_size;
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::Xorshift64;

    #[test]
    fn checksum_reads_every_byte_and_splits_at_words() {
        let mut data = vec![0u8; 1000];
        Xorshift64::new(7).fill(&mut data);
        let whole = checksum(&data);
        for i in 0..data.len() {
            let mut changed = data.clone();
            changed[i] ^= 1;
            assert_ne!(checksum(&changed), whole, "byte {i} is not read");
        }
        for split in (0..=1000).step_by(8) {
            let parts = checksum(&data[..split]).wrapping_add(checksum(&data[split..]));
            assert_eq!(parts, whole, "split at {split}");
        }
    }

    #[test]
    fn volatile_touch_reads_one_byte_per_page() {
        let data = vec![1u8; 10_000];
        assert_eq!(volatile_touch(&data, 4096), 3);
        assert_eq!(volatile_touch(&data[..4096], 4096), 1);
        assert_eq!(volatile_touch(&[], 4096), 0);
    }
}
