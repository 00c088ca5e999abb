// Done-when 3 of issue 9: damage the WAL tail in several ways; the real daemon starts, reports the
// repair in its log and /metrics, and serves everything written before the damage.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "testing/daemon_process.h"

namespace prognos {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::DaemonProcess;
using testing::TempDir;

std::string Batch(long long first, int n, const std::string& host) {
  std::string body;
  for (int i = 0; i < n; ++i) {
    body += json{{"ts", first + i}, {"host", host}, {"indicators", {{"cpu_util", 0.5 + i * 1e-3}}}}
                .dump();
    body += '\n';
  }
  return body;
}

fs::path LastSegment(const std::string& data_dir) {
  fs::path last;
  for (const auto& e : fs::recursive_directory_iterator(data_dir)) {
    // Segments live in <data>/wal/ (not SQLite's catalog.db-wal beside the block catalog).
    if (e.is_regular_file() && e.path().parent_path().filename() == "wal" &&
        (last.empty() || e.path().filename() > last.filename())) {
      last = e.path();
    }
  }
  return last;
}

// End of the records in a segment: with WAL space reserved ahead of the writes
// (store wal_preallocate_bytes) a killed daemon's segment is longer than its records (a zero
// tail), so the file size is not the end. Walks the record frames (u32 length, u32 CRC, payload)
// from the 8-byte segment header to the first zero length.
std::uint64_t RecordsEnd(const fs::path& seg) {
  std::ifstream f(seg, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::uint64_t off = 8;
  while (off + 8 <= data.size()) {
    std::uint32_t len = 0;
    std::memcpy(&len, data.data() + off, 4);  // little-endian, as on every supported target
    if (len == 0 || off + 8 + len > data.size()) break;
    off += 8 + len;
  }
  return off;
}

std::size_t CountSamples(int port, const std::string& host) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get(("/v1/series?host=" + host).c_str());
  if (!res || res->status != 200) return 0;
  std::size_t n = 0;
  const json listing = json::parse(res->body);
  for (const auto& s : listing["series"]) n += s["samples"].get<std::size_t>();
  return n;
}

double MetricValue(int port, const std::string& name) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/metrics");
  if (!res) return -1;
  std::istringstream in(res->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

enum class Damage {
  kTruncateMidRecord,
  kTruncateOneByte,
  kFlipBitInTail,
  kAppendGarbage,
  kZeroTail
};

struct Case {
  const char* name;
  Damage damage;
  bool second_batch_survives;  // garbage after intact records keeps both batches
  bool repaired = true;        // a zero tail is reserved space, not damage: no repair
};

TEST(WalRepairTest, DaemonRepairsDamagedTailAndServesWhatCameBefore) {
  const Case cases[] = {
      {"truncate_mid_record", Damage::kTruncateMidRecord, false},
      {"truncate_last_byte", Damage::kTruncateOneByte, false},
      {"flip_bit_in_tail", Damage::kFlipBitInTail, false},
      {"append_garbage", Damage::kAppendGarbage, true},
      {"zero_filled_tail", Damage::kZeroTail, true, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const std::string data = dir.path() + "/data";
    DaemonProcess daemon(data);
    ASSERT_TRUE(daemon.Start()) << daemon.Log();
    httplib::Client client("127.0.0.1", daemon.port());
    auto a = client.Post("/v1/health", Batch(1700000000, 500, "h1"), "application/x-ndjson");
    ASSERT_TRUE(a && a->status == 200);
    const fs::path seg = LastSegment(data);
    ASSERT_FALSE(seg.empty());
    const auto size_a = RecordsEnd(seg);
    auto b = client.Post("/v1/health", Batch(1700001000, 50, "h1"), "application/x-ndjson");
    ASSERT_TRUE(b && b->status == 200);
    daemon.Kill();
    const auto size_b = RecordsEnd(seg);
    ASSERT_GT(size_b, size_a);

    switch (c.damage) {
      case Damage::kTruncateMidRecord:
        fs::resize_file(seg, size_a + (size_b - size_a) / 2);
        break;
      case Damage::kTruncateOneByte:
        fs::resize_file(seg, size_b - 1);
        break;
      case Damage::kFlipBitInTail: {
        std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
        const auto pos = static_cast<std::streamoff>(size_a + (size_b - size_a) / 2);
        f.seekg(pos);
        char ch = 0;
        f.read(&ch, 1);
        ch = static_cast<char>(ch ^ 0x10);
        f.seekp(pos);
        f.write(&ch, 1);
        break;
      }
      case Damage::kAppendGarbage: {
        std::ofstream f(seg, std::ios::app | std::ios::binary);
        f << "\x13\x37garbage that is not a record\xff\xfe";
        break;
      }
      case Damage::kZeroTail: {
        std::ofstream f(seg, std::ios::app | std::ios::binary);
        f << std::string(4096, '\0');
        break;
      }
    }

    ASSERT_TRUE(daemon.Start()) << daemon.Log();
    const std::size_t want = c.second_batch_survives ? 550 : 500;
    EXPECT_EQ(CountSamples(daemon.port(), "h1"), want);
    const std::string log = daemon.Log();
    if (c.repaired) {
      EXPECT_GE(MetricValue(daemon.port(), "prognos_wal_repairs_total"), 1.0);
      // The repair's own line (the startup summary with its repair count may not be flushed yet).
      EXPECT_NE(log.find("wal: segment"), std::string::npos) << log;
    } else {
      EXPECT_EQ(MetricValue(daemon.port(), "prognos_wal_repairs_total"), 0.0);
      EXPECT_EQ(log.find("wal: segment"), std::string::npos) << log;
    }
    // Appends work after the repair, and survive another restart.
    httplib::Client again("127.0.0.1", daemon.port());
    auto d = again.Post("/v1/health", Batch(1700002000, 10, "h1"), "application/x-ndjson");
    ASSERT_TRUE(d && d->status == 200);
    daemon.Kill();
    ASSERT_TRUE(daemon.Start()) << daemon.Log();
    EXPECT_EQ(CountSamples(daemon.port(), "h1"), want + 10);
    EXPECT_EQ(MetricValue(daemon.port(), "prognos_wal_repairs_total"), 0.0)
        << "a clean shutdown-free restart after repair needs no new repair";
    daemon.Kill();
  }
}

}  // namespace
}  // namespace prognos
