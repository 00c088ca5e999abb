#!/usr/bin/env bash
# Installs prognos's build and test dependencies (Debian 12, as root) and builds the Release tree.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkgconf ccache git ca-certificates
  libcpp-httplib-dev nlohmann-json3-dev libyaml-cpp-dev libexpected-dev
  libprotobuf-dev protobuf-compiler libsnappy-dev libzstd-dev liblz4-dev liblzma-dev zlib1g-dev
  libsqlite3-dev libeigen3-dev libxgboost-dev xgboost libcurl4-openssl-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev libsimdjson-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus prometheus-alertmanager python3 python3-statsmodels python3-pandas python3-snappy
  curl procps
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--no-build" ] && exit 0
export CCACHE_BASEDIR="$PWD"  # cache hits across clones in other folders (CI)
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
