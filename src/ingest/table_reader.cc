#include "ingest/table_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "core/labels.h"

namespace prognos::ingest {
namespace {

constexpr std::uint32_t kNoSeries = std::numeric_limits<std::uint32_t>::max();

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return IsSpace(c) || c == '\n'; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "c3": the name of a headerless column (1-based). Built by appending: g++ 12 at -O3 warns falsely
// (-Wrestrict, PR105329) on `"literal" + std::string`.
std::string DefaultColumnName(std::size_t index) {
  std::string out = "c";
  out += std::to_string(index + 1);
  return out;
}

std::string Prefixed(std::string_view prefix, std::string_view rest) {
  std::string out(prefix);
  out += rest;
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// ---------------------------------------------------------------------------------------------
// Cells

enum class CellKind : std::uint8_t { kEmpty, kNumber, kNonFinite, kText };

// Classifies a trimmed cell and parses it when it is a number. "nan", "inf" and literals that
// overflow a double are kNonFinite (numbers, but not storable); anything else that does not parse
// completely is kText. No allocation except for the rare out-of-range literal.
CellKind ClassifyCell(std::string_view s, double* out) {
  if (s.empty()) return CellKind::kEmpty;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') {  // from_chars refuses a leading '+'
    ++b;
    if (b == e || *b == '-' || *b == '+') return CellKind::kText;
  }
  auto [ptr, ec] = std::from_chars(b, e, *out);
  if (ptr != e) return CellKind::kText;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves *out untouched: strtod tells overflow (±HUGE_VAL) from underflow (~0).
    char buf[128];
    const auto n = static_cast<std::size_t>(e - b);
    if (n >= sizeof buf) return CellKind::kText;
    std::memcpy(buf, b, n);
    buf[n] = '\0';
    *out = std::strtod(buf, nullptr);
  } else if (ec != std::errc()) {
    return CellKind::kText;
  }
  return std::isfinite(*out) ? CellKind::kNumber : CellKind::kNonFinite;
}

// A quoted cell keeps its inner text; "" inside quotes stands for one '"'. Reuses out's storage.
void AssignCellText(std::string_view cell, bool escaped, std::string* out) {
  if (!escaped) {
    out->assign(cell);
    return;
  }
  out->clear();
  for (std::size_t i = 0; i < cell.size(); ++i) {
    *out += cell[i];
    if (cell[i] == '"' && i + 1 < cell.size() && cell[i + 1] == '"') ++i;
  }
}

std::string CellText(std::string_view cell, bool escaped) {
  std::string out;
  AssignCellText(cell, escaped, &out);
  return out;
}

// Splits one line (no '\n') into trimmed cells. A cell that starts with '"' runs to the matching
// quote (so it may hold separators); text after the closing quote is ignored. `escaped[i]` is 1
// when cell i holds "" escapes (CellText undoes them). Reuses the vectors' storage.
void SplitLine(std::string_view line, char sep, std::vector<std::string_view>* cells,
               std::vector<std::uint8_t>* escaped) {
  cells->clear();
  escaped->clear();
  const std::size_t n = line.size();
  std::size_t i = 0;
  while (true) {
    std::size_t j = i;
    while (j < n && line[j] != sep && IsSpace(line[j])) ++j;
    std::size_t next = 0;
    if (j < n && line[j] == '"') {
      std::size_t k = j + 1;
      bool esc = false;
      while (k < n) {
        if (line[k] == '"') {
          if (k + 1 < n && line[k + 1] == '"') {
            esc = true;
            k += 2;
            continue;
          }
          break;
        }
        ++k;
      }
      cells->push_back(line.substr(j + 1, std::min(k, n) - (j + 1)));
      escaped->push_back(esc ? 1 : 0);
      next = k < n ? line.find(sep, k + 1) : std::string_view::npos;
    } else {
      next = line.find(sep, j);
      std::size_t end = next == std::string_view::npos ? n : next;
      cells->push_back(Trim(line.substr(i, end - i)));
      escaped->push_back(0);
    }
    if (next == std::string_view::npos) break;
    i = next + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Lines

// Walks the lines of a text; tracks 1-based line numbers; strips a trailing '\r'.
class LineReader {
 public:
  explicit LineReader(std::string_view text, std::size_t offset = 0, std::uint32_t line_no = 0)
      : text_(text), pos_(offset), line_no_(line_no) {}

  // Next non-blank line; false at the end.
  bool NextNonBlank(std::string_view* line) {
    while (pos_ <= text_.size() && !done_) {
      std::size_t nl = text_.find('\n', pos_);
      std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
      std::string_view l = text_.substr(pos_, end - pos_);
      ++line_no_;
      if (nl == std::string_view::npos) {
        done_ = true;
      } else {
        pos_ = nl + 1;
      }
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (!IsBlank(l)) {
        *line = l;
        return true;
      }
    }
    return false;
  }
  std::uint32_t LineNo() const { return line_no_; }
  std::size_t Position() const { return done_ ? text_.size() : pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_no_ = 0;
  bool done_ = false;
};

std::string_view SkipBom(std::string_view text) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF) {
    text.remove_prefix(3);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Layout: separator, header, names, time and entity columns

struct Layout {
  char separator = ',';
  bool had_header = false;
  std::vector<std::string> names;
  std::optional<std::size_t> time_column;
  std::optional<std::size_t> entity_column;
  std::size_t data_offset = 0;       // byte offset where data lines start
  std::uint32_t data_line_base = 0;  // line number of the line before data_offset
};

// The most frequent of ',', ';', '\t' on the first line; ties go to that order (Bitbrains' ";\t"
// has as many tabs as semicolons and is read with ';' and trimmed cells).
char DetectSeparator(std::string_view line) {
  constexpr std::array<char, 3> kCandidates = {',', ';', '\t'};
  char best = ',';
  std::ptrdiff_t best_count = 0;
  for (char c : kCandidates) {
    std::ptrdiff_t count = std::count(line.begin(), line.end(), c);
    if (count > best_count) {
      best = c;
      best_count = count;
    }
  }
  return best;
}

// "Timestamp [ms]" -> "timestamp": lower-cased, bracketed unit removed, trimmed.
std::string BareName(std::string_view name) {
  std::string out;
  std::size_t open = name.find('[');
  std::size_t close = open == std::string_view::npos ? open : name.find(']', open);
  if (open != std::string_view::npos && close != std::string_view::npos) {
    out = Lower(name.substr(0, open));
    out += Lower(name.substr(close + 1));
  } else {
    out = Lower(name);
  }
  return std::string(Trim(out));
}

bool IsTimeName(std::string_view name) {
  std::string bare = BareName(name);
  return bare == "timestamp" || bare == "time" || bare == "ts" || bare == "date";
}

bool IsEntityName(std::string_view name) {
  std::string bare = Lower(Trim(name));
  return bare == "host" || bare == "instance" || bare == "machine_id" || bare == "serial_number";
}

std::string ColumnList(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 40; ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  if (names.size() > 40) out += ", …";
  return out;
}

// --entity/--time: a 1-based index, or a name (exact, then case-insensitive, then as a metric
// name).
Result<std::optional<std::size_t>> ResolveColumn(const ColumnRef& ref, std::string_view flag,
                                                 const std::vector<std::string>& names) {
  std::string_view text = Trim(ref.text);
  if (text.empty()) return std::optional<std::size_t>();
  std::size_t index = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (index < 1 || index > names.size()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(flag) + " " + std::string(text) + ": the file has " +
                           std::to_string(names.size()) + " columns (indexes are 1-based)");
    }
    return std::optional<std::size_t>(index - 1);
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return std::optional<std::size_t>(i);
  }
  const std::string lower = Lower(text);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (Lower(names[i]) == lower) return std::optional<std::size_t>(i);
  }
  const std::string metric = ToMetricName(text);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!metric.empty() && ToMetricName(names[i]) == metric) return std::optional<std::size_t>(i);
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string(flag) + " '" + std::string(text) +
                       "': no such column (columns: " + ColumnList(names) + ")");
}

Result<Layout> DetectLayout(std::string_view text, const TableOptions& options) {
  Layout layout;
  LineReader lines(text);
  std::string_view first;
  std::vector<std::string_view> cells;
  std::vector<std::uint8_t> escaped;
  std::size_t ncols = 0;
  if (lines.NextNonBlank(&first)) {
    layout.separator = DetectSeparator(first);
    SplitLine(first, layout.separator, &cells, &escaped);
    ncols = cells.size();
    bool any_number = false;
    for (auto c : cells) {
      double v = 0;
      CellKind k = ClassifyCell(c, &v);
      if (k == CellKind::kNumber || k == CellKind::kNonFinite) any_number = true;
    }
    layout.had_header = !any_number;
    if (layout.had_header) {
      layout.data_offset = lines.Position();
      layout.data_line_base = lines.LineNo();
    }
  }
  ncols = std::max(ncols, options.columns.size());
  layout.names.resize(ncols);
  for (std::size_t i = 0; i < ncols; ++i) {
    std::string name;
    if (i < options.columns.size()) {
      name = std::string(Trim(options.columns[i]));
    } else if (layout.had_header && i < cells.size()) {
      name = CellText(cells[i], escaped[i] != 0);
    }
    if (name.empty()) name = DefaultColumnName(i);
    layout.names[i] = std::move(name);
  }

  auto time = ResolveColumn(options.time, "--time", layout.names);
  if (!time) return tl::unexpected(time.error());
  layout.time_column = *time;
  if (!layout.time_column) {
    for (std::size_t i = 0; i < ncols; ++i) {
      if (IsTimeName(layout.names[i])) {
        layout.time_column = i;
        break;
      }
    }
  }
  auto entity = ResolveColumn(options.entity, "--entity", layout.names);
  if (!entity) return tl::unexpected(entity.error());
  layout.entity_column = *entity;
  if (!layout.entity_column) {
    for (std::size_t i = 0; i < ncols; ++i) {
      if (i != layout.time_column && IsEntityName(layout.names[i])) {
        layout.entity_column = i;
        break;
      }
    }
  }
  if (layout.time_column && layout.entity_column && *layout.time_column == *layout.entity_column) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the time and entity columns are the same column ('" +
                         layout.names[*layout.time_column] + "')");
  }
  return layout;
}

std::string PathForErrors(const std::string& path) { return path.empty() ? "<input>" : path; }

// First non-blank byte is '{' or '[': JSON lines (or a JSON array of messages).
bool LooksLikeJson(std::string_view text) {
  std::size_t first = text.find_first_not_of(" \t\r\n\f\v");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

Rejection MakeRejection(std::uint32_t line, std::string indicator, RejectReason reason,
                        std::string message, std::uint32_t samples) {
  Rejection r;
  r.line = line;
  r.indicator = std::move(indicator);
  r.reason = reason;
  r.message = std::move(message);
  r.samples = std::max<std::uint32_t>(samples, 1);
  return r;
}

// Unique names in order: a repeat gets "_<1-based column>" appended.
void MakeUnique(std::vector<std::string>* names, const std::vector<std::size_t>& columns) {
  std::unordered_map<std::string, int> seen;
  for (std::size_t k = 0; k < names->size(); ++k) {
    auto& n = (*names)[k];
    if (seen[n]++ > 0) n += Prefixed("_", std::to_string(columns[k] + 1));
  }
}

// ---------------------------------------------------------------------------------------------
// CSV -> compact replay series

void AppendKeyPart(std::string* key, std::string_view part) {
  const auto n = static_cast<std::uint32_t>(part.size());
  key->append(reinterpret_cast<const char*>(&n), sizeof n);
  key->append(part);
}

class CsvReplay {
 public:
  CsvReplay(std::string_view text, Layout layout, std::string default_host,
            const TableOptions& options, const IngestLimits& limits)
      : text_(text),
        layout_(std::move(layout)),
        default_host_(std::move(default_host)),
        options_(options),
        limits_(limits) {}

  ReplaySeries Run() {
    Classify();
    Emit();
    return std::move(out_);
  }

 private:
  // Pass 1: parse every cell once, remember kind and value, and count per column how many cells
  // are numbers and how many are text; the majority decides value column vs label column.
  void Classify() {
    const std::size_t ncols = layout_.names.size();
    LineReader lines(text_, layout_.data_offset, layout_.data_line_base);
    std::string_view line;
    numeric_count_.assign(ncols, 0);
    text_count_.assign(ncols, 0);
    while (lines.NextNonBlank(&line)) {
      SplitLine(line, layout_.separator, &cells_, &escaped_);
      RowInfo info;
      info.line = lines.LineNo();
      info.offset = static_cast<std::size_t>(line.data() - text_.data());
      info.length = line.size();
      info.extra_fields = cells_.size() > ncols ? cells_.size() - ncols : 0;
      rows_.push_back(info);
      for (std::size_t c = 0; c < ncols; ++c) {
        double v = 0;
        CellKind k = c < cells_.size() ? ClassifyCell(cells_[c], &v) : CellKind::kEmpty;
        kinds_.push_back(k);
        values_.push_back(v);
        if (k == CellKind::kNumber || k == CellKind::kNonFinite) ++numeric_count_[c];
        if (k == CellKind::kText) ++text_count_[c];
      }
    }
    for (std::size_t c = 0; c < ncols; ++c) {
      if (c == layout_.time_column || c == layout_.entity_column) continue;
      if (text_count_[c] > numeric_count_[c]) {
        label_columns_.push_back(c);
      } else {
        value_columns_.push_back(c);
      }
    }
    for (std::size_t c : value_columns_) {
      std::string m = ToMetricName(layout_.names[c]);
      metric_names_.push_back(m.empty() ? DefaultColumnName(c) : std::move(m));
    }
    MakeUnique(&metric_names_, value_columns_);
    for (std::size_t c : label_columns_) {
      std::string m = ToMetricName(layout_.names[c]);
      if (m.empty()) m = DefaultColumnName(c);
      // Prometheus' rule for a scraped label that clashes with a target label.
      if (m == kMetricNameLabel || m == kHostLabel) m = Prefixed("exported_", m);
      label_names_.push_back(std::move(m));
    }
    MakeUnique(&label_names_, label_columns_);
    value_slot_.assign(ncols, kNoSeries);
    for (std::size_t k = 0; k < value_columns_.size(); ++k) {
      value_slot_[value_columns_[k]] = static_cast<std::uint32_t>(k);
    }
  }

  // Pass 2: per row, time and label set, then one point per numeric value cell.
  void Emit() {
    const std::size_t ncols = layout_.names.size();
    out_.rows = rows_.size();
    groups_.reserve(layout_.entity_column || !label_columns_.empty() ? rows_.size() / 4 + 16 : 1);
    std::size_t numeric_cells = 0;  // an upper bound of the points
    for (std::size_t c : value_columns_) numeric_cells += numeric_count_[c];
    out_.points.reserve(numeric_cells);
    std::string key;
    std::vector<Label> base;
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      const RowInfo& info = rows_[r];
      const CellKind* kinds = kinds_.data() + r * ncols;
      const double* values = values_.data() + r * ncols;
      SplitLine(text_.substr(info.offset, info.length), layout_.separator, &cells_, &escaped_);
      auto cell = [&](std::size_t c) { return c < cells_.size() ? cells_[c] : std::string_view(); };
      std::uint32_t present = 0;  // value cells that would become samples
      for (std::size_t c : value_columns_) present += kinds[c] != CellKind::kEmpty ? 1 : 0;

      if (info.extra_fields > 0) {
        out_.rejections.push_back(MakeRejection(
            info.line, "", RejectReason::kInvalidField,
            Prefixed("row has ", std::to_string(ncols + info.extra_fields)) + " fields, expected " +
                std::to_string(ncols) + "; the extra fields are ignored",
            static_cast<std::uint32_t>(info.extra_fields)));
      }
      if (present == 0) continue;  // nothing to store; the row still counts in `rows`

      TimestampMs t = 0;
      if (layout_.time_column) {
        std::string_view tc = cell(*layout_.time_column);
        if (tc.empty()) {
          out_.rejections.push_back(MakeRejection(info.line, "", RejectReason::kMissingField,
                                                  "empty time cell", present));
          continue;
        }
        auto parsed = ParseTimestamp(tc);
        if (!parsed) {
          out_.rejections.push_back(MakeRejection(info.line, "", RejectReason::kInvalidField,
                                                  parsed.error().message, present));
          continue;
        }
        t = *parsed;
      } else {
        t = options_.start_ms + static_cast<TimestampMs>(r) * options_.step_ms;
      }

      // Group key: host and label values, each length-prefixed so that no value can imitate a
      // boundary. Consecutive rows usually share it (files are sorted by entity or hold one), so
      // compare with the previous row before hashing.
      if (layout_.entity_column) {
        const std::size_t e = *layout_.entity_column;
        AssignCellText(cell(e), e < escaped_.size() && escaped_[e] != 0, &host_);
        if (host_.empty()) {
          out_.rejections.push_back(MakeRejection(info.line, "", RejectReason::kMissingField,
                                                  "empty entity cell (" + layout_.names[e] + ")",
                                                  present));
          continue;
        }
      } else {
        host_ = default_host_;
      }
      label_values_.resize(label_columns_.size());
      for (std::size_t k = 0; k < label_columns_.size(); ++k) {
        const std::size_t c = label_columns_[k];
        AssignCellText(cell(c), c < escaped_.size() && escaped_[c] != 0, &label_values_[k]);
      }
      key.clear();
      AppendKeyPart(&key, host_);
      for (const auto& v : label_values_) AppendKeyPart(&key, v);
      if (group_ == kNoSeries || key != group_key_) {
        auto it = groups_.find(key);
        if (it == groups_.end()) {
          std::string problem = NewGroup(&base);
          if (!problem.empty()) {
            out_.rejections.push_back(
                MakeRejection(info.line, "", RejectReason::kTooLarge, problem, present));
            continue;
          }
          it = groups_.emplace(key, static_cast<std::uint32_t>(group_bases_.size() - 1)).first;
        }
        group_ = it->second;
        group_key_ = key;
      }

      for (std::size_t c : value_columns_) {
        switch (kinds[c]) {
          case CellKind::kEmpty:
            break;
          case CellKind::kNumber:
            out_.points.push_back({SeriesFor(group_, value_slot_[c]), info.line, {t, values[c]}});
            break;
          case CellKind::kNonFinite:
            out_.rejections.push_back(
                MakeRejection(info.line, layout_.names[c], RejectReason::kNonFinite,
                              std::isnan(values[c]) ? "value is NaN" : "value is infinite", 1));
            break;
          case CellKind::kText:
            out_.rejections.push_back(
                MakeRejection(info.line, layout_.names[c], RejectReason::kInvalidField,
                              "not a number: '" + std::string(cell(c).substr(0, 64)) + "'", 1));
            break;
        }
      }
    }
  }

  // Builds the label set shared by a group's series (from host_ and label_values_; __name__ is
  // left empty). Returns a non-empty message when the limits refuse it.
  std::string NewGroup(std::vector<Label>* base) {
    base->clear();
    base->push_back({std::string(kHostLabel), host_});
    for (std::size_t k = 0; k < label_columns_.size(); ++k) {
      if (!label_values_[k].empty()) base->push_back({label_names_[k], label_values_[k]});
    }
    if (base->size() + 1 > limits_.max_labels) {
      return std::to_string(base->size() + 1) + " labels, more than the limit of " +
             std::to_string(limits_.max_labels);
    }
    for (const auto& l : *base) {
      if (l.value.size() > limits_.max_label_value_bytes) {
        return "label '" + l.name + "' value is " + std::to_string(l.value.size()) +
               " bytes, more than the limit of " + std::to_string(limits_.max_label_value_bytes);
      }
    }
    base->push_back({std::string(kMetricNameLabel), ""});
    std::sort(base->begin(), base->end(),
              [](const Label& a, const Label& b) { return a.name < b.name; });
    group_bases_.push_back(*base);
    group_series_.resize(group_series_.size() + value_columns_.size(), kNoSeries);
    return {};
  }

  std::uint32_t SeriesFor(std::uint32_t group, std::uint32_t slot) {
    std::uint32_t& id = group_series_[std::size_t{group} * value_columns_.size() + slot];
    if (id == kNoSeries) {
      std::vector<Label> items = group_bases_[group];
      for (auto& l : items) {
        if (l.name == kMetricNameLabel) l.value = metric_names_[slot];
      }
      id = static_cast<std::uint32_t>(out_.series.size());
      out_.series.push_back(Labels::FromSortedUnchecked(std::move(items)));
    }
    return id;
  }

  struct RowInfo {
    std::uint32_t line = 0;
    std::size_t offset = 0;
    std::size_t length = 0;
    std::size_t extra_fields = 0;
  };

  std::string_view text_;
  Layout layout_;
  std::string default_host_;
  const TableOptions& options_;
  const IngestLimits& limits_;

  std::vector<std::string_view> cells_;
  std::vector<std::uint8_t> escaped_;
  std::vector<RowInfo> rows_;
  std::vector<CellKind> kinds_;  // rows x columns
  std::vector<double> values_;   // rows x columns
  std::vector<std::size_t> numeric_count_, text_count_;
  std::vector<std::size_t> value_columns_, label_columns_;
  std::vector<std::string> metric_names_, label_names_;
  std::vector<std::uint32_t> value_slot_;  // column -> index in value_columns_

  std::unordered_map<std::string, std::uint32_t> groups_;
  std::vector<std::vector<Label>> group_bases_;
  std::vector<std::uint32_t> group_series_;  // [group * value columns + slot] -> series id
  std::uint32_t group_ = kNoSeries;
  std::string group_key_;
  std::string host_;                       // this row's host
  std::vector<std::string> label_values_;  // this row's label cells, by label column

  ReplaySeries out_;
};

// JSON-lines replay: ParseHealthBody, then the label sets made unique.
ReplaySeries CompactBatch(ParsedBatch&& batch) {
  ReplaySeries out;
  out.rows = batch.messages;
  out.rejections = std::move(batch.rejections);
  out.points.reserve(batch.samples.size());
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_hash;
  for (auto& s : batch.samples) {
    auto& bucket = by_hash[s.labels.Hash()];
    std::uint32_t id = kNoSeries;
    for (std::uint32_t candidate : bucket) {
      if (out.series[candidate] == s.labels) {
        id = candidate;
        break;
      }
    }
    if (id == kNoSeries) {
      id = static_cast<std::uint32_t>(out.series.size());
      out.series.push_back(std::move(s.labels));
      bucket.push_back(id);
    }
    out.points.push_back({id, s.line, s.sample});
  }
  return out;
}

}  // namespace

Result<std::string> ReadFileMaybeGz(const std::string& path) {
  std::string out;
  if (EndsWith(path, ".gz")) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) {
      int err = errno;
      return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                       "cannot open " + path + ": " + std::strerror(err));
    }
    gzbuffer(f, 1 << 18);
    std::array<char, 1 << 18> buf;
    while (true) {
      int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
      if (n > 0) out.append(buf.data(), static_cast<std::size_t>(n));
      if (n < static_cast<int>(buf.size())) {
        int errnum = Z_OK;
        const char* msg = gzerror(f, &errnum);
        if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
          std::string text = msg != nullptr ? msg : "unknown error";
          gzclose(f);
          std::string message = "cannot gunzip ";
          message += path;
          message += ": ";
          message += text;
          return MakeError(ErrorCode::kCorruption, std::move(message));
        }
        if (n == 0 || gzeof(f)) break;
      }
    }
    gzclose(f);
    return out;
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     "cannot open " + path + ": " + std::strerror(err));
  }
  std::array<char, 1 << 16> buf;
  while (true) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
    out.append(buf.data(), n);
    if (n < buf.size()) break;
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return MakeError(ErrorCode::kIo, "cannot read " + path);
  return out;
}

std::string HostFromPath(std::string_view path) {
  std::size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (EndsWith(name, ".gz")) name.remove_suffix(3);
  std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
  return std::string(name);
}

Result<Table> ParseCsv(std::string_view text, const TableOptions& options) {
  text = SkipBom(text);
  auto layout = DetectLayout(text, options);
  if (!layout) return tl::unexpected(layout.error());
  Table table;
  table.column_names = layout->names;
  table.had_header = layout->had_header;
  table.separator = layout->separator;
  table.time_column = layout->time_column;
  table.entity_column = layout->entity_column;
  const std::size_t ncols = table.column_names.size();
  LineReader lines(text, layout->data_offset, layout->data_line_base);
  std::string_view line;
  std::vector<std::string_view> cells;
  std::vector<std::uint8_t> escaped;
  while (lines.NextNonBlank(&line)) {
    SplitLine(line, layout->separator, &cells, &escaped);
    std::vector<std::string> row(ncols);
    for (std::size_t c = 0; c < ncols && c < cells.size(); ++c) {
      row[c] = CellText(cells[c], escaped[c] != 0);
    }
    table.rows.push_back(std::move(row));
    table.row_lines.push_back(lines.LineNo());
  }
  return table;
}

std::vector<std::optional<TimestampMs>> RowTimes(const Table& table, const TableOptions& options) {
  std::vector<std::optional<TimestampMs>> out(table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    if (table.time_column) {
      const auto& row = table.rows[r];
      if (*table.time_column < row.size()) {
        auto parsed = ParseTimestamp(row[*table.time_column]);
        if (parsed) out[r] = *parsed;
      }
    } else {
      out[r] = options.start_ms + static_cast<TimestampMs>(r) * options.step_ms;
    }
  }
  return out;
}

Result<NumericTable> ReadNumericTable(const std::string& path, const TableOptions& options) {
  auto file = ReadFileMaybeGz(path);
  if (!file) return tl::unexpected(file.error());
  std::string_view text = SkipBom(*file);
  if (LooksLikeJson(text)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path + ": JSON input; this command reads a CSV table");
  }
  auto layout = DetectLayout(text, options);
  if (!layout) {
    return MakeError(layout.error().code, PathForErrors(path) + ": " + layout.error().message);
  }
  NumericTable out;
  std::vector<std::size_t> value_columns;
  for (std::size_t c = 0; c < layout->names.size(); ++c) {
    if (c == layout->time_column || c == layout->entity_column) continue;
    value_columns.push_back(c);
    out.names.push_back(layout->names[c]);
  }
  out.columns.resize(value_columns.size());
  LineReader lines(text, layout->data_offset, layout->data_line_base);
  std::string_view line;
  std::vector<std::string_view> cells;
  std::vector<std::uint8_t> escaped;
  std::size_t row = 0;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  while (lines.NextNonBlank(&line)) {
    SplitLine(line, layout->separator, &cells, &escaped);
    if (layout->time_column) {
      std::string_view tc =
          *layout->time_column < cells.size() ? cells[*layout->time_column] : std::string_view();
      out.time_text.emplace_back(tc);
      auto parsed = ParseTimestamp(tc);
      out.times.push_back(parsed ? std::optional<TimestampMs>(*parsed) : std::nullopt);
    } else {
      out.time_text.emplace_back(std::to_string(row));
      out.times.emplace_back(options.start_ms + static_cast<TimestampMs>(row) * options.step_ms);
    }
    for (std::size_t k = 0; k < value_columns.size(); ++k) {
      const std::size_t c = value_columns[k];
      double v = kNaN;
      if (c < cells.size()) {
        CellKind kind = ClassifyCell(cells[c], &v);
        if (kind == CellKind::kEmpty || kind == CellKind::kText) v = kNaN;
      }
      out.columns[k].push_back(v);
    }
    ++row;
  }
  return out;
}

Result<ReplaySeries> ParseReplayText(std::string_view text, const std::string& path,
                                     const TableOptions& options, const IngestLimits& limits) {
  text = SkipBom(text);
  if (LooksLikeJson(text)) return CompactBatch(ParseHealthBody(text, limits));
  auto layout = DetectLayout(text, options);
  if (!layout) {
    return MakeError(layout.error().code, PathForErrors(path) + ": " + layout.error().message);
  }
  CsvReplay replay(text, std::move(*layout), HostFromPath(path), options, limits);
  return replay.Run();
}

Result<ReplaySeries> ReadReplaySeries(const std::string& path, const TableOptions& options,
                                      const IngestLimits& limits) {
  auto file = ReadFileMaybeGz(path);
  if (!file) return tl::unexpected(file.error());
  return ParseReplayText(*file, path, options, limits);
}

ReplayBatch ExpandReplaySeries(ReplaySeries&& compact) {
  ReplayBatch out;
  out.rows = compact.rows;
  out.rejections = std::move(compact.rejections);
  out.samples.reserve(compact.points.size());
  for (const auto& p : compact.points) {
    ParsedSample s;
    s.labels = compact.series[p.series];
    s.sample = p.sample;
    s.line = p.line;
    out.samples.push_back(std::move(s));
  }
  return out;
}

Result<ReplayBatch> ReadReplayFile(const std::string& path, const TableOptions& options,
                                   const IngestLimits& limits) {
  auto file = ReadFileMaybeGz(path);
  if (!file) return tl::unexpected(file.error());
  std::string_view text = SkipBom(*file);
  if (LooksLikeJson(text)) {
    ParsedBatch batch = ParseHealthBody(text, limits);
    ReplayBatch out;
    out.rows = batch.messages;
    out.samples = std::move(batch.samples);
    out.rejections = std::move(batch.rejections);
    return out;
  }
  auto compact = ParseReplayText(text, path, options, limits);
  if (!compact) return tl::unexpected(compact.error());
  return ExpandReplaySeries(std::move(*compact));
}

}  // namespace prognos::ingest
