#!/usr/bin/env bash
# Replays every time-series folder of ../shared/data through `prognos replay` (the README's commands)
# and prints a Markdown table of what each stored. Usage: scripts/replay_shared.sh [PROGNOS] [DATA]
set -uo pipefail
cd "$(dirname "$0")/.."
P=${1:-./build/release/prognos}
D=${2:-../shared/data}
run() {
  local name=$1; shift
  local start end out
  start=$(date +%s.%N)
  out=$("$P" replay "$@" 2>&1)
  local rc=$?
  end=$(date +%s.%N)
  local line store rejected
  line=$(echo "$out" | grep '^replay:' | sed 's/^replay: //')
  store=$(echo "$out" | grep 'store:' | sed 's/^ *store: //; s/ (temporary)//')
  rejected=$(echo "$out" | grep 'rejected [a-z_]' | sed 's/^ *rejected //' | tr -s ' ' | paste -sd ';' -)
  printf '| %s | %s | %s | %s | %.1f | %d |\n' "$name" "$line" "${rejected:--}" "$store" "$(echo "$end - $start" | bc)" "$rc"
}
echo "| folder | files, rows -> samples | rejected by reason | store | seconds | exit |"
echo "|---|---|---|---|---|---|"
run nab "$D"/nab/data/*/*.csv
run smd --step 60s "$D"/smd/train/* "$D"/smd/test/*
run asd --step 300s "$D"/asd/train/* "$D"/asd/test/*
run bitbrains_rnd "$D"/bitbrains_rnd/2013-7/*.csv.gz
run alibaba2018_machine_usage --entity 1 --time 2 --columns machine_id,time_stamp,cpu_util_percent,mem_util_percent,mem_gps,mkpi,net_in,net_out,disk_io_percent "$D"/alibaba2018_machine_usage/machine_usage*.csv.gz
run "datacenter_aggregates (azure, timestamp)" "$D"/datacenter_aggregates/azure_v2/*/*_cpu_mem.csv
run "datacenter_aggregates (300 s)" --step 300s "$D"/datacenter_aggregates/google2019/*/*.csv "$D"/datacenter_aggregates/alibaba2018/*/*_300_seconds.csv "$D"/datacenter_aggregates/azure_v2/*/*_no_timestamp.csv
run "datacenter_aggregates (30 s)" --step 30s "$D"/datacenter_aggregates/alibaba2018/*/*_30_seconds.csv
run "datacenter_aggregates (10 s)" --step 10s "$D"/datacenter_aggregates/alibaba2018/*/*_10_seconds.csv
run backblaze_2013 "$D"/backblaze_2013/daily/*
