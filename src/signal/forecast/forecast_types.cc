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

}  // namespace prognos::signal
