#!/usr/bin/env bash
# Measures what the regression gate catches (`bench-gate resolution`,
# bench-suite/src/gate/resolution.rs): each known regression applied to a
# scratch copy of the last commit, judged by the whole gate against that
# commit, per workload, into baselines/resolution.json. docs/PERFORMANCE.md
# renders it (scripts/perf-report.sh). About 7 minutes per injection.
#
#   scripts/gate-resolution.sh                                # all four injections
#   scripts/gate-resolution.sh --injection slowdown-25%       # one of them
#
# baselines/quick.json must be the last commit's (scripts/update-baselines.sh quick).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-iai-runner.sh
exec cargo run -q -p bench-suite --profile bench --bin bench-gate -- resolution "$@"
