//! The counting global allocator and the timed region that brackets the
//! measured part of every routine: allocations are counted, in a pass of
//! their own, only inside timed regions.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);
static REGION_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static REGION_ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

/// The global allocator of every criterion bench binary: forwards to
/// [`System`] and, only while an allocation-counting pass runs, counts
/// allocations (`alloc`, `alloc_zeroed`, `realloc`) and their bytes on
/// every thread. Outside that pass it costs one relaxed load.
///
/// ```ignore
/// #[global_allocator]
/// static ALLOCATOR: bench_suite::harness::CountingAllocator =
///     bench_suite::harness::CountingAllocator;
/// ```
pub struct CountingAllocator;

#[inline]
fn note_allocation(bytes: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the counters only observe.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: forwarded as given; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: forwarded as given.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// The timed part of a routine. `start` it right before the measured work
/// and `stop` it right after: the elapsed time is what criterion records,
/// and during an allocation-counting pass the allocations made in between
/// (on any thread) are what the report shows.
#[must_use = "stop() gives the measured time"]
pub struct TimedRegion {
    started: Instant,
    allocations: u64,
    allocated_bytes: u64,
}

impl TimedRegion {
    /// Starts timing (and counting, during a counting pass).
    #[inline]
    pub fn start() -> TimedRegion {
        let allocations = ALLOCATIONS.load(Ordering::Relaxed);
        let allocated_bytes = ALLOCATED_BYTES.load(Ordering::Relaxed);
        TimedRegion {
            started: Instant::now(),
            allocations,
            allocated_bytes,
        }
    }

    /// Stops timing and returns the elapsed time.
    #[inline]
    pub fn stop(self) -> Duration {
        let elapsed = self.started.elapsed();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - self.allocations;
        let bytes = ALLOCATED_BYTES.load(Ordering::Relaxed) - self.allocated_bytes;
        REGION_ALLOCATIONS.fetch_add(allocations, Ordering::Relaxed);
        REGION_ALLOCATED_BYTES.fetch_add(bytes, Ordering::Relaxed);
        elapsed
    }
}

/// Runs `routine(iterations)` with counting on and returns the allocations
/// and bytes made inside its timed regions.
pub(crate) fn count_region_allocations(
    iterations: u64,
    routine: &mut dyn FnMut(u64) -> Duration,
) -> (u64, u64) {
    REGION_ALLOCATIONS.store(0, Ordering::Relaxed);
    REGION_ALLOCATED_BYTES.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::SeqCst);
    routine(iterations);
    COUNTING.store(false, Ordering::SeqCst);
    (
        REGION_ALLOCATIONS.load(Ordering::Relaxed),
        REGION_ALLOCATED_BYTES.load(Ordering::Relaxed),
    )
}
