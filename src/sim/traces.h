// Real demand and failure traces for the simulator, read through ingest's table reader:
// Bitbrains VM usage (CPU MHz → cores, memory KB → GiB), Alibaba 2018 machine usage (percent of a
// configured machine size), and Backblaze 2013 drives that failed (their daily SMART history).
// Traces are put on the scenario's regular grid. Thread-compatible; the loaders keep no state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace prognos::sim {

// One workload's demand on a regular grid (step_ms apart, from slot 0).
struct DemandTrace {
  std::string name;  // "bitbrains/7", "alibaba/m_1935"
  std::vector<double> cores;
  std::vector<double> memory_gib;
  // What reading cost: rows that ingest would reject (no time, NaN, text) and slots filled by
  // holding the previous value (gaps).
  std::uint64_t rows = 0;
  std::uint64_t rejected_rows = 0;
  std::uint64_t duplicate_rows = 0;
  std::uint64_t filled_slots = 0;
};

// Regularises (time, value...) rows: slot = round((t − t0) / step); the first row of a slot wins
// (as ingest keeps the first of duplicate timestamps); empty slots hold the previous value (a gap
// in telemetry does not make demand vanish). Rows with NaN values or no time are skipped and
// counted. `times` and each of `columns` are parallel.
void Regularise(const std::vector<std::optional<TimestampMs>>& times,
                const std::vector<const std::vector<double>*>& columns, DurationMs step_ms,
                std::vector<std::vector<double>>* out, DemandTrace* stats);

// Bitbrains: one file `<dir>/<vm>.csv.gz` (or .csv). cores = CPU usage [MHZ] / (CPU capacity
// provisioned [MHZ] / CPU cores); GiB = Memory usage [KB] / 2^20.
Result<DemandTrace> LoadBitbrainsVm(const std::string& dir, int vm, DurationMs step_ms);
// Same from a file path (tests feed small files with gaps and garbage rows).
Result<DemandTrace> LoadBitbrainsFile(const std::string& path, DurationMs step_ms);

// Alibaba machine usage (headerless: machine_id, time_stamp, cpu_util_percent, mem_util_percent,
// …): one trace per machine, the mean of its samples in each slot; cores = cpu% / 100 · cores.
Result<std::vector<DemandTrace>> LoadAlibaba(const std::string& path, DurationMs step_ms,
                                             double cores, double memory_gib);

// A Backblaze drive that failed: its daily SMART values up to and including its failure day.
inline constexpr std::size_t kSmartCount = 6;
inline constexpr std::array<const char*, kSmartCount> kSmartNames = {
    "smart_5_raw",   "smart_187_raw", "smart_188_raw",
    "smart_197_raw", "smart_198_raw", "smart_194_raw"};
struct FailedDrive {
  std::string serial;
  std::string model;
  std::string failure_date;
  std::vector<std::array<double, kSmartCount>> days;  // oldest first; NaN = not reported
  // Backblaze's rule on its own history: any of SMART 5, 187, 188, 197, 198 raw > 0 on a day
  // before the failure day — the drive gave a warning a host agent could see.
  bool has_precursor = false;
};
struct BackblazeSet {
  std::vector<FailedDrive> failed;  // ordered by serial
  std::uint64_t drives = 0;         // distinct serials seen
  std::uint64_t drive_days = 0;     // rows
  int days = 0;                     // files
};
// Reads every daily file of `dir` once per process (cached by dir).
Result<const BackblazeSet*> LoadBackblaze(const std::string& dir);

}  // namespace prognos::sim
