#include "predict/labelled_history.h"

#include <algorithm>
#include <numeric>

namespace prognos::predict {

LabelledHistory::LabelledHistory(std::size_t feature_count, LabelledHistoryOptions options)
    : feature_count_(feature_count), options_(options) {}

bool LabelledHistory::AddRow(std::string_view entity, TimestampMs t,
                             std::span<const float> features) {
  if (features.size() != feature_count_) return false;
  auto [it, inserted] = entities_.try_emplace(std::string(entity));
  Entity& e = it->second;
  if (e.has_row && (t < e.last_row || t - e.last_row < options_.row_every_ms)) return false;
  e.pending.push_back(Row{t, std::vector<float>(features.begin(), features.end()), 0.0});
  e.last_row = t;
  e.has_row = true;
  newest_ = std::max(newest_, t);
  return true;
}

void LabelledHistory::Keep(Row row) {
  if (row.label > 0.5) ++settled_positives_;
  settled_.push_back(std::move(row));
}

void LabelledHistory::Trim() {
  const TimestampMs cutoff = newest_ - options_.keep_ms;
  const bool old = !settled_.empty() && settled_.front().t < cutoff;
  if (!old && settled_.size() <= options_.max_settled_rows) return;
  // Compact: drop rows past keep; then, while over the cap, the oldest negatives (positives are
  // rare and what a model learns from), down to 90 % of the cap so that compaction is amortised.
  std::size_t target = settled_.size();
  if (settled_.size() > options_.max_settled_rows) {
    target = options_.max_settled_rows - options_.max_settled_rows / 10;
  }
  std::vector<std::size_t> order(settled_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return settled_[a].t < settled_[b].t; });
  std::vector<bool> drop(settled_.size(), false);
  std::size_t size = settled_.size();
  for (const std::size_t i : order) {
    if (settled_[i].t < cutoff) {
      drop[i] = true;
      --size;
    }
  }
  for (const std::size_t i : order) {
    if (size <= target) break;
    if (!drop[i] && settled_[i].label <= 0.5) {
      drop[i] = true;
      --size;
    }
  }
  std::deque<Row> kept;
  settled_positives_ = 0;
  for (std::size_t i = 0; i < settled_.size(); ++i) {
    if (drop[i]) continue;
    if (settled_[i].label > 0.5) ++settled_positives_;
    kept.push_back(std::move(settled_[i]));
  }
  settled_ = std::move(kept);
}

SettledCounts LabelledHistory::Failed(std::string_view entity, TimestampMs t) {
  SettledCounts n;
  auto it = entities_.find(std::string(entity));
  if (it == entities_.end()) return n;
  Entity& e = it->second;
  while (!e.pending.empty() && e.pending.front().t <= t) {
    Row row = std::move(e.pending.front());
    e.pending.pop_front();
    row.label = t - row.t <= options_.horizon_ms ? 1.0 : 0.0;
    ++n.rows;
    n.positives += row.label > 0.5 ? 1 : 0;
    Keep(std::move(row));
  }
  e.has_row = !e.pending.empty();  // the next row starts afresh
  Trim();
  return n;
}

SettledCounts LabelledHistory::Settle(TimestampMs now) {
  SettledCounts n;
  for (auto& [name, e] : entities_) {
    while (!e.pending.empty() && e.pending.front().t + options_.horizon_ms < now) {
      Row row = std::move(e.pending.front());
      e.pending.pop_front();
      row.label = 0.0;
      ++n.rows;
      Keep(std::move(row));
    }
  }
  Trim();
  return n;
}

FailureTrainingSet LabelledHistory::Settled() const {
  std::vector<std::size_t> order(settled_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return settled_[a].t < settled_[b].t; });
  FailureTrainingSet set;
  set.feature_count = feature_count_;
  set.features.reserve(settled_.size() * feature_count_);
  for (const std::size_t i : order) {
    const Row& r = settled_[i];
    set.features.insert(set.features.end(), r.features.begin(), r.features.end());
    set.labels.push_back(r.label);
    set.times.push_back(r.t);
  }
  return set;
}

std::size_t LabelledHistory::pending_rows() const {
  std::size_t n = 0;
  for (const auto& [name, e] : entities_) n += e.pending.size();
  return n;
}

}  // namespace prognos::predict
