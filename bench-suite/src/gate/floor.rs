//! Which raw `memmap2_` variant a variant's time is divided by, if any.
//!
//! The floor is the fastest raw loop of the same shape at the same
//! parameter, measured in the same run: a `for` loop (`*_for_*`, driving
//! `next` one item at a time) is divided by the raw `for` loop, every other
//! variant by the raw loops that are not `for` loops.
//!
//! Raw `slice::chunks` loops (`memmap2_chunks_*`, and as `for` loops
//! `memmap2_for_chunks_*`) are measured for comparison but are never a
//! floor; the issue names `chunks_exact` as the
//! iterator floor. Over the cache-resident 1 MiB file, whose two bytes per
//! 4 KiB chunk all fall in the same few cache sets, `slice::chunks` took
//! 600 ns in some runs and 1000 ns in others of the same binary, while
//! `chunks_exact` stayed at 1.3–1.4 µs; as a floor it moved every ratio over
//! it by 1.7× between runs with no code change.

/// Markers of the variants whose timed loop waits for the disk: the flush
/// policies that sync while writing (`sequential_write`). Over an
/// in-memory copy their time measures the disk, not this library (one CI
/// run: 139x against a baseline range of 0.8-12x), so they have no floor;
/// their flushes per iteration are reported beside the time.
const SYNCS_WHILE_TIMED: [&str; 2] = ["_every_bytes_", "_every_millis_"];
/// Prefix of the raw variants.
const RAW: &str = "memmap2_";
/// Raw `slice::chunks` loops, `memmap2_chunks_<size>` and their `for`
/// loops `memmap2_for_chunks_<size>`: comparison only.
const SLICE_CHUNKS: [&str; 2] = ["memmap2_chunks_", "memmap2_for_chunks_"];

/// Marker of raw loops slowed on purpose, to show what one thing costs
/// (`memmap2_for_chunks_exact_4096_call_per_item`: items that may call out
/// of line when dropped): comparison only.
const SLOWED_ON_PURPOSE: &str = "_call_per_item";

/// Whether `candidate` may be the floor of `variant` (both criterion
/// function names from the same group).
pub fn is_floor_for(variant: &str, candidate: &str) -> bool {
    !SYNCS_WHILE_TIMED.iter().any(|m| variant.contains(m))
        && candidate.starts_with(RAW)
        && !is_slice_chunks(candidate)
        && !candidate.contains(SLOWED_ON_PURPOSE)
        && is_for_loop(candidate) == is_for_loop(variant)
}

fn is_slice_chunks(function: &str) -> bool {
    SLICE_CHUNKS.iter().any(|prefix| {
        function
            .strip_prefix(prefix)
            .is_some_and(|size| size.bytes().all(|b| b.is_ascii_digit()))
    })
}

fn is_for_loop(function: &str) -> bool {
    function.contains("_for_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_match_the_loop_shape_and_skip_slice_chunks() {
        let raws = [
            "memmap2_chunks_exact_4096",
            "memmap2_chunks_4096",
            "memmap2_chunks_65536",
            "memmap2_for_chunks_exact_4096",
            "memmap2_for_chunks_4096",
            "memmap2_chunks_exact_65536",
            "memmap2_for_chunks_exact_4096_call_per_item",
        ];
        let floors = |variant| -> Vec<&str> {
            raws.into_iter()
                .filter(|raw| is_floor_for(variant, raw))
                .collect()
        };
        assert_eq!(
            floors("mmapio_chunks_4096_rw"),
            ["memmap2_chunks_exact_4096", "memmap2_chunks_exact_65536"]
        );
        assert_eq!(
            floors("mmapio_for_chunks_4096_ro"),
            ["memmap2_for_chunks_exact_4096"]
        );
        assert_eq!(
            floors("mmap_io_for_chunks_4096_ro"),
            ["memmap2_for_chunks_exact_4096"]
        );
        assert_eq!(
            floors("memmap2_for_chunks_exact_4096_call_per_item"),
            ["memmap2_for_chunks_exact_4096"]
        );
        assert!(is_floor_for("mmapio_as_slice_ro", "memmap2_slice"));
        assert!(is_floor_for("mmapio_manual", "memmap2_copy_from_slice"));
        assert!(!is_floor_for(
            "mmapio_every_bytes_1MiB",
            "memmap2_copy_from_slice"
        ));
        assert!(!is_floor_for(
            "mmapio_every_millis_10",
            "memmap2_copy_from_slice"
        ));
        assert!(!is_floor_for("mmapio_as_slice_ro", "mmap_io_as_slice_ro"));
    }
}
