#!/usr/bin/env bash
# clang-tidy over the C++ sources changed by the last commit (every source when there is no parent).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-tidy >/dev/null || { echo "tidy: clang-tidy not installed, skipped"; exit 0; }
if git rev-parse -q --verify HEAD~1 >/dev/null; then
  files=$(git diff --name-only HEAD~1 HEAD -- 'src/*.cc' | while read -r f; do [ -f "$f" ] && echo "$f"; done || true)
else
  files=$(git ls-files 'src/*.cc')
fi
[ -n "$files" ] || { echo "tidy: no changed sources"; exit 0; }
# shellcheck disable=SC2086
clang-tidy -p build/release --quiet $files 2>/dev/null | tee /tmp/prognos-tidy.txt | grep -E "(warning|error):" && exit 1
echo "tidy: clean ($(echo "$files" | wc -w) files)"
