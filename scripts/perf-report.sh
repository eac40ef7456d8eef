#!/usr/bin/env bash
# Regenerates docs/PERFORMANCE.md (and docs/perf-ratios.svg) from the latest
# full run recorded in baselines/full.json. Never edit the report by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-baselines/full.json}
cargo run -q -p bench-suite --profile bench --bin bench-gate -- \
  report --results "$results" --out docs/PERFORMANCE.md
