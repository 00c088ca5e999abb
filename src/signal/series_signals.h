// The per-series signal bundle the engine owns for every series: window entropy, a one-step
// forecast with its interval (made before the sample is seen), and the anomaly score.
// Pure: time is passed in. Not thread-safe; owned by one shard.
#pragma once

#include <cstddef>
#include <memory>

#include "core/time.h"
#include "signal/anomaly.h"
#include "signal/entropy.h"
#include "signal/one_step_predictor.h"

namespace prognos::signal {

// What one Update returns. forecast/lower/upper are the prediction for this sample made before
// seeing it (NaN before the first finite sample); entropy is the normalised window entropy in
// [0, 1] after it; anomaly_score is in [0, 1] (0 during cold start), never NaN.
struct SignalSnapshot {
  double entropy = 0.0;
  double anomaly_score = 0.0;
  double forecast = 0.0;
  double lower = 0.0;
  double upper = 0.0;
};

struct SeriesSignalsConfig {
  EntropyConfig entropy = DefaultEntropyConfig();
  AnomalyConfig anomaly;
  EwSeasonalConfig predictor;

  // Adaptive quantile bins (the range of an arbitrary series is unknown), 8 bins over 64 samples.
  static EntropyConfig DefaultEntropyConfig() {
    EntropyConfig c;
    c.binning = Binning::kAdaptiveQuantile;
    c.bins = 8;
    c.window_count = 64;
    return c;
  }
};

// Per-series signals. Update(t, v):
//   1. forecast ← predictor.Predict(t)        (before v is seen: causal)
//   2. entropy  ← window entropy with v added (a non-finite v is skipped by every part)
//   3. score    ← anomaly detector on (v, forecast, entropy)
//   4. predictor.Observe(t, v)
// The predictor sits behind OneStepPredictor so the online forecaster can replace it.
class SeriesSignals {
 public:
  explicit SeriesSignals(const SeriesSignalsConfig& config = {});
  SeriesSignals(const SeriesSignalsConfig& config, std::unique_ptr<OneStepPredictor> predictor);

  SignalSnapshot Update(TimestampMs t, double value);

  const SignalSnapshot& last() const { return last_; }
  const WindowEntropy& entropy() const { return entropy_; }
  const AnomalyDetector& anomaly() const { return anomaly_; }
  // Bytes of all signal state of this series (object, heap and predictor).
  std::size_t StateBytes() const;

 private:
  WindowEntropy entropy_;
  AnomalyDetector anomaly_;
  std::unique_ptr<OneStepPredictor> predictor_;
  SignalSnapshot last_;
};

}  // namespace prognos::signal
