#include "sim/traces.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace prognos::sim {
namespace {

using prognos::testing::TempDir;

// A Bitbrains-format file (`;\t` separated) with a garbage row, a NaN, a repeated timestamp and
// a gap, read as ingest would: bad rows skipped, the first of a slot kept, gaps held.
TEST(TracesTest, BitbrainsFileWithGapsAndGarbageRows) {
  TempDir dir;
  const std::string path = dir.path() + "/7.csv";
  std::ofstream(path)
      << "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\t"
         "CPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB]\n"
      // slot 0: 1250 MHz of 2 × 2500 MHz cores = 0.5 cores; 1048576 KB = 1 GiB
      << "1372629600;\t2;\t5000;\t1250;\t25;\t4194304;\t1048576\n"
      // slot 1: garbage usage → skipped, slot held at 0.5
      << "1372629900;\t2;\t5000;\tabc;\t25;\t4194304;\t1048576\n"
      // slot 2: 2500 MHz = 1 core, 2 GiB
      << "1372630200;\t2;\t5000;\t2500;\t50;\t4194304;\t2097152\n"
      // same timestamp, other value: ingest keeps the first → skipped
      << "1372630200;\t2;\t5000;\t5000;\t100;\t4194304;\t2097152\n"
      // garbage time → skipped
      << "yesterday;\t2;\t5000;\t5000;\t100;\t4194304;\t2097152\n"
      // slots 3, 4 missing (gap), slot 5: 3750 MHz = 1.5 cores
      << "1372631100;\t2;\t5000;\t3750;\t75;\t4194304;\t3145728\n";
  auto t = LoadBitbrainsFile(path, 5 * kMinuteMs);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->name, "bitbrains/7");
  const std::vector<double> cores = {0.5, 0.5, 1.0, 1.0, 1.0, 1.5};
  const std::vector<double> gib = {1, 1, 2, 2, 2, 3};
  ASSERT_EQ(t->cores.size(), cores.size());
  for (std::size_t i = 0; i < cores.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_NEAR(t->cores[i], cores[i], 1e-12);
    EXPECT_NEAR(t->memory_gib[i], gib[i], 1e-12);
  }
  EXPECT_EQ(t->rows, 6U);  // data rows with a parsable time (the "yesterday" row has none)
  EXPECT_EQ(t->duplicate_rows, 1U);
  EXPECT_EQ(t->filled_slots, 3U);   // slot 1 (garbage) and slots 3, 4 (gap)
  EXPECT_GE(t->rejected_rows, 2U);  // the garbage value and the garbage time
}

TEST(TracesTest, NotABitbrainsFileIsAnError) {
  TempDir dir;
  const std::string path = dir.path() + "/x.csv";
  std::ofstream(path) << "timestamp,value\n1,2\n";
  auto t = LoadBitbrainsFile(path, 5 * kMinuteMs);
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().message.find("not a Bitbrains file"), std::string::npos);
}

// Alibaba machine usage (headerless: machine_id, time_stamp, cpu %, mem %, …) is irregular: each
// machine's samples are averaged per 5-minute slot; out-of-range rows (cpu 101) are skipped.
TEST(TracesTest, AlibabaMachineUsageIsAveragedPerSlot) {
  TempDir dir;
  const std::string path = dir.path() + "/usage.csv";
  std::ofstream(path) << "m_1,0,40,50,,,1,1,5\n"
                         "m_1,100,60,50,,,1,1,5\n"   // slot 0: cpu (40 + 60) / 2 = 50 %
                         "m_1,200,101,50,,,1,1,5\n"  // invalid percent: skipped
                         "m_1,900,25,75,,,1,1,5\n"   // slot 3; slots 1, 2 held
                         "m_2,0,10,10,,,1,1,5\n";
  auto t = LoadAlibaba(path, 5 * kMinuteMs, /*cores=*/8, /*memory_gib=*/32);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  ASSERT_EQ(t->size(), 2U);
  const DemandTrace& m1 = (*t)[0];
  EXPECT_EQ(m1.name, "alibaba/m_1");
  // 50 % of 8 cores = 4; 50 % of 32 GiB = 16; slot 3: 25 % → 2 cores, 75 % → 24 GiB.
  const std::vector<double> cores = {4, 4, 4, 2};
  const std::vector<double> gib = {16, 16, 16, 24};
  ASSERT_EQ(m1.cores.size(), cores.size());
  for (std::size_t i = 0; i < cores.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_DOUBLE_EQ(m1.cores[i], cores[i]);
    EXPECT_DOUBLE_EQ(m1.memory_gib[i], gib[i]);
  }
  EXPECT_EQ(m1.rejected_rows, 1U);
  EXPECT_EQ(m1.filled_slots, 2U);
  EXPECT_DOUBLE_EQ((*t)[1].cores[0], 0.8);  // m_2: 10 % of 8
}

TEST(TracesTest, RealBitbrainsVmWhenPresent) {
  const std::string dir = std::string(PROGNOS_SOURCE_DIR) + "/../shared/data/bitbrains_rnd/2013-7";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data absent";
  auto t = LoadBitbrainsVm(dir, 1, 5 * kMinuteMs);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  // VM 1: ~30 days of 5-minute samples, 2 cores.
  EXPECT_GT(t->cores.size(), 8000U);
  for (double c : t->cores) ASSERT_TRUE(std::isfinite(c) && c >= 0 && c <= 2.01);
}

TEST(TracesTest, BackblazeFailedDrivesWhenPresent) {
  const std::string dir = std::string(PROGNOS_SOURCE_DIR) + "/../shared/data/backblaze_2013/daily";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data absent";
  auto set = LoadBackblaze(dir);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  // The README: 20 files, 431,087 rows, 21,959 drives, 43 rows with failure = 1.
  EXPECT_EQ((*set)->days, 20);
  EXPECT_EQ((*set)->drive_days, 431087U);
  EXPECT_EQ((*set)->drives, 21959U);
  EXPECT_EQ((*set)->failed.size(), 43U);
}

}  // namespace
}  // namespace prognos::sim
