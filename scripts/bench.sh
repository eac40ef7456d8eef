#!/usr/bin/env bash
# The benchmark suite: every criterion workload of bench-suite, the
# iai-callgrind instruction counts, then the target ratios of this run.
#
#   scripts/bench.sh [quick|full] [extra cargo bench arguments...]
#
# quick: every workload at reduced sizes and samples (a few minutes);
# full (default): the specified sizes. The profile is passed to the benches
# as MMAPIO_BENCH_PROFILE. Results: one folder per run,
# target/bench-suite/runs/<id>/ (bench_suite::store); criterion keeps its
# own history and HTML report in target/criterion; inputs are generated
# once into target/bench-data.
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
# Every file this run writes goes to target/bench-suite/runs/$MMAPIO_BENCH_RUN/
# (bench_suite::store::Run); a caller may name the run, as the gate does.
export MMAPIO_BENCH_RUN=${MMAPIO_BENCH_RUN:-$(date +%Y%m%d-%H%M%S)-$profile}

# Built first, so the timing below is the benches alone; then the dirty
# pages of the build (and of whatever ran before) are written back, so the
# kernel does not write them back while the write benches are timed.
cargo build -q -p bench-suite --profile bench --benches --bins
sync
start=$SECONDS
echo "== cargo bench -p bench-suite ($profile profile, run $MMAPIO_BENCH_RUN)"
cargo bench -p bench-suite "$@"
echo "== benches took $((SECONDS - start)) s"

# The ratios of this run. Reported here, not fatal: this script also feeds
# the regression gate and the baselines. `bench-ratios` without
# --report-only exits 1 when a specified target is missed.
cargo run -q -p bench-suite --profile bench --bin bench-ratios -- --run "$MMAPIO_BENCH_RUN" --report-only
echo "== results of this run: ${CARGO_TARGET_DIR:-target}/bench-suite/runs/$MMAPIO_BENCH_RUN/"
