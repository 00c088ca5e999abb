// Costs of the failure model (issue #11, done-when 5): feature update per entity-day, prediction
// per entity (one at a time, as the engine would, and batched, as `failure predict` does),
// training time, and heap bytes per tracked entity. Inputs are synthetic (seeded), shaped like
// Backblaze 2013: 6 indicators, daily updates.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "predict/failure_features.h"
#include "predict/failure_model.h"

namespace prognos::predict {
namespace {

FailureFeatureSpec Spec() {
  FailureFeatureSpec spec;
  spec.indicators = {"capacity_bytes", "smart_1_raw",   "smart_5_raw",
                     "smart_9_raw",    "smart_194_raw", "smart_197_raw"};
  return spec;
}

// Feature set 2 on the same columns: rate per day, days since > 0, deviation from the drive
// model's mean (5 synthetic models), alarm_count over SMART 5 and 197.
FailureFeatureSpec ExtendedSpec() {
  FailureFeatureSpec spec = Spec();
  spec.extended = true;
  spec.type_label = "model";
  spec.alarm_indicators = {"smart_5_raw", "smart_197_raw"};
  return spec;
}

FailureFeatureSpec SpecFor(std::int64_t extended) { return extended != 0 ? ExtendedSpec() : Spec(); }

std::string TypeOf(std::size_t entity) { return "MODEL-" + std::to_string(entity % 5); }

std::vector<std::string> Names(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("drive-" + std::to_string(i));
  return out;
}

// Daily values: capacity constant, smart_1 noisy, smart_5 rarely rising, hours, temperature.
std::vector<double> Values(std::mt19937_64& rng, std::size_t entity, int day) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  return {3e12,
          1e8 * u(rng),
          entity % 13 == 0 ? static_cast<double>(day) : 0.0,
          1000.0 + 24.0 * day,
          20.0 + 10.0 * u(rng),
          entity % 41 == 0 ? 1.0 : 0.0};
}

// Training rows: 1 % positives, more likely with smart_5 high.
FailureTrainingSet TrainingSet(std::size_t rows) {
  FailureFeatureSpec spec = Spec();
  FeatureBuilder builder(spec);
  FailureTrainingSet data;
  data.feature_count = builder.feature_count();
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t entities = rows / 12;
  const auto names = Names(entities);
  std::vector<float> f;
  for (int day = 0; day < 12; ++day) {
    for (std::size_t e = 0; e < entities; ++e) {
      auto v = Values(rng, e, day);
      (void)builder.Update(names[e], day * kDayMs, v);
      builder.FeaturesInto(names[e], f);
      data.features.insert(data.features.end(), f.begin(), f.end());
      data.labels.push_back(u(rng) < (v[2] > 5 ? 0.2 : 0.005) ? 1.0 : 0.0);
      data.times.push_back(day * kDayMs);
    }
  }
  return data;
}

void BM_FeatureUpdate(benchmark::State& state) {
  const std::size_t entities = 10'000;
  FeatureBuilder builder(SpecFor(state.range(0)));
  const auto names = Names(entities);
  std::mt19937_64 rng(1);
  std::vector<std::vector<double>> values;
  std::vector<std::string> types;
  for (std::size_t e = 0; e < entities; ++e) {
    values.push_back(Values(rng, e, 0));
    types.push_back(TypeOf(e));
  }
  std::vector<float> f;
  int day = 0;
  std::size_t e = 0;
  for (auto _ : state) {
    (void)builder.Update(names[e], day * kDayMs, values[e], types[e]);
    builder.FeaturesInto(names[e], f);
    benchmark::DoNotOptimize(f.data());
    if (++e == entities) {
      e = 0;
      ++day;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) != 0 ? "per entity-day: Update + FeaturesInto, extended set"
                                     : "per entity-day: Update + FeaturesInto");
}
BENCHMARK(BM_FeatureUpdate)->Arg(0)->Arg(1);

// Heap bytes per entity after 40 daily updates (the 30-day window is full).
void BM_MemoryPerEntity(benchmark::State& state) {
  const std::size_t entities = 5'000;
  const auto names = Names(entities);
  double per_entity = 0.0;
  for (auto _ : state) {
    const auto before = mallinfo2().uordblks;
    {
      FeatureBuilder builder(SpecFor(state.range(0)));
      std::mt19937_64 rng(2);
      for (int day = 0; day < 40; ++day) {
        for (std::size_t e = 0; e < entities; ++e) {
          (void)builder.Update(names[e], day * kDayMs, Values(rng, e, day), TypeOf(e));
        }
      }
      const auto after = mallinfo2().uordblks;
      per_entity = static_cast<double>(after - before) / static_cast<double>(entities);
      benchmark::DoNotOptimize(builder.entity_count());
    }
  }
  state.counters["bytes_per_entity"] = per_entity;
}
BENCHMARK(BM_MemoryPerEntity)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

// Leaked on purpose: freeing a booster during static destruction, after XGBoost's own statics
// are gone, aborts the process.
const FailureModel& Model() {
  static const FailureModel* model = [] {
    FailureTrainOptions o;
    o.rounds = 150;
    auto m = FailureModel::Train(Spec(), 10 * kDayMs, TrainingSet(120'000), o);
    if (!m) std::abort();
    return new FailureModel(std::move(*m));
  }();
  return *model;
}

void BM_PredictOne(benchmark::State& state) {
  const FailureModel& model = Model();
  const auto data = TrainingSet(12'000);
  const std::size_t width = data.feature_count;
  std::size_t i = 0;
  for (auto _ : state) {
    auto p = model.Predict(std::span<const float>(data.features).subspan(i * width, width));
    benchmark::DoNotOptimize(p);
    i = (i + 1) % data.rows();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("one entity per call (150 trees, depth 4)");
}
BENCHMARK(BM_PredictOne);

void BM_PredictBatch(benchmark::State& state) {
  const FailureModel& model = Model();
  const auto data = TrainingSet(12'000);
  for (auto _ : state) {
    auto p = model.PredictBatch(data.features);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(data.rows()));
  state.SetLabel("12,000 entities per call");
}
BENCHMARK(BM_PredictBatch)->Unit(benchmark::kMillisecond);

// Training time on 120,000 rows (10,000 entities × 12 days, ~1.5 % positive), 150 rounds.
void BM_Train(benchmark::State& state) {
  const auto data = TrainingSet(120'000);
  FailureTrainOptions o;
  o.rounds = 150;
  o.nthread = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto m = FailureModel::Train(Spec(), 10 * kDayMs, data, o);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(data.rows()));
}
BENCHMARK(BM_Train)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace prognos::predict
