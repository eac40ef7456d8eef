//! The real [`Measure`] of `bench-gate run`: the base revision checked out
//! in a worktree of its own, both revisions' benches built into one target
//! directory (so the dependencies are built once; see [`prepare`]), and
//! their bench executables run, pass by pass.
//!
//! Every pass is a process of its own, started as `cargo bench` starts a
//! bench (`<executable> --bench`), with the benches' environment set for a
//! rounds-only pass ([`crate::harness::ROUNDS_ONLY_ENV`]) into a run folder
//! of its own under `target/bench-suite/runs/<gate run>/`. Their output
//! goes to `passes.log` in that folder.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::collect::{collect_pass, header};
use super::results::Results;
use super::run::{Build, Measure, PassSpec};
use crate::harness::{PROFILE_ENV, ROUNDS_ONLY_ENV};
use crate::iai_runner::REQUIRE_ENV;
use crate::store::{Run, RUN_ENV};

/// A base revision, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// What it was given as (a commit, a branch, a tag...).
    pub name: String,
    /// Where the name came from, for messages (`--base`,
    /// `baselines/gate-base.rev`).
    pub source: String,
    /// The full commit hash.
    pub commit: String,
}

impl Revision {
    /// The name and the commit's first 12 digits, for messages.
    pub fn describe(&self) -> String {
        let short = &self.commit[..self.commit.len().min(12)];
        if self.name.starts_with(short) || short.starts_with(&self.name) {
            format!("{short} ({})", self.source)
        } else {
            format!("{} = {short} ({})", self.name, self.source)
        }
    }
}

/// Resolves `name` to a commit of the repository at `repo`.
pub fn resolve(repo: &Path, name: &str, source: &str) -> Result<Revision, String> {
    let name = name.trim();
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{name}^{{commit}}"))
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || commit.is_empty() {
        return Err(format!(
            "base revision {name:?} ({source}) does not exist in {}",
            repo.display()
        ));
    }
    Ok(Revision {
        name: name.to_owned(),
        source: source.to_owned(),
        commit,
    })
}

/// Checks `revision` out at `dir` as a detached worktree of `repo`, reusing
/// the one already there when it is at that commit (so that cargo finds its
/// files unchanged and builds nothing again).
pub fn worktree(repo: &Path, revision: &Revision, dir: &Path) -> Result<(), String> {
    let git = |args: &[&str], at: &Path| {
        Command::new("git")
            .arg("-C")
            .arg(at)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run git: {e}"))
    };
    if dir.join(".git").exists() {
        let at = git(&["rev-parse", "HEAD"], dir)?;
        let clean = git(&["status", "--porcelain", "--untracked-files=no"], dir)?;
        if at.status.success()
            && String::from_utf8_lossy(&at.stdout).trim() == revision.commit
            && clean.stdout.is_empty()
        {
            return Ok(());
        }
    }
    let dir_text = dir.to_string_lossy().into_owned();
    let _ = git(&["worktree", "remove", "--force", &dir_text], repo);
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    let _ = git(&["worktree", "prune"], repo);
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let added = git(
        &[
            "worktree",
            "add",
            "--detach",
            "--force",
            &dir_text,
            &revision.commit,
        ],
        repo,
    )?;
    if !added.status.success() {
        return Err(format!(
            "checking out base revision {} at {}: {}",
            revision.describe(),
            dir.display(),
            String::from_utf8_lossy(&added.stderr).trim()
        ));
    }
    Ok(())
}

/// A source tree to build, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// The workspace root.
    pub root: PathBuf,
    /// The `RUSTC_WORKSPACE_WRAPPER` to build its workspace members
    /// through (see [`prepare`]).
    pub workspace_wrapper: Option<PathBuf>,
}

impl Tree {
    /// The head: built as `cargo bench` builds it.
    pub fn head(root: &Path) -> Tree {
        Tree {
            root: root.to_path_buf(),
            workspace_wrapper: None,
        }
    }

    /// The base: its workspace members' artifacts kept apart from the
    /// head's.
    pub fn base(root: &Path) -> Tree {
        Tree {
            root: root.to_path_buf(),
            workspace_wrapper: Some(PathBuf::from("/usr/bin/env")),
        }
    }

    /// A scratch copy of the head with an injection applied, kept apart
    /// from both: the same `env`, named by another path.
    pub fn scratch(root: &Path) -> Tree {
        Tree {
            root: root.to_path_buf(),
            workspace_wrapper: Some(PathBuf::from("/usr/bin/../bin/env")),
        }
    }
}

/// The bench executables of one build, by bench target name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Executables(pub BTreeMap<String, PathBuf>);

/// Builds the benches of the workspace at `root` into `target_dir`
/// (`cargo build --profile bench -p bench-suite --benches`), echoing
/// cargo's progress to `log` and saving its whole output to `output_log`.
/// On failure the error names `what` and cargo's first error line.
pub fn build_benches(
    tree: &Tree,
    target_dir: &Path,
    what: &str,
    output_log: &Path,
    log: &mut dyn Write,
) -> Result<Executables, String> {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(&tree.root)
        .args([
            "build",
            "--profile",
            "bench",
            "-p",
            "bench-suite",
            "--benches",
        ])
        .arg("--message-format=json-render-diagnostics")
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match &tree.workspace_wrapper {
        Some(wrapper) => command.env("RUSTC_WORKSPACE_WRAPPER", wrapper),
        None => command.env_remove("RUSTC_WORKSPACE_WRAPPER"),
    };
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = child.stderr.take().expect("piped");
    // cargo's progress and diagnostics, shown as they come and kept.
    let echo = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.trim_start().starts_with("Compiling") || line.starts_with("error") {
                eprintln!("   {}", line.trim());
            }
            lines.push(line);
        }
        lines
    });
    let mut executables = Executables::default();
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let is_bench = message["reason"] == "compiler-artifact"
            && message["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bench"));
        if let (true, Some(name), Some(exe)) = (
            is_bench,
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) {
            executables.0.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    let status = child.wait().map_err(|e| format!("cargo: {e}"))?;
    let lines = echo.join().unwrap_or_default();
    let _ = fs::write(output_log, lines.join("\n") + "\n");
    if !status.success() {
        let first = lines
            .iter()
            .find(|l| l.starts_with("error"))
            .map_or("cargo failed", String::as_str);
        return Err(format!(
            "{what} does not build: {first} (cargo's output: {})",
            output_log.display()
        ));
    }
    let _ = writeln!(log, "   built {} bench executables", executables.0.len());
    Ok(executables)
}

/// Runs the benches of the two builds for the gate.
pub struct Benches {
    /// The head's executables.
    pub head: Executables,
    /// The base's executables.
    pub base: Executables,
    /// The head's workspace, where its benches run.
    pub head_root: PathBuf,
    /// The base's worktree.
    pub base_root: PathBuf,
    /// The target directory both builds share; the benches' inputs are
    /// generated under it.
    pub target_dir: PathBuf,
    /// This gate run's folder (`target/bench-suite/runs/<id>/`).
    pub gate_run: PathBuf,
    /// The profile (`quick`).
    pub profile: String,
    /// Extra environment of the head's timed passes only (a slowdown
    /// injected to measure the gate's resolution).
    pub head_env: Vec<(String, String)>,
    /// The header of every pass's results.
    header: Results,
}

impl Benches {
    /// Benches of `head` and `base` for a gate run in `gate_run`.
    pub fn new(
        (head, head_root): (Executables, PathBuf),
        (base, base_root): (Executables, PathBuf),
        target_dir: PathBuf,
        gate_run: PathBuf,
        profile: &str,
    ) -> Benches {
        Benches {
            head,
            base,
            head_root,
            base_root,
            target_dir,
            gate_run,
            profile: profile.to_owned(),
            head_env: Vec::new(),
            header: header(profile),
        }
    }

    fn log_file(&self) -> Result<fs::File, String> {
        fs::create_dir_all(&self.gate_run)
            .map_err(|e| format!("creating {}: {e}", self.gate_run.display()))?;
        let path = self.gate_run.join("passes.log");
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Runs the bench `bench` of `build` once, writing into the run folder
    /// `run`, with `extra` environment.
    fn run_bench(
        &self,
        build: Build,
        bench: &str,
        run: &Path,
        extra: &[(&str, &str)],
    ) -> Result<(), String> {
        let (executables, root) = match build {
            Build::Head => (&self.head, &self.head_root),
            Build::Base => (&self.base, &self.base_root),
        };
        let Some(exe) = executables.0.get(bench) else {
            return Err(format!("the {} build has no bench {bench}", build.name()));
        };
        let mut log = self.log_file()?;
        let _ = writeln!(log, "== {} {bench} -> {}", build.name(), run.display());
        let err = log.try_clone().map_err(|e| e.to_string())?;
        // As `cargo bench` runs a bench: from its package's folder, with
        // the package's name (iai-callgrind's runner files its results
        // under it).
        let mut command = Command::new(exe);
        command
            .arg("--bench")
            .current_dir(root.join("bench-suite"))
            .env("CARGO_PKG_NAME", "bench-suite")
            .env(PROFILE_ENV, &self.profile)
            .env(RUN_ENV, run)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("CRITERION_HOME", self.gate_run.join("criterion"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        for (key, value) in extra {
            command.env(key, value);
        }
        if build == Build::Head {
            command.envs(self.head_env.iter().map(|(k, v)| (k, v)));
        }
        let status = command
            .status()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "the {} build's {bench} bench failed ({status}); its output is in {}",
                build.name(),
                self.gate_run.join("passes.log").display()
            ))
        }
    }
}

impl Measure for Benches {
    fn instruction_counts(&mut self) -> Result<Results, String> {
        let run = self.gate_run.join("instruction-counts");
        self.run_bench(
            Build::Head,
            "instruction_counts",
            &run,
            &[(REQUIRE_ENV, "1")],
        )?;
        collect_pass(&self.header, &Run::named(&run.to_string_lossy())).map_err(|e| e.to_string())
    }

    fn timed_pass(&mut self, pass: &PassSpec<'_>) -> Result<Results, String> {
        let run = self
            .gate_run
            .join(pass.measurement)
            .join(pass.workload)
            .join(format!("{}-{}", pass.build.name(), pass.index + 1));
        if pass.build == Build::Base && !self.base.0.contains_key(pass.workload) {
            // A workload added since the base revision: none of its metrics
            // has a base to be judged against, so all of them are new
            // (`judge_timed`), as a new variant's are.
            let mut log = self.log_file()?;
            let _ = writeln!(
                log,
                "== base has no bench {}: its metrics are new",
                pass.workload
            );
            return Ok(self.header.clone_empty());
        }
        let selected = pass
            .parameters
            .map_or_else(|| "all".to_owned(), |p| p.join("|"));
        // Dirty pages of earlier work, written back now rather than while
        // the write benches are timed.
        // SAFETY: `sync` takes no arguments and only asks the kernel to
        // write back dirty pages.
        unsafe { libc::sync() };
        self.run_bench(
            pass.build,
            pass.workload,
            &run,
            &[(ROUNDS_ONLY_ENV, selected.as_str())],
        )?;
        collect_pass(&self.header, &Run::named(&run.to_string_lossy()))
            .map_err(|e| format!("{} {} pass: {e}", pass.build.name(), pass.workload))
    }
}

/// Everything a gate run needs before it measures: the base revision
/// checked out at `base_root`, and the benches of the `head` and of the
/// base built into `target_dir`. Cargo's output
/// goes to `gate_run`.
///
/// Both builds share `target_dir`, so the dependencies are built once.
/// Cargo names a workspace member's artifacts by its path relative to its
/// workspace root, the same in the worktree, and would decide from the
/// files' times that one build's artifacts are the other's; so the base's
/// workspace members are built through a `RUSTC_WORKSPACE_WRAPPER`
/// (`env`, which only runs the compiler), which cargo mixes into the
/// names of workspace members' artifacts and of nothing else.
pub fn prepare(
    head: &Tree,
    base: &Revision,
    base_root: &Path,
    target_dir: &Path,
    gate_run: &Path,
    log: &mut dyn Write,
) -> Result<Benches, String> {
    let head_root = &head.root;
    let _ = writeln!(
        log,
        "== bench-gate: building the head's benches ({})",
        head_root.display()
    );
    let head = build_benches(
        head,
        target_dir,
        &format!("the head ({})", head_root.display()),
        &gate_run.join("build-head.log"),
        log,
    )?;
    let _ = writeln!(
        log,
        "== bench-gate: checking out base {} at {}",
        base.describe(),
        base_root.display()
    );
    worktree(head_root, base, base_root)?;
    let _ = writeln!(log, "== bench-gate: building the base's benches");
    let base_build = build_benches(
        &Tree::base(base_root),
        target_dir,
        &format!("base revision {}", base.describe()),
        &gate_run.join("build-base.log"),
        log,
    )?;
    Ok(Benches::new(
        (head, head_root.to_path_buf()),
        (base_build, base_root.to_path_buf()),
        target_dir.to_path_buf(),
        gate_run.to_path_buf(),
        "quick",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// A repository whose one commit holds a workspace with a
    /// `bench-suite` package whose bench does not compile.
    fn broken_repository() -> tempfile::TempDir {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        let files = [
            ("Cargo.toml", "[workspace]\nmembers = [\"bench-suite\"]\nresolver = \"2\"\n"),
            (
                "bench-suite/Cargo.toml",
                "[package]\nname = \"bench-suite\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"b\"\nharness = false\n",
            ),
            ("bench-suite/src/lib.rs", ""),
            ("bench-suite/benches/b.rs", "fn main() { let x: u32 = \"not a number\"; }\n"),
        ];
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        git(root, &["init", "-q"]);
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "broken bench"]);
        repo
    }

    #[test]
    fn revisions_resolve_to_commits_or_fail_naming_them() {
        let repo = broken_repository();
        let head = resolve(repo.path(), "HEAD", "--base").unwrap();
        assert_eq!(head.commit.len(), 40);
        assert!(head.describe().contains("HEAD = "), "{}", head.describe());
        let err = resolve(repo.path(), "v9.9.9", "baselines/gate-base.rev").unwrap_err();
        assert!(
            err.starts_with("base revision \"v9.9.9\" (baselines/gate-base.rev) does not exist"),
            "{err}"
        );
    }

    #[test]
    fn a_worktree_is_made_once_and_reused_at_the_same_commit() {
        let repo = broken_repository();
        let revision = resolve(repo.path(), "HEAD", "--base").unwrap();
        let at = repo.path().join("target/base");
        worktree(repo.path(), &revision, &at).unwrap();
        assert!(at.join("bench-suite/benches/b.rs").exists());
        let marker = at.join("untracked-marker");
        fs::write(&marker, "").unwrap();
        worktree(repo.path(), &revision, &at).unwrap();
        assert!(marker.exists(), "reused, not checked out again");
        // A change to a tracked file is not reused.
        fs::write(at.join("bench-suite/src/lib.rs"), "// changed\n").unwrap();
        worktree(repo.path(), &revision, &at).unwrap();
        assert_eq!(
            fs::read_to_string(at.join("bench-suite/src/lib.rs")).unwrap(),
            ""
        );
    }

    #[test]
    fn a_workload_the_base_lacks_has_empty_base_passes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let mut benches = Benches::new(
            (Executables::default(), root.clone()),
            (Executables::default(), root.clone()),
            root.join("target"),
            root.join("gate"),
            "quick",
        );
        let base = PassSpec {
            build: Build::Base,
            workload: "reader_gate",
            parameters: None,
            measurement: "main",
            index: 0,
        };
        assert!(benches.timed_pass(&base).unwrap().metrics.is_empty());
        let head = PassSpec {
            build: Build::Head,
            ..base
        };
        assert_eq!(
            benches.timed_pass(&head).unwrap_err(),
            "the head build has no bench reader_gate"
        );
    }

    #[test]
    fn a_revision_that_does_not_build_is_named_with_the_first_error() {
        let repo = broken_repository();
        let target = repo.path().join("target");
        let log = repo.path().join("build.log");
        let err = build_benches(
            &Tree::base(repo.path()),
            &target,
            "base revision abc (--base)",
            &log,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(
            err.starts_with(
                "base revision abc (--base) does not build: error[E0308]: mismatched types"
            ),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(fs::read_to_string(log).unwrap().contains("not a number"));
    }
}
