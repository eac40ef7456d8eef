//! What the bench files use to measure, and nothing else: the profile and
//! its sizes, the deterministic inputs, the kernels every variant runs, the
//! adapters that open a file with each implementation, the counting
//! allocator, the timing of work on several threads, the side-by-side
//! rounds, and each workload's report.
//!
//! Everything is re-exported here, so a bench imports from
//! `bench_suite::harness`. Measured values leave through
//! [`crate::store`]; nothing here reads results back to judge them.

mod alloc;
mod inputs;
mod kernels;
mod peers;
mod profile;
mod rounds;
mod threads;
mod workload_report;

pub use alloc::*;
pub use inputs::*;
pub use kernels::*;
pub use peers::*;
pub use profile::*;
pub use rounds::*;
pub use threads::*;
pub use workload_report::*;
