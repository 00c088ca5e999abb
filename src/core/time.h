// Time as epoch milliseconds, durations in milliseconds, and the parsers every input path shares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace prognos {

// Milliseconds since the Unix epoch, UTC. All stored and exchanged times use this.
using TimestampMs = std::int64_t;
// A span of time in milliseconds.
using DurationMs = std::int64_t;

inline constexpr DurationMs kSecondMs = 1000;
inline constexpr DurationMs kMinuteMs = 60 * kSecondMs;
inline constexpr DurationMs kHourMs = 60 * kMinuteMs;
inline constexpr DurationMs kDayMs = 24 * kHourMs;

// Parses a timestamp as DESIGN.md §3 allows:
//   RFC 3339 ("2026-11-22T10:00:00Z", "…+02:00", fractional seconds),
//   "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.fff]" (no zone = UTC),
//   epoch seconds or milliseconds as a decimal number (|v| >= 1e11 is ms, else seconds).
Result<TimestampMs> ParseTimestamp(std::string_view text);

// Epoch value (already a number) to ms with the same magnitude rule.
TimestampMs EpochNumberToMs(double value);

// Parses "500ms", "15s", "5m", "1h", "10d", "2w" (also a bare number = seconds).
Result<DurationMs> ParseDuration(std::string_view text);

// "2026-11-22T10:00:00Z" (milliseconds shown only when non-zero).
std::string FormatTimestamp(TimestampMs ts);

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);

}  // namespace prognos
