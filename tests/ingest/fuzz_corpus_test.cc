// The libFuzzer corpora (fuzz/*_fuzz.cc, fuzz/run.sh) replayed with the fuzz targets' checks under
// the ordinary (and the ASan/UBSan) test build, so every input that once found new coverage stays a
// regression test.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/health_parser.h"
#include "ingest/remote_write.h"

namespace prognos::ingest {
namespace {

std::vector<std::pair<std::string, std::string>> Corpus(const std::string& target) {
  const std::filesystem::path dir =
      std::filesystem::path(PROGNOS_SOURCE_DIR) / "fuzz" / "corpus" / target;
  std::vector<std::pair<std::string, std::string>> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.emplace_back(entry.path().filename().string(), ss.str());
  }
  return out;
}

TEST(FuzzCorpusTest, RemoteWriteCorpusReplays) {
  IngestLimits limits;  // as in fuzz/remote_write_fuzz.cc
  limits.max_labels = 8;
  limits.max_label_value_bytes = 64;
  const auto corpus = Corpus("remote_write");
  ASSERT_GE(corpus.size(), 10u);
  for (const auto& [name, data] : corpus) {
    if (data.empty()) continue;
    SCOPED_TRACE(name);
    const std::string_view bytes = std::string_view(data).substr(1);
    const RemoteWriteBatch b = (data[0] & 1) == 0 ? DecodeWriteRequest(bytes, limits)
                                                  : DecodeRemoteWrite(bytes, limits, 1 << 20);
    if (b.request_error) {
      EXPECT_TRUE(b.samples.empty());
      EXPECT_EQ(b.rejections.size(), 1u);
    }
    for (const auto& smp : b.samples) {
      const auto& items = smp.labels.items();
      ASSERT_FALSE(items.empty());
      EXPECT_LE(items.size(), limits.max_labels);
      for (std::size_t i = 1; i < items.size(); ++i) EXPECT_LT(items[i - 1].name, items[i].name);
      EXPECT_TRUE(smp.labels.Get(kMetricNameLabel).has_value());
      EXPECT_GE(smp.line, 1u);
      EXPECT_LE(smp.line, b.series);
    }
  }
}

TEST(FuzzCorpusTest, HealthParserCorpusReplays) {
  IngestLimits limits;  // as in fuzz/health_parser_fuzz.cc
  limits.max_line_bytes = 4096;
  const auto corpus = Corpus("health_parser");
  ASSERT_GE(corpus.size(), 2u);
  for (const auto& [name, data] : corpus) {
    SCOPED_TRACE(name);
    const ParsedBatch b = ParseHealthBody(data, limits);
    for (const auto& s : b.samples) {
      EXPECT_TRUE(s.labels.Get(kMetricNameLabel).has_value());
      EXPECT_TRUE(s.labels.Get(kHostLabel).has_value());
      EXPECT_TRUE(std::isfinite(s.sample.v));
      EXPECT_GE(s.line, 1u);
    }
    for (const auto& r : b.rejections) {
      EXPECT_GE(r.samples, 1u);
      EXPECT_GE(r.line, 1u);
    }
  }
}

}  // namespace
}  // namespace prognos::ingest
