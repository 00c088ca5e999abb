#!/bin/sh
# Builds a libFuzzer target with ASan+UBSan (clang) and runs it on its committed corpus.
# usage: fuzz/run.sh remote_write [seconds=60] [extra libFuzzer flags...]
# New inputs that add coverage land in fuzz/corpus/<target>/ (commit them; tests replay them).
set -eu
target=$1; secs=${2:-60}; shift; [ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_BUILD_DIR:-$root/build/fuzz}
mkdir -p "$out" "$root/fuzz/corpus/$target"
core="$root/src/core/labels.cc $root/src/core/result.cc $root/src/core/time.cc"
case $target in
  remote_write) srcs="$root/src/ingest/remote_write.cc" ;;
  health_parser) srcs="$root/src/ingest/health_parser.cc" ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/src" "$root/fuzz/${target}_fuzz.cc" $srcs $core -lsnappy -o "$out/${target}_fuzz"
"$out/${target}_fuzz" -max_total_time="$secs" -max_len=${FUZZ_MAX_LEN:-8192} -print_final_stats=1 "$@" \
  "$root/fuzz/corpus/$target"
