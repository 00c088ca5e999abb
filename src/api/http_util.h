// JSON replies shared by the API's route files (httplib stays inside src/api .cc files and this
// internal header).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace prognos::api {

// A double as JSON: NaN and ±Inf as the strings "NaN", "+Inf", "-Inf" (DESIGN.md §3).
nlohmann::json ValueJson(double v);
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": {"code": …, "message": …}} with `status`.
void SendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message);

}  // namespace prognos::api
