#include "core/metrics.h"

#include <cmath>
#include <cstdio>

namespace prognos {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Snapshot(std::vector<std::uint64_t>* cumulative, double* sum,
                         std::uint64_t* count) const {
  cumulative->assign(bounds_.size() + 1, 0);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    (*cumulative)[i] = acc;
  }
  *sum = sum_.load(std::memory_order_relaxed);
  *count = acc;
}

template <typename T>
T& Family<T>::With(const LabelValues& values) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<T> child;
  if constexpr (std::is_same_v<T, Histogram>) {
    child = std::make_unique<T>(bounds_);
  } else {
    child = std::make_unique<T>();
  }
  T& ref = *child;
  children_.emplace(values, std::move(child));
  return ref;
}

template <typename T>
std::vector<std::pair<LabelValues, const T*>> Family<T>::Children() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<LabelValues, const T*>> out;
  out.reserve(children_.size());
  for (const auto& [k, v] : children_) out.emplace_back(k, v.get());
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                             std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.push_back(std::make_unique<Family<Counter>>(name, help, std::move(label_names)));
  order_.emplace_back(MetricType::kCounter, counters_.size() - 1);
  return *counters_.back();
}

Family<Gauge>& MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  gauges_.push_back(std::make_unique<Family<Gauge>>(name, help, std::move(label_names)));
  order_.emplace_back(MetricType::kGauge, gauges_.size() - 1);
  return *gauges_.back();
}

Family<Histogram>& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                                 std::vector<double> bounds,
                                                 std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  histograms_.push_back(
      std::make_unique<Family<Histogram>>(name, help, std::move(label_names), std::move(bounds)));
  order_.emplace_back(MetricType::kHistogram, histograms_.size() - 1);
  return *histograms_.back();
}

namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string LabelBlock(const std::vector<std::string>& names, const LabelValues& values,
                       const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += out.empty() ? "" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "" : ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  return out.empty() ? "" : "{" + out + "}";
}

std::string EscapeHelp(const std::string& h) {
  std::string out;
  for (char c : h) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

}  // namespace

std::string MetricsRegistry::RenderText() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (auto [type, idx] : order_) {
    if (type == MetricType::kCounter) {
      const auto& f = *counters_[idx];
      out += "# HELP " + f.name() + " " + EscapeHelp(f.help()) + "\n# TYPE " + f.name() + " counter\n";
      for (const auto& [lv, c] : f.Children()) {
        out += f.name() + LabelBlock(f.label_names(), lv) + " " + FormatValue(c->Value()) + "\n";
      }
    } else if (type == MetricType::kGauge) {
      const auto& f = *gauges_[idx];
      out += "# HELP " + f.name() + " " + EscapeHelp(f.help()) + "\n# TYPE " + f.name() + " gauge\n";
      for (const auto& [lv, g] : f.Children()) {
        out += f.name() + LabelBlock(f.label_names(), lv) + " " + FormatValue(g->Value()) + "\n";
      }
    } else {
      const auto& f = *histograms_[idx];
      out += "# HELP " + f.name() + " " + EscapeHelp(f.help()) + "\n# TYPE " + f.name() +
             " histogram\n";
      for (const auto& [lv, h] : f.Children()) {
        std::vector<std::uint64_t> cum;
        double sum = 0;
        std::uint64_t count = 0;
        h->Snapshot(&cum, &sum, &count);
        for (std::size_t i = 0; i < h->bounds().size(); ++i) {
          out += f.name() + "_bucket" +
                 LabelBlock(f.label_names(), lv, "le", FormatValue(h->bounds()[i])) + " " +
                 std::to_string(cum[i]) + "\n";
        }
        out += f.name() + "_bucket" + LabelBlock(f.label_names(), lv, "le", "+Inf") + " " +
               std::to_string(cum.back()) + "\n";
        out += f.name() + "_sum" + LabelBlock(f.label_names(), lv) + " " + FormatValue(sum) + "\n";
        out += f.name() + "_count" + LabelBlock(f.label_names(), lv) + " " +
               std::to_string(count) + "\n";
      }
    }
  }
  return out;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> b;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

}  // namespace prognos
