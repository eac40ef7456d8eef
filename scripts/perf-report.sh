#!/usr/bin/env bash
# Regenerates docs/PERFORMANCE.md and docs/perf-ratios.svg from stored
# results only: a full run (baselines/full.json by default), the gate's
# baseline (baselines/quick.json: its effective thresholds) and the gate's
# measured resolution (baselines/resolution.json, when recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-baselines/full.json}
extra=()
[ -f baselines/quick.json ] && extra+=(--gate-baseline baselines/quick.json)
[ -f baselines/resolution.json ] && extra+=(--resolution baselines/resolution.json)
cargo run -q -p bench-suite --profile bench --bin bench-gate -- \
  report --results "$results" "${extra[@]}" --out docs/PERFORMANCE.md
