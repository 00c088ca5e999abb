#include "engine/engine.h"

#include <algorithm>

namespace prognos::engine {

Engine::Engine(const EngineOptions& options, const Clock& clock, MetricsRegistry& metrics)
    : options_(options), clock_(clock), metrics_(metrics) {
  accepted_total_ = &metrics_
                         .AddCounter("prognos_ingest_samples_accepted_total",
                                     "Samples accepted (stored, or identical retries re-accepted).")
                         .With({});
  messages_total_ = &metrics_
                         .AddCounter("prognos_ingest_messages_total",
                                     "Health messages (lines or array elements) received.")
                         .With({});
  auto& rejected = metrics_.AddCounter("prognos_ingest_samples_rejected_total",
                                       "Samples rejected, by reason.", {"reason"});
  for (int i = 0; i < kRejectReasonCount; ++i) {
    rejected_total_[static_cast<std::size_t>(i)] =
        &rejected.With({std::string(RejectReasonName(static_cast<RejectReason>(i)))});
  }
}

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options, const Clock& clock,
                                             MetricsRegistry& metrics,
                                             std::function<void(const std::string&)> log) {
  std::unique_ptr<Engine> engine(new Engine(options, clock, metrics));
  auto storage = store::Storage::Open(options.storage, &metrics, std::move(log));
  if (!storage) return tl::unexpected(storage.error());
  engine->storage_ = std::move(*storage);
  return engine;
}

void Engine::CountRejection(IngestReport* report, const ingest::Rejection& r) {
  const std::uint32_t n = std::max<std::uint32_t>(1, r.samples);
  report->rejected_samples += n;
  report->rejected_by_reason[static_cast<std::size_t>(r.reason)] += n;
  rejected_total_[static_cast<std::size_t>(r.reason)]->Inc(n);
  if (report->rejected.size() < kMaxListedRejections) report->rejected.push_back(r);
}

Result<IngestReport> Engine::IngestHealthBody(std::string_view body) {
  ingest::ParsedBatch batch = ingest::ParseHealthBody(body, options_.limits);
  return IngestParsed(std::move(batch.samples), std::move(batch.rejections), batch.messages);
}

Result<IngestReport> Engine::IngestParsed(std::vector<ingest::ParsedSample> samples,
                                          std::vector<ingest::Rejection> rejected,
                                          std::uint32_t messages) {
  IngestReport report;
  report.messages = messages;
  messages_total_->Inc(messages);

  const TimestampMs horizon = options_.future_tolerance_ms > 0
                                  ? clock_.NowMs() + options_.future_tolerance_ms
                                  : INT64_MAX;
  store::Appender app = storage_->NewAppender();
  std::vector<const ingest::ParsedSample*> appended;
  appended.reserve(samples.size());
  for (auto& s : samples) {
    if (s.sample.t > horizon) {
      std::string indicator(s.labels.Get(kMetricNameLabel).value_or(""));
      rejected.push_back({s.line, std::move(indicator), RejectReason::kTooFarInFuture,
                          "timestamp " + FormatTimestamp(s.sample.t) + " is more than " +
                              std::to_string(options_.future_tolerance_ms / 1000) +
                              "s ahead of the server clock",
                          1});
      continue;
    }
    appended.push_back(&s);
    app.Add(s.labels, s.sample);
  }
  std::vector<store::SampleResult> results;
  if (app.size() > 0) {
    auto committed = app.Commit();
    if (!committed) return tl::unexpected(committed.error());
    results = std::move(*committed);
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r.outcome == store::SampleOutcome::kRejected) {
      const auto* s = appended[i];
      std::string indicator(s->labels.Get(kMetricNameLabel).value_or(""));
      std::string msg;
      switch (r.reason) {
        case RejectReason::kDuplicateTimestamp:
          msg = "series already has another value at " + FormatTimestamp(s->sample.t);
          break;
        case RejectReason::kTooOld:
          msg = "older than the series' newest sample minus ingest.max_age";
          break;
        case RejectReason::kOutOfOrder:
          msg = "older than the series' newest sample";
          break;
        default:
          msg = std::string(RejectReasonName(r.reason));
      }
      rejected.push_back({s->line, std::move(indicator), r.reason, std::move(msg), 1});
    } else {
      ++report.accepted_samples;
    }
  }
  accepted_total_->Inc(static_cast<double>(report.accepted_samples));
  std::stable_sort(rejected.begin(), rejected.end(),
                   [](const ingest::Rejection& a, const ingest::Rejection& b) {
                     return a.line < b.line;
                   });
  for (const auto& r : rejected) CountRejection(&report, r);
  return report;
}

}  // namespace prognos::engine
