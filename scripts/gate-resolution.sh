#!/usr/bin/env bash
# Measures the regression gate's resolution: runs the quick gate (rechecks
# included) with every mmapio variant slowed by a known fraction of its own
# time (MMAPIO_BENCH_INJECT_SLOWDOWN, applied by the bench harness), and
# records per workload how many gated ratios failed, in
# baselines/resolution.json. docs/PERFORMANCE.md renders it.
#
#   scripts/gate-resolution.sh [SLOWDOWN...]   # default: 0.05 0.10 0.15
#
# Each slowdown is one gate run (about 3 minutes, more with rechecks).
set -euo pipefail
cd "$(dirname "$0")/.."
slowdowns=("$@")
[ ${#slowdowns[@]} -gt 0 ] || slowdowns=(0.05 0.10 0.15)
results_dir=${CARGO_TARGET_DIR:-target}/bench-suite
gate() { cargo run -q -p bench-suite --profile bench --bin bench-gate -- "$@"; }

for slowdown in "${slowdowns[@]}"; do
  echo "== gate with every mmapio variant slowed by $slowdown"
  status=0
  MMAPIO_BENCH_INJECT_SLOWDOWN=$slowdown bash scripts/bench-gate.sh || status=$?
  [ "$status" -le 1 ] || exit "$status"
  rechecks=()
  for file in "$results_dir"/recheck1-quick.json "$results_dir"/recheck2-quick.json; do
    [ -f "$file" ] && rechecks+=(--recheck "$file")
  done
  gate resolution --slowdown "$slowdown" --out baselines/resolution.json \
    --baseline baselines/quick.json --results "$results_dir/results-quick.json" "${rechecks[@]}"
done
echo "baselines/resolution.json updated; regenerate docs/PERFORMANCE.md with scripts/perf-report.sh"
