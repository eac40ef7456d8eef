#!/usr/bin/env bash
# Fuzz smoke run: builds every cargo-fuzz target in fuzz/ with
# AddressSanitizer and runs each for a bounded time, starting from its
# checked-in seed corpus (fuzz/corpus/<target>/, read only: new inputs go to a
# temporary directory). Fails if any target crashes, panics (a contract
# assertion), leaks, times out on one input or runs no input at all; prints
# executions per target.
#
#   bash scripts/fuzz-smoke.sh [seconds-per-target]     (default 30)
#
# Environment: FUZZ_JOBS — targets run at once (default: the number of
# cores, at most 4); FUZZ_TARGETS — a space-separated subset to run.
#
# Needs a nightly toolchain (sanitizers); without one it falls back to
# stable with RUSTC_BOOTSTRAP=1. Installs cargo-fuzz (pinned, --locked) only
# when it is missing. Crash inputs are kept in fuzz/artifacts/<target>/
# (ignored by git); reproduce one with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
if ! [[ $secs =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds-per-target]" >&2
  exit 2
fi
CARGO_FUZZ_VERSION=0.13.2
start=$SECONDS

# Toolchain: nightly if present, else stable with RUSTC_BOOTSTRAP=1.
if rustup run nightly rustc --version >/dev/null 2>&1; then
  cargo=(cargo +nightly)
else
  echo "== no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
  cargo=(cargo)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

mapfile -t all_targets < <("${cargo[@]}" fuzz list)
targets=(${FUZZ_TARGETS:-${all_targets[*]}})
if ((${#targets[@]} == 0)); then
  echo "no fuzz targets found" >&2
  exit 1
fi

echo "== ${cargo[*]} fuzz build (AddressSanitizer, release, debug assertions): ${targets[*]}"
build_start=$SECONDS
if [[ -n ${FUZZ_TARGETS:-} ]]; then
  for target in "${targets[@]}"; do
    "${cargo[@]}" fuzz build --sanitizer address "$target"
  done
else
  "${cargo[@]}" fuzz build --sanitizer address
fi
echo "== build took $((SECONDS - build_start)) s"

work=$(mktemp -d "${TMPDIR:-/tmp}/mmapio-fuzz-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
((jobs > 4)) && jobs=4
((jobs < 1)) && jobs=1

run_one() {
  local target=$1 seeds=fuzz/corpus/$1
  mkdir -p "$work/$target.corpus" "fuzz/artifacts/$target"
  local corpora=("$work/$target.corpus")
  [[ -d $seeds ]] && corpora+=("$seeds")
  # The run itself is bounded by -max_total_time; `timeout` only guards
  # against a hang outside libFuzzer's control.
  set +e
  timeout --kill-after=30 $((secs + 300)) \
    "${cargo[@]}" fuzz run --sanitizer address "$target" "${corpora[@]}" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 >"$work/$target.log" 2>&1
  echo $? >"$work/$target.rc"
  set -e
}

echo "== running ${#targets[@]} targets for ${secs} s each, $jobs at a time"
running=0
for target in "${targets[@]}"; do
  run_one "$target" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

# Each fuzzing process keeps its scratch files in a tmpfs directory named
# mmapio-fuzz-<pid> (see fuzz/src/lib.rs) and cannot remove it when libFuzzer
# exits; remove those whose process is gone.
for dir in /dev/shm/mmapio-fuzz-* "${TMPDIR:-/tmp}"/mmapio-fuzz-[0-9]*; do
  [[ -d $dir ]] || continue
  pid=${dir##*-}
  if [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then
    rm -rf "$dir"
  fi
done

stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n 1; }

passed=0
failed=()
printf '\n%-16s %12s %10s %8s  %s\n' target executions exec/s new result
for target in "${targets[@]}"; do
  log=$work/$target.log
  rc=$(cat "$work/$target.rc" 2>/dev/null || echo 1)
  execs=$(stat number_of_executed_units "$log")
  rate=$(stat average_exec_per_sec "$log")
  new=$(stat new_units_added "$log")
  result=ok
  if [[ $rc != 0 ]] || grep -qE '^==[0-9]+==ERROR|panicked at|^SUMMARY: ' "$log"; then
    result="FAILED (exit $rc)"
  elif [[ -z $execs || $execs == 0 ]]; then
    result="FAILED (no executions)"
  fi
  printf '%-16s %12s %10s %8s  %s\n' "$target" "${execs:--}" "${rate:--}" "${new:--}" "$result"
  if [[ $result == ok ]]; then
    passed=$((passed + 1))
  else
    failed+=("$target")
    cp "$log" "fuzz/artifacts/$target/smoke.log"
  fi
done

for target in "${failed[@]}"; do
  log=$work/$target.log
  echo
  echo "======== $target (full log: fuzz/artifacts/$target/smoke.log)"
  # From the first report of the failure (a panic, a sanitizer error or a
  # libFuzzer timeout/OOM) on; the last lines if there is none.
  # (sed, not `tail | head`: under pipefail the SIGPIPE head gives tail
  # would end this script before its summary.)
  first=$(grep -nE 'panicked at|^==[0-9]+==|^ALARM|^MS: ' "$log" | sed -n 1p | cut -d: -f1)
  if [[ -n $first ]]; then
    sed -n "${first},$((first + 79))p" "$log"
  else
    tail -n 60 "$log"
  fi
  # The failing input, so that a machine that has since been thrown away
  # still leaves enough to reproduce it.
  grep -E '^Test unit written to|^Base64: ' "$log" || true
done

echo
echo "== fuzz smoke took $((SECONDS - start)) s"
echo "fuzz-smoke: $passed passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
