//! The profile (`quick` / `full`): its sizes, sample counts and criterion
//! configuration, and the size constants and labels of the workloads.

use std::time::Duration;

use criterion::Criterion;

/// One kibibyte.
pub const KIB: usize = 1024;
/// One mebibyte.
pub const MIB: usize = 1024 * KIB;
/// One gibibyte.
pub const GIB: usize = 1024 * MIB;

/// Request sizes of the `random_read` workload.
pub const RANDOM_READ_REQUEST_SIZES: [usize; 4] = [64, 256, 4 * KIB, 64 * KIB];
/// Size of each write in the `sequential_write` workload.
pub const SEQUENTIAL_WRITE_SIZE: usize = 64 * KIB;
/// Threads of the `atomic_contention` workload.
pub const ATOMIC_THREAD_COUNTS: [usize; 4] = [1, 2, 4, 8];
/// Distance between the counters of the separate-cache-lines layout.
pub const CACHE_LINE: usize = 64;
/// Buffer size of the copying read variants (`read_into`, `std::fs`): each
/// copies the file through one reused buffer of this size.
pub const COPY_BUFFER_SIZE: usize = MIB;
/// Size of the cache-resident file of the per-item iterator variants.
pub const CACHE_RESIDENT_SIZE: usize = MIB;

/// `1MiB`, `64KiB`, `256B`: the labels used in benchmark ids and file names.
pub fn size_label(bytes: usize) -> String {
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{}GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{}MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{}KiB", bytes / KIB)
    } else {
        format!("{bytes}B")
    }
}

/// The environment variable that selects the profile: `quick` or `full`
/// (the default when unset).
pub const PROFILE_ENV: &str = "MMAPIO_BENCH_PROFILE";

/// Set (to anything) to have criterion draw its plots and write its HTML
/// report, `target/criterion/report/index.html`. Off by default: drawing
/// between benchmarks slows the raw floors in the side-by-side rounds that
/// follow them, which skews every ratio the gate judges.
pub const PLOTS_ENV: &str = "MMAPIO_BENCH_PLOTS";

/// How much work a run does.
///
/// * `Quick`: every workload and variant at reduced sizes and short
///   measurement times (the whole suite in minutes, for a smoke run).
/// * `Full`: the sizes of the benchmark specification (1/16/256 MiB reads, a
///   256 MiB random-read file, 64 MiB of writes, 1 GiB iterator and
///   touch-pages files).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Reduced sizes and sample counts.
    Quick,
    /// The specified sizes.
    Full,
}

impl Profile {
    /// Reads [`PROFILE_ENV`]; panics on a value other than `quick` or `full`
    /// so a typo never silently runs the wrong profile.
    pub fn from_env() -> Profile {
        match std::env::var(PROFILE_ENV) {
            Err(std::env::VarError::NotPresent) => Profile::Full,
            Ok(value) if value.eq_ignore_ascii_case("full") => Profile::Full,
            Ok(value) if value.eq_ignore_ascii_case("quick") => Profile::Quick,
            Ok(value) => panic!("{PROFILE_ENV}={value:?}: expected `quick` or `full`"),
            Err(e) => panic!("{PROFILE_ENV}: {e}"),
        }
    }

    /// The profile's name, as accepted by [`PROFILE_ENV`].
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }

    /// A criterion configured for this profile, then for the command line
    /// (so `cargo bench -- FILTER` and criterion's flags still work). With
    /// [`PLOTS_ENV`] set it draws plots and writes its HTML report.
    pub fn criterion(self) -> Criterion {
        let criterion = Criterion::default().sample_size(self.sample_size());
        let criterion = if std::env::var_os(PLOTS_ENV).is_some() {
            criterion
        } else {
            criterion.without_plots()
        };
        let criterion = match self {
            Profile::Quick => criterion
                .warm_up_time(Duration::from_millis(100))
                .measurement_time(Duration::from_millis(300))
                .nresamples(2_000),
            Profile::Full => criterion
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(4))
                .nresamples(50_000),
        };
        criterion.configure_from_args()
    }

    /// Criterion's sample count for most variants.
    pub fn sample_size(self) -> usize {
        match self {
            Profile::Quick => 10,
            Profile::Full => 50,
        }
    }

    /// Sample count for variants whose iteration takes tens of
    /// milliseconds or more (large files, page faults, `msync`).
    pub fn large_sample_size(self) -> usize {
        match self {
            Profile::Quick => 10,
            Profile::Full => 20,
        }
    }

    /// The sizes of `workload` in this profile, from its catalog entry
    /// ([`crate::catalog::Workload::sizes`]). Panics on a workload the
    /// catalog lacks.
    pub fn sizes(self, workload: &str) -> &'static [usize] {
        let entry = crate::catalog::workload(workload)
            .unwrap_or_else(|| panic!("{workload} is not in catalog::WORKLOADS"));
        entry.sizes.of(self == Profile::Full)
    }

    /// File sizes of `sequential_read`.
    pub fn sequential_read_sizes(self) -> Vec<usize> {
        self.sizes("sequential_read").to_vec()
    }

    /// File size of `random_read`.
    pub fn random_read_file_size(self) -> usize {
        self.sizes("random_read")[0]
    }

    /// Bytes written per iteration of `sequential_write`.
    pub fn sequential_write_total(self) -> usize {
        self.sizes("sequential_write")[0]
    }

    /// File size of `iterator_throughput`.
    pub fn iterator_file_size(self) -> usize {
        self.sizes("iterator_throughput")[0]
    }

    /// File size of `touch_pages_large`.
    pub fn touch_file_size(self) -> usize {
        self.sizes("touch_pages_large")[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_labelled() {
        assert_eq!(size_label(64), "64B");
        assert_eq!(size_label(64 * KIB), "64KiB");
        assert_eq!(size_label(16 * MIB), "16MiB");
        assert_eq!(size_label(GIB), "1GiB");
    }
}
