// Injectable time and randomness: pure layers never read a clock or std::rand themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "core/time.h"

namespace prognos {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimestampMs NowMs() const = 0;
};

// Wall-clock time (serve).
class SystemClock final : public Clock {
 public:
  TimestampMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Virtual time for replay, sim and tests. Not thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimestampMs start = 0) : now_(start) {}
  TimestampMs NowMs() const override { return now_; }
  void Set(TimestampMs t) { now_ = t; }
  void Advance(DurationMs d) { now_ += d; }

 private:
  TimestampMs now_;
};

// Seeded randomness passed to code that needs it. Not thread-safe.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }
  double Normal(double mean = 0.0, double stddev = 1.0) {
    return std::normal_distribution<double>(mean, stddev)(engine_);
  }
  std::uint64_t Next() { return engine_(); }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace prognos
