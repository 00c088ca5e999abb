#include "cli/common.h"

#include <unistd.h>

#include <cstdio>
#include <vector>

namespace prognos::cli {

std::optional<daemon::Config> LoadConfigOrReport(const std::string& path) {
  if (path.empty()) return daemon::DefaultConfig();
  std::vector<daemon::ConfigIssue> issues;
  auto config = daemon::LoadConfigFile(path, &issues);
  if (!config) {
    for (const auto& i : issues) std::fprintf(stderr, "%s\n", i.ToString().c_str());
    if (issues.empty()) std::fprintf(stderr, "%s: %s\n", path.c_str(), config.error().message.c_str());
    return std::nullopt;
  }
  return *config;
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(double fraction, const std::string& detail) {
  if (!enabled_ || finished_) return;
  const int permille = static_cast<int>(fraction * 1000);
  if (permille == last_permille_) return;
  last_permille_ = permille;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r%s [%s] %5.1f%% %s\x1b[K", label_.c_str(), bar.c_str(), fraction * 100,
               detail.c_str());
  std::fflush(stderr);
}

void ProgressBar::Clear() {
  if (enabled_ && !finished_ && last_permille_ >= 0) {
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
    last_permille_ = -1;  // the next Update redraws
  }
}

void ProgressBar::Finish() {
  if (enabled_ && !finished_ && last_permille_ >= 0) std::fprintf(stderr, "\r\x1b[K");
  finished_ = true;
}

std::string WithThousands(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace prognos::cli
