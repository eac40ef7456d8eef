#!/usr/bin/env bash
# The regression gate: runs the quick bench profile and fails when any gated
# metric is more than 10% worse than baselines/quick.json, or when a
# baseline metric is missing from the run (see bench-suite/src/gate).
#
#   scripts/bench-gate.sh            # measure, then compare
#   scripts/bench-gate.sh --no-run   # compare the last collected results again
#
# A timed metric (a ratio, or a wall-clock time when gated) that regresses
# is measured again: its bench groups run again (up to twice), and it fails
# only if it regresses every time. Instruction counts and allocations are exact
# and fail at once.
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
# Wall-clock medians swing by far more than 10% between identical runs on
# shared machines, so they are only gated on request (and then only against
# a baseline from the same machine fingerprint).
wall=()
[ "${MMAPIO_GATE_WALL_CLOCK:-0}" = 1 ] && wall=(--gate-wall-clock)
compare=(--baseline "baselines/$profile.json" --results "$results" "${wall[@]}")

echo "== bench-gate compare: $results against baselines/$profile.json"
if gate compare "${compare[@]}"; then
  exit 0
fi
[ "${1:-}" = "--no-run" ] && exit 1
# Up to two rechecks: a timed regression fails the gate only if it shows
# in the first run and in every recheck.
rechecks=()
for round in 1 2; do
  groups=$(gate groups-to-recheck "${compare[@]}" "${rechecks[@]}")
  [ -z "$groups" ] && break
  echo "== recheck $round: timed regressions in $(echo $groups); measuring those groups again"
  started=$(date +%s)
  for group in $groups; do
    MMAPIO_BENCH_PROFILE=$profile cargo bench -q -p bench-suite --bench "$group"
  done
  out=target/bench-suite/recheck$round-$profile.json
  gate collect --profile "$profile" --since "$started" --out "$out"
  rechecks+=(--recheck "$out")
done
echo "== bench-gate compare after $((${#rechecks[@]} / 2)) recheck(s)"
gate compare "${compare[@]}" "${rechecks[@]}"
