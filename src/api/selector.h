// Prometheus-style series selectors for GET /v1/series: `{host="h1",__name__=~"cpu.*"}`,
// `cpu_util{host!="h2"}`, and the host=/component=/indicator= shorthands.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/result.h"

namespace prognos::api {

enum class MatchOp { kEqual, kNotEqual, kRegex, kNotRegex };

struct LabelMatcher {
  std::string name;
  MatchOp op = MatchOp::kEqual;
  std::string value;
  std::shared_ptr<std::regex> re;  // for the regex ops (fully anchored, as in Prometheus)
  // A missing label matches as the empty string (Prometheus semantics).
  bool Matches(const Labels& labels) const;
};

// Parses one selector; errors name the byte offset.
Result<std::vector<LabelMatcher>> ParseSelector(std::string_view text);
Result<LabelMatcher> MakeMatcher(std::string name, MatchOp op, std::string value);
bool MatchesAll(const std::vector<LabelMatcher>& matchers, const Labels& labels);

}  // namespace prognos::api
