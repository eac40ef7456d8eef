#!/usr/bin/env bash
# Proves mmapio builds with its declared rust-version (1.75), installing
# that toolchain only when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
msrv=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' mmapio/Cargo.toml)
if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$msrv" --profile minimal
fi
echo "== cargo +$msrv build -p mmapio --all-features"
# A separate target dir keeps the old compiler's artifacts apart.
cargo "+$msrv" build -p mmapio --all-features --locked --target-dir target/msrv
