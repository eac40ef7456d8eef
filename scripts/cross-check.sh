#!/usr/bin/env bash
# Builds mmapio with every feature, its tests included, for the other
# platforms its users run: macOS (x86_64-apple-darwin) and Windows
# (x86_64-pc-windows-gnu). `cargo check` needs no linker or SDK for the
# target, only the target's standard library, which rustup adds when it is
# missing. The tests themselves run on Windows through scripts/windows-tests.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(x86_64-apple-darwin x86_64-pc-windows-gnu)
installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
  if ! grep -qx "$target" <<<"$installed"; then
    echo "== rustup target add $target"
    rustup target add "$target"
  fi
done
for target in "${targets[@]}"; do
  echo "== cargo check -p mmapio --all-features --tests --target $target"
  cargo check -p mmapio --all-features --tests --target "$target"
  echo "== cargo clippy -p mmapio --all-features --tests --target $target"
  cargo clippy -p mmapio --all-features --tests --target "$target" -- -D warnings
done
