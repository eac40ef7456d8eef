#!/usr/bin/env bash
# The benchmark suite: every criterion workload of bench-suite, the
# iai-callgrind instruction counts, then the target ratios of this run.
#
#   scripts/bench.sh [quick|full] [extra cargo bench arguments...]
#
# quick: every workload at reduced sizes and samples (a few minutes);
# full (default): the specified sizes. The profile is passed to the benches
# as MMAPIO_BENCH_PROFILE. Results: target/criterion (criterion JSON),
# target/iai (iai-callgrind JSON summaries), target/bench-suite
# (allocations and flushes per iteration, rounds); inputs are
# generated once into target/bench-data.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-full}
case "$profile" in
  quick | full) ;;
  *)
    echo "usage: scripts/bench.sh [quick|full] [cargo bench arguments...]" >&2
    exit 2
    ;;
esac
shift $(($# > 0 ? 1 : 0))

bash scripts/install-iai-runner.sh

export MMAPIO_BENCH_PROFILE=$profile
# The runner was installed above: if the instruction counts still cannot
# run, that is an error here, not a skipped bench (bench_suite::iai_runner).
export MMAPIO_BENCH_REQUIRE_IAI=1
# iai-callgrind's --save-summary=json, as an environment variable so the
# criterion benches of the same `cargo bench` do not see the flag.
export IAI_CALLGRIND_SAVE_SUMMARY=json

# Built first, so the timing below is the benches alone.
cargo build -q -p bench-suite --profile bench --benches --bins
run_started=$(date +%s)
start=$SECONDS
echo "== cargo bench -p bench-suite ($profile profile)"
cargo bench -p bench-suite "$@"
echo "== benches took $((SECONDS - start)) s"

# The ratios of this run only (criterion keeps older parameters' results).
# Reported here, not fatal: this script also feeds the regression gate and
# the baselines. `bench-ratios` without --report-only exits 1 when a
# specified target is missed.
cargo run -q -p bench-suite --profile bench --bin bench-ratios -- --since "$run_started" --report-only
