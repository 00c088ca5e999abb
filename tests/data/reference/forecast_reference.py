#!/usr/bin/python3
"""Reference values for tests/signal/forecast_statsmodels_test.cc, from Debian's
python3-statsmodels 0.13.5.  Run: /usr/bin/python3 tests/data/reference/forecast_reference.py

Series: tests/data/google2019_week1_avg_cpu.csv (Google 2019 cluster, week 1, avg_cpu per
5 minutes, 2016 points; CC-BY-4.0, see tests/data/ATTRIBUTION.md).
1. Holt-Winters, damped additive trend + additive season m = 288, statsmodels' default fit
   (smoothing parameters and the 290 initial states estimated jointly by SSE). Its parameters,
   initial states, SSE and forecasts are written to hw_google2019_week1_statsmodels.csv (one
   number a line: alpha, beta, gamma, phi, l0, b0, s0[0..287], sse, forecast h=1..288), which the
   test reads.
2. ARIMA(1,0,1) and ARIMA(1,0,2) with a constant on the seasonal difference
   x_t = y_t - y_{t-288} (1728 points), and ARIMA(1,1,1) on y, by exact Gaussian MLE (state
   space), with their 12-step forecasts.
"""
import os
import warnings

import numpy as np
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.holtwinters import ExponentialSmoothing

here = os.path.dirname(os.path.abspath(__file__))
y = np.loadtxt(os.path.join(here, "..", "google2019_week1_avg_cpu.csv"), skiprows=1)
m = 288
warnings.simplefilter("ignore")
hw = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=m).fit()
p = hw.params
values = [p["smoothing_level"], p["smoothing_trend"], p["smoothing_seasonal"], p["damping_trend"],
          p["initial_level"], p["initial_trend"], *p["initial_seasons"], hw.sse, *hw.forecast(288)]
with open(os.path.join(here, "hw_google2019_week1_statsmodels.csv"), "w") as f:
    f.write("statsmodels_hw\n")
    f.writelines("%.17g\n" % v for v in values)
print("HW alpha=%.6f beta=%.6f gamma=%.6f phi=%.6f sse=%.8f" % (
    p["smoothing_level"], p["smoothing_trend"], p["smoothing_seasonal"], p["damping_trend"], hw.sse))

x = y[m:] - y[:-m]
for series, order, trend in ((x, (1, 0, 1), "c"), (x, (1, 0, 2), "c"), (y, (1, 1, 1), "n")):
    r = ARIMA(series, order=order, trend=trend).fit()
    print("ARIMA%s params:" % (order,), " ".join("%.6f" % v for v in r.params),
          "forecast h=1,6,12:", " ".join("%.8f" % v for v in r.forecast(12)[[0, 5, 11]]))
