//! The bounds rule of every ranged method, kept apart from the crate: a
//! request for `len` bytes at `offset` in a mapping of `total` bytes is
//! valid exactly when `offset + len` does not overflow and is at most
//! `total`, for any `u64`s. Included by path from `tests/common/mod.rs` (the
//! integration and property tests), `model/handles.rs` and
//! `fuzz/src/lib.rs` (the fuzz targets).

// Each includer uses a subset of the model.
#![allow(dead_code)]

use std::ops::Range;

/// Whether `len` bytes at `offset` fit in `total` bytes, with checked
/// arithmetic.
pub fn in_bounds(offset: u64, len: u64, total: u64) -> bool {
    offset.checked_add(len).is_some_and(|end| end <= total)
}

/// The byte range `offset..offset + len` when it is in bounds (see
/// [`in_bounds`]), otherwise `None`.
pub fn model_range(offset: u64, len: u64, total: u64) -> Option<Range<usize>> {
    in_bounds(offset, len, total).then(|| offset as usize..(offset + len) as usize)
}
