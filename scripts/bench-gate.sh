#!/usr/bin/env bash
# The regression gate: runs the quick bench profile and fails when a gated
# mmapio metric regresses against baselines/quick.json, or when a baseline
# metric of mmapio is missing from the run (see bench-suite/src/gate).
#
#   scripts/bench-gate.sh            # measure, then compare
#   scripts/bench-gate.sh --no-run   # compare the last collected results again
#
# Instruction and allocation counts are exact and fail at once when more
# than 10% worse. A timed ratio (an mmapio variant over its like-for-like
# raw floor, same run) that regresses is measured again: its bench groups
# run again (up to twice), and it fails only if it regresses every time.
#
# Environment (for tests and experiments; the defaults are the real gate):
#   MMAPIO_GATE_BASELINE  the baseline file (baselines/quick.json)
#   BENCH_GATE_BIN        a built bench-gate binary (default: cargo run)
#   MMAPIO_GATE_MEASURE   a command run as `CMD OUT [GROUP=PARAMS...]`
#                         instead of the benches: it must write the results
#                         of the whole quick profile (no argument) or of the
#                         parameters given (`random_read=64B|256B`) to OUT
set -euo pipefail
cd "$(dirname "$0")/.."
profile=quick
baseline=${MMAPIO_GATE_BASELINE:-baselines/$profile.json}
results_dir=${CARGO_TARGET_DIR:-target}/bench-suite
results=$results_dir/results-$profile.json

gate() {
  if [ -n "${BENCH_GATE_BIN:-}" ]; then
    "$BENCH_GATE_BIN" "$@"
  else
    cargo run -q -p bench-suite --profile bench --bin bench-gate -- "$@"
  fi
}

# measure OUT [GROUP=PARAMS...]: runs the whole quick profile, or only the
# parameters given of each bench group (every variant of each, floors
# included), and collects what that run measured into OUT.
measure() {
  if [ -n "${MMAPIO_GATE_MEASURE:-}" ]; then
    "$MMAPIO_GATE_MEASURE" "$@"
    return
  fi
  local out=$1
  shift
  # Each measurement is a run of its own (target/bench-suite/runs/<id>/).
  local run
  run=gate-$(date +%Y%m%d-%H%M%S)-$(basename "$out" .json)
  if [ $# -eq 0 ]; then
    MMAPIO_BENCH_RUN=$run bash scripts/bench.sh "$profile"
  else
    for spec in "$@"; do
      sync # as in scripts/bench.sh: no writeback of earlier work while timing
      # criterion's filter: ids group/function/parameter ending in one of them
      MMAPIO_BENCH_RUN=$run MMAPIO_BENCH_PROFILE=$profile \
        cargo bench -q -p bench-suite --bench "${spec%%=*}" -- "/(${spec#*=})\$"
    done
  fi
  gate collect --profile "$profile" --run "$run" --out "$out"
}

# The time of the whole gate, builds included, is printed at the end.
start=$SECONDS
finish() { echo "== bench-gate took $((SECONDS - start)) s"; }
trap finish EXIT
if [ "${1:-}" != "--no-run" ]; then
  mkdir -p "$results_dir"
  rm -f "$results_dir"/recheck*-"$profile".json
  measure "$results"
fi
# Wall-clock medians swing by far more than 10% between identical runs on
# shared machines, so they are only gated on request (and then only against
# a baseline from the same machine fingerprint).
wall=()
[ "${MMAPIO_GATE_WALL_CLOCK:-0}" = 1 ] && wall=(--gate-wall-clock)
compare=(--baseline "$baseline" --results "$results" "${wall[@]}")

echo "== bench-gate compare: $results against $baseline"
if gate compare "${compare[@]}"; then
  exit 0
else
  status=$?
  # 1 is a failed gate; anything else (2: unreadable input) ends here.
  [ "$status" = 1 ] || exit "$status"
fi
[ "${1:-}" = "--no-run" ] && exit 1
# Up to two rechecks: a timed regression fails the gate only if it shows
# in the first run and in every recheck.
rechecks=()
for round in 1 2; do
  groups=$(gate groups-to-recheck "${compare[@]}" "${rechecks[@]}")
  [ -z "$groups" ] && break
  # shellcheck disable=SC2086 # one group per word
  echo "== recheck $round: timed regressions in $(echo $groups); measuring those groups again"
  out=$results_dir/recheck$round-$profile.json
  # shellcheck disable=SC2086
  measure "$out" $groups
  rechecks+=(--recheck "$out")
done
echo "== bench-gate compare after $((${#rechecks[@]} / 2)) recheck(s)"
gate compare "${compare[@]}" "${rechecks[@]}"
