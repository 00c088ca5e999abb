#include "notify/alertmanager_notifier.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace prognos::notify {

struct AlertmanagerNotifier::Metrics {
  explicit Metrics(MetricsRegistry& r)
      : sent(r.AddCounter("prognos_notify_alerts_sent_total",
                          "Alerts delivered to Alertmanager (2xx reply).")
                 .With({})),
        failed(r.AddCounter("prognos_notify_alerts_failed_total",
                            "Alerts given up after retries or rejected by Alertmanager.")
                   .With({})),
        dropped(r.AddCounter("prognos_notify_alerts_dropped_total",
                             "Alerts not queued because the notify queue was full.")
                    .With({})),
        invalid(r.AddCounter("prognos_notify_alerts_invalid_total",
                             "Alerts rejected before sending (bad labels).")
                    .With({})),
        requests(r.AddCounter("prognos_notify_requests_total",
                              "POST /api/v2/alerts attempts by result.", {"result"})),
        queue_length(
            r.AddGauge("prognos_notify_queue_length", "Alerts waiting for the notify sender.")
                .With({})),
        request_duration(r.AddHistogram("prognos_notify_request_duration_seconds",
                                        "Duration of one POST /api/v2/alerts attempt.",
                                        ExponentialBuckets(0.001, 4.0, 8))
                             .With({})) {}

  Counter& sent;
  Counter& failed;
  Counter& dropped;
  Counter& invalid;
  Family<Counter>& requests;
  Gauge& queue_length;
  Histogram& request_duration;  // 1 ms … 16 s
};

Result<void> ValidateConfig(const AlertmanagerConfig& config) {
  auto bad = [](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument, "notify.alertmanager: " + what);
  };
  if (config.url.rfind("http://", 0) != 0 && config.url.rfind("https://", 0) != 0) {
    return bad("url must start with http:// or https:// (got '" + config.url + "')");
  }
  if (config.resend_interval_ms <= 0) {
    return bad("resend_interval must be > 0");
  }
  if (config.valid_for_ms < 0 || config.resolved_retention_ms < 0) {
    return bad("valid_for and resolved_retention must be >= 0");
  }
  if (config.max_queue == 0 || config.max_batch == 0) {
    return bad("max_queue and max_batch must be > 0");
  }
  if (config.connect_timeout_ms <= 0 || config.request_timeout_ms <= 0) {
    return bad("timeouts must be > 0");
  }
  if (config.max_attempts < 1) {
    return bad("max_attempts must be >= 1");
  }
  if (config.backoff_initial_ms < 0 || config.backoff_max_ms < config.backoff_initial_ms) {
    return bad("backoff must satisfy 0 <= initial <= max");
  }
  for (const auto& [name, value] : config.static_labels) {
    if (!IsValidLabelName(name)) {
      return bad("invalid static label name '" + name + "'");
    }
  }
  return Ok();
}

Result<std::unique_ptr<AlertmanagerNotifier>> AlertmanagerNotifier::Create(
    AlertmanagerConfig config, const Clock& clock, MetricsRegistry* metrics,
    std::unique_ptr<AlertTransport> transport) {
  if (auto ok = ValidateConfig(config); !ok) {
    return tl::unexpected(ok.error());
  }
  if (transport == nullptr) {
    std::string base = config.url;
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    auto curl = CurlTransport::Create(CurlTransportConfig{base + "/api/v2/alerts", config.headers,
                                                          config.connect_timeout_ms,
                                                          config.request_timeout_ms});
    if (!curl) {
      return tl::unexpected(curl.error());
    }
    transport = std::move(*curl);
  }
  return std::unique_ptr<AlertmanagerNotifier>(
      new AlertmanagerNotifier(std::move(config), clock, metrics, std::move(transport)));
}

AlertmanagerNotifier::AlertmanagerNotifier(AlertmanagerConfig config, const Clock& clock,
                                           MetricsRegistry* metrics,
                                           std::unique_ptr<AlertTransport> transport)
    : config_(std::move(config)),
      clock_(clock),
      metrics_(metrics != nullptr ? std::make_unique<Metrics>(*metrics) : nullptr),
      transport_(std::move(transport)),
      sender_([this] { SenderLoop(); }) {}

AlertmanagerNotifier::~AlertmanagerNotifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  sender_.join();
}

AlertmanagerNotifier::EnqueueOutcome AlertmanagerNotifier::EnqueueLocked(const std::string& key,
                                                                         Tracked& t,
                                                                         TimestampMs now) {
  PostableAlert alert;
  alert.labels = t.labels;
  alert.annotations = t.annotations;
  alert.starts_at = t.starts_at;
  if (t.resolved) {
    alert.ends_at = t.ends_at;
  } else {
    const DurationMs valid =
        config_.valid_for_ms > 0 ? config_.valid_for_ms : 4 * config_.resend_interval_ms;
    alert.ends_at = std::max(now, t.starts_at) + valid;
  }
  alert.generator_url = t.generator_url;

  if (auto it = queued_.find(key); it != queued_.end()) {
    // Still waiting: the newer state replaces it (one entry per label set).
    it->second->alert = std::move(alert);
    it->second->seq = t.seq = ++next_seq_;
  } else {
    if (queue_.size() >= config_.max_queue) {
      ++stats_.dropped;
      if (metrics_) {
        metrics_->dropped.Inc();
      }
      return EnqueueOutcome::kDropped;  // t stays due: the next Update tries again
    }
    t.seq = ++next_seq_;
    queue_.push_back(Item{key, t.seq, std::move(alert)});
    queued_.emplace(key, std::prev(queue_.end()));
  }
  t.last_queued = now;
  t.queued_ever = true;
  return EnqueueOutcome::kQueued;
}

UpdateResult AlertmanagerNotifier::Update(const std::vector<Alert>& active, TimestampMs now) {
  UpdateResult result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::unordered_set<std::string> seen;
    seen.reserve(active.size());
    for (const Alert& alert : active) {
      auto labels = AlertLabels(alert, config_.static_labels);
      auto annotations = AlertAnnotations(alert);
      if (!labels || !annotations) {
        result.invalid.push_back(!labels ? labels.error() : annotations.error());
        continue;
      }
      std::string key = LabelSetKey(*labels);
      if (!seen.insert(key).second) {
        ++result.deduplicated;  // the same label set twice in one update: the first wins
        continue;
      }
      auto [it, inserted] = tracked_.try_emplace(key);
      Tracked& t = it->second;
      if (inserted || t.resolved) {
        // New, or firing again after a resolution: a new alert instance.
        t = Tracked{};
        t.labels = std::move(*labels);
        t.starts_at = alert.starts_at > 0 ? alert.starts_at : now;
      }
      t.annotations = std::move(*annotations);
      t.generator_url = alert.generator_url.empty() ? config_.generator_url : alert.generator_url;
      if (t.queued_ever && now - t.last_queued < config_.resend_interval_ms) {
        ++result.deduplicated;
        continue;
      }
      if (EnqueueLocked(key, t, now) == EnqueueOutcome::kQueued) {
        ++result.queued;
      } else {
        ++result.dropped;
      }
    }
    for (auto it = tracked_.begin(); it != tracked_.end();) {
      Tracked& t = it->second;
      if (seen.contains(it->first)) {
        ++it;
        continue;
      }
      if (!t.resolved) {
        t.resolved = true;
        t.ends_at = std::max(now, t.starts_at);  // Alertmanager rejects endsAt < startsAt
        t.queued_ever = false;
      } else if (!t.queued_ever && now - t.ends_at > config_.resolved_retention_ms) {
        it = tracked_.erase(it);  // undeliverable for too long; its endsAt expires it anyway
        continue;
      }
      if (!t.queued_ever) {
        if (EnqueueLocked(it->first, t, now) == EnqueueOutcome::kQueued) {
          ++result.queued;
          ++result.resolved;
        } else {
          ++result.dropped;
        }
      }
      ++it;
    }
    stats_.invalid += result.invalid.size();
    if (metrics_) {
      metrics_->invalid.Inc(static_cast<double>(result.invalid.size()));
      metrics_->queue_length.Set(static_cast<double>(queue_.size()));
    }
  }
  wake_.notify_one();
  return result;
}

bool AlertmanagerNotifier::Flush(DurationMs timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [this] { return queue_.empty() && in_flight_ == 0; });
}

NotifierStats AlertmanagerNotifier::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  NotifierStats s = stats_;
  s.queue_length = queue_.size();
  s.tracked = tracked_.size();
  return s;
}

void AlertmanagerNotifier::SenderLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) {
      return;
    }
    std::vector<Item> batch;
    while (!queue_.empty() && batch.size() < config_.max_batch) {
      queued_.erase(queue_.front().key);
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    in_flight_ = batch.size();
    if (metrics_) {
      metrics_->queue_length.Set(static_cast<double>(queue_.size()));
    }
    lock.unlock();
    const bool delivered = Deliver(batch);
    lock.lock();
    Finish(batch, delivered);
    in_flight_ = 0;
    if (queue_.empty()) {
      idle_.notify_all();
    }
  }
}

bool AlertmanagerNotifier::Deliver(const std::vector<Item>& batch) {
  std::vector<PostableAlert> alerts;
  alerts.reserve(batch.size());
  for (const Item& item : batch) {
    alerts.push_back(item.alert);
  }
  const std::string body = EncodePostableAlerts(alerts);
  DurationMs backoff_ms = config_.backoff_initial_ms;
  for (int attempt = 1; attempt <= config_.max_attempts; ++attempt) {
    const auto started = std::chrono::steady_clock::now();
    auto reply = transport_->PostJson(body);
    if (metrics_) {
      metrics_->request_duration.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    std::string_view result = "connection_error";
    bool retry = true;
    if (reply) {
      const long status = reply->status;
      if (status >= 200 && status < 300) {
        result = "success";
        retry = false;
      } else if (status >= 500 || status == 429) {
        result = "server_error";
      } else {
        result = "client_error";  // our request is wrong: sending it again will not help
        retry = false;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.requests;
      if (!reply) {
        ++stats_.request_errors;
        stats_.last_error = reply.error().message;
      } else if (result != "success") {
        ++stats_.request_errors;
        stats_.last_error = "HTTP " + std::to_string(reply->status) + ": " + reply->body;
      }
    }
    if (metrics_) {
      metrics_->requests.With({std::string(result)}).Inc();
    }
    if (result == "success") {
      return true;
    }
    if (!retry || attempt == config_.max_attempts) {
      return false;
    }
    // Back off on the condition variable so the destructor can cut the wait short.
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stop_; })) {
      return false;
    }
    backoff_ms = std::min(backoff_ms * 2, config_.backoff_max_ms);
  }
  return false;
}

void AlertmanagerNotifier::Finish(const std::vector<Item>& batch, bool delivered) {
  if (delivered) {
    stats_.sent += batch.size();
  } else {
    stats_.failed += batch.size();
  }
  if (metrics_) {
    (delivered ? metrics_->sent : metrics_->failed).Inc(static_cast<double>(batch.size()));
  }
  for (const Item& item : batch) {
    auto it = tracked_.find(item.key);
    if (it == tracked_.end() || it->second.seq != item.seq) {
      continue;  // a newer state of this label set was queued since
    }
    if (!delivered) {
      it->second.queued_ever = false;  // due again on the next Update
    } else if (it->second.resolved) {
      tracked_.erase(it);  // resolution delivered: forget the label set
    }
  }
}

}  // namespace prognos::notify
