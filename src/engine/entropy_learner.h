// Entropy forecasting inside the control loop (issue #11): keeps a short, regular history of each
// host's per-indicator window entropies and its workloads' total usage, refits a
// predict::EntropyModel on it on a cadence, and answers, per host, the learned composite entropy,
// its forecast one horizon ahead, which resources drive a rise and how much of each resource the
// host's workloads are expected to take on after it (the planner's entropy_request sizes from
// that). Events for the weights' fit are the host's usage spikes (predict::SpikeEvents, causal)
// and the starts of a reported failure. Before the first fit — and wherever the fit has nothing to
// go on — the model is persistence with equal weights and no uplift: the evaluation in
// docs/evaluation.md ("Learned entropy model") found linear extrapolation of the entropy worse
// than persistence on every data set, so it is not used. Not thread-safe (the controller's mutex).
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/types.h"
#include "predict/entropy_model.h"

namespace prognos::engine {

struct EntropyLearnerOptions {
  bool enabled = true;
  DurationMs step_ms = 5 * kMinuteMs;  // one history step per host this often
  std::size_t history_steps = 864;     // 3 days of 5-minute steps per host
  std::size_t max_hosts = 1000;        // hosts beyond this are predicted, not recorded
  DurationMs refit_every_ms = kDayMs;
  std::size_t min_fit_steps = 288;      // a day of history before the first fit
  DurationMs rise_ms = 15 * kMinuteMs;  // k of the model, in time
  DurationMs lead_ms = kHourMs;         // events within this after t label t
  std::size_t spike_window = 288;       // SpikeEvents: previous steps that set the baseline
  double spike_z = 4.0;                 //   and how far above it a spike is
};

// What the controller needs per host.
struct EntropyOutlook {
  double composite = 0.0;          // learned-weight composite of the latest entropies (NaN-free)
  double forecast = 0.0;           // composite one horizon ahead
  double rise = 0.0;               // composite now minus rise_ms ago (0 without that much history)
  policy::ResourceVector drivers;  // share of the weighted rise per resource (sum ≤ 1)
  policy::ResourceVector uplift;   // expected extra usage per resource within the horizon
                                   // after the rise just observed (γ · rise)
  bool learned = false;            // a fitted model answered (else persistence)
};

class EntropyLearner {
 public:
  // horizon_ms is the policy horizon (the forecast's and the uplift window's length).
  EntropyLearner(EntropyLearnerOptions options, DurationMs horizon_ms);

  // One host's state at `now`: each indicator's latest normalised entropy (NaN = none) and the
  // resource of each indicator, its workloads' total usage and whether it reports failure.
  // Records a step when step_ms has passed since the host's last one.
  using Entropies = std::vector<std::pair<std::string_view, double>>;
  void Observe(std::string_view host, TimestampMs now, const Entropies& entropies,
               const policy::ResourceVector& usage, bool failed);
  // Refits when due; returns a message for the audit log when it did (or failed to).
  std::optional<std::string> MaybeRefit(TimestampMs now);
  // The outlook of a host from its latest observed entropies.
  EntropyOutlook Outlook(std::string_view host, const Entropies& entropies) const;

  // Persistence (the controller keeps the history across restarts, blob "entropy.history"):
  // "PGEL", u32 version = 1, i64 step_ms, the indicator names, then each host in name order (name,
  // failed flag, its steps: t, fail_start, usage per resource, entropies), and an FNV-1a 64
  // checksum of everything before it. The fitted model is not kept: Restore leaves the learner
  // unfitted with its refit due, so the next MaybeRefit fits the restored history at once.
  std::string Encode() const;
  // Replaces the history with a decoded one; on any error (corrupt, other version, another
  // step_ms) the learner is left as it was. Steps beyond history_steps and hosts beyond max_hosts
  // are dropped (the oldest steps; hosts in name order).
  Result<void> Restore(std::string_view bytes);
  std::size_t hosts() const { return hosts_.size(); }
  std::size_t steps() const;  // summed over hosts

  bool fitted() const { return fitted_; }
  const predict::EntropyModel& model() const { return model_; }
  const std::vector<std::string>& indicators() const { return indicators_; }

  // Which resource an indicator speaks for, from its name (mem/ecc/swap/oom, net/latency/packet/
  // rx/tx, disk/smart/io, cpu/load/temp/throttle words; −1 = none of them, and for "status"). The
  // controller reads the same words when it splits health evidence by resource.
  static int ResourceOf(std::string_view indicator);

 private:
  struct Step {
    TimestampMs t = 0;
    std::vector<float> entropy;  // by indicators_ index (shorter: the rest NaN)
    std::array<float, policy::kResourceCount> usage{};
    bool fail_start = false;
  };
  struct HostHistory {
    std::deque<Step> steps;
    bool failed = false;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::size_t IndexOf(std::string_view indicator);
  std::vector<double> Row(const Entropies& entropies) const;
  std::size_t RiseSteps() const;

  EntropyLearnerOptions options_;
  DurationMs horizon_ms_;
  std::vector<std::string> indicators_;
  std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> index_;
  std::unordered_map<std::string, HostHistory, StringHash, std::equal_to<>> hosts_;
  predict::EntropyModel model_;
  std::size_t model_indicators_ = 0;  // indicators_ the model was fitted on (a prefix)
  bool fitted_ = false;
  TimestampMs last_fit_ = INT64_MIN;
};

}  // namespace prognos::engine
