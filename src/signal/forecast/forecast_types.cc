#include "signal/forecast/forecast_types.h"

#include <string>

namespace prognos::signal {

std::string_view ForecastMethodName(ForecastMethod method) {
  switch (method) {
    case ForecastMethod::kAuto:
      return "auto";
    case ForecastMethod::kEts:
      return "ets";
    case ForecastMethod::kArima:
      return "arima";
    case ForecastMethod::kLstm:
      return "lstm";
    case ForecastMethod::kNaive:
      return "naive";
    case ForecastMethod::kSeasonalNaive:
      return "snaive";
  }
  return "auto";
}

Result<ForecastMethod> ParseForecastMethod(std::string_view text) {
  for (ForecastMethod m :
       {ForecastMethod::kAuto, ForecastMethod::kEts, ForecastMethod::kArima, ForecastMethod::kLstm,
        ForecastMethod::kNaive, ForecastMethod::kSeasonalNaive}) {
    if (text == ForecastMethodName(m)) return m;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown forecast method '" + std::string(text) +
                       "' (expected auto, ets, arima, lstm, naive or snaive)");
}

void PointModel::ForecastOrigins(std::span<const double> y, std::span<const std::size_t> origins,
                                 std::size_t steps, std::span<double> out) const {
  for (std::size_t k = 0; k < origins.size(); ++k) {
    Forecast(y.first(origins[k]), out.subspan(k * steps, steps));
  }
}

}  // namespace prognos::signal
