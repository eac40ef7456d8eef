//! Range validation shared by every ranged operation.
//!
//! Kept free of any mapping state so it can be tested exhaustively (proptest
//! and Miri) against a plain checked-arithmetic model.

use std::ops::Range;

use crate::{MmapIoError, Result};

/// Checks that `offset..offset + len` lies inside `0..total` and returns it
/// as a `usize` range.
///
/// A zero-length range is valid at any `offset <= total` (an empty range at
/// the very end included), mirroring slice indexing. Every arithmetic step is
/// checked, so any `u64` input gives `Ok` or [`MmapIoError::OutOfBounds`],
/// never a panic.
#[inline]
pub(crate) fn check_range(offset: u64, len: u64, total: usize) -> Result<Range<usize>> {
    let out_of_bounds = || MmapIoError::OutOfBounds {
        offset,
        len,
        total: total as u64,
    };
    let end = offset.checked_add(len).ok_or_else(out_of_bounds)?;
    if end > total as u64 {
        return Err(out_of_bounds());
    }
    // Both fit in `usize` because `end <= total`, and `total` is a `usize`.
    Ok(offset as usize..end as usize)
}

/// Validates a `(offset, len, total)` triple exactly as every ranged method
/// of [`MemoryMappedFile`](crate::MemoryMappedFile) does, without a mapping.
///
/// Exposed so fuzzers and users can check requests up front; it returns the
/// byte range the request covers.
///
/// ```
/// use mmapio::{validate_range, MmapIoError};
/// assert_eq!(validate_range(4, 4, 8).unwrap(), 4..8);
/// assert_eq!(validate_range(8, 0, 8).unwrap(), 8..8);
/// assert!(matches!(
///     validate_range(u64::MAX, 2, 8),
///     Err(MmapIoError::OutOfBounds { offset: u64::MAX, len: 2, total: 8 })
/// ));
/// ```
pub fn validate_range(offset: u64, len: u64, total: u64) -> Result<Range<u64>> {
    let out_of_bounds = || MmapIoError::OutOfBounds { offset, len, total };
    let end = offset.checked_add(len).ok_or_else(out_of_bounds)?;
    if end > total {
        return Err(out_of_bounds());
    }
    Ok(offset..end)
}

/// Rounds the (already validated) byte range `start..start + len` out to
/// whole pages: the start down, the end up. Returns `(page_start, span)`.
///
/// The rounded end may pass the mapping's length by less than a page, which
/// is still inside the mapping's last page (mappings are page-granular).
/// Cannot overflow: `start + len <= isize::MAX` for any valid range.
#[cfg_attr(not(any(feature = "advise", feature = "locking")), allow(dead_code))]
pub(crate) fn page_span(start: usize, len: usize, page_size: usize) -> (usize, usize) {
    let page_start = start - start % page_size;
    let end = start + len;
    let page_end = end.div_ceil(page_size) * page_size;
    (page_start, page_end - page_start)
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_span_rounds_out() {
        use super::page_span;
        assert_eq!(page_span(0, 1, 4096), (0, 4096));
        assert_eq!(page_span(4095, 2, 4096), (0, 8192));
        assert_eq!(page_span(4096, 4096, 4096), (4096, 4096));
        assert_eq!(page_span(5000, 0, 4096), (4096, 4096));
    }

    use super::*;

    #[test]
    fn edges() {
        assert_eq!(check_range(0, 0, 0).unwrap(), 0..0);
        assert_eq!(check_range(3, 0, 3).unwrap(), 3..3);
        assert!(check_range(4, 0, 3).is_err());
        assert_eq!(check_range(1, 2, 3).unwrap(), 1..3);
        for (o, l) in [(u64::MAX, 0), (u64::MAX, 1), (0, u64::MAX), (1, u64::MAX)] {
            match check_range(o, l, 10) {
                Err(MmapIoError::OutOfBounds { offset, len, total }) => {
                    assert_eq!((offset, len, total), (o, l, 10));
                }
                other => panic!("({o}, {l}) gave {other:?}"),
            }
        }
    }

    #[test]
    fn agrees_with_public_validator() {
        for total in 0..6usize {
            for offset in 0..8u64 {
                for len in 0..8u64 {
                    let a = check_range(offset, len, total).map(|r| r.start as u64..r.end as u64);
                    let b = validate_range(offset, len, total as u64);
                    assert_eq!(format!("{a:?}"), format!("{b:?}"));
                }
            }
        }
    }
}
