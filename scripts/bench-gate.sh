#!/usr/bin/env bash
# The regression gate: runs the quick bench profile and fails when any gated
# metric is more than 10% worse than baselines/quick.json, or when a
# baseline metric is missing from the run (see bench-suite/src/gate).
#
#   scripts/bench-gate.sh            # measure, then compare
#   scripts/bench-gate.sh --no-run   # compare the last collected results again
set -euo pipefail
cd "$(dirname "$0")/.."
profile=quick
results=target/bench-suite/results-$profile.json
gate() { cargo run -q -p bench-suite --profile bench --bin bench-gate -- "$@"; }

if [ "${1:-}" != "--no-run" ]; then
  started=$(date +%s)
  bash scripts/bench.sh "$profile"
  gate collect --profile "$profile" --since "$started" --out "$results"
fi
echo "== bench-gate compare: $results against baselines/$profile.json"
# Wall-clock medians swing by far more than 10% between identical runs on
# shared machines, so they are only gated on request (and then only against
# a baseline from the same machine fingerprint).
wall=()
[ "${MMAPIO_GATE_WALL_CLOCK:-0}" = 1 ] && wall=(--gate-wall-clock)
gate compare --baseline "baselines/$profile.json" --results "$results" "${wall[@]}"
