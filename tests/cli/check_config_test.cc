// Runs the built `prognos check-config` on the shipped examples: the bad file must fail with every
// problem at its line (on stderr), the good ones must pass with a summary (on stdout).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace prognos::cli {
namespace {

using ::testing::HasSubstr;

std::string ExamplesDir() { return std::string(PROGNOS_SOURCE_DIR) + "/examples"; }

// 'text' for the shell (paths may hold spaces).
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct RunResult {
  int exit_code = -1;
  std::string output;
};

// Runs `prognos ARGS` through the shell; `redirect` picks the stream(s) captured.
RunResult Run(const std::string& args, const std::string& redirect) {
  RunResult result;
  const std::string command = ShellQuote(PROGNOS_BINARY) + " " + args + " " + redirect;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

RunResult RunStderr(const std::string& args) { return Run(args, "2>&1 >/dev/null"); }
RunResult RunStdout(const std::string& args) { return Run(args, "2>/dev/null"); }

class CheckConfigCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(PROGNOS_BINARY))
        << PROGNOS_BINARY << " is missing: build the 'prognos' target first";
  }
};

TEST_F(CheckConfigCommandTest, BadConfigFailsAndNamesEveryLine) {
  const std::string file = ExamplesDir() + "/bad-config.yaml";
  const RunResult r = RunStderr("check-config " + ShellQuote(file));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (int line : {4, 5, 6, 7, 9, 12, 13, 14, 16, 19, 20, 21, 22, 26}) {
    SCOPED_TRACE(line);
    EXPECT_THAT(r.output, HasSubstr(file + ":" + std::to_string(line) + ": ")) << r.output;
  }
  EXPECT_THAT(r.output, HasSubstr("14 problems"));
  EXPECT_THAT(r.output, HasSubstr("did you mean 'strict_indicators'?"));
  // Nothing on stdout when the file is bad.
  EXPECT_EQ(RunStdout("check-config " + ShellQuote(file)).output, "");
}

TEST_F(CheckConfigCommandTest, EveryExampleConfigPassesWithASummary) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ExamplesDir())) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml" || name.starts_with("bad-")) continue;
    SCOPED_TRACE(name);
    const std::string args = "check-config " + ShellQuote(entry.path().string());
    const RunResult r = RunStdout(args);
    EXPECT_EQ(r.exit_code, 0) << RunStderr(args).output;
    EXPECT_THAT(r.output, HasSubstr(": OK"));
    EXPECT_THAT(r.output, HasSubstr("listen "));
    EXPECT_THAT(r.output, HasSubstr("indicators: "));
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST_F(CheckConfigCommandTest, MissingFileIsAnEnvironmentError) {
  const RunResult r = RunStderr("check-config /nonexistent/prognos.yaml");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.output, HasSubstr("cannot read the config file"));
  EXPECT_EQ(RunStderr("check-config " + ShellQuote(ExamplesDir())).exit_code, 3);
}

TEST_F(CheckConfigCommandTest, MissingArgumentIsAUsageError) {
  EXPECT_EQ(RunStderr("check-config").exit_code, 2);
}

TEST_F(CheckConfigCommandTest, AppearsInHelp) {
  EXPECT_THAT(RunStdout("--help").output, HasSubstr("check-config"));
}

}  // namespace
}  // namespace prognos::cli
