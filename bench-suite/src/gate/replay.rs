//! A [`Measure`] that reads a stored gate run instead of measuring: every
//! pass from the folder the real gate wrote it to
//! (`<gate run>/<measurement>/<workload>/<build>-<n>/`, see
//! [`super::builds`]). `bench-gate run --replay DIR` judges a stored run
//! again (with other thresholds, say) and the tests judge fixture runs, so
//! the whole flow, rechecks and exit status included, runs without timing
//! anything.

use std::path::PathBuf;

use super::collect::{collect_pass, header};
use super::results::Results;
use super::run::{Measure, PassSpec};
use crate::store::Run;

/// Reads the passes of the gate run stored in `dir`.
pub struct Replay {
    dir: PathBuf,
    header: Results,
}

impl Replay {
    /// The stored gate run in `dir`, of `profile`.
    pub fn new(dir: PathBuf, profile: &str) -> Replay {
        Replay {
            dir,
            header: header(profile),
        }
    }

    fn read(&self, folder: PathBuf) -> Result<Results, String> {
        if !folder.is_dir() {
            return Err(format!("{}: no such stored pass", folder.display()));
        }
        collect_pass(&self.header, &Run::named(&folder.to_string_lossy()))
            .map_err(|e| e.to_string())
    }
}

impl Measure for Replay {
    fn instruction_counts(&mut self) -> Result<Results, String> {
        self.read(self.dir.join("instruction-counts"))
    }

    fn timed_pass(&mut self, pass: &PassSpec<'_>) -> Result<Results, String> {
        self.read(
            self.dir
                .join(pass.measurement)
                .join(pass.workload)
                .join(format!("{}-{}", pass.build.name(), pass.index + 1)),
        )
    }
}
