#!/usr/bin/env bash
# Checks mmapio's public API against the revision recorded in
# baselines/api-baseline.rev (not crates.io, where the name `mmapio`
# belongs to another crate). A breaking change without a matching version
# bump fails. Installs the pinned cargo-semver-checks only when missing
# (it takes several minutes to build).
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.51.0
if ! cargo semver-checks --version 2>/dev/null | grep -qF "$version"; then
  cargo install --locked cargo-semver-checks --version "$version"
fi
baseline=$(tr -d '[:space:]' < baselines/api-baseline.rev)
if ! git cat-file -e "${baseline}^{commit}" 2>/dev/null; then
  echo "baseline revision $baseline is not in this clone (fetch full history)" >&2
  exit 1
fi
echo "== cargo semver-checks: mmapio against $baseline"
cargo semver-checks check-release -p mmapio --baseline-rev "$baseline" --all-features
