#!/usr/bin/env bash
# Refreshes a checked-in baseline from new runs on this machine:
#
#   scripts/update-baselines.sh quick [RUNS]   # baselines/quick.json (5 runs by default)
#   scripts/update-baselines.sh full [RUNS]    # baselines/full.json + docs/PERFORMANCE.md (1 run)
#
# With several runs the baseline keeps each metric's median and the range of
# the runs' values (bench-gate merge): the gate widens a ratio's 10%
# threshold by that spread, up to 15%, and reports a ratio that would need
# more as too noisy (see bench-suite/src/gate/compare.rs).
# A refresh is a deliberate change: commit it on its own, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:?usage: scripts/update-baselines.sh quick|full [RUNS]}
case "$profile" in
  quick) runs=${2:-5} ;;
  full) runs=${2:-1} ;;
  *) echo "profile must be quick or full" >&2; exit 2 ;;
esac
gate() { cargo run -q -p bench-suite --profile bench --bin bench-gate -- "$@"; }

collected=()
for run in $(seq 1 "$runs"); do
  echo "== baseline run $run of $runs ($profile)"
  id=baseline-$(date +%Y%m%d-%H%M%S)-$profile-$run
  MMAPIO_BENCH_RUN=$id bash scripts/bench.sh "$profile"
  out=target/bench-suite/baseline-$profile-run$run.json
  gate collect --profile "$profile" --run "$id" --out "$out"
  collected+=("$out")
done
gate merge --out "baselines/$profile.json" "${collected[@]}"
if [ "$profile" = full ]; then
  bash scripts/perf-report.sh
fi
echo "baselines/$profile.json updated; review and commit it on its own"
