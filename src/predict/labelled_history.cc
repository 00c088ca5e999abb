#include "predict/labelled_history.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/bytes.h"
#include "core/hash.h"

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

std::string LabelledHistory::Encode() const {
  std::string out = "PGLH";
  PutRaw<std::uint32_t>(out, 1);
  PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(feature_count_));
  PutRaw<std::int64_t>(out, newest_);
  PutRaw<std::uint64_t>(out, settled_.size());
  auto put_features = [&](const std::vector<float>& f) {
    out.append(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float));
  };
  for (const Row& r : settled_) {
    PutRaw<std::int64_t>(out, r.t);
    PutRaw<double>(out, r.label);
    put_features(r.features);
  }
  // Entities in name order, so equal histories encode to equal bytes.
  std::vector<const std::pair<const std::string, Entity>*> order;
  order.reserve(entities_.size());
  for (const auto& kv : entities_) order.push_back(&kv);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
  PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(order.size()));
  for (const auto* kv : order) {
    PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(kv->first.size()));
    out.append(kv->first);
    const Entity& e = kv->second;
    PutRaw<std::int64_t>(out, e.last_row);
    PutRaw<std::uint8_t>(out, e.has_row ? 1 : 0);
    PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(e.pending.size()));
    for (const Row& r : e.pending) {
      PutRaw<std::int64_t>(out, r.t);
      put_features(r.features);
    }
  }
  PutRaw<std::uint64_t>(out, Fnv1a64(out));
  return out;
}

Result<LabelledHistory> LabelledHistory::Decode(std::string_view bytes, std::size_t feature_count,
                                                LabelledHistoryOptions options) {
  auto corrupt = [](const std::string& why) {
    return MakeError(ErrorCode::kCorruption, "labelled history: " + why);
  };
  if (bytes.size() < 16 || bytes.substr(0, 4) != "PGLH") return corrupt("bad magic");
  std::size_t pos = 4;
  std::uint32_t version = 0;
  std::uint32_t features = 0;
  (void)TakeRaw(bytes, pos, version);
  if (version > 1) {
    return MakeError(ErrorCode::kInvalidArgument, "labelled history: version " +
                                                      std::to_string(version) + " is newer than 1");
  }
  std::uint64_t sum = 0;
  std::size_t sum_pos = bytes.size() - 8;
  (void)TakeRaw(bytes, sum_pos, sum);
  if (Fnv1a64(bytes.substr(0, bytes.size() - 8)) != sum) return corrupt("checksum mismatch");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  if (!TakeRaw(body, pos, features)) return corrupt("truncated");
  if (features != feature_count) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "labelled history: rows have " + std::to_string(features) +
                         " features, the model " + std::to_string(feature_count));
  }
  LabelledHistory h(feature_count, options);
  const std::size_t row_bytes = feature_count * sizeof(float);
  auto take_features = [&](std::vector<float>& f) {
    if (body.size() - pos < row_bytes) return false;
    f.resize(feature_count);
    if (row_bytes > 0) std::memcpy(f.data(), body.data() + pos, row_bytes);
    pos += row_bytes;
    return true;
  };
  std::uint64_t settled = 0;
  if (!TakeRaw(body, pos, h.newest_) || !TakeRaw(body, pos, settled)) return corrupt("truncated");
  if (settled > body.size() / (16 + row_bytes)) return corrupt("row count exceeds the blob");
  for (std::uint64_t i = 0; i < settled; ++i) {
    Row r;
    if (!TakeRaw(body, pos, r.t) || !TakeRaw(body, pos, r.label) || !take_features(r.features)) {
      return corrupt("truncated settled row");
    }
    h.Keep(std::move(r));
  }
  std::uint32_t entities = 0;
  if (!TakeRaw(body, pos, entities)) return corrupt("truncated");
  for (std::uint32_t i = 0; i < entities; ++i) {
    std::uint32_t len = 0;
    if (!TakeRaw(body, pos, len) || body.size() - pos < len) return corrupt("truncated entity");
    std::string name(body.substr(pos, len));
    pos += len;
    Entity e;
    std::uint8_t has_row = 0;
    std::uint32_t pending = 0;
    if (!TakeRaw(body, pos, e.last_row) || !TakeRaw(body, pos, has_row) || !TakeRaw(body, pos, pending)) {
      return corrupt("truncated entity");
    }
    e.has_row = has_row != 0;
    for (std::uint32_t j = 0; j < pending; ++j) {
      Row r;
      if (!TakeRaw(body, pos, r.t) || !take_features(r.features)) return corrupt("truncated row");
      e.pending.push_back(std::move(r));
    }
    h.entities_.emplace(std::move(name), std::move(e));
  }
  if (pos != body.size()) return corrupt("trailing bytes");
  h.Trim();  // the options may keep less than the writer's did
  return h;
}

std::size_t LabelledHistory::pending_rows() const {
  std::size_t n = 0;
  for (const auto& [name, e] : entities_) n += e.pending.size();
  return n;
}

}  // namespace prognos::predict
