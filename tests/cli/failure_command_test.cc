// Runs the built `prognos failure train|predict` on a small generated table. The table is
// SYNTHETIC (made up here, not real drives): 80 drives × 20 days, Backblaze's column names; ten
// drives fail, and their smart_5_raw climbs during the five days before they do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "testing/daemon_process.h"

namespace prognos::cli {
namespace {

using ::testing::HasSubstr;

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct RunResult {
  int exit_code = -1;
  std::string output;  // stderr
};

RunResult RunStderr(const std::string& args) {
  RunResult result;
  const std::string command = ShellQuote(PROGNOS_BINARY) + " " + args + " 2>&1 >/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Day d of April 2013 as Backblaze writes it.
std::string Date(int day) {
  return std::string(day + 1 < 10 ? "2013-04-0" : "2013-04-") + std::to_string(day + 1);
}

// Drive k (0-based): drives 0..9 fail on day 8 + k (days 8..17) and are gone afterwards; their
// smart_5_raw is 0 until 5 days before failing, then 3 per day more. Every other drive keeps
// smart_5_raw at (k % 7 == 0 ? 2 : 0): some healthy drives have a few reallocated sectors.
// smart_9_raw (power-on hours) = 1000 + 37·k + 24·day. Days [from, to).
void WriteTable(const std::string& path, int from, int to, bool with_failures = true,
                bool with_smart5 = true) {
  std::ofstream out(path);
  out << "date,serial_number,model,failure" << (with_smart5 ? ",smart_5_raw" : "")
      << ",smart_9_raw\n";
  for (int day = from; day < to; ++day) {
    for (int k = 0; k < 80; ++k) {
      const bool fails = with_failures && k < 10;
      const int fail_day = 8 + k;
      if (fails && day > fail_day) continue;
      int smart5 = k % 7 == 0 ? 2 : 0;
      if (fails && day > fail_day - 5) smart5 = 3 * (day - (fail_day - 5));
      out << Date(day) << ",SYN" << k << ",SYNTHETIC-MODEL," << (fails && day == fail_day ? 1 : 0);
      if (with_smart5) out << "," << smart5;
      out << "," << 1000 + 37 * k + 24 * day << "\n";
    }
  }
}

struct Prediction {
  std::string entity;
  std::string time;
  double p = 0.0;
};

std::vector<Prediction> ReadPredictions(const std::string& path, std::string* header) {
  std::ifstream in(path);
  std::vector<Prediction> out;
  std::string line;
  std::getline(in, *header);
  while (std::getline(in, line)) {
    std::stringstream s(line);
    Prediction p;
    std::string cell;
    std::getline(s, p.entity, ',');
    std::getline(s, p.time, ',');
    std::getline(s, cell, ',');
    p.p = std::stod(cell);
    out.push_back(p);
  }
  return out;
}

class FailureCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(PROGNOS_BINARY))
        << PROGNOS_BINARY << " is missing: build the 'prognos' target first";
    train_ = dir_.path() + "/train.csv";
    test_ = dir_.path() + "/test.csv.gz";
    model_ = dir_.path() + "/model.bin";
    WriteTable(train_, 0, 14);
    const std::string plain = dir_.path() + "/test.csv";
    WriteTable(plain, 14, 20);
    ASSERT_EQ(std::system(("gzip -n " + ShellQuote(plain)).c_str()), 0);
  }
  std::string Train(const std::string& extra = "") {
    return "failure train --input " + ShellQuote(train_) +
           " --entity serial_number --time date --label failure --horizon 5d --model " +
           ShellQuote(model_) + " --rounds 30 " + extra;
  }

  prognos::testing::TempDir dir_;
  std::string train_;
  std::string test_;
  std::string model_;
};

TEST_F(FailureCommandTest, TrainsThenPredictsEveryRowCausally) {
  const RunResult trained = RunStderr(Train());
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  // 14 days: 80 drives a day minus the failed ones after their day (drives 0..5 fail on days
  // 8..13 are gone after it: 5 + 4 + 3 + 2 + 1 + 0 = 15 rows missing) = 1,120 − 15 = 1,105 rows; 6
  // failures.
  EXPECT_THAT(trained.output, HasSubstr("1105 rows"));
  EXPECT_THAT(trained.output, HasSubstr("6 failed"));
  EXPECT_THAT(trained.output, HasSubstr("indicators smart_5_raw,smart_9_raw"));

  const std::string both = dir_.path() + "/both.csv";
  const RunResult predicted =
      RunStderr("failure predict --model " + ShellQuote(model_) + " --input " + ShellQuote(train_) +
                " " + ShellQuote(test_) + " --output " + ShellQuote(both));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
  std::string header;
  const auto rows = ReadPredictions(both, &header);
  EXPECT_EQ(header, "entity,time,p_fail");
  // All 20 days: 1,600 − (drives 0..9 after their day: 11 + 10 + … + 2 = 65) = 1,535.
  ASSERT_EQ(rows.size(), 1535U);
  double worst_healthy = 0.0;
  std::map<std::string, double> failing_last;
  for (const auto& r : rows) {
    ASSERT_GE(r.p, 0.0);
    ASSERT_LE(r.p, 1.0);
    const int k = std::stoi(r.entity.substr(3));
    if (k >= 10) worst_healthy = std::max(worst_healthy, r.p);
    if (k < 10 && r.time == Date(8 + k)) failing_last[r.entity] = r.p;
  }
  // Every drive on its failure day (smart_5 at 15 and rising) ranks above every healthy drive,
  // including the test-period drives 6..9 that training never saw fail.
  ASSERT_EQ(failing_last.size(), 10U);
  for (const auto& [entity, p] : failing_last) {
    SCOPED_TRACE(entity);
    EXPECT_GT(p, worst_healthy);
  }

  // Causal: the training days' predictions do not change when later days are added.
  const std::string only_train = dir_.path() + "/train_only.csv";
  ASSERT_EQ(RunStderr("failure predict --model " + ShellQuote(model_) + " --input " +
                      ShellQuote(train_) + " --output " + ShellQuote(only_train))
                .exit_code,
            0);
  const auto early = ReadPredictions(only_train, &header);
  ASSERT_EQ(early.size(), 1105U);
  for (std::size_t i = 0; i < early.size(); ++i) {
    ASSERT_EQ(early[i].entity, rows[i].entity);
    ASSERT_EQ(early[i].time, rows[i].time);
    ASSERT_EQ(early[i].p, rows[i].p) << "row " << i;
  }
}

// With --type the model learns a per-type prior; at predict time a type never seen in training
// gets the fleet rate (defined behaviour, not an error), and an input without the type column
// is an error.
TEST_F(FailureCommandTest, TypePriorHandlesUnseenTypesAndNeedsItsColumn) {
  const RunResult trained = RunStderr(Train("--type model"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_THAT(trained.output, HasSubstr("type prior from 'model' (1 types"));
  // The test days with every drive relabelled as a model training never saw.
  const std::string renamed = dir_.path() + "/renamed.csv";
  {
    std::ifstream in(dir_.path() + "/train.csv");
    std::ofstream out(renamed);
    std::string line;
    while (std::getline(in, line)) {
      const auto at = line.find("SYNTHETIC-MODEL");
      if (at != std::string::npos) line.replace(at, 15, "UNSEEN-MODEL");
      out << line << "\n";
    }
  }
  const std::string out = dir_.path() + "/renamed_p.csv";
  const RunResult unseen = RunStderr("failure predict --model " + ShellQuote(model_) + " --input " +
                                     ShellQuote(renamed) + " --output " + ShellQuote(out));
  ASSERT_EQ(unseen.exit_code, 0) << unseen.output;
  std::string header;
  const auto rows = ReadPredictions(out, &header);
  ASSERT_EQ(rows.size(), 1105U);
  for (const auto& r : rows) {
    ASSERT_GE(r.p, 0.0);
    ASSERT_LE(r.p, 1.0);
  }
  const std::string no_type = dir_.path() + "/no_type.csv";
  {
    std::ifstream in(dir_.path() + "/train.csv");
    std::ofstream o(no_type);
    std::string line;
    while (std::getline(in, line)) {
      const auto first = line.find(',', line.find(',') + 1);
      const auto second = line.find(',', first + 1);
      o << line.substr(0, first) << line.substr(second) << "\n";  // drop the third column
    }
  }
  const RunResult missing =
      RunStderr("failure predict --model " + ShellQuote(model_) + " --input " +
                ShellQuote(no_type) + " --output " + ShellQuote(out));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("no type column 'model'"));
}

TEST_F(FailureCommandTest, BadInputGetsAClearErrorAndExitCode) {
  ASSERT_EQ(RunStderr(Train()).exit_code, 0);
  const std::string no_failures = dir_.path() + "/healthy.csv";
  WriteTable(no_failures, 0, 5, /*with_failures=*/false);
  const std::string no_smart5 = dir_.path() + "/no_smart5.csv";
  WriteTable(no_smart5, 0, 5, true, /*with_smart5=*/false);
  const std::string garbage = dir_.path() + "/garbage.bin";
  std::ofstream(garbage) << "not a model";
  const std::string out = ShellQuote(dir_.path() + "/out.csv");
  const std::string model = ShellQuote(model_);
  struct Case {
    std::string name;
    std::string args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"missing label column",
       "failure train --input " + ShellQuote(train_) + " --label broken --model " + model, 1,
       "no label column 'broken'"},
      {"no positives",
       "failure train --input " + ShellQuote(no_failures) + " --label failure --model " + model, 1,
       "no positive labels"},
      {"bad horizon", Train("--horizon soon"), 2, "--horizon"},
      {"missing input file",
       "failure train --input " + ShellQuote(dir_.path() + "/nope.csv") +
           " --label failure --model " + model,
       3, "nope.csv"},
      {"unreadable model file",
       "failure predict --model " + ShellQuote(dir_.path() + "/absent.bin") + " --input " +
           ShellQuote(train_) + " --output " + out,
       3, "cannot read"},
      {"not a model file",
       "failure predict --model " + ShellQuote(garbage) + " --input " + ShellQuote(train_) +
           " --output " + out,
       1, "bad magic"},
      {"predict input lacks a trained indicator",
       "failure predict --model " + model + " --input " + ShellQuote(no_smart5) + " --output " +
           out,
       1, "missing indicator column(s): smart_5_raw"},
      {"unknown entity column",
       "failure predict --model " + model + " --input " + ShellQuote(train_) +
           " --entity drive --output " + out,
       1, "drive"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const RunResult r = RunStderr(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.message));
  }
}

// --select: the cross-validation runs on the training file only and its record is printed.
// 14 training days → folds over the latest 7 (windows from days 7, 9, 11, i.e. 2013-04-08,
// 04-10, 04-12). Base features: 2 indicators × 6 + age = 13; extended adds rate_per_day and
// days_nonzero per indicator and alarm_count = 18. Drives fail on days 8..13, so the first fold has nothing to learn from (0
// positive training rows) and is skipped; the others are scored.
TEST_F(FailureCommandTest, SelectChoosesInsideTheTrainingHistoryAndSaysHow) {
  const RunResult r = RunStderr(
      Train("--select --feature-set auto --alarm-columns smart_5_raw,smart_187_raw"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("feature set base (13 features): selection: rolling-origin"));
  EXPECT_THAT(r.output, HasSubstr("feature set extended (18 features)"));
  EXPECT_THAT(r.output, HasSubstr("2013-04-08T00:00:00Z..2013-04-10T00:00:00Z after 0 positive"));
  EXPECT_THAT(r.output, HasSubstr("depth 6 eta 0.1 rounds 200 negatives_keep 0.25"));
  EXPECT_THAT(r.output, HasSubstr("selected: feature set "));
  EXPECT_THAT(r.output, HasSubstr("alarm columns not among the indicators: smart_187_raw"));
  const std::string out = dir_.path() + "/p.csv";
  const RunResult predicted = RunStderr("failure predict --model " + ShellQuote(model_) +
                                        " --input " + ShellQuote(test_) + " --output " +
                                        ShellQuote(out));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
  const RunResult bad = RunStderr(Train("--feature-set auto"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("--feature-set auto needs --select"));
  const RunResult unknown = RunStderr(Train("--feature-set huge"));
  EXPECT_EQ(unknown.exit_code, 2);
  // A chosen setting can be given directly (the reproduction path of a selection).
  const RunResult weighted = RunStderr(Train("--scale-pos-weight 2.5"));
  ASSERT_EQ(weighted.exit_code, 0) << weighted.output;
  EXPECT_THAT(weighted.output, HasSubstr("scale_pos_weight 2.5)"));
}

// Empty, "NaN", "inf" and text cells are "not reported this time": the drive's last value is
// carried forward. Blanking cells whose value equals the drive's previous day therefore gives
// exactly the predictions of the full table.
TEST_F(FailureCommandTest, EmptyOrNonNumericCellsCarryTheLastValueForward) {
  ASSERT_EQ(RunStderr(Train()).exit_code, 0);
  const std::string holes = dir_.path() + "/holes.csv";
  {
    std::ifstream in(train_);
    std::ofstream out(holes);
    std::string line;
    std::getline(in, line);
    out << line << "\n";
    const char* fillers[] = {"", "NaN", "inf", "n/a"};
    int row = 0;
    while (std::getline(in, line)) {
      // date,serial,model,failure,smart_5_raw,smart_9_raw; healthy drives (k >= 10) keep
      // smart_5_raw constant, so any day after their first can lose it.
      const auto serial_at = line.find(",SYN") + 4;
      const int k = std::stoi(line.substr(serial_at));
      if (k >= 10 && line.substr(0, 10) != Date(0) && row % 3 == 0) {
        const auto c4 = line.find(',', line.find(',', serial_at) + 1);  // before smart_5
        const auto c5 = line.find(',', c4 + 1);
        line = line.substr(0, c4 + 1) + fillers[row % 4] + line.substr(c5);
      }
      out << line << "\n";
      ++row;
    }
  }
  const std::string a = dir_.path() + "/a.csv";
  const std::string b = dir_.path() + "/b.csv";
  for (const auto& [input, output] : {std::pair{train_, a}, std::pair{holes, b}}) {
    const RunResult r = RunStderr("failure predict --model " + ShellQuote(model_) + " --input " +
                                  ShellQuote(input) + " --output " + ShellQuote(output));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::string header;
  const auto full = ReadPredictions(a, &header);
  const auto holed = ReadPredictions(b, &header);
  ASSERT_EQ(full.size(), 1105U);
  ASSERT_EQ(holed.size(), full.size());
  for (std::size_t i = 0; i < full.size(); ++i) ASSERT_EQ(full[i].p, holed[i].p) << "row " << i;
  std::ifstream check(holes);
  const std::string text((std::istreambuf_iterator<char>(check)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(",NaN,"), std::string::npos);
  EXPECT_NE(text.find(",n/a,"), std::string::npos);
}

// Real data (Backblaze 2013, read in place from ../shared, never copied): the first three daily
// files hold 3 × 21,195 = 63,585 rows of 21,196 drives and one failure (9VS3FM1J, on its first
// and only row, 04-10); counts from `zcat … | wc -l` and `cut -d, -f2 | sort -u`. One failure
// cannot be both trained on and calibrated on: the prior-shift fallback is used and said.
TEST_F(FailureCommandTest, RealBackblazeDaysTrainWithTheCalibrationFallback) {
  const std::string daily =
      std::string(PROGNOS_SOURCE_DIR) + "/../shared/data/backblaze_2013/daily";
  const std::string day1 = daily + "/2013-04-10.csv.gz";
  if (!std::filesystem::exists(day1)) GTEST_SKIP() << "no " << day1;
  std::string inputs;
  for (const char* d : {"10", "11", "12"}) {
    inputs += " " + ShellQuote(daily + "/2013-04-" + d + ".csv.gz");
  }
  const RunResult trained = RunStderr("failure train --input" + inputs +
                                      " --label failure --rounds 20 --model " + ShellQuote(model_));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_THAT(trained.output, HasSubstr("63585 rows (0 skipped, 0 out of order), 21196 entities, "
                                        "1 failed"));
  EXPECT_THAT(trained.output,
              HasSubstr("indicators capacity_bytes,smart_1_raw,smart_5_raw,smart_9_raw,"
                        "smart_194_raw,smart_197_raw"));
  EXPECT_THAT(trained.output, HasSubstr("prior-shift fallback"));
  const std::string out = dir_.path() + "/real.csv";
  const RunResult predicted =
      RunStderr("failure predict --model " + ShellQuote(model_) + " --input " +
                ShellQuote(daily + "/2013-04-13.csv.gz") + " --output " + ShellQuote(out));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
  std::string header;
  const auto rows = ReadPredictions(out, &header);
  EXPECT_EQ(rows.size(), 21150U);  // 2013-04-13 has 21,150 rows
  for (const auto& r : rows) {
    ASSERT_GE(r.p, 0.0);
    ASSERT_LE(r.p, 1.0);
  }
}

}  // namespace
}  // namespace prognos::cli
