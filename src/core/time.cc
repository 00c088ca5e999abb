#include "core/time.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace prognos {
namespace {

bool ParseDigits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Result<TimestampMs> ParseCalendar(std::string_view s) {
  int y = 0, mo = 0, d = 0;
  if (!ParseDigits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !ParseDigits(s, 5, 2, &mo) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, &d)) {
    return MakeError(ErrorCode::kInvalidArgument, "not a date: '" + std::string(s) + "'");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) {
    return MakeError(ErrorCode::kInvalidArgument, "date out of range: '" + std::string(s) + "'");
  }
  std::int64_t ms = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kDayMs;
  std::size_t pos = 10;
  if (pos == s.size()) return ms;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') {
    return MakeError(ErrorCode::kInvalidArgument, "bad date/time separator in '" + std::string(s) + "'");
  }
  ++pos;
  int hh = 0, mm = 0, ss = 0;
  if (!ParseDigits(s, pos, 2, &hh) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
      !ParseDigits(s, pos + 3, 2, &mm)) {
    return MakeError(ErrorCode::kInvalidArgument, "bad time of day in '" + std::string(s) + "'");
  }
  pos += 5;
  if (pos < s.size() && s[pos] == ':') {
    if (!ParseDigits(s, pos + 1, 2, &ss)) {
      return MakeError(ErrorCode::kInvalidArgument, "bad seconds in '" + std::string(s) + "'");
    }
    pos += 3;
  }
  if (hh > 23 || mm > 59 || ss > 60) {
    return MakeError(ErrorCode::kInvalidArgument, "time out of range in '" + std::string(s) + "'");
  }
  ms += hh * kHourMs + mm * kMinuteMs + ss * kSecondMs;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int frac_ms = 0;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "empty fraction in '" + std::string(s) + "'");
    }
    for (int i = digits; i < 3; ++i) frac_ms *= 10;
    ms += frac_ms;
  }
  if (pos == s.size()) return ms;  // no zone: UTC
  std::string_view zone = s.substr(pos);
  if (zone == "Z" || zone == "z" || zone == " UTC" || zone == "UTC") return ms;
  if ((zone[0] == '+' || zone[0] == '-') && zone.size() >= 3) {
    int zh = 0, zm = 0;
    bool ok = ParseDigits(zone, 1, 2, &zh);
    if (ok && zone.size() == 6 && zone[3] == ':') ok = ParseDigits(zone, 4, 2, &zm);
    else if (ok && zone.size() == 5) ok = ParseDigits(zone, 3, 2, &zm);
    else if (zone.size() != 3) ok = false;
    if (ok && zh <= 23 && zm <= 59) {
      std::int64_t offset = zh * kHourMs + zm * kMinuteMs;
      return zone[0] == '+' ? ms - offset : ms + offset;
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "bad time zone in '" + std::string(s) + "'");
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

TimestampMs EpochNumberToMs(double value) {
  if (std::fabs(value) >= 1e11) return static_cast<TimestampMs>(std::llround(value));
  return static_cast<TimestampMs>(std::llround(value * 1000.0));
}

Result<TimestampMs> ParseTimestamp(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty timestamp");
  // A date has '-' at index 4; anything else that parses fully as a number is epoch.
  if (!(s.size() >= 10 && s[4] == '-')) {
    double v = 0;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
      return MakeError(ErrorCode::kInvalidArgument, "not a timestamp: '" + std::string(s) + "'");
    }
    if (std::fabs(v) > 1e16) {
      return MakeError(ErrorCode::kInvalidArgument, "timestamp out of range: '" + std::string(s) + "'");
    }
    return EpochNumberToMs(v);
  }
  return ParseCalendar(s);
}

Result<DurationMs> ParseDuration(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty duration");
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "duration must start with a number: '" + std::string(s) + "'");
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + i, v);
  if (ec != std::errc() || ptr != s.data() + i) {
    return MakeError(ErrorCode::kInvalidArgument, "bad duration: '" + std::string(s) + "'");
  }
  std::string_view unit = s.substr(i);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = kSecondMs;
  else if (unit == "ms") scale = 1;
  else if (unit == "m" || unit == "min") scale = kMinuteMs;
  else if (unit == "h") scale = kHourMs;
  else if (unit == "d") scale = kDayMs;
  else if (unit == "w") scale = 7.0 * kDayMs;
  else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "unknown duration unit '" + std::string(unit) + "' (use ms, s, m, h, d, w)");
  }
  return static_cast<DurationMs>(std::llround(v * scale));
}

std::string FormatTimestamp(TimestampMs ts) {
  std::int64_t days = ts >= 0 ? ts / kDayMs : -((-ts + kDayMs - 1) / kDayMs);
  std::int64_t rem = ts - days * kDayMs;
  // civil_from_days
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
  int hh = static_cast<int>(rem / kHourMs);
  int mm = static_cast<int>(rem % kHourMs / kMinuteMs);
  int ss = static_cast<int>(rem % kMinuteMs / kSecondMs);
  int ms = static_cast<int>(rem % kSecondMs);
  char buf[48];
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y),
                  m, d, hh, mm, ss, ms);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                  d, hh, mm, ss);
  }
  return buf;
}

}  // namespace prognos
