#!/usr/bin/env bash
# Quick start, step 2: build (if needed) and run the whole test suite (unit + integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 scripts/check_includes.py
ctest --preset release --output-on-failure -j"$(nproc)"
