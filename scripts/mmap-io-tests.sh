#!/usr/bin/env bash
# Compatibility measurement: how much of mmap-io 1.1.0's own test suite
# (the crates.io crate whose API mmapio follows) compiles and passes against
# mmapio when the dependency is renamed. This is a measurement, not a gate:
# failing tests do not fail the script.
#
# It builds a scratch crate, mmap-io-suite, holding mmap-io's tests/ tree
# unmodified (common/, edge/, proptest-regressions/ included), mmapio as
# `mmap-io = { package = "mmapio", path = "mmapio" }`, mmap-io's own
# dev-dependencies, and mmap-io's feature names (the tests' `#[cfg(feature)]`
# refer to the crate they are compiled in), each forwarding to mmapio's
# feature of that name (an empty feature where mmapio has none). All test
# targets are compiled in one `cargo build --tests --keep-going` whose JSON
# messages give each target's compile result and errors; every target that
# compiles is then run under a per-target timeout: the binary that build
# produced, from the scratch crate's directory as `cargo test` would run it
# (not `cargo test --test NAME`, which would rebuild whatever changed in
# mmapio since, so that the results could mix two states of the source).
#
#   bash scripts/mmap-io-tests.sh [--features LIST] [--only TARGET] [--keep]
#                                 [--out DIR] [--timeout SECS]
#
#   --features LIST  features to enable, comma- or space-separated, instead
#                    of all of them (exactly these: `default` is only on if
#                    listed)
#   --only TARGET    compile and run one test target (e.g. basic, edge)
#   --keep           keep the scratch crate (target/mmap-io-tests/crate)
#   --out DIR        output directory (default target/mmap-io-tests/out)
#   --timeout SECS   per-target run timeout (default 300)
#
# Environment: MMAP_IO_TESTS_TARGET_DIR — cargo target directory (default
# target/mmap-io-tests/target, kept between runs so they are incremental).
#
# Output: a table (target, compiles or not, passed, failed, ignored) and
# totals on stdout; in the output directory summary.json (the same table),
# build.jsonl/build.stderr (cargo's messages), compile-errors/<target>.log
# (the first distinct rustc errors of each target that does not compile) and
# run/<target>.log (each test binary's output).
#
# Exit status: 0 when the measurement ran to completion, whatever the
# results; 1 when it could not run (mmap-io 1.1.0 not found or not
# fetchable, mmapio itself does not compile, dependency resolution failed);
# 2 on a usage error. Needs jq. The registry is used (for mmap-io's
# dev-dependencies) only when the local cargo cache lacks something.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
start=$SECONDS

usage() {
  sed -n 's/^#   \{0,1\}//p' "$0" | sed -n '/^bash scripts/,/^--timeout/p' >&2
  exit 2
}

features=all
only=
keep=0
timeout_secs=300
root=$repo/target/mmap-io-tests
outdir=$root/out
while (($#)); do
  case $1 in
    --features) (($# >= 2)) || usage; features=$2; shift 2 ;;
    --features=*) features=${1#*=}; shift ;;
    --only) (($# >= 2)) || usage; only=$2; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    --out) (($# >= 2)) || usage; outdir=$2; shift 2 ;;
    --out=*) outdir=${1#*=}; shift ;;
    --timeout) (($# >= 2)) || usage; timeout_secs=$2; shift 2 ;;
    --timeout=*) timeout_secs=${1#*=}; shift ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ $timeout_secs =~ ^[1-9][0-9]*$ ]] || { echo "--timeout needs a positive number" >&2; exit 2; }
read -r -a feature_list <<<"${features//,/ }"

die() {
  echo "mmap-io-tests: $*" >&2
  exit 1
}
command -v jq >/dev/null || die "needs jq (for cargo's JSON messages and summary.json)"

MMAP_IO_VERSION=1.1.0
suite=mmap-io-suite
crate=$root/crate
export CARGO_TARGET_DIR=${MMAP_IO_TESTS_TARGET_DIR:-$root/target}
mkdir -p "$root" "$outdir"
outdir=$(cd "$outdir" && pwd)

# ---------------------------------------------------------------- mmap-io
find_pkg() {
  local dirs
  shopt -s nullglob
  dirs=("${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/mmap-io-$MMAP_IO_VERSION)
  shopt -u nullglob
  local d
  for d in "${dirs[@]}"; do
    if [[ -f $d/Cargo.toml && -d $d/tests ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}
if ! pkg=$(find_pkg); then
  # bench-suite depends on the published mmap-io (to benchmark against
  # it), so fetching its dependencies unpacks the package into the registry.
  grep -qE "^mmap-io = \{ *version = \"=?$MMAP_IO_VERSION\"" bench-suite/Cargo.toml \
    || die "mmap-io $MMAP_IO_VERSION not in the cargo registry, and bench-suite/Cargo.toml no longer depends on it"
  echo "== fetching mmap-io $MMAP_IO_VERSION (cargo fetch --manifest-path bench-suite/Cargo.toml)"
  cargo fetch --manifest-path bench-suite/Cargo.toml
  pkg=$(find_pkg) || die "mmap-io $MMAP_IO_VERSION still not found under ${CARGO_HOME:-$HOME/.cargo}/registry/src after cargo fetch"
fi
echo "== mmap-io $MMAP_IO_VERSION: $pkg"

metadata() { cargo metadata --no-deps --format-version 1 --offline --manifest-path "$1"; }
upstream=$(metadata "$pkg/Cargo.toml" | jq -c '.packages[0]')
mmapio_features=$(metadata "$repo/mmapio/Cargo.toml" \
  | jq -c '[.packages[] | select(.name == "mmapio") | .features | keys[]]')

# ---------------------------------------------------------- scratch crate
# Dependencies of mmap-io itself that its tests name directly: they must be
# visible to the tests here too (`bytes::Bytes` under feature "bytes"; libc).
# Its other dependencies (log, parking_lot, notify, blocking) are not named
# by any test.
passthrough='["bytes", "libc"]'

# One `[section.name]` table per dependency; JSON strings are valid TOML
# basic strings.
dep_tables() { # $1: jq filter selecting dependencies, $2: section
  jq -r --arg section "$2" "
    .dependencies[] | select($1)
    | (if .target then \"target.\(.target | @json).\" else \"\" end) as \$t
    | \"[\(\$t)\(\$section).\(.rename // .name)]\",
      \"version = \(.req | @json)\",
      (if .features != [] then \"features = \(.features | @json)\" else empty end),
      (if .uses_default_features then empty else \"default-features = false\" end),
      (if .optional then \"optional = true\" else empty end),
      \"\"" <<<"$upstream"
}

# Each of mmap-io's features: mmapio's feature of the same name when it has
# one, plus what mmap-io's feature itself lists (other features; `dep:` only
# for the pass-through dependencies above).
feature_table() {
  jq -r --argjson ours "$mmapio_features" --argjson pass "$passthrough" '
    .features | to_entries[]
    | .key as $f
    | ([if $f != "default" and ($ours | index($f)) then "mmap-io/\($f)" else empty end]
       + [.value[] | select(
           if startswith("dep:") then (.[4:] as $d | $pass | index($d))
           elif contains("/") then false
           else true end)])
    | "\($f | @json) = \(@json)"' <<<"$upstream"
}

cleanup() {
  if ((keep)); then
    echo "== scratch crate kept: $crate"
  else
    rm -rf "$crate"
  fi
}
trap cleanup EXIT
rm -rf "$crate"
mkdir -p "$crate"
{
  cat <<EOF
# Generated by scripts/mmap-io-tests.sh: mmap-io $MMAP_IO_VERSION's test suite
# against mmapio. Do not edit; it is rebuilt on every run.
[package]
name = "$suite"
version = "0.0.0"
edition = $(jq '.edition' <<<"$upstream")
publish = false

# Not a member of the mmapio workspace.
[workspace]

[[test]]
name = "edge"
path = "tests/edge/main.rs"

[features]
$(feature_table)

[dev-dependencies.mmap-io]
package = "mmapio"
path = $(jq -n --arg p "$repo/mmapio" '$p')
default-features = false

EOF
  dep_tables '.kind == "dev"' dev-dependencies
  dep_tables "(.kind == null) and (.name as \$n | $passthrough | index(\$n))" dependencies
} >"$crate/Cargo.toml"
cp -pR "$pkg/tests" "$crate/tests"
# The project's pinned versions where they apply; cargo adds the rest.
cp "$repo/Cargo.lock" "$crate/Cargo.lock"


cd "$crate"
echo "== resolving dependencies"
if ! cargo fetch --offline -q 2>"$outdir/fetch.stderr"; then
  cargo fetch -q 2>"$outdir/fetch.stderr" || {
    cat "$outdir/fetch.stderr" >&2
    die "could not resolve the scratch crate's dependencies"
  }
fi

mapfile -t all_targets < <(metadata "$crate/Cargo.toml" \
  | jq -r '.packages[0].targets[] | select(.kind == ["test"]) | .name' | sort)
if [[ -n $only ]]; then
  printf '%s\n' "${all_targets[@]}" | grep -qxF -- "$only" \
    || die "no test target '$only' (targets: ${all_targets[*]})"
  targets=("$only")
  target_args=(--test "$only")
else
  targets=("${all_targets[@]}")
  target_args=(--tests)
fi
if [[ ${feature_list[*]} == all ]]; then
  feature_args=(--all-features)
elif ((${#feature_list[@]})); then
  feature_args=(--no-default-features --features "${feature_list[*]}")
else
  feature_args=(--no-default-features)
fi

# ------------------------------------------------------------------ build
echo "== cargo build ${target_args[*]} --keep-going ${feature_args[*]} (${#targets[@]} targets; target dir $CARGO_TARGET_DIR)"
build_start=$SECONDS
set +e
cargo build "${target_args[@]}" --keep-going "${feature_args[@]}" \
  --message-format=json >"$outdir/build.jsonl" 2>"$outdir/build.stderr"
build_rc=$?
set -e
echo "== build took $((SECONDS - build_start)) s (cargo exit $build_rc)"

# Messages and artifacts of this scratch package's test targets, and of mmapio.
jq -c 'select(.reason == "compiler-artifact" or .reason == "compiler-message")' \
  "$outdir/build.jsonl" >"$outdir/build.filtered.jsonl" || true
mmapio_errors=$(jq -r 'select(.reason == "compiler-message" and .target.name == "mmapio"
    and (.package_id | test("mmapio")) and .message.level == "error")
  | .message.rendered' "$outdir/build.filtered.jsonl")
mmapio_built=$(jq -r 'select(.reason == "compiler-artifact" and .target.name == "mmapio"
    and (.target.kind | index("lib"))) | "yes"' "$outdir/build.filtered.jsonl" | sed -n 1p)
if [[ -n $mmapio_errors || $mmapio_built != yes ]]; then
  if [[ -n $mmapio_errors ]]; then
    printf '%s\n' "$mmapio_errors" | sed -n 1,60p >&2
  else
    tail -n 40 "$outdir/build.stderr" >&2
  fi
  die "mmapio itself does not compile (features: ${feature_list[*]}); nothing measured"
fi

suite_msgs() { # compiler messages/artifacts of one of our test targets
  jq -c --arg t "$1" --arg s "$suite" 'select(.target.name == $t
    and (.target.kind == ["test"]) and (.package_id | test("[/#]" + $s + "[@#]")))' \
    "$outdir/build.filtered.jsonl"
}

# Distinct errors of one target, as JSON lines {code, message, names, at, rendered}.
# `names`: the mmap_io paths in the message or in the primary span's source.
target_errors() {
  jq -c 'select(.reason == "compiler-message" and .message.level == "error"
      and (.message.message | startswith("aborting due to") | not))
    | .message
    | (.spans | map(select(.is_primary)) | first) as $span
    | {code: (.code.code // ""), message,
       names: ([(.message + " " + (($span.text // []) | map(.text) | join(" ")))
               | scan("mmap_io(?:::(?:r#)?[A-Za-z0-9_]+)+")] | unique),
       at: (if $span then "\($span.file_name):\($span.line_start)" else "" end),
       rendered}' \
    | jq -sc 'reduce .[] as $e ([];
        if any(.[]; .code == $e.code and .message == $e.message) then . else . + [$e] end)
      | .[]'
}

one_line() { # an error as one line
  jq -r '"error\(if .code != "" then "[\(.code)]" else "" end): \(.message)"
    + (if .names != [] then "  [" + (.names | join(", ")) + "]" else "" end)
    + (if .at != "" then "  (\(.at))" else "" end)'
}

mkdir -p "$outdir/compile-errors" "$outdir/run"
rm -f "$outdir"/compile-errors/*.log "$outdir"/run/*.log
declare -A compiles exe first_error
: >"$outdir/errors.jsonl"
for t in "${targets[@]}"; do
  msgs=$(suite_msgs "$t")
  exe[$t]=$(jq -r 'select(.reason == "compiler-artifact") | .executable // empty' <<<"$msgs" | sed -n 1p)
  if [[ -n ${exe[$t]} ]]; then
    compiles[$t]=1
    continue
  fi
  compiles[$t]=0
  errors=$(target_errors <<<"$msgs")
  if [[ -z $errors ]]; then
    tail -n 40 "$outdir/build.stderr" >&2
    die "cargo neither built test target '$t' nor reported an error for it (see $outdir/build.stderr)"
  fi
  jq -c --arg t "$t" '. + {target: $t}' <<<"$errors" >>"$outdir/errors.jsonl"
  first_error[$t]=$(sed -n 1p <<<"$errors" | one_line)
  {
    echo "test target $t: $(wc -l <<<"$errors") distinct errors (up to 5 shown)"
    echo
    sed -n 1,5p <<<"$errors" | while IFS= read -r e; do
      one_line <<<"$e"
      jq -r '.rendered' <<<"$e"
    done
  } >"$outdir/compile-errors/$t.log"
done

# -------------------------------------------------------------------- run
declare -A passed failed ignored note failing
for t in "${targets[@]}"; do
  passed[$t]=0 failed[$t]=0 ignored[$t]=0 note[$t]="" failing[$t]=""
  ((compiles[$t])) || continue
  log=$outdir/run/$t.log
  printf '== running %s\n' "$t"
  set +e
  # As `cargo test` runs it: from the package's directory (proptest finds
  # tests/proptest-regressions/ from there).
  CARGO_MANIFEST_DIR=$crate CARGO_PKG_NAME=$suite \
    timeout --kill-after=10 "$timeout_secs" "${exe[$t]}" >"$log" 2>&1
  rc=$?
  set -e
  summary=$(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored;.*/\1 \2 \3/p' "$log" | tail -n 1)
  if [[ -n $summary ]]; then
    read -r passed[$t] failed[$t] ignored[$t] <<<"$summary"
  else
    # No summary (timeout, crash): count the tests that reported.
    passed[$t]=$(grep -cE '^test .* \.\.\. ok$' "$log" || true)
    failed[$t]=$(grep -cE '^test .* \.\.\. FAILED$' "$log" || true)
    ignored[$t]=$(grep -cE '^test .* \.\.\. ignored' "$log" || true)
  fi
  failing[$t]=$(sed -n 's/^test \(.*\) \.\.\. FAILED$/\1/p' "$log")
  if ((rc == 124 || rc == 137)) && [[ -z $summary ]]; then
    note[$t]="TIMEOUT after ${timeout_secs} s"
    hung=$(sed -n 's/^test \(.*\) has been running for over 60 seconds$/\1/p' "$log" | tr '\n' ' ')
    if [[ -n $hung ]]; then
      note[$t]+=" (still running: ${hung% })"
    fi
  elif [[ -z $summary ]]; then
    if ((rc > 128)); then
      note[$t]="crashed: signal $((rc - 128)), no summary"
    else
      note[$t]="exit $rc, no summary"
    fi
  elif ((rc != 0 && failed[$t] == 0)); then
    note[$t]="exit $rc"
  fi
done

# ----------------------------------------------------------------- report
width=24
for t in "${targets[@]}"; do ((${#t} > width)) && width=${#t}; done
echo
printf "%-${width}s  %-16s %6s %6s %7s  %s\n" target build passed failed ignored note
n_comp=0 t_pass=0 t_fail=0 t_ign=0
: >"$outdir/targets.jsonl"
for t in "${targets[@]}"; do
  if ((compiles[$t])); then
    build=compiles
    n_comp=$((n_comp + 1))
    printf "%-${width}s  %-16s %6s %6s %7s  %s\n" "$t" "$build" \
      "${passed[$t]}" "${failed[$t]}" "${ignored[$t]}" "${note[$t]}"
  else
    build="does not compile"
    printf "%-${width}s  %-16s %6s %6s %7s\n" "$t" "$build" - - -
  fi
  t_pass=$((t_pass + passed[$t])) t_fail=$((t_fail + failed[$t])) t_ign=$((t_ign + ignored[$t]))
  jq -nc --arg name "$t" --argjson compiles "$( ((compiles[$t])) && echo true || echo false)" \
    --argjson passed "${passed[$t]}" --argjson failed "${failed[$t]}" \
    --argjson ignored "${ignored[$t]}" --arg note "${note[$t]}" \
    --arg failing "${failing[$t]}" --arg first_error "${first_error[$t]:-}" \
    '{name: $name, compiles: $compiles,
      passed: (if $compiles then $passed else null end),
      failed: (if $compiles then $failed else null end),
      ignored: (if $compiles then $ignored else null end),
      note: (if $note == "" then null else $note end),
      failing_tests: ($failing | split("\n") | map(select(. != ""))),
      first_error: (if $first_error == "" then null else $first_error end)}' \
    >>"$outdir/targets.jsonl"
done
echo
echo "targets compiling: $n_comp of ${#targets[@]}"
echo "tests: $t_pass passed, $t_fail failed, $t_ign ignored (in the targets that compile)"

if ((n_comp < ${#targets[@]})); then
  echo
  echo "== targets that do not compile: first error (all in $outdir/compile-errors/<target>.log)"
  for t in "${targets[@]}"; do
    ((compiles[$t])) || printf "%-${width}s  %s\n" "$t" "${first_error[$t]}"
  done
  echo
  echo "== distinct compile errors, by number of targets affected"
  jq -sr 'group_by([.code, .message])
    | map({n: (map(.target) | unique | length), e: .[0]})
    | sort_by(-.n, .e.message)[]
    | "\(.n | tostring | (" " * (3 - length)) + .)  error\(if .e.code != "" then "[\(.e.code)]" else "" end): \(.e.message)"' \
    "$outdir/errors.jsonl"
fi

if ((t_fail > 0)); then
  echo
  echo "== failing tests (output in $outdir/run/<target>.log)"
  for t in "${targets[@]}"; do
    [[ -n ${failing[$t]} ]] || continue
    while IFS= read -r name; do
      # The panic message: the line after "thread '<name>' panicked at".
      reason=$(awk -v n="$name" 'found { print; exit }
        index($0, "thread '\''" n "'\''") == 1 && /panicked at/ { found = 1 }' "$outdir/run/$t.log")
      printf '%s::%s\n    %s\n' "$t" "$name" "${reason:-(no panic message found)}"
    done <<<"${failing[$t]}"
  done
fi

commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
dirty=false
[[ -n $(git -C "$repo" --no-optional-locks status --porcelain -- mmapio 2>/dev/null) ]] && dirty=true
if [[ ${feature_list[*]} == all ]]; then
  enabled=$(jq -r '.features | keys | join(" ")' <<<"$upstream")
else
  enabled=${feature_list[*]}
fi
jq -s --arg version "$MMAP_IO_VERSION" --arg features "$enabled" \
  --arg commit "$commit" --argjson dirty "$dirty" --arg pkg "$pkg" \
  '{mmap_io_version: $version, mmap_io_package: $pkg,
    mmapio_commit: $commit, mmapio_uncommitted_changes: $dirty,
    features: (if $features == "" then [] else $features | split(" ") end),
    targets: .,
    totals: {targets: length, compiling: map(select(.compiles)) | length,
             passed: (map(.passed // 0) | add // 0),
             failed: (map(.failed // 0) | add // 0),
             ignored: (map(.ignored // 0) | add // 0)}}' \
  "$outdir/targets.jsonl" >"$outdir/summary.json"
echo
echo "== summary: $outdir/summary.json"
echo "== mmap-io-tests took $((SECONDS - start)) s"
