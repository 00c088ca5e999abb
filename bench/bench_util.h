// Helpers shared by the benchmarks in bench/.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace prognos::bench {

// A directory path under the temp dir that does not exist yet (removed if it did), unique per
// process and call: "prognos-<prefix>-<tag>-<pid>-<n>".
inline std::string FreshDir(const std::string& prefix, const std::string& tag) {
  static std::atomic<int> n{0};
  const std::filesystem::path p =
      std::filesystem::temp_directory_path() /
      ("prognos-" + prefix + "-" + tag + "-" + std::to_string(::getpid()) + "-" +
       std::to_string(n.fetch_add(1)));
  std::filesystem::remove_all(p);
  return p.string();
}

}  // namespace prognos::bench
