#!/usr/bin/env bash
# Runs the library's unit tests under Miri. They drive views, iterators,
# bounds checks, flushing and concurrent readers/writers over a heap-backed
# region (Miri cannot mmap), so undefined behaviour in that code is caught.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^miri'; then
  rustup component add miri rust-src --toolchain nightly
fi
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation}"
for features in "--all-features" "--no-default-features"; do
  echo "== cargo +nightly miri test -p mmapio --lib $features"
  # shellcheck disable=SC2086
  cargo +nightly miri test -p mmapio --lib $features
done
