#!/usr/bin/env bash
# Installs iai-callgrind-runner at exactly the version of the iai-callgrind
# library that bench-suite uses, and only when that version is missing:
# the runner refuses to drive a library of another version.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^iai-callgrind = "=\([^"]*\)".*/\1/p' bench-suite/Cargo.toml)
if [ -z "$version" ]; then
  echo "install-iai-runner: no pinned iai-callgrind version in bench-suite/Cargo.toml" >&2
  exit 1
fi
# The runner has no --version flag: cargo's install list knows the version,
# and a runner installed otherwise names its version in its usage error.
if cargo install --list 2>/dev/null | grep -q "^iai-callgrind-runner v$version:" \
  || { command -v iai-callgrind-runner >/dev/null 2>&1 \
    && iai-callgrind-runner 2>&1 | grep -qF "iai-callgrind-runner ($version)"; }; then
  echo "iai-callgrind-runner $version is installed"
  exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "install-iai-runner: valgrind is missing (apt-get install valgrind)" >&2
  exit 1
fi
echo "== cargo install --locked iai-callgrind-runner --version $version"
cargo install --locked iai-callgrind-runner --version "$version"
