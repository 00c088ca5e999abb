#!/usr/bin/env bash
# Quick start, step 1: install dependencies, build, and run `prognos demo` on the bundled real data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec ./build/release/prognos demo "$@"
