// Random and mutated inputs for both parsers (seeded, so failures reproduce): no crash, no
// exception, and every message is accounted for — accepted or rejected, never lost.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/health_parser.h"
#include "ingest/table_reader.h"

namespace prognos::ingest {
namespace {

constexpr const char* kHealthSeeds[] = {
    R"({"ts": "2026-11-22T10:00:00Z", "host": "node-17", "component": "postgres-0", "kind": "resource_status", "status": "ok", "indicators": {"cpu_util": 0.73, "mem_used_bytes": 6.1e9}})",
    R"({"ts":1700000000123,"instance":"10.0.0.1:9100","job":"node","labels":{"code":"200"},"indicators":{"a":1e999,"b":-0.0}})",
    R"([{"ts":1,"host":"h","indicators":{"x":1}},{"ts":"bad","host":"h","indicators":{"x":1}}])",
    R"({"ts":"1700000000.5","host":"h","status":"fail","indicators":{"x":"1","y":null,"z":[1]}})",
};

constexpr const char* kCsvSeeds[] = {
    "timestamp,value\n2015-02-26 21:42:53,104\n2015-02-26 21:47:53,100\n",
    "Timestamp [ms];\tCPU usage [%];\tMemory usage [KB]\n1372629804;\t1.5;\t1034592.8\n",
    "m_1932,386640,41,92,,,43.04,33.08,5\nm_1932,386670,43,92,,,43.04,33.08,5\n",
    "date,serial_number,model,capacity_bytes\n2013-04-10,S1,\"Hitachi, HDS\",3000592982016\n",
};

std::string Mutate(std::string s, std::mt19937_64& rng) {
  static constexpr std::string_view kInteresting = "{}[]\":,;\t\n\r\\ 0123456789.eE+-nNaIf\x1f\xff";
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits; ++e) {
    const std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 5) {
      case 0:  // flip a byte
        if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(rng() & 0xff);
        break;
      case 1:  // insert an interesting byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos),
                 kInteresting[rng() % kInteresting.size()]);
        break;
      case 2:  // delete a run
        if (pos < s.size()) s.erase(pos, 1 + rng() % 16);
        break;
      case 3:  // duplicate a slice
        if (pos < s.size()) s.insert(pos, s.substr(pos, 1 + rng() % 32));
        break;
      default:  // truncate
        s.resize(pos);
        break;
    }
  }
  return s;
}

std::string RandomBytes(std::mt19937_64& rng) {
  std::string s(rng() % 300, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// 1-based numbers of the non-blank lines of a JSON-lines body (what ParseHealthBody calls
// messages); empty for an array body, whose element count is not knowable without parsing.
std::vector<std::uint32_t> MessageLines(std::string_view body) {
  std::vector<std::uint32_t> out;
  std::size_t first = body.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos || body[first] == '[') return out;
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    ++line_no;
    if (line.find_first_not_of(" \t\r\n\f\v") != std::string_view::npos) out.push_back(line_no);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string_view LineAt(std::string_view body, std::uint32_t line_no) {
  std::size_t pos = 0;
  for (std::uint32_t i = 1; i < line_no; ++i) pos = body.find('\n', pos) + 1;
  std::size_t nl = body.find('\n', pos);
  return body.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
}

void CheckHealth(const std::string& body, const IngestLimits& limits) {
  ParsedBatch b = ParseHealthBody(body, limits);
  const auto bound = static_cast<std::uint32_t>(body.size() + 1);
  std::set<std::uint32_t> lines_seen;
  for (const auto& s : b.samples) {
    ASSERT_GE(s.line, 1u);
    ASSERT_LE(s.line, bound);
    ASSERT_TRUE(s.labels.Get("__name__").has_value());
    ASSERT_TRUE(s.labels.Get("host").has_value());
    lines_seen.insert(s.line);
  }
  for (const auto& r : b.rejections) {
    ASSERT_GE(r.line, 1u);
    ASSERT_LE(r.line, bound);
    ASSERT_GE(r.samples, 1u);
    ASSERT_FALSE(r.message.empty());
    lines_seen.insert(r.line);
  }
  const std::vector<std::uint32_t> lines = MessageLines(body);
  if (lines.empty()) return;
  ASSERT_EQ(b.messages, lines.size());
  // Every message yields a sample or a rejection, except a valid message with an empty
  // indicators object and no status, which is accepted with nothing to store.
  for (std::uint32_t l : lines) {
    if (lines_seen.count(l)) continue;
    std::string_view text = LineAt(body, l);
    auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    ASSERT_TRUE(j.is_object()) << "line " << l << " vanished: " << text;
    auto it = j.find("indicators");
    ASSERT_TRUE(it != j.end() && it->is_object() && it->empty())
        << "line " << l << " vanished: " << text;
    auto st = j.find("status");
    ASSERT_TRUE(st == j.end() || st->is_null()) << "line " << l << " vanished: " << text;
  }
}

bool LooksLikeJson(std::string_view text) {
  if (text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);
  std::size_t first = text.find_first_not_of(" \t\r\n\f\v");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

TEST(RobustnessTest, HealthParserSurvivesMutatedAndRandomBodies) {
  std::mt19937_64 rng(20261125);
  IngestLimits limits;
  limits.max_line_bytes = 400;
  limits.max_labels = 5;
  for (int i = 0; i < 20000; ++i) {
    std::string body;
    if (i % 10 == 0) {
      body = RandomBytes(rng);
    } else {
      const int lines = 1 + static_cast<int>(rng() % 4);
      for (int l = 0; l < lines; ++l) {
        body += Mutate(kHealthSeeds[rng() % std::size(kHealthSeeds)], rng);
        body += '\n';
      }
    }
    SCOPED_TRACE(::testing::Message() << "iteration " << i);
    CheckHealth(body, limits);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "body: " << body;
      return;
    }
  }
}

TEST(RobustnessTest, CsvReaderSurvivesMutatedAndRandomFiles) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string text =
        i % 10 == 0 ? RandomBytes(rng) : Mutate(kCsvSeeds[rng() % std::size(kCsvSeeds)], rng);
    TableOptions o;
    if (rng() % 4 == 0) o.entity.text = std::to_string(1 + rng() % 3);
    if (rng() % 4 == 0) o.time.text = std::to_string(1 + rng() % 3);
    SCOPED_TRACE(::testing::Message() << "iteration " << i);
    auto table = ParseCsv(text, o);
    auto replay = ParseReplayText(text, "/x/fuzz.csv", o, IngestLimits{});
    if (LooksLikeJson(text)) continue;  // JSON: covered by the health parser test
    ASSERT_EQ(table.has_value(), replay.has_value()) << text;
    if (!table) continue;  // a flag names a column the file does not have
    auto times = RowTimes(*table, o);
    ASSERT_EQ(times.size(), table->rows.size());
    for (const auto& row : table->rows) ASSERT_EQ(row.size(), table->column_names.size());
    // Every data row is counted, and every point comes from a data row's line.
    ASSERT_EQ(replay->rows, table->rows.size()) << text;
    std::set<std::uint32_t> lines(table->row_lines.begin(), table->row_lines.end());
    for (const auto& p : replay->points) {
      ASSERT_LT(p.series, replay->series.size());
      ASSERT_TRUE(lines.count(p.line)) << text;
    }
    for (const auto& r : replay->rejections) {
      ASSERT_TRUE(lines.count(r.line)) << text;
      ASSERT_GE(r.samples, 1u);
    }
  }
}

TEST(RobustnessTest, GzipReaderSurvivesCorruptedStreams) {
  std::string tmpl = ::testing::TempDir() + "prognos-gz-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string path = tmpl + "/f.csv.gz";
  // A valid member to mutate: 2,000 rows of a small CSV.
  std::string csv = "timestamp,value\n";
  for (int i = 0; i < 2000; ++i) {
    csv += std::to_string(1700000000 + i * 60);
    csv += ',';
    csv += std::to_string(i % 17);
    csv += '\n';
  }
  std::vector<unsigned char> gz(compressBound(static_cast<uLong>(csv.size())) + 64);
  {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    gzwrite(f, csv.data(), static_cast<unsigned>(csv.size()));
    gzclose(f);
    std::FILE* in = std::fopen(path.c_str(), "rb");
    ASSERT_NE(in, nullptr);
    gz.resize(std::fread(gz.data(), 1, gz.size(), in));
    std::fclose(in);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 150; ++i) {
    std::string bytes(gz.begin(), gz.end());
    bytes = Mutate(std::move(bytes), rng);
    std::FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), out);
    std::fclose(out);
    SCOPED_TRACE(::testing::Message() << "iteration " << i);
    auto text = ReadFileMaybeGz(path);  // an error or some text; never a crash
    auto replay = ReadReplaySeries(path, TableOptions{}, IngestLimits{});
    EXPECT_EQ(text.has_value(), replay.has_value());
  }
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
}

}  // namespace
}  // namespace prognos::ingest
