#!/usr/bin/env bash
# Re-records a checked-in baseline from new runs of the committed code:
#
#   scripts/update-baselines.sh quick [RUNS]   # baselines/quick.json and gate-base.rev (2 runs by default)
#   scripts/update-baselines.sh full [RUNS]    # baselines/full.json + docs/PERFORMANCE.md (1 run)
#
# The gate judges exact metrics (instruction counts, estimated cycles,
# allocations, flushes) against baselines/quick.json and timed ratios
# against the base revision in baselines/gate-base.rev, built and measured
# where the gate runs: both are the commit measured here. Callgrind's
# counts must agree exactly across the runs (bench-gate merge).
# A refresh is a deliberate change: commit it on its own, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:?usage: scripts/update-baselines.sh quick|full [RUNS]}
case "$profile" in
  quick) runs=${2:-2} ;;
  full) runs=${2:-1} ;;
  *) echo "profile must be quick or full" >&2; exit 2 ;;
esac
if ! git diff --quiet HEAD -- mmapio bench-suite Cargo.toml Cargo.lock; then
  echo "update-baselines: mmapio or bench-suite has uncommitted changes; a baseline records a commit" >&2
  exit 2
fi
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
if [ "$profile" = quick ]; then
  git rev-parse HEAD > baselines/gate-base.rev
  echo "baselines/gate-base.rev: $(cat baselines/gate-base.rev)"
fi
if [ "$profile" = full ]; then
  bash scripts/perf-report.sh
fi
echo "baselines/$profile.json updated; review and commit it on its own"
