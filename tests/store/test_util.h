// Helpers for store tests: a temporary directory per test, label shorthand.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/labels.h"

namespace prognos::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/prognos-store-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* made = ::mkdtemp(buf.data());
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// prefix + decimal i. Appending (rather than "literal" + std::to_string) sidesteps GCC 12's false
// -Wrestrict warning at -O3 (GCC bug 105329).
inline std::string Name(const char* prefix, long long i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

inline Labels L(std::vector<Label> items) { return *Labels::FromUnsorted(std::move(items)); }

inline Labels Metric(const std::string& name, const std::string& host) {
  return L({{"__name__", name}, {"host", host}});
}

}  // namespace prognos::store::testing
