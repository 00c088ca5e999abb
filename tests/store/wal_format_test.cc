// The WAL's bytes match docs/formats/wal.md.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "store/encoding.h"
#include "store/storage.h"
#include "store/test_util.h"
#include "store/wal.h"

namespace prognos::store {
namespace {

using testing::L;
using testing::TempDir;

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Expected bytes built by hand from the spec and checked with Python:
//   python3 -c "import zlib,struct; …"  (payload 02 80a0abfef962 01 8877665544332211 02 00
//   000000000000e03f 9875 000000000000f03f; zlib.crc32(payload) = 0x55940a63)
TEST(WalFormatTest, SamplesRecordMatchesTheDocumentedExample) {
  std::string out;
  SamplesRecordBuilder b(&out);
  const Sample samples[] = {{1'700'000'000'000, 0.5}, {1'700'000'015'000, 1.0}};
  b.AddGroup(0x1122334455667788ull, samples, 2);
  b.Finish();
  EXPECT_EQ(Hex(out),
            "24000000630a94550280a0abfef9620188776655443322110200000000000000e03f9875"
            "000000000000f03f");
}

TEST(WalFormatTest, SeriesRecordLayout) {
  std::string body;
  EncodeSeriesBody(7, L({{"host", "h1"}, {"__name__", "cpu"}}), &body);
  // id, count 2, "__name__"="cpu", "host"="h1" (sorted by name).
  EXPECT_EQ(Hex(body),
            "0700000000000000"
            "02"
            "085f5f6e616d655f5f"
            "03637075"
            "04686f7374"
            "026831");
}

TEST(WalFormatTest, FreshSegmentStartsWithVersionedHeader) {
  TempDir dir;
  StorageOptions o;
  o.dir = dir.path();
  o.fsync = FsyncPolicy::kNever;
  ASSERT_TRUE(Storage::Open(o, nullptr).has_value());
  std::ifstream f(dir.path() + "/wal/00000001", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(Hex(ss.str()), "5047574c01000000");  // "PGWL", version 1, reserved
}

TEST(EncodingTest, VarintsRoundTripAtTheEdges) {
  const std::int64_t signed_cases[] = {0,
                                       -1,
                                       1,
                                       -64,
                                       64,
                                       std::numeric_limits<std::int64_t>::min(),
                                       std::numeric_limits<std::int64_t>::max()};
  for (std::int64_t v : signed_cases) {
    std::string s;
    PutVarint(&s, v);
    Decoder d(s);
    EXPECT_EQ(d.Varint(), v);
    EXPECT_TRUE(d.ok() && d.done());
  }
  std::string s;
  PutUvarint(&s, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(s.size(), 10u);
  Decoder d(s);
  EXPECT_EQ(d.Uvarint(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(d.ok());
}

TEST(EncodingTest, DecoderRejectsOverrunsAndOverlongVarints) {
  const std::string three("\x01\x02\x03", 3);
  Decoder short_fixed(three);
  short_fixed.Fixed64();
  EXPECT_FALSE(short_fixed.ok());

  const std::string continued("\x80\x80", 2);
  Decoder unterminated(continued);
  unterminated.Uvarint();
  EXPECT_FALSE(unterminated.ok());

  const std::string eleven = std::string(10, '\xff') + '\x01';
  Decoder overlong(eleven);
  overlong.Uvarint();
  EXPECT_FALSE(overlong.ok());
}

}  // namespace
}  // namespace prognos::store
