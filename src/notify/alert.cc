#include "notify/alert.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

namespace prognos::notify {
namespace {

constexpr std::array<std::string_view, 4> kCoreLabels = {"alertname", "host", "component", "tier"};

bool IsCoreLabel(std::string_view name) {
  for (std::string_view core : kCoreLabels) {
    if (name == core) {
      return true;
    }
  }
  return false;
}

void PutIfSet(LabelSet& set, std::string name, const std::string& value) {
  if (!value.empty()) {
    set.emplace(std::move(name), value);
  }
}

}  // namespace

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) {
      return false;
    }
  }
  return true;
}

Result<LabelSet> AlertLabels(const Alert& alert, const LabelSet& static_labels) {
  if (alert.alertname.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "alert has an empty alertname");
  }
  if (alert.host.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "alert '" + alert.alertname + "' has no host");
  }
  if (alert.tier == predict::AlertTier::kNone) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "alert '" + alert.alertname + "' on " + alert.host + " has tier none");
  }
  LabelSet labels;
  labels.emplace("alertname", alert.alertname);
  labels.emplace("host", alert.host);
  PutIfSet(labels, "component", alert.component);
  labels.emplace("tier", std::string(predict::AlertTierName(alert.tier)));
  for (const auto& [name, value] : alert.labels) {
    if (!IsValidLabelName(name)) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid label name '" + name + "'");
    }
    if (IsCoreLabel(name)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "label '" + name + "' is set by the notifier and may not be replaced");
    }
    PutIfSet(labels, name, value);
  }
  for (const auto& [name, value] : static_labels) {
    if (!IsValidLabelName(name)) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid static label name '" + name + "'");
    }
    if (!value.empty()) {
      labels.emplace(name, value);  // emplace keeps the alert's own value
    }
  }
  return labels;
}

Result<LabelSet> AlertAnnotations(const Alert& alert) {
  LabelSet out;
  PutIfSet(out, "summary", alert.summary);
  PutIfSet(out, "description", alert.description);
  if (std::isfinite(alert.p_fail)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", alert.p_fail);
    out.emplace("p_fail", buf);
  }
  PutIfSet(out, "root_cause", alert.root_cause);
  PutIfSet(out, "runbook", alert.runbook);
  for (const auto& [name, value] : alert.annotations) {
    if (!IsValidLabelName(name)) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid annotation name '" + name + "'");
    }
    if (!value.empty()) {
      out.emplace(name, value);
    }
  }
  return out;
}

std::string LabelSetKey(const LabelSet& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    key += name;
    key.push_back('\0');
    key += value;
    key.push_back('\0');
  }
  return key;
}

std::string EncodePostableAlerts(const std::vector<PostableAlert>& alerts) {
  nlohmann::json body = nlohmann::json::array();
  for (const PostableAlert& a : alerts) {
    nlohmann::json item = nlohmann::json::object();
    item["labels"] = a.labels;
    item["annotations"] = a.annotations;
    item["startsAt"] = FormatTimestamp(a.starts_at);
    item["endsAt"] = FormatTimestamp(a.ends_at);
    if (!a.generator_url.empty()) {
      item["generatorURL"] = a.generator_url;
    }
    body.push_back(std::move(item));
  }
  // error_handler_t::replace: dump() would otherwise throw on invalid UTF-8.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace prognos::notify
