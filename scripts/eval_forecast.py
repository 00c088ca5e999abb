#!/usr/bin/python3
"""Forecast accuracy protocol of DESIGN.md §7, prognos next to its baselines in the same run.

Series (5-minute steps, season m = 288):
  * every Bitbrains VM in bitbrains_rnd/2013-7 with >= 17 days of data, `CPU usage [MHZ]`,
    put on a 300 s grid (samples averaged per slot; empty slots are gaps);
  * all 16 Alibaba 2018 machines, cpu_util_percent, resampled to 5-minute means;
  * every 5-minute datacenter aggregate series (all value columns): Alibaba 2018 days 1-6
    (`*_grouped_300_seconds.csv`, concatenated), Google 2019 weeks 1-3 (`*week*` files,
    concatenated), Azure 2019 weeks 1-3 (`*_aggregated_cpu_mem.csv`, concatenated).
Splits: origins at the last three days of each series (end - k*288, k = 1, 2, 3), training on up
to 14 days (4032 steps) before the origin (at least 2 days, else the split is skipped and
counted), horizons 12 (1 h) and 288 (1 day).
Methods: `prognos forecast --season auto --level 80` (and 95) on a CSV of the training part;
statsmodels ExponentialSmoothing(trend="add", damped_trend=True, seasonal="add",
seasonal_periods=288).fit(); seasonal naive; naive.
Metrics: MASE = mean |error| over steps 1..h / the training part's in-sample seasonal-naive MAE
(m = 288), averaged over splits; 80 % and 95 % interval coverage; CPU time (prognos: CPU of the
child process, statsmodels: process time of the fit).

LSTM (DESIGN.md §5, one global model): with --lstm-train the script first trains one LSTM on
every evaluated series cut at its first origin (end - 3*288: every training target lies before
every evaluated step, so nothing of the test days leaks), with `prognos lstm train --seed 1`, and
then runs prognos twice per split: with `--lstm-model` (the LSTM joins the backtest and serves
only where it wins; the "prognos" column) and without it (the "no LSTM" column), and reports how
often the backtest chose the LSTM alone or inside a combination. --lstm-model FILE reuses a model.

Run: /usr/bin/python3 scripts/eval_forecast.py [--quick] [--prognos build/fc/prognos] [--jobs 2]
     [--lstm-train | --lstm-model FILE]
"""
import argparse
import csv
import glob
import gzip
import io
import math
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

M = 288
HORIZONS = (12, 288)
MAX_TRAIN = 14 * M
MIN_TRAIN = 2 * M
STEP_S = 300


def grid(times_s, values, step=STEP_S):
    """Averages samples into a regular grid of `step` seconds; empty slots are NaN."""
    times_s = np.asarray(times_s, dtype=float)
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(times_s) & np.isfinite(values)
    times_s, values = times_s[ok], values[ok]
    if len(times_s) == 0:
        return np.array([])
    t0 = times_s.min()
    slot = np.floor((times_s - t0) / step + 0.5).astype(int)
    n = slot.max() + 1
    s = np.bincount(slot, weights=values, minlength=n)
    c = np.bincount(slot, minlength=n)
    out = np.full(n, np.nan)
    out[c > 0] = s[c > 0] / c[c > 0]
    return out


def load_bitbrains(root):
    series = []
    for path in sorted(glob.glob(os.path.join(root, "bitbrains_rnd/2013-7/*.csv.gz")),
                       key=lambda p: int(os.path.basename(p).split(".")[0])):
        with gzip.open(path, "rt") as f:
            rows = [line.split(";") for line in f.read().splitlines()[1:] if line.strip()]
        t = [float(r[0]) for r in rows]
        v = [float(r[3]) for r in rows]
        y = grid(t, v)
        if len(y) * STEP_S >= 17 * 86400:
            series.append(("bitbrains/" + os.path.basename(path).split(".")[0], y))
    return series


def load_alibaba_machines(root):
    path = os.path.join(root, "alibaba2018_machine_usage/machine_usage_16machines_days1-6.csv.gz")
    by_machine = {}
    with gzip.open(path, "rt") as f:
        for r in csv.reader(f):
            if len(r) < 3 or r[2] == "":
                continue
            by_machine.setdefault(r[0], ([], []))
            by_machine[r[0]][0].append(float(r[1]))
            by_machine[r[0]][1].append(float(r[2]))
    return [("alibaba_machine/" + k, grid(t, v)) for k, (t, v) in sorted(by_machine.items())]


def read_columns(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header = rows[0]
    cols = {h: [] for h in header}
    for r in rows[1:]:
        for h, cell in zip(header, r):
            cols[h].append(float(cell) if cell.strip() else np.nan)
    return cols


def load_aggregates(root):
    base = os.path.join(root, "datacenter_aggregates")
    groups = {
        "alibaba2018": [os.path.join(base, f"alibaba2018/day_{d}/machine_usage_day_{d}_grouped_300_seconds.csv")
                        for d in range(1, 7)],
        "google2019": [os.path.join(base, "google2019/week1/instance_usage_grouped_300_seconds_week1.csv"),
                       os.path.join(base, "google2019/week2/instance_usage_grouped_300_seconds_week_2.csv"),
                       os.path.join(base, "google2019/week3/instance_usage_grouped_300_seconds_week_3.csv")],
        "azure2019": [os.path.join(base, f"azure_v2/week{w}/vm_cpu_readings_week{w}_aggregated_cpu_mem.csv")
                      for w in range(1, 4)],
    }
    series = []
    for name, files in groups.items():
        cols = {}
        for path in files:
            for h, v in read_columns(path).items():
                if h == "timestamp":
                    continue
                cols.setdefault(h, []).extend(v)
        for h, v in cols.items():
            series.append((f"aggregate/{name}/{h}", np.asarray(v, dtype=float)))
    return series


def interpolate(y):
    y = np.asarray(y, dtype=float).copy()
    ok = np.isfinite(y)
    if ok.sum() == 0:
        return y
    idx = np.arange(len(y))
    y[~ok] = np.interp(idx[~ok], idx[ok], y[ok])
    return y


def splits_of(name, y):
    out, skipped = [], 0
    n = len(y)
    for k in (3, 2, 1):
        origin = n - k * M
        start = max(0, origin - MAX_TRAIN)
        train = y[start:origin]
        if origin <= 0 or np.isfinite(train).sum() < MIN_TRAIN or len(train) < MIN_TRAIN:
            skipped += 1
            continue
        out.append((name, k, train, y[origin:origin + M]))
    return out, skipped


def mase_scale(train):
    t = interpolate(train)
    d = np.abs(t[M:] - t[:-M])
    d = d[np.isfinite(d)]
    return float(d.mean()) if len(d) else float("nan")


def errors(actual, mean, h):
    a, f = actual[:h], np.asarray(mean[:h])
    ok = np.isfinite(a)
    return np.abs(a[ok] - f[ok]).mean() if ok.any() else float("nan")


def coverage_counts(actual, lower, upper, h):
    a = actual[:h]
    ok = np.isfinite(a)
    inside = (a[ok] >= np.asarray(lower[:h])[ok]) & (a[ok] <= np.asarray(upper[:h])[ok])
    return int(inside.sum()), int(ok.sum())


def write_series_csv(path, values):
    with open(path, "w") as f:
        f.write("timestamp,value\n")
        t0 = 1_600_000_000 - (1_600_000_000 % 86400)
        for i, v in enumerate(values):
            f.write(f"{t0 + i * STEP_S},{'' if not np.isfinite(v) else repr(float(v))}\n")


def run_prognos(binary, train, horizon, level, workdir, lstm_model=None):
    inp = os.path.join(workdir, "train.csv")
    out = os.path.join(workdir, "out.csv")
    write_series_csv(inp, train)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [binary, "forecast", "--input", inp, "--horizon", str(horizon),
           "--season", "auto", "--level", str(level), "--output", out]
    if lstm_model:
        cmd += ["--lstm-model", lstm_model]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"prognos forecast failed: {proc.stderr.strip()}")
    data = np.loadtxt(out, delimiter=",", skiprows=1, ndmin=2)
    model = proc.stderr.split("model ")[-1].split(", backtest")[0] if "model " in proc.stderr else "?"
    return data[:, 1], data[:, 2], data[:, 3], cpu, model


def run_statsmodels(train):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    t = interpolate(train)
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = ExponentialSmoothing(t, trend="add", damped_trend=True, seasonal="add",
                                       seasonal_periods=M).fit()
            fc = fit.forecast(M)
        except Exception:  # noqa: BLE001 - reported as a failed fit, seasonal naive stands in
            fc = None
    cpu = time.process_time() - start
    return fc, cpu


def evaluate_split(args):
    name, k, train, test, binary, cached_hw, lstm_model = args
    res = {"name": name, "k": k, "scale": mase_scale(train)}
    t = interpolate(train)
    naive = np.full(M, t[-1])
    snaive = np.array([t[len(t) - M + (h % M)] for h in range(M)])
    hw, hw_cpu = cached_hw if cached_hw is not None else run_statsmodels(train)
    res["hw_forecast"] = (hw, hw_cpu)
    res["hw_failed"] = hw is None
    if hw is None:
        hw = snaive
    res["hw_cpu"] = hw_cpu
    with tempfile.TemporaryDirectory() as wd:
        for h in HORIZONS:
            res[f"naive_{h}"] = errors(test, naive, h)
            res[f"snaive_{h}"] = errors(test, snaive, h)
            res[f"hw_{h}"] = errors(test, hw, h)
            for level in (80, 95):
                mean, lo, up, cpu, model = run_prognos(binary, train, h, level, wd, lstm_model)
                res[f"cpu_{h}_{level}"] = cpu
                if level == 80:
                    res[f"ours_{h}"] = errors(test, mean, h)
                    res[f"model_{h}"] = model
                res[f"cov_{h}_{level}"] = coverage_counts(test, lo, up, h)
            if lstm_model:
                mean, _, _, cpu, _ = run_prognos(binary, train, h, 80, wd)
                res[f"nolstm_{h}"] = errors(test, mean, h)
                res[f"nolstm_cpu_{h}"] = cpu
    return res


def summarize(results, title):
    lines = []
    ok = [r for r in results if np.isfinite(r["scale"]) and r["scale"] > 0]
    lines.append(f"### {title}: {len(ok)} splits")
    lines.append("")
    lines.append("| horizon | prognos | naive | seasonal naive | statsmodels HW | best baseline | ratio | "
                 "80 % cov | 95 % cov |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for h in HORIZONS:
        def mase(key):
            v = [r[f"{key}_{h}"] / r["scale"] for r in ok if np.isfinite(r[f"{key}_{h}"])]
            return float(np.mean(v)) if v else float("nan")
        ours, nv, sn, hw = mase("ours"), mase("naive"), mase("snaive"), mase("hw")
        best_name, best = min((("naive", nv), ("snaive", sn), ("hw", hw)), key=lambda x: x[1])
        cov = {}
        for level in (80, 95):
            a = sum(r[f"cov_{h}_{level}"][0] for r in ok)
            b = sum(r[f"cov_{h}_{level}"][1] for r in ok)
            cov[level] = 100.0 * a / b if b else float("nan")
        lines.append(f"| {h} ({'1 h' if h == 12 else '1 day'}) | {ours:.3f} | {nv:.3f} | {sn:.3f} | "
                     f"{hw:.3f} | {best_name} {best:.3f} | **{ours / best:.3f}** | {cov[80]:.1f} | "
                     f"{cov[95]:.1f} |")
        summary[h] = ours / best
        if ok and f"nolstm_{h}" in ok[0]:
            nl = mase("nolstm")
            alone = sum(1 for r in ok if r[f"model_{h}"] == "lstm")
            inside = sum(1 for r in ok if "lstm" in r[f"model_{h}"])
            lines.append(f"|   | without LSTM {nl:.3f} | ratio {nl / best:.3f} | LSTM served "
                         f"{inside}/{len(ok)} splits ({alone} alone, {inside - alone} in a combination) "
                         f"| | | | | |")
    hw_cpu = sum(r["hw_cpu"] for r in ok)
    our_cpu = sum(r["cpu_12_80"] + r["cpu_288_80"] for r in ok)
    lines.append("")
    lines.append(f"CPU per split: prognos {1000 * our_cpu / max(len(ok), 1):.1f} ms (both horizon "
                 f"runs, whole process incl. CSV parsing), statsmodels HW {1000 * hw_cpu / max(len(ok), 1):.0f} ms "
                 f"(one fit); ratio **{hw_cpu / max(our_cpu, 1e-9):.0f}x**. "
                 f"HW fits failed: {sum(r['hw_failed'] for r in ok)}.")
    if ok and "nolstm_cpu_12" in ok[0]:
        nl_cpu = sum(r["nolstm_cpu_12"] + r["nolstm_cpu_288"] for r in ok)
        lines.append(f"Without the LSTM: prognos {1000 * nl_cpu / len(ok):.1f} ms per split.")
    lines.append("")
    return lines, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    ap.add_argument("--prognos", default=os.path.join(os.path.dirname(__file__), "../build/fc/prognos"))
    ap.add_argument("--quick", action="store_true", help="10 Bitbrains VMs, 4 machines, 4 aggregates")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--show-models", action="store_true", help="print each split's model and MASE")
    ap.add_argument("--lstm-train", action="store_true",
                    help="train one LSTM on the evaluated series cut at their first origin, then "
                    "evaluate with and without it")
    ap.add_argument("--lstm-model", help="use this LSTM model (prognos lstm train) with and without")
    ap.add_argument("--lstm-epochs", type=int, default=6)
    ap.add_argument("--hw-cache", help="pickle file reusing statsmodels forecasts across runs "
                    "(development only: the CPU figures then repeat the cached run's)")
    args = ap.parse_args()
    data = os.path.abspath(args.data)
    binary = os.path.abspath(args.prognos)

    groups = [("Bitbrains VMs (CPU usage MHz, >= 17 days)", load_bitbrains(data)),
              ("Alibaba 2018 machines (cpu_util_percent, 5-min means)", load_alibaba_machines(data)),
              ("Datacenter aggregates (5-minute)", load_aggregates(data))]
    if args.quick:
        groups = [(g, s[::max(1, len(s) // n)][:n]) for (g, s), n in zip(groups, (10, 4, 4))]
    cache = {}
    if args.hw_cache and os.path.exists(args.hw_cache):
        import pickle
        with open(args.hw_cache, "rb") as f:
            cache = pickle.load(f)
    lstm_model = os.path.abspath(args.lstm_model) if args.lstm_model else None
    lstm_tmp = None
    if args.lstm_train:
        lstm_tmp = tempfile.TemporaryDirectory()
        files = []
        for _, series in groups:
            for i, (name, y) in enumerate(series):
                cut = y[:len(y) - 3 * M]  # before the first origin of every split
                if np.isfinite(cut).sum() < 2 * M:
                    continue
                path = os.path.join(lstm_tmp.name, f"s{len(files)}.csv")
                write_series_csv(path, cut)
                files.append(path)
        lstm_model = os.path.join(lstm_tmp.name, "lstm.bin")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t_start = time.time()
        proc = subprocess.run([binary, "lstm", "train", "--input", *files, "--model", lstm_model,
                               "--seed", "1", "--epochs", str(args.lstm_epochs)],
                              capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        print(f"LSTM training: {len(files)} series (each cut at its first origin), "
              f"{(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime):.1f} s CPU, "
              f"{time.time() - t_start:.1f} s wall\n{proc.stderr.strip()}\n")
    tasks, skipped = [], {}
    for gname, series in groups:
        for name, y in series:
            sp, sk = splits_of(name, y)
            skipped[gname] = skipped.get(gname, 0) + sk
            tasks.extend((s[0], s[1], s[2], s[3], binary, cache.get((s[0], s[1])), lstm_model)
                         for s in sp)
    start = time.time()
    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.map(evaluate_split, tasks, chunksize=1)
    wall = time.time() - start
    if args.hw_cache:
        import pickle
        with open(args.hw_cache, "wb") as f:
            pickle.dump({(r["name"], r["k"]): r["hw_forecast"] for r in results}, f)

    out = []
    all_summary = {}
    for gname, series in groups:
        names = {s[0] for s in series}
        rs = [r for r in results if r["name"] in names]
        lines, _ = summarize(rs, f"{gname}, {len(series)} series, {skipped[gname]} splits skipped (< 2 days of training)")
        out.extend(lines)
    lines, all_summary = summarize(results, "All series")
    out.extend(lines)
    out.append(f"Wall time {wall:.0f} s with {args.jobs} jobs.")
    print("\n".join(out))
    if args.show_models:
        for r in results:
            sc = r["scale"]
            print(f'{r["name"]} k={r["k"]} scale={sc:.4g} h12 ours={r["ours_12"]/sc:.3f} naive={r["naive_12"]/sc:.3f} '
                  f'snaive={r["snaive_12"]/sc:.3f} hw={r["hw_12"]/sc:.3f} | h288 ours={r["ours_288"]/sc:.3f} '
                  f'snaive={r["snaive_288"]/sc:.3f} hw={r["hw_288"]/sc:.3f} | {r["model_12"]} | {r["model_288"]}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
