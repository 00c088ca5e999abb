// Helpers shared by the prognos subcommands: config loading with printed issues, progress bars.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/config.h"

namespace prognos::cli {

// Loads `path` (or the defaults when empty); prints every issue to stderr on failure.
std::optional<daemon::Config> LoadConfigOrReport(const std::string& path);

// A one-line progress bar on stderr, drawn only when stderr is a terminal. Not thread-safe.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void Update(double fraction, const std::string& detail);
  // Erases the bar (so other output can be printed); the next Update draws it again.
  void Clear();
  void Finish();

 private:
  std::string label_;
  bool enabled_;
  int last_permille_ = -1;
  bool finished_ = false;
};

// "12,345,678".
std::string WithThousands(std::uint64_t n);

}  // namespace prognos::cli
