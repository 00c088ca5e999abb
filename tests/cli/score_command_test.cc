// Runs the built `prognos score` and checks its p_fail column: position, the health hazard's
// value on a quiet series, causality (a prefix of the input scores as the prefix of the output)
// and the --failure-model errors. Inputs are generated here (synthetic, not real data).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace prognos::cli {
namespace {

int RunPrognos(const std::string& args) {
  const std::string command = std::string(PROGNOS_BINARY) + " " + args + " >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, ',');) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

void WriteSeries(const std::string& path, const std::vector<double>& v) {
  std::ofstream out(path);
  out << "timestamp,value\n";
  for (std::size_t i = 0; i < v.size(); ++i) out << 1600000000 + 60 * i << ',' << v[i] << '\n';
}

// A deterministic wiggle (no RNG needed) with an extreme spike at row 600.
std::vector<double> Wiggle(std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = 50 + 3 * std::sin(0.3 * static_cast<double>(i)) +
           std::fmod(7.3 * static_cast<double>(i), 2.0);
  }
  if (n > 600) v[600] = 500;
  return v;
}

TEST(ScoreCommandTest, QuietSeriesHasTheHealthyHazardInItsPFailColumn) {
  testing::TempDir dir;
  WriteSeries(dir.File("in.csv"), std::vector<double>(300, 7.0));
  ASSERT_EQ(RunPrognos("score --input " + dir.File("in.csv") + " --output " + dir.File("out.csv")),
            0);
  const auto lines = Lines(dir.File("out.csv"));
  ASSERT_EQ(lines.size(), 301U);
  const auto header = Split(lines[0]);
  ASSERT_GE(header.size(), 8U);
  EXPECT_EQ(header[6], "risk");
  EXPECT_EQ(header[7], "p_fail");
  // A constant column: anomaly 0, entropy 0, health 100 → σ(−5) = 0.0066928509 ("%.6g").
  for (std::size_t i = 1; i < lines.size(); ++i) {
    ASSERT_EQ(Split(lines[i])[7], "0.00669285") << "row " << i;
  }
}

TEST(ScoreCommandTest, PFailIsCausalAndRisesOnASpike) {
  testing::TempDir dir;
  const auto v = Wiggle(800);
  WriteSeries(dir.File("full.csv"), v);
  WriteSeries(dir.File("prefix.csv"), std::vector<double>(v.begin(), v.begin() + 650));
  ASSERT_EQ(
      RunPrognos("score --input " + dir.File("full.csv") + " --output " + dir.File("full_out.csv")),
      0);
  ASSERT_EQ(RunPrognos("score --input " + dir.File("prefix.csv") + " --output " +
                       dir.File("prefix_out.csv")),
            0);
  const auto full = Lines(dir.File("full_out.csv"));
  const auto prefix = Lines(dir.File("prefix_out.csv"));
  ASSERT_EQ(prefix.size(), 651U);
  for (std::size_t i = 0; i < prefix.size(); ++i) ASSERT_EQ(prefix[i], full[i]) << "row " << i;
  // Every row's p_fail against the health formula (predict/health_score.h) worked from the row's
  // own anomaly score s and entropy e: one column, no risk, so
  //   health = 100 (1 − 0.5 s)(1 − 0.2 s)(1 − 0.15 clamp((e − 0.5)/0.5, 0, 1)) · (1 − 0.1 τ),
  // where the entropy-trend factor τ ∈ [0, 1] is not in the output: health lies between the
  // product without it and 0.9 × that, and p_fail = σ(−5 + 10 (1 − health/100)) between the two.
  auto sigma = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  double max_p = 0.0;
  for (std::size_t i = 1; i < full.size(); ++i) {
    const auto cells = Split(full[i]);
    const double sc = std::stod(cells[1]);
    const double e = std::stod(cells[2]);
    const double p = std::stod(cells[7]);
    const double hi =
        100 * (1 - 0.5 * sc) * (1 - 0.2 * sc) * (1 - 0.15 * std::clamp((e - 0.5) / 0.5, 0.0, 1.0));
    ASSERT_GE(p, sigma(-5 + 10 * (1 - hi / 100)) * (1 - 1e-5)) << "row " << i;
    ASSERT_LE(p, sigma(-5 + 10 * (1 - 0.9 * hi / 100)) * (1 + 1e-5)) << "row " << i;
    max_p = std::max(max_p, p);
  }
  // The spike (anomaly score near 1) brings health near 40 and p_fail above 0.3.
  EXPECT_GT(max_p, 0.3);
}

TEST(ScoreCommandTest, FailureModelErrorsAreReported) {
  testing::TempDir dir;
  WriteSeries(dir.File("in.csv"), std::vector<double>(50, 1.0));
  EXPECT_EQ(RunPrognos("score --input " + dir.File("in.csv") + " --output " + dir.File("o.csv") +
                       " --failure-model " + dir.File("missing.bin")),
            3);
  std::ofstream(dir.File("bad.bin")) << "not a model";
  EXPECT_EQ(RunPrognos("score --input " + dir.File("in.csv") + " --output " + dir.File("o.csv") +
                       " --failure-model " + dir.File("bad.bin")),
            1);
}

}  // namespace
}  // namespace prognos::cli
