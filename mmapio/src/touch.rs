//! Pre-faulting pages so later accesses do not pay for page faults.

/// Whether a mapping pre-faults its pages when it is opened or created.
///
/// * `Never` (default): pages fault in on first access, as the OS does.
/// * `Eager`: every page is touched at open/create (and again after a
///   `resize`), so the first pass over the data runs at memory speed. Opening
///   costs one page fault per page, so it takes longer the larger the file
///   (figures: `touch_pages_large` in `docs/PERFORMANCE.md`). While atomic
///   views of the file live (they may be writing any byte), an open asks for
///   read-ahead instead, as `Lazy`, rather than read the bytes or wait.
/// * `Lazy`: the kernel is asked to read ahead in the background
///   (`madvise(MADV_WILLNEED)`) but opening does not wait for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TouchHint {
    /// Leave faulting to the OS.
    #[default]
    Never,
    /// Touch every page at open/create (and after `resize`), once the
    /// file is known to cover them: an open of a file cut shorter than its
    /// mapping returns [`MmapIoError::FileTruncated`](crate::MmapIoError::FileTruncated)
    /// instead of faulting.
    Eager,
    /// Ask for background read-ahead at open/create.
    Lazy,
}

/// Reads one byte of every page that `bytes` overlaps, with a volatile read
/// the optimiser cannot drop. `bytes` must start at an address whose
/// distance to a page boundary is `first_page_offset`. Returns the number of
/// pages touched.
pub(crate) fn touch_bytes(bytes: &[u8], page_size: usize, first_page_offset: usize) -> usize {
    let base = bytes.as_ptr();
    let mut touched = 0;
    let mut at = 0usize;
    // The first step reaches the next page boundary (short when the range
    // starts mid-page); every later step is one whole page.
    let mut step = page_size - first_page_offset % page_size;
    while at < bytes.len() {
        // SAFETY: `at < bytes.len()`, so `base + at` is inside `bytes`,
        // which is valid for reads for the whole call. A volatile read is
        // never optimised away, so the page really is faulted in.
        unsafe { std::ptr::read_volatile(base.add(at)) };
        touched += 1;
        // Cannot overflow: `at < bytes.len() <= isize::MAX` (a slice's
        // length) and `step <= page_size`, far below `usize::MAX / 2`.
        at += step;
        step = page_size;
    }
    touched
}

#[cfg(test)]
mod tests {
    use super::touch_bytes;

    #[test]
    fn one_read_per_overlapped_page() {
        let data = vec![1u8; 10_000];
        assert_eq!(touch_bytes(&data, 4096, 0), 3);
        assert_eq!(touch_bytes(&data[..4096], 4096, 0), 1);
        assert_eq!(touch_bytes(&data[..4097], 4096, 0), 2);
        // Starting 1 byte before a boundary: two pages for two bytes.
        assert_eq!(touch_bytes(&data[..2], 4096, 4095), 2);
        assert_eq!(touch_bytes(&[], 4096, 0), 0);
        assert_eq!(touch_bytes(&data[..1], 1, 0), 1);
    }
}
