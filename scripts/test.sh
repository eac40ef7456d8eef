#!/usr/bin/env bash
# The project's test command: formatting, lints, the test suite under every
# supported feature combination (unit, integration, property and doc tests)
# and warning-free docs. Extra checks live beside it: scripts/msrv.sh (Rust
# 1.75 build) and scripts/miri.sh (Miri over the view/iterator code).
set -euo pipefail
cd "$(dirname "$0")/.."

for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" \
    || rustup component add "$component"
done

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all features, all targets)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

# Every supported feature combination, with its tests actually run.
feature_sets=(
  "--no-default-features"
  "--no-default-features --features cow,locking,advise"
  ""
  "--all-features"
)
# `-p mmapio`, not `--workspace`: bench-suite depends on mmapio with its
# default features and `atomic`, and cargo unifies features across the
# packages it builds, so a workspace-wide --no-default-features run would
# quietly test mmapio with features on.
for features in "${feature_sets[@]}"; do
  echo "== cargo test -p mmapio ${features:-(default features)}"
  # shellcheck disable=SC2086
  cargo test -p mmapio $features
done
echo "== cargo test -p mmapio-compat-tests (mmap-io 1.1.0 code against mmapio renamed)"
cargo test -p mmapio-compat-tests
echo "== cargo test -p bench-suite"
cargo test -p bench-suite
# Every criterion bench once, in criterion's test mode at quick sizes: each
# registers its variants, whose roles must be declared in the catalog, and
# checks every variant's bytes against raw memmap2.
echo "== cargo test -p bench-suite --benches (each criterion workload once)"
MMAPIO_BENCH_PROFILE=quick MMAPIO_BENCH_RUN=test-mode cargo test -p bench-suite --benches

echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps
