#include "api/selector.h"

#include <cctype>

namespace prognos::api {

bool LabelMatcher::Matches(const Labels& labels) const {
  std::string_view v = labels.Get(name).value_or("");
  switch (op) {
    case MatchOp::kEqual: return v == value;
    case MatchOp::kNotEqual: return v != value;
    case MatchOp::kRegex: return std::regex_match(v.begin(), v.end(), *re);
    case MatchOp::kNotRegex: return !std::regex_match(v.begin(), v.end(), *re);
  }
  return false;
}

bool MatchesAll(const std::vector<LabelMatcher>& matchers, const Labels& labels) {
  for (const auto& m : matchers) {
    if (!m.Matches(labels)) return false;
  }
  return true;
}

Result<LabelMatcher> MakeMatcher(std::string name, MatchOp op, std::string value) {
  LabelMatcher m{std::move(name), op, std::move(value), nullptr};
  if (op == MatchOp::kRegex || op == MatchOp::kNotRegex) {
    // std::regex reports errors by throwing; this is the edge that catches them.
    try {
      m.re = std::make_shared<std::regex>(m.value, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "bad regular expression '" + m.value + "': " + e.what());
    }
  }
  return m;
}

namespace {

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

}  // namespace

Result<std::vector<LabelMatcher>> ParseSelector(std::string_view s) {
  std::vector<LabelMatcher> out;
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto fail = [&](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "bad selector at byte " + std::to_string(i) + ": " + what);
  };
  skip_ws();
  if (i < s.size() && IsNameChar(s[i], true)) {
    std::size_t start = i;
    while (i < s.size() && IsNameChar(s[i], false)) ++i;
    auto m = MakeMatcher(std::string(kMetricNameLabel), MatchOp::kEqual,
                         std::string(s.substr(start, i - start)));
    out.push_back(std::move(*m));
    skip_ws();
  }
  if (i == s.size()) {
    if (out.empty()) return fail("empty selector");
    return out;
  }
  if (s[i] != '{') return fail("expected '{'");
  ++i;
  skip_ws();
  while (i < s.size() && s[i] != '}') {
    std::size_t start = i;
    while (i < s.size() && IsNameChar(s[i], i == start)) ++i;
    if (i == start) return fail("expected a label name");
    std::string name(s.substr(start, i - start));
    skip_ws();
    MatchOp op;
    if (s.substr(i, 2) == "=~") {
      op = MatchOp::kRegex;
      i += 2;
    } else if (s.substr(i, 2) == "!=") {
      op = MatchOp::kNotEqual;
      i += 2;
    } else if (s.substr(i, 2) == "!~") {
      op = MatchOp::kNotRegex;
      i += 2;
    } else if (i < s.size() && s[i] == '=') {
      op = MatchOp::kEqual;
      ++i;
    } else {
      return fail("expected =, !=, =~ or !~");
    }
    skip_ws();
    if (i >= s.size() || (s[i] != '"' && s[i] != '\'')) return fail("expected a quoted value");
    char quote = s[i++];
    std::string value;
    while (i < s.size() && s[i] != quote) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
        char c = s[i];
        value += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        value += s[i];
      }
      ++i;
    }
    if (i >= s.size()) return fail("unterminated string");
    ++i;
    auto m = MakeMatcher(std::move(name), op, std::move(value));
    if (!m) return tl::unexpected(m.error());
    out.push_back(std::move(*m));
    skip_ws();
    if (i < s.size() && s[i] == ',') {
      ++i;
      skip_ws();
    } else if (i < s.size() && s[i] != '}') {
      return fail("expected ',' or '}'");
    }
  }
  if (i >= s.size()) return fail("expected '}'");
  ++i;
  skip_ws();
  if (i != s.size()) return fail("trailing characters");
  return out;
}

}  // namespace prognos::api
