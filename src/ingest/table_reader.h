// Reads recorded data (CSV or JSON lines, .gz transparently) by DESIGN.md §3's "Reading CSV" rules:
// separator detection, header detection, time column detection, entity column, column naming.
// Used by `replay`, `score`, `forecast` and the simulator. No global state; thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "ingest/health_parser.h"

namespace prognos::ingest {

// Reads a whole file into memory, gunzipping when the name ends in ".gz".
Result<std::string> ReadFileMaybeGz(const std::string& path);

// File stem with ".gz" and then one extension stripped: "/a/b/12.csv.gz" -> "12".
std::string HostFromPath(std::string_view path);

// A column selector as given on the command line: a header name, or a 1-based index ("3").
struct ColumnRef {
  std::string text;  // empty = not given
};

struct TableOptions {
  ColumnRef entity;  // --entity; default: a column called host|instance|machine_id|serial_number
  ColumnRef time;    // --time;   default: first column named timestamp|time|ts|date
  std::vector<std::string> columns;  // --columns a,b,…: names for a headerless file's columns
  DurationMs step_ms = 60'000;       // spacing of rows when there is no time column
  TimestampMs start_ms = 0;          // time of the first row when there is no time column
};

// A parsed CSV: column names (header or c1..cN or --columns), which column is time/entity, and
// cells.
struct Table {
  std::vector<std::string> column_names;  // as in the file (not yet metric-normalised)
  bool had_header = false;
  char separator = ',';
  std::optional<std::size_t> time_column;  // index into column_names
  std::optional<std::size_t> entity_column;
  std::vector<std::vector<std::string>> rows;  // trimmed cells; short rows padded with ""
  std::vector<std::uint32_t> row_lines;        // 1-based line number in the file of each row
};

// Parses CSV text (already decompressed) with the rules above. Details:
// - the separator is the most frequent of ',', ';', tab on the first non-blank line (ties in that
//   order); cells are trimmed of spaces, tabs and '\r'; a cell starting with '"' runs to its
//   closing quote ("" = one quote) and may hold separators, but not line breaks;
// - the column count is that of the first row (or of --columns, if longer); extra cells of a
//   longer row are dropped (ReadReplayFile reports them);
// - --columns names columns in order, overriding a header's names when the file has one;
// - --entity/--time: a 1-based index, else a name (exact, then case-insensitive, then as
//   ToMetricName); a name or index the file does not have is an error, as is the same column for
//   both. A leading UTF-8 BOM is ignored.
Result<Table> ParseCsv(std::string_view text, const TableOptions& options);

// Time of each row: the time column parsed (RFC 3339, "YYYY-MM-DD[ HH:MM:SS]", epoch s or ms by
// magnitude), or start_ms + i * step_ms without one. A row whose time cannot be parsed gets
// nullopt.
std::vector<std::optional<TimestampMs>> RowTimes(const Table& table, const TableOptions& options);

// Numeric view for score/forecast: value columns (every column but time and entity), NaN where a
// cell is empty or not a number. A JSON-lines file is an error here.
struct NumericTable {
  std::vector<std::string> names;      // value column names
  std::vector<std::string> time_text;  // the time cell as written (or the 0-based row index)
  std::vector<std::optional<TimestampMs>> times;  // parsed
  std::vector<std::vector<double>> columns;       // columns[c][row]
};
Result<NumericTable> ReadNumericTable(const std::string& path, const TableOptions& options);

// Turns any input file (JSON lines or CSV by its first non-blank byte) into health samples as
// `replay` names them (DESIGN.md §3): host = entity value or HostFromPath(path); __name__ =
// ToMetricName(column); non-numeric value columns become labels on that row's samples; empty
// cells are no sample. JSON-lines files go through ParseHealthBody. Rows come out in file order.
// CSV details:
// - a column is a label column when its text cells outnumber its number cells over the whole
//   file (Backblaze `model`); otherwise a value column (`capacity_bytes`), whose rare text cells
//   are rejected one by one (invalid_field). Label names are ToMetricName(column); one that
//   clashes with `host` or `__name__` becomes `exported_<name>` (Prometheus' rule); an empty
//   label cell is no label. Repeated metric names get "_<1-based column>" appended.
// - rejections (line = the row's line in the file; samples = the row's non-empty value cells):
//   empty time cell -> missing_field; unparsable time -> invalid_field; empty entity cell ->
//   missing_field; labels over IngestLimits -> too_large; a NaN/inf/overflowing cell ->
//   non_finite (that cell); extra cells beyond the header -> invalid_field (those cells).
// - without a time column row i (0-based, counting every data row) is at start_ms + i * step_ms.
struct ReplayBatch {
  std::vector<ParsedSample> samples;
  std::vector<Rejection> rejections;  // unparsable rows or lines, with reason
  std::uint64_t rows = 0;
};
Result<ReplayBatch> ReadReplayFile(const std::string& path, const TableOptions& options,
                                   const IngestLimits& limits);

// The same content as ReadReplayFile, stored compactly: each distinct label set once, and 24 bytes
// per point. Prefer this for large files (a Backblaze day is ~0.5 M samples); ReadReplayFile is
// this expanded.
struct ReplaySeries {
  struct Point {
    std::uint32_t series = 0;  // index into `series`
    std::uint32_t line = 0;    // 1-based line of the file
    Sample sample;
  };
  std::vector<Labels> series;
  std::vector<Point> points;          // file order
  std::vector<Rejection> rejections;  // unparsable rows or lines, with reason
  std::uint64_t rows = 0;             // data rows (CSV) or messages (JSON lines)
};
Result<ReplaySeries> ReadReplaySeries(const std::string& path, const TableOptions& options,
                                      const IngestLimits& limits);
// Same rules on text already in memory; `path` only names the host (HostFromPath) and errors.
Result<ReplaySeries> ParseReplayText(std::string_view text, const std::string& path,
                                     const TableOptions& options, const IngestLimits& limits);
// ReadReplayFile's shape from the compact one (copies each point's label set).
ReplayBatch ExpandReplaySeries(ReplaySeries&& compact);

}  // namespace prognos::ingest
