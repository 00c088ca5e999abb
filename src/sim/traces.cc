#include "sim/traces.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/labels.h"
#include "ingest/table_reader.h"

namespace prognos::sim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kKbPerGib = 1024.0 * 1024.0;

std::optional<std::size_t> FindColumn(const std::vector<std::string>& names,
                                      std::string_view metric) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (ToMetricName(names[i]) == metric) return i;
  }
  return std::nullopt;
}

double ToDouble(std::string_view s) {
  if (s.empty()) return kNaN;
  std::string tmp(s);
  char* end = nullptr;
  const double v = std::strtod(tmp.c_str(), &end);
  if (end == tmp.c_str()) return kNaN;
  return v;
}

// Splits a CSV line on commas (Backblaze has no quoted fields).
void SplitCommas(std::string_view line, std::vector<std::string_view>* out) {
  out->clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t c = line.find(',', start);
    if (c == std::string_view::npos) {
      out->push_back(line.substr(start));
      return;
    }
    out->push_back(line.substr(start, c - start));
    start = c + 1;
  }
}

}  // namespace

void Regularise(const std::vector<std::optional<TimestampMs>>& times,
                const std::vector<const std::vector<double>*>& columns, DurationMs step_ms,
                std::vector<std::vector<double>>* out, DemandTrace* stats) {
  out->assign(columns.size(), {});
  std::optional<TimestampMs> t0;
  for (const auto& t : times) {
    if (t && (!t0 || *t < *t0)) t0 = t;
  }
  stats->rows += times.size();
  if (!t0) {
    stats->rejected_rows += times.size();
    return;
  }
  std::vector<std::vector<double>> slots(columns.size());
  std::vector<char> filled;
  for (std::size_t i = 0; i < times.size(); ++i) {
    bool ok = times[i].has_value();
    for (const auto* c : columns) ok = ok && std::isfinite((*c)[i]) && (*c)[i] >= 0;
    if (!ok) {
      ++stats->rejected_rows;
      continue;
    }
    const auto slot = static_cast<std::size_t>((*times[i] - *t0 + step_ms / 2) / step_ms);
    if (slot >= filled.size()) {
      filled.resize(slot + 1, 0);
      for (auto& s : slots) s.resize(slot + 1, kNaN);
    }
    if (filled[slot] != 0) {
      ++stats->duplicate_rows;  // the first row of a slot wins, as ingest keeps the first
      continue;
    }
    filled[slot] = 1;
    for (std::size_t c = 0; c < columns.size(); ++c) slots[c][slot] = (*columns[c])[i];
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    double last = kNaN;
    for (std::size_t k = 0; k < slots[c].size(); ++k) {
      if (std::isnan(slots[c][k])) {
        if (c == 0) ++stats->filled_slots;
        slots[c][k] = last;
      } else {
        last = slots[c][k];
      }
    }
    // Slots before the first valid row take its value (a trace starting with a bad row).
    double first = kNaN;
    for (double v : slots[c]) {
      if (!std::isnan(v)) {
        first = v;
        break;
      }
    }
    for (double& v : slots[c]) {
      if (!std::isnan(v)) break;
      v = first;
    }
    (*out)[c] = std::move(slots[c]);
  }
}

Result<DemandTrace> LoadBitbrainsFile(const std::string& path, DurationMs step_ms) {
  auto table = ingest::ReadNumericTable(path, ingest::TableOptions{});
  if (!table) return tl::unexpected(table.error());
  const auto cores = FindColumn(table->names, "cpu_cores");
  const auto cap = FindColumn(table->names, "cpu_capacity_provisioned_mhz");
  const auto usage = FindColumn(table->names, "cpu_usage_mhz");
  const auto mem = FindColumn(table->names, "memory_usage_kb");
  if (!cores || !cap || !usage || !mem) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path +
                         ": not a Bitbrains file (needs CPU cores, CPU capacity provisioned "
                         "[MHZ], CPU usage [MHZ], Memory usage [KB])");
  }
  const std::size_t n = table->times.size();
  std::vector<double> cpu(n, kNaN);
  std::vector<double> gib(n, kNaN);
  for (std::size_t i = 0; i < n; ++i) {
    const double c = table->columns[*cores][i];
    const double mhz_per_core = table->columns[*cap][i] / c;
    if (c > 0 && mhz_per_core > 0) cpu[i] = table->columns[*usage][i] / mhz_per_core;
    gib[i] = table->columns[*mem][i] / kKbPerGib;
  }
  DemandTrace trace;
  trace.name = fmt::format("bitbrains/{}", ingest::HostFromPath(path));
  std::vector<std::vector<double>> out;
  Regularise(table->times, {&cpu, &gib}, step_ms, &out, &trace);
  trace.cores = std::move(out[0]);
  trace.memory_gib = std::move(out[1]);
  if (trace.cores.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": no usable rows");
  }
  return trace;
}

Result<DemandTrace> LoadBitbrainsVm(const std::string& dir, int vm, DurationMs step_ms) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const char* ext : {".csv.gz", ".csv"}) {
    const fs::path p = fs::path(dir) / (std::to_string(vm) + ext);
    if (fs::exists(p, ec)) return LoadBitbrainsFile(p.string(), step_ms);
  }
  return MakeError(ErrorCode::kNotFound,
                   "Bitbrains VM " + std::to_string(vm) + " not found in " + dir);
}

Result<std::vector<DemandTrace>> LoadAlibaba(const std::string& path, DurationMs step_ms,
                                             double cores, double memory_gib) {
  auto text = ingest::ReadFileMaybeGz(path);
  if (!text) return tl::unexpected(text.error());
  ingest::TableOptions o;
  o.entity.text = std::string(1, '1');
  o.time.text = std::string(1, '2');
  auto table = ingest::ParseCsv(*text, o);
  if (!table) return tl::unexpected(table.error());
  if (table->column_names.size() < 4) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path + ": Alibaba machine usage needs machine_id, time_stamp, cpu, mem");
  }
  const auto times = ingest::RowTimes(*table, o);
  // Per machine: slot → (sum, count) of cpu and memory percent; the mean goes on the grid.
  struct Acc {
    std::map<std::int64_t, std::array<double, 4>> slots;  // cpu sum, cpu n, mem sum, mem n
    std::uint64_t rows = 0;
    std::uint64_t rejected = 0;
  };
  std::map<std::string, Acc> machines;
  for (std::size_t i = 0; i < table->rows.size(); ++i) {
    const auto& row = table->rows[i];
    Acc& a = machines[row[0]];
    ++a.rows;
    const double cpu = ToDouble(row[2]);
    const double mem = ToDouble(row[3]);
    if (!times[i] || !std::isfinite(cpu) || !std::isfinite(mem) || cpu < 0 || cpu > 100 ||
        mem < 0 || mem > 100) {
      ++a.rejected;
      continue;
    }
    auto& s = a.slots[*times[i] / step_ms];
    s[0] += cpu;
    s[1] += 1;
    s[2] += mem;
    s[3] += 1;
  }
  std::vector<DemandTrace> out;
  for (auto& [id, a] : machines) {
    if (a.slots.empty()) continue;
    DemandTrace t;
    t.name = "alibaba/" + id;
    t.rows = a.rows;
    t.rejected_rows = a.rejected;
    const std::int64_t first = a.slots.begin()->first;
    const std::int64_t last = a.slots.rbegin()->first;
    double c = kNaN;
    double m = kNaN;
    for (std::int64_t k = first; k <= last; ++k) {
      auto it = a.slots.find(k);
      if (it != a.slots.end()) {
        c = it->second[0] / it->second[1] / 100.0 * cores;
        m = it->second[2] / it->second[3] / 100.0 * memory_gib;
      } else {
        ++t.filled_slots;
      }
      t.cores.push_back(c);
      t.memory_gib.push_back(m);
    }
    out.push_back(std::move(t));
  }
  if (out.empty()) return MakeError(ErrorCode::kInvalidArgument, path + ": no usable rows");
  return out;
}

Result<const BackblazeSet*> LoadBackblaze(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<BackblazeSet>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(dir); it != cache.end()) return it->second.get();
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string p = e.path().string();
    if (p.ends_with(".csv") || p.ends_with(".csv.gz")) files.push_back(p);
  }
  if (ec || files.empty()) {
    return MakeError(ErrorCode::kNotFound, "no Backblaze daily files in " + dir);
  }
  std::sort(files.begin(), files.end());
  auto set = std::make_unique<BackblazeSet>();
  set->days = static_cast<int>(files.size());
  // One pass: keep every drive's rows of the shortlist attributes (small: 6 doubles a row), then
  // keep the drives that failed.
  struct Rows {
    std::string model;
    std::vector<std::array<double, kSmartCount>> days;
    std::string failure_date;
  };
  std::map<std::string, Rows> drives;
  std::vector<std::string_view> cells;
  for (const std::string& f : files) {
    auto text = ingest::ReadFileMaybeGz(f);
    if (!text) return tl::unexpected(text.error());
    std::string_view all = *text;
    std::size_t pos = 0;
    std::optional<std::size_t> serial, model, failure, date;
    std::array<std::optional<std::size_t>, kSmartCount> smart;
    bool header = true;
    while (pos < all.size()) {
      std::size_t nl = all.find('\n', pos);
      if (nl == std::string_view::npos) nl = all.size();
      std::string_view line = all.substr(pos, nl - pos);
      pos = nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      SplitCommas(line, &cells);
      if (header) {
        header = false;
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (cells[i] == "serial_number") serial = i;
          if (cells[i] == "model") model = i;
          if (cells[i] == "failure") failure = i;
          if (cells[i] == "date") date = i;
          for (std::size_t k = 0; k < kSmartCount; ++k) {
            if (cells[i] == kSmartNames[k]) smart[k] = i;
          }
        }
        if (!serial || !failure) {
          return MakeError(ErrorCode::kInvalidArgument,
                           f + ": not a Backblaze daily file (no serial_number/failure)");
        }
        continue;
      }
      if (*serial >= cells.size() || *failure >= cells.size()) continue;
      ++set->drive_days;
      Rows& r = drives[std::string(cells[*serial])];
      if (r.model.empty() && model && *model < cells.size()) r.model = std::string(cells[*model]);
      std::array<double, kSmartCount> v{};
      for (std::size_t k = 0; k < kSmartCount; ++k) {
        v[k] = smart[k] && *smart[k] < cells.size() ? ToDouble(cells[*smart[k]]) : kNaN;
      }
      r.days.push_back(v);
      if (cells[*failure] == "1" && date && *date < cells.size()) {
        r.failure_date = std::string(cells[*date]);
      }
    }
  }
  set->drives = drives.size();
  for (auto& [serial, r] : drives) {
    if (r.failure_date.empty()) continue;
    FailedDrive d;
    d.serial = serial;
    d.model = r.model;
    d.failure_date = r.failure_date;
    d.days = std::move(r.days);
    for (std::size_t day = 0; day + 1 < d.days.size(); ++day) {
      for (std::size_t k = 0; k < 5; ++k) {
        if (d.days[day][k] > 0) d.has_precursor = true;
      }
    }
    set->failed.push_back(std::move(d));
  }
  const BackblazeSet* result = set.get();
  cache[dir] = std::move(set);
  return result;
}

}  // namespace prognos::sim
