//! Small helpers for offsets and lengths, under mmap-io's module path
//! (`mmap_io::utils`) and with its signatures.
//!
//! Every function is total: any `u64` input gives a value or an
//! [`MmapIoError::OutOfBounds`], never a panic.
//!
//! ```
//! use mmapio::utils::{align_up, ensure_in_bounds, page_size, slice_range};
//! let page = page_size() as u64;
//! assert_eq!(align_up(1, page), page);
//! assert!(ensure_in_bounds(4, 4, 8).is_ok());
//! assert_eq!(slice_range(2, 3, 8)?, (2, 5));
//! # Ok::<(), mmapio::MmapIoError>(())
//! ```

use crate::{validate_range, MmapIoError, Result};

/// The OS page size (the same as [`crate::page_size`]).
pub fn page_size() -> usize {
    crate::os::page_size()
}

/// `value` rounded up to the next multiple of `alignment` (any alignment,
/// not only powers of two).
///
/// As in mmap-io, an `alignment` of 0 means "no alignment" and returns
/// `value`, and a result that would not fit in a `u64` saturates to
/// `u64::MAX` (which is then not a multiple of `alignment`); use
/// [`checked_align_up`] to tell that case apart.
///
/// ```
/// use mmapio::utils::align_up;
/// assert_eq!(align_up(0, 4096), 0);
/// assert_eq!(align_up(4097, 4096), 8192);
/// assert_eq!(align_up(10, 3), 12);
/// assert_eq!(align_up(10, 0), 10);
/// assert_eq!(align_up(u64::MAX, 4096), u64::MAX);
/// ```
pub fn align_up(value: u64, alignment: u64) -> u64 {
    if alignment == 0 {
        return value;
    }
    checked_align_up(value, alignment).unwrap_or(u64::MAX)
}

/// `value` rounded up to the next multiple of `alignment`, or `None` when
/// `alignment` is 0 or the result does not fit in a `u64`.
///
/// ```
/// use mmapio::utils::checked_align_up;
/// assert_eq!(checked_align_up(4097, 4096), Some(8192));
/// assert_eq!(checked_align_up(u64::MAX, 4096), None);
/// assert_eq!(checked_align_up(1, 0), None);
/// ```
pub fn checked_align_up(value: u64, alignment: u64) -> Option<u64> {
    if alignment == 0 {
        return None;
    }
    match value % alignment {
        0 => Some(value),
        rem => value.checked_add(alignment - rem),
    }
}

/// `Ok(())` when `offset..offset + len` lies inside `0..total`, else
/// [`MmapIoError::OutOfBounds`] (the check every ranged method makes; see
/// [`validate_range`] for the range itself).
///
/// ```
/// use mmapio::{utils::ensure_in_bounds, MmapIoError};
/// assert!(ensure_in_bounds(8, 0, 8).is_ok());
/// assert!(matches!(
///     ensure_in_bounds(u64::MAX, 1, 8),
///     Err(MmapIoError::OutOfBounds { .. })
/// ));
/// ```
pub fn ensure_in_bounds(offset: u64, len: u64, total: u64) -> Result<()> {
    validate_range(offset, len, total).map(drop)
}

/// The range `offset..offset + len` checked against `total`, as a
/// `(start, end)` pair of `usize`s ready to index a slice.
///
/// [`MmapIoError::OutOfBounds`] when the range does not lie inside
/// `0..total` or (on 32-bit targets) does not fit in `usize`.
///
/// ```
/// use mmapio::utils::slice_range;
/// let bytes = b"0123456789";
/// let (start, end) = slice_range(3, 4, bytes.len() as u64)?;
/// assert_eq!(&bytes[start..end], b"3456");
/// assert!(slice_range(8, 4, 10).is_err());
/// # Ok::<(), mmapio::MmapIoError>(())
/// ```
pub fn slice_range(offset: u64, len: u64, total: u64) -> Result<(usize, usize)> {
    let range = validate_range(offset, len, total)?;
    match (usize::try_from(range.start), usize::try_from(range.end)) {
        (Ok(start), Ok(end)) => Ok((start, end)),
        _ => Err(MmapIoError::OutOfBounds { offset, len, total }),
    }
}
