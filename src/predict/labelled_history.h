// The labelled history a failure model is retrained on, collected from the live stream: one
// feature snapshot per entity every `row_every`, labelled once its outcome is known — positive
// when the entity fails within the horizon after the row (known at the failure), negative once
// the horizon has passed without one (known at Settle). Pure; not thread-safe; time comes in.
//
//   rows of host a:    t=0      t=5      t=10           failure at 18 (horizon 10)
//   label:             0 @10    0 @15    1 @18          (settled at: the time the label is known)
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "predict/failure_model.h"

namespace prognos::predict {

struct LabelledHistoryOptions {
  DurationMs horizon_ms = 7 * kDayMs;  // a row is positive when its entity fails within this
  DurationMs row_every_ms = kHourMs;   // at most one row per entity per this interval
  DurationMs keep_ms = 90 * kDayMs;  // settled rows older than the newest row − keep are dropped
  // Beyond it the oldest settled negatives are dropped (down to 90 % of it); positives are only
  // dropped by keep_ms.
  std::size_t max_settled_rows = 1'000'000;
};

struct SettledCounts {
  std::size_t rows = 0;
  std::size_t positives = 0;
};

class LabelledHistory {
 public:
  explicit LabelledHistory(std::size_t feature_count, LabelledHistoryOptions options = {});

  // Records the entity's features at t when row_every has passed since its last row (or it has
  // none); returns whether a row was recorded. A vector of the wrong length, or t before the
  // entity's last row, is not recorded.
  bool AddRow(std::string_view entity, TimestampMs t, std::span<const float> features);
  // The entity failed at t: its pending rows in [t − horizon, t] become positive and those
  // before it negative; all are settled. Its next row starts afresh (a replaced part).
  SettledCounts Failed(std::string_view entity, TimestampMs t);
  // Settles as negative every pending row whose horizon has passed by `now` (row t + horizon
  // < now) without a failure.
  SettledCounts Settle(TimestampMs now);

  // The settled rows, oldest first.
  FailureTrainingSet Settled() const;
  std::size_t settled_rows() const { return settled_.size(); }
  std::size_t settled_positives() const { return settled_positives_; }
  std::size_t pending_rows() const;
  std::size_t feature_count() const { return feature_count_; }

  // Persistence (the controller keeps the history across restarts): blob "PGLH" u32 version=1,
  // u32 feature_count, i64 newest, u64 settled rows, each i64 t, f64 label, feature_count f32;
  // u32 entities, each u32 name length + bytes, i64 last_row, u8 has_row, u32 pending rows, each
  // i64 t + feature_count f32; u64 FNV-1a 64 of the bytes before it. Decode errors: corruption
  // (bad magic, truncated, checksum), invalid_argument (a newer version, or a feature count other
  // than `feature_count`: the model's spec changed, the rows no longer fit it).
  std::string Encode() const;
  static Result<LabelledHistory> Decode(std::string_view bytes, std::size_t feature_count,
                                        LabelledHistoryOptions options = {});

 private:
  struct Row {
    TimestampMs t = 0;
    std::vector<float> features;
    double label = 0;
  };
  struct Entity {
    std::deque<Row> pending;  // time order
    TimestampMs last_row = 0;
    bool has_row = false;
  };
  void Keep(Row row);
  void Trim();

  std::size_t feature_count_;
  LabelledHistoryOptions options_;
  std::unordered_map<std::string, Entity> entities_;
  std::deque<Row> settled_;  // in settling order; Settled() sorts by time
  std::size_t settled_positives_ = 0;
  TimestampMs newest_ = 0;
};

}  // namespace prognos::predict
