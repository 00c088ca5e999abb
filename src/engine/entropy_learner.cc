#include "engine/entropy_learner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "core/bytes.h"
#include "core/hash.h"

namespace prognos::engine {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

int EntropyLearner::ResourceOf(std::string_view name) {
  auto has = [&](std::string_view w) { return name.find(w) != std::string_view::npos; };
  if (name == "status") return -1;
  if (has("mem") || has("ecc") || has("swap") || has("oom")) return 1;
  if (has("net") || has("latency") || has("packet") || has("rx") || has("tx")) return 2;
  if (has("disk") || has("smart") || has("io")) return 3;
  if (has("cpu") || has("load") || has("temp") || has("throttle")) return 0;
  return -1;
}

EntropyLearner::EntropyLearner(EntropyLearnerOptions options, DurationMs horizon_ms)
    : options_(options),
      horizon_ms_(std::max<DurationMs>(horizon_ms, options.step_ms)),
      model_(0, policy::kResourceCount) {}

std::size_t EntropyLearner::IndexOf(std::string_view indicator) {
  if (auto it = index_.find(indicator); it != index_.end()) return it->second;
  indicators_.emplace_back(indicator);
  index_.emplace(std::string(indicator), indicators_.size() - 1);
  return indicators_.size() - 1;
}

std::size_t EntropyLearner::RiseSteps() const {
  return static_cast<std::size_t>(
      std::max<DurationMs>(1, (options_.rise_ms + options_.step_ms / 2) / options_.step_ms));
}

void EntropyLearner::Observe(std::string_view host, TimestampMs now, const Entropies& entropies,
                             const policy::ResourceVector& usage, bool failed) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) {
    if (hosts_.size() >= options_.max_hosts) return;
    it = hosts_.emplace(std::string(host), HostHistory{}).first;
  }
  HostHistory& h = it->second;
  const bool fail_start = failed && !h.failed;
  h.failed = failed;
  if (!h.steps.empty() && now - h.steps.back().t < options_.step_ms) {
    if (fail_start) h.steps.back().fail_start = true;
    return;
  }
  Step s;
  s.t = now;
  s.fail_start = fail_start;
  for (const auto& [name, e] : entropies) {
    const std::size_t i = IndexOf(name);
    if (s.entropy.size() <= i) s.entropy.resize(i + 1, std::numeric_limits<float>::quiet_NaN());
    s.entropy[i] = static_cast<float>(e);
  }
  for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
    s.usage[r] = static_cast<float>(usage.v[r]);
  }
  h.steps.push_back(std::move(s));
  while (h.steps.size() > options_.history_steps) h.steps.pop_front();
}

std::optional<std::string> EntropyLearner::MaybeRefit(TimestampMs now) {
  if (!options_.enabled) return std::nullopt;
  if (last_fit_ != INT64_MIN && now - last_fit_ < options_.refit_every_ms) return std::nullopt;
  std::size_t longest = 0;
  for (const auto& [name, h] : hosts_) longest = std::max(longest, h.steps.size());
  if (longest < options_.min_fit_steps || indicators_.empty()) return std::nullopt;
  last_fit_ = now;
  const std::size_t n_ind = indicators_.size();
  std::vector<predict::EntropyHistory> histories;
  histories.reserve(hosts_.size());
  std::vector<std::string> names;
  for (const auto& [name, h] : hosts_) names.push_back(name);
  std::sort(names.begin(), names.end());  // a fit that does not depend on hash order
  for (const auto& name : names) {
    const HostHistory& h = hosts_.at(name);
    const std::size_t n = h.steps.size();
    predict::EntropyHistory eh;
    eh.entropy.assign(n_ind, std::vector<double>(n, kNaN));
    eh.usage.assign(policy::kResourceCount, std::vector<double>(n, kNaN));
    eh.event_start.assign(n, 0);
    for (std::size_t t = 0; t < n; ++t) {
      const Step& s = h.steps[t];
      for (std::size_t i = 0; i < s.entropy.size(); ++i) eh.entropy[i][t] = s.entropy[i];
      for (std::size_t r = 0; r < policy::kResourceCount; ++r) eh.usage[r][t] = s.usage[r];
      if (s.fail_start) eh.event_start[t] = 1;
    }
    // Usage spikes of any resource are events too (no incident labels in most fleets).
    for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
      const auto spikes =
          predict::SpikeEvents(eh.usage[r], options_.spike_window, options_.spike_z);
      for (std::size_t t = 0; t < n && t < spikes.size(); ++t) eh.event_start[t] |= spikes[t];
    }
    histories.push_back(std::move(eh));
  }
  predict::EntropyModelOptions mo;
  mo.rise_steps = RiseSteps();
  mo.lead_steps =
      static_cast<std::size_t>(std::max<DurationMs>(1, options_.lead_ms / options_.step_ms));
  mo.horizon_steps =
      static_cast<std::size_t>(std::max<DurationMs>(1, horizon_ms_ / options_.step_ms));
  auto fit = predict::EntropyModel::Fit(histories, mo);
  if (!fit) return "entropy model: refit skipped: " + fit.error().message;
  model_ = std::move(*fit);
  model_indicators_ = n_ind;
  fitted_ = true;
  std::string m = fmt::format("entropy model refit on {} host(s), {} steps: weights",
                              histories.size(), longest);
  auto out = std::back_inserter(m);
  for (std::size_t i = 0; i < n_ind; ++i) {
    fmt::format_to(out, " {}={:.3g}", indicators_[i], model_.weights()[i]);
  }
  const auto& th = model_.theta();
  fmt::format_to(out, "; forecast c + {:.3g} + {:.3g}·c + {:.3g}·rise; uplift per unit rise", th[0],
                 th[1], th[2]);
  for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
    fmt::format_to(out, " {}={:.3g}", policy::ResourceName(static_cast<policy::Resource>(r)),
                   r < model_.uplift_per_rise().size() ? model_.uplift_per_rise()[r] : 0.0);
  }
  return m;
}

std::vector<double> EntropyLearner::Row(const Entropies& entropies) const {
  std::vector<double> row(model_indicators_, kNaN);
  for (const auto& [name, e] : entropies) {
    auto it = index_.find(name);
    if (it != index_.end() && it->second < row.size()) row[it->second] = e;
  }
  return row;
}

EntropyOutlook EntropyLearner::Outlook(std::string_view host, const Entropies& entropies) const {
  EntropyOutlook out;
  if (!fitted_) {
    // Persistence with equal weights over the indicators reported now.
    double sum = 0;
    std::size_t n = 0;
    for (const auto& [name, e] : entropies) {
      if (std::isfinite(e)) {
        sum += e;
        ++n;
      }
    }
    out.composite = n > 0 ? sum / static_cast<double>(n) : 0.0;
    out.forecast = out.composite;
    return out;
  }
  out.learned = true;
  const std::vector<double> now_row = Row(entropies);
  out.composite = model_.Composite(now_row);
  // The host's entropies rise_ms ago, from its recorded steps.
  std::vector<double> then_row(model_indicators_, kNaN);
  bool have_then = false;
  if (auto it = hosts_.find(host); it != hosts_.end()) {
    const auto& steps = it->second.steps;
    const std::size_t k = RiseSteps();
    if (steps.size() > k) {
      const Step& s = steps[steps.size() - 1 - k];
      for (std::size_t i = 0; i < s.entropy.size() && i < then_row.size(); ++i) {
        then_row[i] = s.entropy[i];
      }
      have_then = true;
    }
  }
  std::vector<double> rises(model_indicators_, 0.0);
  std::vector<int> resource_of(model_indicators_, -1);
  if (have_then) {
    out.rise = out.composite - model_.Composite(then_row);
    if (!std::isfinite(out.rise)) out.rise = 0.0;
    for (std::size_t i = 0; i < model_indicators_; ++i) {
      if (std::isfinite(now_row[i]) && std::isfinite(then_row[i])) {
        rises[i] = now_row[i] - then_row[i];
      }
      resource_of[i] = ResourceOf(indicators_[i]);
    }
  }
  out.forecast = model_.Forecast(out.composite, out.rise);
  const auto drivers = model_.Drivers(rises, resource_of, policy::kResourceCount);
  // γ was fitted on the observed rise over the last k steps (usage peak within H after it), so
  // the uplift to expect now follows from the rise just observed.
  const auto uplift = model_.ExpectedUplift(out.rise);
  for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
    out.drivers.v[r] = r < drivers.size() ? drivers[r] : 0.0;
    out.uplift.v[r] = r < uplift.size() ? uplift[r] : 0.0;
  }
  return out;
}

std::size_t EntropyLearner::steps() const {
  std::size_t n = 0;
  for (const auto& [name, h] : hosts_) n += h.steps.size();
  return n;
}

std::string EntropyLearner::Encode() const {
  std::string out = "PGEL";
  PutRaw<std::uint32_t>(out, 1);
  PutRaw<std::int64_t>(out, options_.step_ms);
  auto put_string = [&](std::string_view v) {
    PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(v.size()));
    out.append(v);
  };
  PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(indicators_.size()));
  for (const auto& name : indicators_) put_string(name);
  std::vector<const std::string*> names;
  names.reserve(hosts_.size());
  for (const auto& [name, h] : hosts_) names.push_back(&name);
  std::sort(names.begin(), names.end(), [](auto* a, auto* b) { return *a < *b; });
  PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(names.size()));
  for (const std::string* name : names) {
    const HostHistory& h = hosts_.find(*name)->second;
    put_string(*name);
    PutRaw<std::uint8_t>(out, h.failed ? 1 : 0);
    PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(h.steps.size()));
    for (const Step& st : h.steps) {
      PutRaw<std::int64_t>(out, st.t);
      PutRaw<std::uint8_t>(out, st.fail_start ? 1 : 0);
      for (float u : st.usage) PutRaw<float>(out, u);
      PutRaw<std::uint32_t>(out, static_cast<std::uint32_t>(st.entropy.size()));
      for (float e : st.entropy) PutRaw<float>(out, e);
    }
  }
  PutRaw<std::uint64_t>(out, Fnv1a64(out));
  return out;
}

Result<void> EntropyLearner::Restore(std::string_view bytes) {
  auto corrupt = [](const std::string& why) {
    return MakeError(ErrorCode::kCorruption, "entropy history: " + why);
  };
  if (bytes.size() < 28 || bytes.substr(0, 4) != "PGEL") return corrupt("bad magic");
  std::uint64_t sum = 0;
  std::size_t sum_pos = bytes.size() - 8;
  (void)TakeRaw(bytes, sum_pos, sum);
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  if (Fnv1a64(body) != sum) return corrupt("checksum mismatch");
  std::size_t pos = 4;
  std::uint32_t version = 0;
  std::int64_t step_ms = 0;
  (void)TakeRaw(body, pos, version);
  if (version != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "entropy history: version " + std::to_string(version) + " is not 1");
  }
  if (!TakeRaw(body, pos, step_ms)) return corrupt("truncated");
  if (step_ms != options_.step_ms) {
    return MakeError(ErrorCode::kInvalidArgument, "entropy history: recorded every " +
                                                      std::to_string(step_ms) +
                                                      " ms, the learner steps every " +
                                                      std::to_string(options_.step_ms) + " ms");
  }
  auto take_string = [&](std::string& v) {
    std::uint32_t len = 0;
    if (!TakeRaw(body, pos, len) || body.size() - pos < len) return false;
    v.assign(body.substr(pos, len));
    pos += len;
    return true;
  };
  std::uint32_t n_ind = 0;
  if (!TakeRaw(body, pos, n_ind) || n_ind > body.size()) return corrupt("truncated");
  std::vector<std::string> indicators(n_ind);
  for (auto& name : indicators) {
    if (!take_string(name)) return corrupt("truncated indicator name");
  }
  std::uint32_t n_hosts = 0;
  if (!TakeRaw(body, pos, n_hosts) || n_hosts > body.size()) return corrupt("truncated");
  std::unordered_map<std::string, HostHistory, StringHash, std::equal_to<>> hosts;
  for (std::uint32_t i = 0; i < n_hosts; ++i) {
    std::string name;
    std::uint8_t failed = 0;
    std::uint32_t n_steps = 0;
    if (!take_string(name) || !TakeRaw(body, pos, failed) || !TakeRaw(body, pos, n_steps)) {
      return corrupt("truncated host");
    }
    if (n_steps > body.size() / 29) return corrupt("step count exceeds the blob");
    HostHistory h;
    h.failed = failed != 0;
    for (std::uint32_t k = 0; k < n_steps; ++k) {
      Step st;
      std::uint8_t fail_start = 0;
      std::uint32_t n_e = 0;
      bool ok = TakeRaw(body, pos, st.t) && TakeRaw(body, pos, fail_start);
      for (float& u : st.usage) ok = ok && TakeRaw(body, pos, u);
      ok = ok && TakeRaw(body, pos, n_e) && n_e <= n_ind;
      if (!ok) return corrupt("truncated step");
      st.fail_start = fail_start != 0;
      st.entropy.resize(n_e);
      for (float& e : st.entropy) {
        if (!TakeRaw(body, pos, e)) return corrupt("truncated step");
      }
      h.steps.push_back(std::move(st));
    }
    while (h.steps.size() > options_.history_steps) h.steps.pop_front();
    if (hosts.size() < options_.max_hosts) hosts.emplace(std::move(name), std::move(h));
  }
  if (pos != body.size()) return corrupt("trailing bytes");
  indicators_ = std::move(indicators);
  index_.clear();
  for (std::size_t i = 0; i < indicators_.size(); ++i) index_.emplace(indicators_[i], i);
  hosts_ = std::move(hosts);
  model_indicators_ = 0;
  fitted_ = false;
  last_fit_ = INT64_MIN;
  return Ok();
}

}  // namespace prognos::engine
