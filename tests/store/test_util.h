// Helpers for store tests: a temporary directory per test, label shorthand.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/labels.h"

#include "testing/temp_dir.h"

namespace prognos::store::testing {

using prognos::testing::TempDir;

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
