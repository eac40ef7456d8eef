//! Whether the `instruction_counts` bench can run on this machine, and
//! where its results go.
//!
//! iai-callgrind benches are driven by a separate program,
//! `iai-callgrind-runner`, of exactly the library's version, which runs
//! the bench under valgrind. Without them the bench would exit 1, and
//! `cargo bench -p bench-suite` would stop there, before the criterion
//! workloads after it in cargo's order. So the bench checks first
//! ([`prepare_or_step_aside`]): if something is missing it says in one
//! line what and how to get it, and exits 0, unless [`REQUIRE_ENV`] is set
//! (as `scripts/bench.sh` does, after installing the runner), in which case
//! a missing piece is an error.

use std::io::ErrorKind;
use std::process::Command;

/// Set (to anything) to make a missing runner or valgrind an error.
pub const REQUIRE_ENV: &str = "MMAPIO_BENCH_REQUIRE_IAI";

/// The iai-callgrind version bench-suite pins in its `Cargo.toml`; the
/// runner must be of this version.
pub fn pinned_version() -> Option<&'static str> {
    include_str!("../Cargo.toml")
        .lines()
        .find_map(|line| line.strip_prefix("iai-callgrind = \"=")?.split('"').next())
}

/// The version an `iai-callgrind-runner` started without arguments names
/// in its usage error, which says either "iai-callgrind-runner (0.16.1)"
/// or "version of iai-callgrind-runner is 0.16.1", depending on the
/// environment it finds.
fn version_in_usage(output: &str) -> Option<&str> {
    ["iai-callgrind-runner (", "iai-callgrind-runner is "]
        .iter()
        .find_map(|prefix| {
            let start = output.find(prefix)? + prefix.len();
            let rest = &output[start..];
            let len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let version = rest[..len].trim_end_matches('.');
            (!version.is_empty()).then_some(version)
        })
}

/// What is missing for the instruction counts, if anything: `Err` holds one
/// line saying what and how to get it. `runner` is the runner's path when
/// one was given at build time (iai-callgrind's `IAI_CALLGRIND_RUNNER`);
/// otherwise `iai-callgrind-runner` is looked up on `PATH`.
pub fn check(runner: Option<&str>) -> Result<(), String> {
    let pinned = pinned_version().unwrap_or("the pinned version");
    let install = "`bash scripts/install-iai-runner.sh` installs it";
    let program = runner.unwrap_or("iai-callgrind-runner");
    match Command::new(program).output() {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(format!(
                "iai-callgrind-runner {pinned} is not installed; {install}"
            ))
        }
        Err(e) => return Err(format!("cannot start {program}: {e}")),
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout);
            match version_in_usage(&text) {
                Some(found) if found == pinned => {}
                Some(found) => {
                    return Err(format!(
                        "iai-callgrind-runner {found} is installed, bench-suite needs {pinned}; {install}"
                    ))
                }
                None => return Err(format!("{program} did not name its version")),
            }
        }
    }
    match Command::new("valgrind").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err("valgrind is not installed (on Debian/Ubuntu: apt-get install valgrind)".into()),
    }
}

/// Returns when the instruction counts can run, after pointing
/// iai-callgrind's home at the current run's folder
/// ([`Run::current`](crate::store::Run::current)`.iai_dir()`) and asking for
/// its JSON summaries, unless `IAI_CALLGRIND_HOME` or
/// `IAI_CALLGRIND_SAVE_SUMMARY` are set already. Otherwise prints one line
/// and ends the process: with status 0 (the bench steps aside, so the rest
/// of `cargo bench` runs), or 1 when [`REQUIRE_ENV`] is set.
///
/// Called by the `instruction_counts` bench before iai-callgrind starts the
/// runner (which inherits this environment), with its build-time
/// `IAI_CALLGRIND_RUNNER`.
pub fn prepare_or_step_aside(runner: Option<&str>) {
    let Err(reason) = check(runner) else {
        // Still one thread: iai-callgrind has not started anything yet.
        if std::env::var_os("IAI_CALLGRIND_HOME").is_none() {
            std::env::set_var("IAI_CALLGRIND_HOME", crate::store::Run::current().iai_dir());
        }
        if std::env::var_os("IAI_CALLGRIND_SAVE_SUMMARY").is_none() {
            std::env::set_var("IAI_CALLGRIND_SAVE_SUMMARY", "json");
        }
        return;
    };
    if std::env::var_os(REQUIRE_ENV).is_some() {
        eprintln!("instruction_counts: {reason}");
        std::process::exit(1);
    }
    eprintln!("instruction_counts: skipped, {reason}");
    std::process::exit(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_version_is_found() {
        let version = pinned_version().expect("iai-callgrind is pinned with =");
        assert!(version.split('.').count() == 3, "{version}");
        assert!(
            version.split('.').all(|n| n.parse::<u32>().is_ok()),
            "{version}"
        );
    }

    #[test]
    fn the_version_is_read_from_the_runners_usage_error() {
        let usage = "iai_callgrind_runner: Error: No version information found for \
                     iai-callgrind but iai-callgrind-runner (0.16.1) is >= '0.3.0'.";
        assert_eq!(version_in_usage(usage), Some("0.16.1"));
        let usage = "Detected version of iai-callgrind-runner is 0.16.1. This error can be \
                     caused by a version mismatch";
        assert_eq!(version_in_usage(usage), Some("0.16.1"));
        assert_eq!(version_in_usage("something else"), None);
        assert_eq!(version_in_usage("iai-callgrind-runner (x)"), None);
    }

    #[test]
    fn a_missing_runner_is_named_with_the_way_to_install_it() {
        let reason = check(Some("/nonexistent/iai-callgrind-runner")).unwrap_err();
        assert!(reason.contains("not installed"), "{reason}");
        assert!(reason.contains("scripts/install-iai-runner.sh"), "{reason}");
        assert!(!reason.contains('\n'), "one line: {reason}");
    }

    #[test]
    #[cfg(unix)]
    fn a_runner_of_another_version_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        // A shell script stands in for a runner: it prints a usage error
        // naming another version, as an old runner does.
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("iai-callgrind-runner");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho 'Error: iai-callgrind-runner (0.0.1) is old' >&2\nexit 1\n",
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let reason = check(Some(fake.to_str().unwrap())).unwrap_err();
        assert!(reason.contains("0.0.1 is installed"), "{reason}");
    }
}
