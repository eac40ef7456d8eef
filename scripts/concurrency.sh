#!/usr/bin/env bash
# The reader gate's concurrency checks beyond the test suite: the loom
# models of its protocol (src/gate/loom_models.rs, built with
# --cfg mmapio_loom in a target folder of their own) and, in release mode,
# the native store-buffering litmus test of its barriers and the gate's
# unit tests under each strategy the process can be forced into.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== loom models (RUSTFLAGS=--cfg mmapio_loom)"
CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg mmapio_loom" \
  cargo test -p mmapio --lib --release gate::loom_models

for strategy in auto fence lock; do
  echo "== gate unit tests and litmus test, release, MMAPIO_READER_GATE=$strategy"
  MMAPIO_READER_GATE=$strategy cargo test -p mmapio --lib --release gate::
done
