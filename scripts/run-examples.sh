#!/usr/bin/env bash
# Runs every example of mmapio with the features it needs and fails if any
# of them fails. Each example creates its files in a fresh temporary
# directory, checks its own results and removes the directory again.
set -euo pipefail
cd "$(dirname "$0")/.."

# name and the cargo feature flags it needs
examples=(
  "read_file:"
  "create_and_write:"
  "chunked_processing:"
  "atomic_counter:--features atomic"
  "log_appender:"
)

# Build them all first so compile errors are reported once, up front.
cargo build -q -p mmapio --examples --all-features

failed=0
for entry in "${examples[@]}"; do
  name=${entry%%:*}
  features=${entry#*:}
  log=$(mktemp)
  # shellcheck disable=SC2086
  if cargo run -q -p mmapio $features --example "$name" >"$log" 2>&1; then
    printf 'ok    %-20s %s\n' "$name" "$(tail -n 1 "$log")"
  else
    printf 'FAIL  %-20s (exit %s)\n' "$name" "$?"
    sed 's/^/      /' "$log"
    failed=$((failed + 1))
  fi
  rm -f "$log"
done

if [ "$failed" -ne 0 ]; then
  echo "$failed of ${#examples[@]} examples failed" >&2
  exit 1
fi
echo "all ${#examples[@]} examples passed"
