#!/usr/bin/env bash
# The regression gate (`bench-gate run`, bench-suite/src/gate/run.rs): the
# quick profile's exact metrics against baselines/quick.json, and its timed
# ratios against the base revision (baselines/gate-base.rev, or --base REV)
# built and measured on this machine. Exit status: 0 pass, 1 fail, 2 error.
#
#   scripts/bench-gate.sh                     # against baselines/gate-base.rev
#   scripts/bench-gate.sh --base origin/main  # against another revision
#   scripts/bench-gate.sh --replay target/bench-suite/runs/gate-ID  # judge a stored run again
#
# `cargo run -p bench-suite --bin bench-gate -- run --help` lists the flags.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-iai-runner.sh
exec cargo run -q -p bench-suite --profile bench --bin bench-gate -- run "$@"
