// The hand-written remote-write decoder against libprotobuf: reference requests are encoded with
// the real library from src/ingest/prompb.proto (and snappy's own compressor), and what the decoder
// returns is compared with what libprotobuf parses back, bit for bit. Then a table of malformed
// requests, each with its reason, the good series of the same request kept.
#include "ingest/remote_write.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <snappy.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "src/ingest/prompb.pb.h"

namespace prognos::ingest {
namespace {

constexpr std::uint64_t kStaleNaN = 0x7ff0000000000002ULL;  // Prometheus value.StaleNaN

double FromBits(std::uint64_t bits) { return std::bit_cast<double>(bits); }
std::uint64_t Bits(double v) { return std::bit_cast<std::uint64_t>(v); }

void AddSeries(prometheus::WriteRequest* req,
               const std::vector<std::pair<std::string, std::string>>& labels,
               const std::vector<std::pair<std::int64_t, double>>& samples) {
  auto* ts = req->add_timeseries();
  for (const auto& [n, v] : labels) {
    auto* l = ts->add_labels();
    l->set_name(n);
    l->set_value(v);
  }
  for (const auto& [t, v] : samples) {
    auto* s = ts->add_samples();
    s->set_timestamp(t);
    s->set_value(v);
  }
}

std::string Compress(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

std::string Encode(const prometheus::WriteRequest& req) {
  return Compress(req.SerializeAsString());
}

std::map<std::string, std::string> LabelMap(const Labels& labels) {
  std::map<std::string, std::string> m;
  for (const auto& l : labels.items()) m[l.name] = l.value;
  return m;
}

// The documented label rules applied to libprotobuf's view of a series; nullopt = refused.
std::optional<std::map<std::string, std::string>> ExpectedLabels(const prometheus::TimeSeries& ts,
                                                                 const IngestLimits& limits) {
  std::map<std::string, std::string> m;
  for (const auto& l : ts.labels()) {
    if (l.value().empty()) continue;
    if (l.name().empty() || l.name().size() > limits.max_label_value_bytes ||
        l.value().size() > limits.max_label_value_bytes || !m.emplace(l.name(), l.value()).second) {
      return std::nullopt;
    }
  }
  if (!m.count("__name__")) return std::nullopt;
  if (!m.count("host") && m.count("instance")) m["host"] = m["instance"];
  if (!m.count("component") && m.count("job")) m["component"] = m["job"];
  if (m.size() > limits.max_labels) return std::nullopt;
  return m;
}

// Checks the decoder's samples against libprotobuf's parse of the same bytes.
void ExpectMatchesLibprotobuf(const std::string& raw, const RemoteWriteBatch& got,
                              const IngestLimits& limits) {
  prometheus::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  std::size_t k = 0;
  for (int i = 0; i < req.timeseries_size(); ++i) {
    const auto& ts = req.timeseries(i);
    auto want = ExpectedLabels(ts, limits);
    if (!want) continue;
    for (const auto& s : ts.samples()) {
      ASSERT_LT(k, got.samples.size());
      const auto& p = got.samples[k++];
      EXPECT_EQ(LabelMap(p.labels), *want);
      EXPECT_EQ(p.sample.t, s.timestamp());
      EXPECT_EQ(Bits(p.sample.v), Bits(s.value()));
      EXPECT_EQ(p.line, static_cast<std::uint32_t>(i + 1));
    }
  }
  EXPECT_EQ(k, got.samples.size());
  EXPECT_EQ(got.series, static_cast<std::uint32_t>(req.timeseries_size()));
}

TEST(RemoteWriteTest, DecodesLibprotobufRequestsBitForBit) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"instance", "127.0.0.1:9090"}, {"job", "prometheus"}},
            {{1700000000000, 1.0}, {1700000015000, FromBits(kStaleNaN)}});
  AddSeries(&req,
            {{"__name__", "http_requests_total"},
             {"code", "200"},
             {"handler", "/api"},
             {"instance", "node-1"},
             {"job", "api"}},
            {{1700000000000, std::numeric_limits<double>::quiet_NaN()},
             {1700000001000, FromBits(0x7ff8dead00000001ULL)},  // a NaN with a payload
             {1700000002000, std::numeric_limits<double>::infinity()},
             {1700000003000, -std::numeric_limits<double>::infinity()},
             {1700000004000, -0.0},
             {1700000005000, std::numeric_limits<double>::denorm_min()},
             {1700000006000, 1.7976931348623157e308}});
  AddSeries(&req, {{"__name__", "cpu"}, {"component", "db"}, {"host", "h1"}, {"job", "node"}},
            {{-5, 0.5}, {0, 0.25}});  // negative and zero timestamps are as sent
  const std::string raw = req.SerializeAsString();
  IngestLimits limits;
  auto got = DecodeRemoteWrite(Compress(raw), limits);
  ASSERT_FALSE(got.request_error);
  EXPECT_TRUE(got.rejections.empty());
  ASSERT_EQ(got.samples.size(), 11u);
  ExpectMatchesLibprotobuf(raw, got, limits);
  // Roles added when absent, and only then; instance and job stay part of the identity.
  EXPECT_EQ(got.samples[0].labels.ToString(),
            R"({__name__="up",component="prometheus",host="127.0.0.1:9090",)"
            R"(instance="127.0.0.1:9090",job="prometheus"})");
  EXPECT_EQ(LabelMap(got.samples[9].labels),
            (std::map<std::string, std::string>{
                {"__name__", "cpu"}, {"component", "db"}, {"host", "h1"}, {"job", "node"}}));
  EXPECT_EQ(Bits(got.samples[1].sample.v), kStaleNaN);
  EXPECT_EQ(Bits(got.samples[3].sample.v), 0x7ff8dead00000001ULL);
  EXPECT_EQ(got.samples[9].sample.t, -5);
}

TEST(RemoteWriteTest, ManySeriesMatchLibprotobuf) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  prometheus::WriteRequest req;
  for (int i = 0; i < 5000; ++i) {
    std::vector<std::pair<std::int64_t, double>> samples;
    const int n = 1 + static_cast<int>(rng() % 5);
    for (int j = 0; j < n; ++j) {
      const std::uint64_t r = rng();
      const double v = r % 17 == 0 ? FromBits(kStaleNaN) : r % 19 == 0 ? std::nan("") : value(rng);
      samples.emplace_back(1700000000000 + std::int64_t{15000} * j, v);
    }
    AddSeries(&req,
              {{"__name__", "metric_" + std::to_string(i % 37)},
               {"instance", "node-" + std::to_string(i)},
               {"job", "job-" + std::to_string(i % 3)},
               {"le", std::to_string(i % 11)},
               {"zz_long_label_value", std::string(20 + i % 50, 'x')}},
              samples);
  }
  const std::string raw = req.SerializeAsString();
  IngestLimits limits;
  auto got = DecodeRemoteWrite(Compress(raw), limits);
  ASSERT_FALSE(got.request_error);
  EXPECT_TRUE(got.rejections.empty());
  ExpectMatchesLibprotobuf(raw, got, limits);
}

TEST(RemoteWriteTest, SkipsUnknownFieldsAndMetadataLikeLibprotobuf) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "a"}, {"job", "j"}}, {{1000, 1.5}});
  auto* md = req.add_metadata();
  md->set_type(prometheus::MetricMetadata::GAUGE);
  md->set_metric_family_name("a");
  md->set_help("help text");
  auto* ex = req.mutable_timeseries(0)->add_exemplars();
  ex->set_value(3);
  ex->add_labels()->set_name("trace_id");
  std::string raw = req.SerializeAsString();
  // Unknown fields of every skippable wire type at the top level: 9 varint, 10 fixed64, 11 bytes,
  // 12 fixed32.
  raw.append("\x48\x96\x01", 3);
  raw.push_back('\x51');
  raw.append(8, '\x01');
  raw.append("\x5a\x02hi");
  raw.push_back('\x65');
  raw.append(4, '\x02');
  auto got = DecodeRemoteWrite(Compress(raw), IngestLimits{});
  ASSERT_FALSE(got.request_error) << got.rejections[0].message;
  ExpectMatchesLibprotobuf(raw, got, IngestLimits{});
  ASSERT_EQ(got.samples.size(), 1u);
}

TEST(RemoteWriteTest, EmptyRequestStoresNothing) {
  auto got = DecodeRemoteWrite(Compress(""), IngestLimits{});
  EXPECT_FALSE(got.request_error);
  EXPECT_TRUE(got.samples.empty());
  EXPECT_TRUE(got.rejections.empty());
  EXPECT_EQ(got.series, 0u);
}

TEST(RemoteWriteTest, WholeRequestRefusals) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "a"}}, {{1000, 1}});
  AddSeries(&req, {{"__name__", "b"}}, {{1000, 2}});
  const std::string raw = req.SerializeAsString();
  const std::string good = Compress(raw);
  // A snappy header claiming 1 GiB (varint 0x80 0x80 0x80 0x80 0x04) followed by junk.
  const std::string huge = std::string("\x80\x80\x80\x80\x04", 5) + "abc";
  struct Case {
    const char* name;
    std::string body;
    RejectReason reason;
  };
  const Case cases[] = {
      {"empty body", "", RejectReason::kBadSnappy},
      {"not snappy", "{\"json\": true}", RejectReason::kBadSnappy},
      {"truncated snappy", good.substr(0, good.size() - 3), RejectReason::kBadSnappy},
      {"snappy framed format", std::string("\xff\x06\x00\x00sNaPpY", 10), RejectReason::kBadSnappy},
      {"decompressed size over the limit", huge, RejectReason::kTooLarge},
      {"truncated protobuf", Compress(raw.substr(0, raw.size() - 2)), RejectReason::kBadProtobuf},
      {"garbage protobuf", Compress("\xff\xff\xff\xff"), RejectReason::kBadProtobuf},
      {"field number 0", Compress(std::string("\x02\x00", 2)), RejectReason::kBadProtobuf},
      {"group wire type", Compress("\x0b\x0c"), RejectReason::kBadProtobuf},
      {"length past the end", Compress("\x0a\x7f\x0a"), RejectReason::kBadProtobuf},
      {"varint over 10 bytes", Compress(std::string(11, '\xff') + "\x01"),
       RejectReason::kBadProtobuf},
      {"label length past its series", Compress(std::string("\x0a\x04\x0a\x09\x0a\x01", 6)),
       RejectReason::kBadProtobuf},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = DecodeRemoteWrite(c.body, IngestLimits{});
    ASSERT_TRUE(got.request_error);
    EXPECT_EQ(*got.request_error, c.reason);
    ASSERT_EQ(got.rejections.size(), 1u);
    EXPECT_EQ(got.rejections[0].reason, c.reason);
    EXPECT_EQ(got.rejections[0].line, 0u);
    EXPECT_FALSE(got.rejections[0].message.empty());
    EXPECT_TRUE(got.samples.empty());
    prometheus::WriteRequest check;
    if (c.reason == RejectReason::kBadProtobuf) {
      std::string raw_bad;
      ASSERT_TRUE(snappy::Uncompress(c.body.data(), c.body.size(), &raw_bad));
      EXPECT_FALSE(check.ParseFromString(raw_bad) && raw_bad.find('\x0b') == std::string::npos)
          << "libprotobuf accepts what the decoder refused";
    }
  }
}

TEST(RemoteWriteTest, BadSeriesAreRefusedAndTheRestKept) {
  IngestLimits limits;
  limits.max_labels = 6;
  limits.max_label_value_bytes = 64;
  struct Case {
    const char* name;
    std::vector<std::pair<std::string, std::string>> labels;
    std::optional<RejectReason> reason;  // nullopt: stored
  };
  const std::vector<Case> cases = {
      {"missing __name__", {{"instance", "a"}, {"job", "j"}}, RejectReason::kInvalidLabels},
      {"empty __name__", {{"__name__", ""}, {"job", "j"}}, RejectReason::kInvalidLabels},
      {"duplicate label",
       {{"__name__", "m"}, {"a", "1"}, {"a", "2"}},
       RejectReason::kInvalidLabels},
      {"duplicate label, unsorted",
       {{"a", "1"}, {"__name__", "m"}, {"a", "1"}},
       RejectReason::kInvalidLabels},
      {"empty label name", {{"__name__", "m"}, {"", "x"}}, RejectReason::kInvalidLabels},
      {"invalid UTF-8 value", {{"__name__", "m"}, {"a", "\xc3\x28"}}, RejectReason::kInvalidLabels},
      {"surrogate in UTF-8",
       {{"__name__", "m"}, {"a", "\xed\xa0\x80"}},
       RejectReason::kInvalidLabels},
      {"huge label value",
       {{"__name__", "m"}, {"a", std::string(65, 'v')}},
       RejectReason::kTooLarge},
      {"huge label name",
       {{"__name__", "m"}, {std::string(65, 'n'), "v"}},
       RejectReason::kTooLarge},
      {"too many labels once roles are added",
       {{"__name__", "m"}, {"a", "1"}, {"b", "2"}, {"instance", "i"}, {"job", "j"}},
       RejectReason::kTooLarge},
      {"unsorted labels are sorted", {{"job", "j"}, {"__name__", "m"}, {"a", "1"}}, std::nullopt},
      {"label at the value limit", {{"__name__", "m"}, {"a", std::string(64, 'v')}}, std::nullopt},
      {"empty value is dropped", {{"__name__", "m"}, {"a", ""}, {"a", "1"}}, std::nullopt},
      {"multi-byte UTF-8", {{"__name__", "m"}, {"city", "Zürich €𝄞"}}, std::nullopt},
  };
  prometheus::WriteRequest req;
  for (const auto& c : cases) {
    AddSeries(&req, {{"__name__", "good"}, {"case", c.name}}, {{1000, 1}, {2000, 2}});
    AddSeries(&req, c.labels, {{1000, 3}, {2000, 4}, {3000, 5}});
  }
  const std::string raw = req.SerializeAsString();
  auto got = DecodeRemoteWrite(Compress(raw), limits);
  ASSERT_FALSE(got.request_error);
  std::map<std::uint32_t, Rejection> by_line;
  for (const auto& r : got.rejections) by_line[r.line] = r;
  std::map<std::uint32_t, std::vector<const ParsedSample*>> stored;
  for (const auto& s : got.samples) stored[s.line].push_back(&s);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    SCOPED_TRACE(c.name);
    const auto good_line = static_cast<std::uint32_t>(2 * i + 1);
    const auto line = good_line + 1;
    EXPECT_EQ(stored[good_line].size(), 2u);
    EXPECT_EQ(by_line.count(good_line), 0u);
    if (c.reason) {
      ASSERT_EQ(by_line.count(line), 1u);
      EXPECT_EQ(by_line[line].reason, *c.reason) << by_line[line].message;
      EXPECT_EQ(by_line[line].samples, 3u);
      EXPECT_EQ(stored[line].size(), 0u);
    } else {
      EXPECT_EQ(by_line.count(line), 0u) << by_line[line].message;
      ASSERT_EQ(stored[line].size(), 3u);
      const auto& items = stored[line][0]->labels.items();
      EXPECT_TRUE(std::is_sorted(items.begin(), items.end(),
                                 [](const Label& a, const Label& b) { return a.name < b.name; }));
    }
  }
  // The unsorted case comes out sorted, with component from job.
  EXPECT_EQ(stored[22][0]->labels.ToString(), R"({__name__="m",a="1",component="j",job="j"})");
  EXPECT_EQ(stored[26][0]->labels.ToString(), R"({__name__="m",a="1"})");
  EXPECT_EQ(got.rejections.size(), 10u);
}

TEST(RemoteWriteTest, NativeHistogramsAreCountedNotStored) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "h"}, {"job", "j"}}, {{1000, 1}});
  auto* h = req.mutable_timeseries(0)->add_histograms();
  h->set_count_int(3);
  h->set_sum(1.5);
  h->set_timestamp(1000);
  auto got = DecodeRemoteWrite(Encode(req), IngestLimits{});
  ASSERT_FALSE(got.request_error);
  EXPECT_EQ(got.samples.size(), 1u);
  ASSERT_EQ(got.rejections.size(), 1u);
  EXPECT_EQ(got.rejections[0].reason, RejectReason::kInvalidField);
  EXPECT_EQ(got.rejections[0].indicator, "h");
}

// Mutated requests: whenever the decoder accepts a request, libprotobuf parses the same bytes and
// the stored samples are exactly the valid series libprotobuf sees (UTF-8 aside: libprotobuf
// refuses a proto3 string that is not UTF-8 outright; the decoder refuses that series only).
TEST(RemoteWriteTest, MutatedRequestsNeverDisagreeWithLibprotobuf) {
  prometheus::WriteRequest req;
  for (int i = 0; i < 4; ++i) {
    AddSeries(
        &req,
        {{"__name__", "m"}, {"instance", std::string("i").append(std::to_string(i))}, {"job", "j"}},
        {{1000 + i, 1.0 * i}, {2000, 2.5}});
  }
  const std::string base = req.SerializeAsString();
  google::protobuf::LogSilencer quiet;  // libprotobuf logs every invalid UTF-8 string it refuses
  std::mt19937_64 rng(7);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string raw = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % raw.size();
      switch (rng() % 3) {
        case 0:
          raw[pos] = static_cast<char>(rng());
          break;
        case 1:
          raw.erase(pos, 1 + rng() % 4);
          break;
        default:
          raw = raw.substr(0, pos) + static_cast<char>(rng()) + raw.substr(pos);
          break;
      }
      if (raw.empty()) raw.push_back('x');
    }
    auto got = DecodeWriteRequest(raw, IngestLimits{});
    if (got.request_error) continue;
    prometheus::WriteRequest check;
    if (!check.ParseFromString(raw)) {
      const bool utf8 =
          std::any_of(got.rejections.begin(), got.rejections.end(), [](const Rejection& r) {
            return r.reason == RejectReason::kInvalidLabels &&
                   r.message.find("UTF-8") != std::string::npos;
          });
      EXPECT_TRUE(utf8) << "decoder accepted bytes libprotobuf refuses, iteration " << iter;
      continue;
    }
    ++accepted;
    ExpectMatchesLibprotobuf(raw, got, IngestLimits{});
    if (HasFailure()) break;
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace prognos::ingest
