#include "signal/series_signals.h"

#include <cmath>
#include <utility>

namespace prognos::signal {

SeriesSignals::SeriesSignals(const SeriesSignalsConfig& config)
    : SeriesSignals(config, std::make_unique<EwSeasonalPredictor>(config.predictor)) {}

SeriesSignals::SeriesSignals(const SeriesSignalsConfig& config,
                             std::unique_ptr<OneStepPredictor> predictor)
    : entropy_(config.entropy), anomaly_(config.anomaly), predictor_(std::move(predictor)) {
  if (!predictor_) predictor_ = std::make_unique<EwSeasonalPredictor>(config.predictor);
}

SignalSnapshot SeriesSignals::Update(TimestampMs t, double value) {
  const OneStepForecast f = predictor_->Predict(t);
  SignalSnapshot snap;
  snap.forecast = f.point;
  snap.lower = f.lower;
  snap.upper = f.upper;
  snap.entropy = entropy_.Update(t, value);
  snap.anomaly_score = anomaly_.Update(t, value, f.point, snap.entropy);
  predictor_->Observe(t, value);
  last_ = snap;
  return snap;
}

std::size_t SeriesSignals::StateBytes() const {
  return sizeof(*this) - sizeof(entropy_) - sizeof(anomaly_) + entropy_.StateBytes() +
         anomaly_.StateBytes() + predictor_->StateBytes();
}

}  // namespace prognos::signal
