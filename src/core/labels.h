// Series identity: a series is its full, sorted label set (as in Prometheus); its id is a stable hash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace prognos {

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads <=>
};

// A label set kept sorted by name, names unique. Build with LabelsBuilder or FromUnsorted.
class Labels {
 public:
  Labels() = default;
  // Sorts; fails on a duplicate name or an empty name.
  static Result<Labels> FromUnsorted(std::vector<Label> labels);
  // Caller guarantees sorted, unique names (e.g. decoded from our own WAL).
  static Labels FromSortedUnchecked(std::vector<Label> labels);

  const std::vector<Label>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  // Value of `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Stable 64-bit FNV-1a hash over "name\xffvalue\xff…" of the sorted set.
  std::uint64_t Hash() const;
  // {__name__="cpu",host="h1"} form, for logs and errors.
  std::string ToString() const;

  friend bool operator==(const Labels&, const Labels&) = default;
  friend auto operator<=>(const Labels&, const Labels&) = default;  // NOLINT(modernize-use-nullptr)

 private:
  std::vector<Label> items_;
};

inline constexpr std::string_view kMetricNameLabel = "__name__";
inline constexpr std::string_view kHostLabel = "host";
inline constexpr std::string_view kComponentLabel = "component";

// Opaque stable series id as served by the API: 16 lower-case hex digits.
std::string FormatSeriesId(std::uint64_t id);
std::optional<std::uint64_t> ParseSeriesId(std::string_view text);

// Turns a column or indicator name into a Prometheus metric name (DESIGN.md §3):
// lower-case; a bracketed unit kept as a suffix ('%' -> "pct"); any char outside [a-z0-9_] -> '_';
// runs of '_' collapsed; ends trimmed. "CPU usage [MHZ]" -> "cpu_usage_mhz".
std::string ToMetricName(std::string_view column);

}  // namespace prognos
