#!/usr/bin/env bash
# Runs mmapio's test suite (unit, integration and doc tests, every feature)
# as Windows programs: cross-compiled for x86_64-pc-windows-gnu, linked by
# MinGW-w64 and run under Wine. Installs what is missing: the Rust target,
# Debian's `wine`/`wine64` and `gcc-mingw-w64-x86-64` packages (apt-get, as
# root), and a Wine prefix under target/wine.
#
# Ends with one line of counts: passed, skipped (ignored on Windows, each
# with its reason in the test's `ignore = "..."`) and failed.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu

if ! rustup target list --installed | grep -qx "$target"; then
  echo "== rustup target add $target"
  rustup target add "$target"
fi

packages=()
command -v wine >/dev/null || packages+=(wine wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null || packages+=(gcc-mingw-w64-x86-64)
if ((${#packages[@]})); then
  echo "== apt-get install ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet.
  apt-get install -y -qq "${packages[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null; }
fi

export WINEPREFIX="$PWD/target/wine"
export WINEDEBUG=-all
# No Mono or Gecko: nothing here needs .NET or a browser engine, and
# without this wineboot would try to download them.
export WINEDLLOVERRIDES="mscoree,mshtml="
system32="$WINEPREFIX/drive_c/windows/system32"
if [[ ! -d $system32 ]]; then
  echo "== wineboot (new Wine prefix in target/wine)"
  mkdir -p "$WINEPREFIX"
  wineboot --init >/dev/null 2>&1
  wineserver --wait
fi
# Rust's std needs ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks
# (see scripts/wine/bcryptprimitives.c); newer Wine versions ship it.
if [[ ! -e $system32/bcryptprimitives.dll ]]; then
  echo "== building the bcryptprimitives.dll stand-in for Wine"
  x86_64-w64-mingw32-gcc -shared -O2 -o "$system32/bcryptprimitives.dll" \
    scripts/wine/bcryptprimitives.c scripts/wine/bcryptprimitives.def -ladvapi32
fi

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
# One wineserver for the whole run: by default it exits a few seconds after
# its last client, and a test binary started while it shuts down dies with
# "wine client error: recvmsg: Connection reset by peer".
# Wine's services start with the first program and live as long as the
# server: started here, they hold no end of the test log's pipe open.
wineserver --persistent
trap 'wineserver --kill 2>/dev/null || true' EXIT
wine cmd /c exit >/dev/null 2>&1
log=target/windows-tests.log
echo "== cargo test -p mmapio --all-features --target $target (under $(wine --version))"
# notify's Windows backend reads ReadDirectoryChangesW's records with
# 4-byte loads. Windows aligns the records to 4 bytes; Wine 8 packs them
# at 2, which the misaligned-pointer check of a debug build turns into an
# abort inside notify. The check is switched off for notify alone.
set +e
cargo test -p mmapio --all-features --target "$target" \
  --config 'profile.dev.package.notify.debug-assertions=false' 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

awk '/^test result:/ {
       for (i = 1; i <= NF; i++) {
         if ($(i + 1) ~ /^passed/) passed += $i
         if ($(i + 1) ~ /^failed/) failed += $i
         if ($(i + 1) ~ /^ignored/) ignored += $i
       }
     }
     END { printf "== Windows (wine): %d passed, %d skipped, %d failed\n", passed, ignored, failed }' "$log"
grep -E '^test .* \.\.\. ignored, ' "$log" | sed 's/^/   skipped: /' || true
exit "$status"
