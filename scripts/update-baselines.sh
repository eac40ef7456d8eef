#!/usr/bin/env bash
# Refreshes a checked-in baseline from a new run on this machine:
#
#   scripts/update-baselines.sh quick   # baselines/quick.json
#   scripts/update-baselines.sh full    # baselines/full.json + docs/PERFORMANCE.md
#
# A refresh is a deliberate change: commit it on its own, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:?usage: scripts/update-baselines.sh quick|full}
case "$profile" in quick | full) ;; *) echo "profile must be quick or full" >&2; exit 2 ;; esac
started=$(date +%s)
bash scripts/bench.sh "$profile"
cargo run -q -p bench-suite --profile bench --bin bench-gate -- \
  collect --profile "$profile" --since "$started" --out "baselines/$profile.json"
if [ "$profile" = full ]; then
  bash scripts/perf-report.sh
fi
echo "baselines/$profile.json updated; review and commit it on its own"
