#include "daemon/daemon.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "actuate/dry_run_actuator.h"
#include "actuate/kubernetes_actuator.h"
#include "actuate/webhook_actuator.h"
#include "signal/forecast/lstm.h"

namespace prognos::daemon {

engine::EngineOptions ToEngineOptions(const Config& config) {
  engine::EngineOptions o;
  o.storage.dir = config.store.data_dir;
  switch (config.store.fsync) {
    case FsyncMode::kAlways:
      o.storage.fsync = store::FsyncPolicy::kAlways;
      break;
    case FsyncMode::kInterval:
      o.storage.fsync = store::FsyncPolicy::kInterval;
      break;
    case FsyncMode::kNever:
      o.storage.fsync = store::FsyncPolicy::kNever;
      break;
  }
  o.storage.fsync_interval_ms = config.store.fsync_interval_ms;
  o.storage.max_age_ms = config.ingest.max_age_ms;
  o.storage.wal_segment_bytes = config.store.wal_segment_bytes;
  o.storage.retention_ms = config.store.retention_ms;
  o.storage.block_samples = static_cast<std::size_t>(config.store.block_samples);
  o.storage.block_age_ms = config.store.block_age_ms;
  o.storage.checkpoint_wal_bytes = config.store.checkpoint_wal_bytes;
  o.limits.max_line_bytes = config.ingest.max_line_bytes;
  o.limits.max_labels = config.ingest.max_labels;
  o.limits.strict_indicators = config.ingest.strict_indicators;
  o.future_tolerance_ms = config.ingest.future_tolerance_ms;
  // Signals: window of the entropy (count- or time-based) for every series, and per indicator its
  // composite weight and, with a configured range, fixed-range bins over [min, max].
  o.signal_config.entropy.window_count = static_cast<std::size_t>(config.signals.entropy_window);
  o.signal_config.entropy.window_ms = config.signals.entropy_window_ms;
  for (const auto& ind : config.indicators) {
    o.limits.known_indicators.insert(ind.name);
    engine::EngineOptions::IndicatorSignals sig;
    sig.weight = ind.weight;
    if (ind.min && ind.max) {
      signal::EntropyConfig e = o.signal_config.entropy;
      e.binning = signal::Binning::kFixedRange;
      e.bins = ind.entropy_bins;
      e.range_lo = *ind.min;
      e.range_hi = *ind.max;
      sig.entropy = e;
    }
    o.indicators[ind.name] = sig;
  }
  return o;
}

Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "listen address '" + listen + "' is not HOST:PORT (e.g. 127.0.0.1:8470)");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = 0;
  for (char c : listen.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) {
      return MakeError(ErrorCode::kInvalidArgument, "bad port in listen address '" + listen + "'");
    }
    port = port * 10 + (c - '0');
  }
  if (port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument, "port out of range in '" + listen + "'");
  }
  return std::pair{host, port};
}

Result<api::ApiOptions> ToApiOptions(const Config& config) {
  auto hp = ParseListen(config.api.listen);
  if (!hp) return tl::unexpected(hp.error());
  api::ApiOptions o;
  o.host = hp->first;
  o.port = hp->second;
  o.threads = config.api.threads;
  o.max_body_bytes = config.ingest.max_body_bytes;
  o.read_timeout_s = static_cast<int>(config.api.read_timeout_ms / 1000);
  // Secrets never sit in the config: it names the environment variables that hold the tokens.
  for (const auto& var : config.api.auth_tokens_env) {
    const char* value = std::getenv(var.c_str());
    if (value == nullptr || *value == '\0') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "api.auth_tokens_env names $" + var + ", which is unset or empty");
    }
    o.auth_tokens.emplace_back(value);
  }
  return o;
}

Result<engine::ControllerOptions> ToControllerOptions(const Config& config) {
  engine::ControllerOptions o;
  o.policy = config.control.policy;
  o.inventory = config.control.inventory;
  o.workload_label = config.control.workload_label;
  o.usage_indicator = config.control.usage;
  o.alert_tiers = config.control.alert_tiers;
  for (const auto& ind : config.indicators) {
    o.directions[ind.name] = ind.direction == Direction::kLowerIsWorse
                                 ? signal::WorseDirection::kLower
                             : ind.direction == Direction::kBoth ? signal::WorseDirection::kBoth
                                                                 : signal::WorseDirection::kHigher;
  }
  if (!config.control.lstm_model.empty()) {
    std::ifstream in(config.control.lstm_model, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) {
      return MakeError(ErrorCode::kIo, "models.lstm_model: cannot read " +
                                           config.control.lstm_model + ": " +
                                           std::strerror(errno));
    }
    auto net = signal::LstmNetwork::Deserialize(bytes.str());
    if (!net) {
      return MakeError(net.error().code,
                       "models.lstm_model: " + config.control.lstm_model + ": " +
                           net.error().message);
    }
    o.forecast_models.push_back(std::make_shared<signal::LstmForecastModel>(
        std::make_shared<const signal::LstmNetwork>(std::move(*net))));
  }
  if (!config.control.failure_model.empty()) {
    std::ifstream in(config.control.failure_model, std::ios::binary);
    if (!in) {
      return MakeError(ErrorCode::kIo, "models.failure_model: cannot read " +
                                           config.control.failure_model + ": " +
                                           std::strerror(errno));
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto model = predict::FailureModel::Deserialize(bytes);
    if (!model) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          "models.failure_model: " + config.control.failure_model + ": " + model.error().message);
    }
    o.failure_model = std::make_shared<const predict::FailureModel>(std::move(*model));
    const RetrainConfig& rc = config.control.retrain;
    o.retrain.enabled = rc.enabled;
    o.retrain.policy.cadence_ms = rc.cadence_ms;
    o.retrain.policy.min_new_rows = rc.min_new_rows;
    o.retrain.policy.min_new_positives = rc.min_new_positives;
    o.retrain.policy.holdout_fraction = rc.holdout_fraction;
    o.retrain.row_every_ms = rc.row_every_ms;
    o.retrain.keep_ms = rc.keep_ms;
    o.retrain.max_rows = rc.max_rows;
  }
  return o;
}

std::vector<notify::Alert> AlertsFromRisks(const std::vector<policy::HostRisk>& risks,
                                           const NotifyConfig& config) {
  std::vector<notify::Alert> out;
  for (const auto& r : risks) {
    // Info stays in GET /v1/alerts; only warning and critical page someone.
    if (r.tier == policy::AlertTier::kNone || r.tier == policy::AlertTier::kInfo) continue;
    notify::Alert a;
    a.host = r.host;
    a.component = r.component;
    // Only warning and critical reach here (info and none were skipped above).
    a.tier = r.tier == policy::AlertTier::kCritical ? predict::AlertTier::kCritical
                                                     : predict::AlertTier::kWarning;
    a.p_fail = r.p_fail;
    a.root_cause = r.root_cause;
    a.runbook = config.runbook_url;
    a.summary = (r.component.empty() ? "host " + r.host : r.component + " on " + r.host) +
                " likely to fail within " + FormatDuration(r.horizon_ms);
    a.description = fmt::format("health {:.0f}/100, p_fail {:.2f} ({}), entropy {:.2f}", r.health,
                                r.p_fail, r.model, r.entropy);
    out.push_back(std::move(a));
  }
  return out;
}

namespace {

// A secret named in the config: the value of env var `env`, or the contents of `file`.
Result<std::string> ReadSecret(std::string_view what, const std::string& env,
                               const std::string& file) {
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr || *v == '\0') {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(what) + " names $" + env + ", which is unset or empty");
    }
    return std::string(v);
  }
  if (!file.empty()) {
    std::ifstream in(file);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(what) + ": " + file + " is missing, unreadable or empty");
    }
    return token;
  }
  return std::string();
}

Result<std::unique_ptr<actuate::Actuator>> MakeWebhook(const WebhookActuatorConfig& w) {
  auto token = ReadSecret("actuators.webhook.auth_token_env", w.auth_token_env, "");
  if (!token) return tl::unexpected(token.error());
  actuate::WebhookConfig c;
  c.url = w.url;
  c.bearer_token = *token;
  c.timeout_ms = w.timeout_ms;
  c.ca_file = w.ca_file;
  c.insecure_skip_verify = w.insecure_skip_verify;
  auto a = actuate::WebhookActuator::Create(c);
  if (!a) return tl::unexpected(a.error());
  return std::unique_ptr<actuate::Actuator>(std::move(*a));
}

}  // namespace

Result<Actuators> MakeActuators(const Config& config) {
  Actuators out;
  const ControlConfig& c = config.control;
  if (c.backend == "dry-run") {
    out.primary = std::make_unique<actuate::DryRunActuator>(
        [](std::string_view line) { spdlog::info("{}", line); });
    return out;
  }
  if (c.backend == "webhook" || (c.backend == "kubernetes" && !c.webhook.url.empty())) {
    if (c.webhook.url.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "actuators.backend webhook needs actuators.webhook.url");
    }
    auto w = MakeWebhook(c.webhook);
    if (!w) return tl::unexpected(w.error());
    (c.backend == "webhook" ? out.primary : out.fallback) = std::move(*w);
  }
  if (c.backend == "kubernetes") {
    actuate::KubernetesConfig k;
    if (c.kubernetes.api_url.empty()) {
      auto in_cluster = actuate::InClusterConfig();
      if (!in_cluster) return tl::unexpected(in_cluster.error());
      k = *in_cluster;
    } else {
      k.api_url = c.kubernetes.api_url;
    }
    auto token =
        ReadSecret("actuators.kubernetes", c.kubernetes.token_env, c.kubernetes.token_file);
    if (!token) return tl::unexpected(token.error());
    if (!token->empty()) k.bearer_token = *token;
    if (!c.kubernetes.ca_file.empty()) k.ca_file = c.kubernetes.ca_file;
    k.insecure_skip_verify = c.kubernetes.insecure_skip_verify;
    if (c.kubernetes.default_namespace != "default" || k.default_namespace.empty()) {
      k.default_namespace = c.kubernetes.default_namespace;
    }
    k.timeout_ms = c.kubernetes.timeout_ms;
    auto a = actuate::KubernetesActuator::Create(k, out.fallback.get());
    if (!a) return tl::unexpected(a.error());
    out.primary = std::move(*a);
  }
  if (!out.primary) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "actuators.backend '" + c.backend + "' is not available (dry-run, webhook, kubernetes)");
  }
  return out;
}

Result<std::unique_ptr<Daemon>> Daemon::Start(const Config& config) {
  auto api_options = ToApiOptions(config);
  if (!api_options) return tl::unexpected(api_options.error());
  std::unique_ptr<Daemon> d(new Daemon());
  auto engine = engine::Engine::Open(ToEngineOptions(config), d->clock_, d->metrics_,
                                     [](const std::string& msg) { spdlog::warn("{}", msg); });
  if (!engine) return tl::unexpected(engine.error());
  d->engine_ = std::move(*engine);
  auto actuators = MakeActuators(config);
  if (!actuators) return tl::unexpected(actuators.error());
  d->actuators_ = std::move(*actuators);
  store::AuditLogOptions audit_options;
  audit_options.fsync =
      config.control.audit_fsync ? store::AuditFsync::kEveryAppend : store::AuditFsync::kNone;
  audit_options.log = [](const std::string& msg) { spdlog::warn("audit log: {}", msg); };
  audit_options.metrics = &d->metrics_;
  auto audit = store::AuditLog::Open(
      (std::filesystem::path(config.store.data_dir) / "audit").string(), audit_options);
  if (!audit) return tl::unexpected(audit.error());
  d->audit_ = std::move(*audit);
  auto controller_options = ToControllerOptions(config);
  if (!controller_options) return tl::unexpected(controller_options.error());
  auto state =
      store::BlobStore::Open((std::filesystem::path(config.store.data_dir) / "state").string());
  if (!state) return tl::unexpected(state.error());
  d->state_ = std::move(*state);
  controller_options->state_store = d->state_.get();
  d->controller_ = std::make_unique<engine::Controller>(*d->engine_, std::move(*controller_options),
                                                        *d->actuators_.primary, d->audit_.get());
  d->server_ = std::make_unique<api::ApiServer>(*d->engine_, d->metrics_, *api_options,
                                                d->controller_.get());
  if (!config.notify.alertmanager_url.empty()) {
    notify::AlertmanagerConfig nc;
    nc.url = config.notify.alertmanager_url;
    nc.resend_interval_ms = config.notify.resend_interval_ms;
    nc.static_labels["source"] = "prognos";
    if (!config.notify.auth_token_env.empty()) {
      const char* token = std::getenv(config.notify.auth_token_env.c_str());
      if (token == nullptr || *token == '\0') {
        return MakeError(ErrorCode::kInvalidArgument, "notify.alertmanager.auth_token_env names $" +
                                                          config.notify.auth_token_env +
                                                          ", which is unset or empty");
      }
      nc.headers.push_back(std::string("Authorization: Bearer ") + token);
    }
    auto notifier = notify::AlertmanagerNotifier::Create(nc, d->clock_, &d->metrics_);
    if (!notifier) return tl::unexpected(notifier.error());
    d->notifier_ = std::move(*notifier);
  }
  auto port = d->server_->Start();
  if (!port) return tl::unexpected(port.error());
  const DurationMs tick = std::max<DurationMs>(config.control.tick_ms, kSecondMs);
  Daemon* self = d.get();
  const NotifyConfig notify_config = config.notify;
  // Failure-model retraining, when on (models.retrain): refreshed after every tick.
  struct RetrainGauges {
    Gauge* version = nullptr;
    Gauge* settled = nullptr;
    Gauge* positive = nullptr;
    Gauge* pending = nullptr;
    Gauge* attempts = nullptr;
    Gauge* replaced = nullptr;
  } rg;
  if (d->controller_->retrain_status().enabled) {
    rg.version = &d->metrics_
                      .AddGauge("prognos_failure_model_version",
                                "Version of the serving failure model (0 = the configured file).")
                      .With({});
    auto& rows = d->metrics_.AddGauge(
        "prognos_failure_model_training_rows",
        "Rows of the labelled history the failure model is retrained on, by state.", {"state"});
    rg.settled = &rows.With({"settled"});
    rg.positive = &rows.With({"positive"});
    rg.pending = &rows.With({"pending"});
    rg.attempts = &d->metrics_
                       .AddGauge("prognos_failure_model_retrain_attempts",
                                 "Retrain attempts since start.")
                       .With({});
    rg.replaced = &d->metrics_
                       .AddGauge("prognos_failure_model_retrain_replaced",
                                 "Retrains since start whose candidate replaced the serving model.")
                       .With({});
  }
  d->ticker_ = std::thread([self, tick, notify_config, rg] {
    std::unique_lock<std::mutex> lock(self->ticker_mu_);
    while (!self->ticker_cv_.wait_for(lock, std::chrono::milliseconds(tick),
                                      [self] { return self->stopping_; })) {
      lock.unlock();
      const TimestampMs now = self->clock_.NowMs();
      auto report = self->controller_->Tick(now);
      for (const auto& alert : report.plan.alerts) spdlog::warn("planner: {}", alert);
      if (rg.version != nullptr) {
        const engine::RetrainStatus st = self->controller_->retrain_status();
        rg.version->Set(st.version);
        rg.settled->Set(static_cast<double>(st.settled_rows));
        rg.positive->Set(static_cast<double>(st.settled_positives));
        rg.pending->Set(static_cast<double>(st.pending_rows));
        rg.attempts->Set(static_cast<double>(st.attempts));
        rg.replaced->Set(static_cast<double>(st.replaced));
      }
      if (self->notifier_) {
        auto sent = self->notifier_->Update(
            AlertsFromRisks(self->controller_->risks(), notify_config), now);
        for (const auto& bad : sent.invalid) spdlog::warn("alert not sent: {}", bad.message);
      }
      lock.lock();
    }
  });
  return d;
}

Daemon::~Daemon() { Stop(); }

void Daemon::Stop() {
  {
    std::lock_guard<std::mutex> lock(ticker_mu_);
    stopping_ = true;
  }
  ticker_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (notifier_) {
    if (!notifier_->Flush(5 * kSecondMs))
      spdlog::warn("alerts still queued at shutdown were dropped");
    notifier_.reset();
  }
  if (server_) server_->Stop();
  if (engine_) {
    if (auto r = engine_->storage().Sync(); !r)
      spdlog::error("final sync failed: {}", r.error().message);
  }
}

int RunServe(const Config& config) {
  // Block the stop signals in every thread (the server threads inherit the mask), then wait for
  // one.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto daemon = Daemon::Start(config);
  if (!daemon) {
    spdlog::error("cannot start: {}", daemon.error().message);
    return 3;
  }
  auto stats = (*daemon)->engine().storage().Stats();
  auto hp = ParseListen(config.api.listen);
  const std::string base = "http://" + hp->first + ":" + std::to_string((*daemon)->port());
  spdlog::info(
      "prognos serving on {} (data dir {}, {} series, {} samples recovered, {} WAL repairs)", base,
      config.store.data_dir, stats.series, stats.samples, stats.wal_repairs);
  spdlog::info("ingest: POST {}/v1/health   read: {}/v1/series   metrics: {}/metrics", base, base,
               base);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("received signal {}, shutting down", sig);
  (*daemon)->Stop();
  return 0;
}

}  // namespace prognos::daemon
