#include "core/labels.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/hash.h"

namespace prognos {

Result<Labels> Labels::FromUnsorted(std::vector<Label> labels) {
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].name.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "empty label name");
    }
    if (i > 0 && labels[i].name == labels[i - 1].name) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "duplicate label name '" + labels[i].name + "'");
    }
  }
  return FromSortedUnchecked(std::move(labels));
}

Labels Labels::FromSortedUnchecked(std::vector<Label> labels) {
  Labels l;
  l.items_ = std::move(labels);
  return l;
}

std::optional<std::string_view> Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != items_.end() && it->name == name) return std::string_view(it->value);
  return std::nullopt;
}

std::uint64_t Labels::Hash() const {
  std::uint64_t h = kFnv1a64Offset;
  auto mix = [&h](std::string_view s) { h = Fnv1a64("\xff", Fnv1a64(s, h)); };
  for (const auto& l : items_) {
    mix(l.name);
    mix(l.value);
  }
  return h;
}

std::string Labels::ToString() const {
  std::string out = "{";
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (i) out += ',';
    out += items_[i].name;
    out += "=\"";
    for (char c : items_[i].value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string FormatSeriesId(std::uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

std::optional<std::uint64_t> ParseSeriesId(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    int d = 0;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

std::string ToMetricName(std::string_view column) {
  std::string base;
  std::string unit;
  std::size_t open = column.find('[');
  std::size_t close = open == std::string_view::npos ? open : column.find(']', open);
  if (open != std::string_view::npos && close != std::string_view::npos) {
    std::string_view u = column.substr(open + 1, close - open - 1);
    for (char c : u) {
      if (c == '%')
        unit += "pct";
      else
        unit += c;
    }
    base = std::string(column.substr(0, open)) + "_" + unit + "_" +
           std::string(column.substr(close + 1));
  } else {
    base = std::string(column);
  }
  std::string out;
  out.reserve(base.size());
  for (char raw : base) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (raw == '%') {
      if (!out.empty() && out.back() != '_') out += '_';
      out += "pct";
      continue;
    }
    char o = ok ? c : '_';
    if (o == '_' && !out.empty() && out.back() == '_') continue;
    out += o;
  }
  while (!out.empty() && out.front() == '_') out.erase(out.begin());
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (!out.empty() && out[0] >= '0' && out[0] <= '9')
    out = "_" + out;  // Prometheus names can't start with a digit
  return out;
}

}  // namespace prognos
