// A single observation of one series.
#pragma once

#include "core/time.h"

namespace prognos {

struct Sample {
  TimestampMs t = 0;
  double v = 0;
};

}  // namespace prognos
