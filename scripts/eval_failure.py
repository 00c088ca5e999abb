#!/usr/bin/env python3
"""Failure prediction on Backblaze 2013 by DESIGN.md §7 (issue #11, done-when 2).

Protocol: train `prognos failure train` on the first 12 daily files (2013-04-10 .. 04-21), run
`prognos failure predict` over all 20 files (history first, so test rows see each drive's past),
and score only the last 8 days (04-22 .. 04-29), per drive:
  - a drive that fails in the test period (failure = 1 on a test day) is detected when some test
    row on or before its failure day has p_fail >= threshold; lead time = failure day − first
    such day (days);
  - a drive that does not fail in the test period is a false alarm when any of its test rows has
    p_fail >= threshold; the false-alarm rate is over those drives;
  - the threshold is set on the test drives for a false-alarm rate of at most 1 % (and 0.5 %):
    the highest non-failing per-drive score that must stay silent, plus one ulp. Such a threshold
    is an oracle (it looks at the test period), so a second line uses the threshold set the same
    way on the training days' predictions (drives that did not fail in the training period).
  - Brier score over test rows, label = the drive fails within the horizon of that row (10 days;
    rows whose horizon runs past 04-29 count as negatives, like in training), with a reliability
    table.
Baseline: Backblaze's rule, alarm when any of SMART 5, 187, 188, 197, 198 raw > 0 (in the 2013
files only 5 and 197 are ever filled).
Combination: the rule as a probability, P(fail within the horizon | rule state) counted on the
training rows (labels as in training), and max(model, rule) per row, thresholds set as for the
model. (The rule as a feature is `--extra "--feature-set extended --alarm-columns ..."`.)
Ceiling: how many test failures had any rule column > 0 (or any change in a rule column) on a
day up to their failure.

Usage: scripts/eval_failure.py [--prognos BUILD/prognos] [--data DIR] [--markdown]
"""
import argparse
import csv
import gzip
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

RULE_COLUMNS = ["smart_5_raw", "smart_187_raw", "smart_188_raw", "smart_197_raw", "smart_198_raw"]
TRAIN_DAYS = 12
HORIZON_DAYS = 10


def day_index(date_text, first):
    y, m, d = (int(x) for x in date_text.split("-"))
    import datetime
    return (datetime.date(y, m, d) - first).days


def read_drives(files):
    """Per drive: {day: (failure, rule_alarm)}."""
    import datetime
    first = None
    drives = {}
    for path in files:
        with gzip.open(path, "rt", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            col = {name: i for i, name in enumerate(header)}
            rule = [col[c] for c in RULE_COLUMNS if c in col]
            for row in reader:
                date = row[col["date"]]
                if first is None:
                    y, m, d = (int(x) for x in date.split("-"))
                    first = datetime.date(y, m, d)
                day = day_index(date, first)
                alarm = False
                for c in rule:
                    cell = row[c]
                    if cell and float(cell) > 0:
                        alarm = True
                drives.setdefault(row[col["serial_number"]], {})[day] = (row[col["failure"]] == "1",
                                                                        alarm)
    return drives, first


def read_predictions(path, first):
    preds = {}
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for entity, date, p in reader:
            preds.setdefault(entity, {})[day_index(date, first)] = float(p)
    return preds


def failure_day(days):
    for d, (failed, _) in days.items():
        if failed:
            return d
    return None


def threshold_for(healthy_scores, rate):
    """Smallest threshold with at most floor(rate * N) healthy drives at or above it."""
    s = sorted(healthy_scores, reverse=True)
    k = int(math.floor(rate * len(s)))
    if k >= len(s):
        return 0.0
    return math.nextafter(s[k], math.inf)


def per_drive(drives, preds, lo, hi):
    """(failed: {drive: (fail_day, {day: p})}, healthy: {drive: {day: p}}) for days [lo, hi]."""
    failed, healthy = {}, {}
    for drive, days in drives.items():
        p = {d: preds.get(drive, {}).get(d, 0.0) for d in days if lo <= d <= hi}
        if not p:
            continue
        fd = failure_day({d: v for d, v in days.items() if lo <= d <= hi})
        if fd is not None:
            failed[drive] = (fd, {d: v for d, v in p.items() if d <= fd})
        else:
            healthy[drive] = p
    return failed, healthy


def score_threshold(failed, healthy, thr):
    detected, leads = 0, []
    for fd, p in failed.values():
        alarm_days = [d for d, v in p.items() if v >= thr]
        if alarm_days:
            detected += 1
            leads.append(fd - min(alarm_days))
    false_alarms = sum(1 for p in healthy.values() if max(p.values()) >= thr)
    return detected, leads, false_alarms


def rule_probability(drives, lo, hi, horizon):
    """P(fail within horizon | rule on) and (| rule off) over rows of days [lo, hi], labels as in
    training (failures after hi unknown)."""
    counts = {True: [0, 0], False: [0, 0]}
    for days in drives.values():
        fd = failure_day({d: v for d, v in days.items() if d <= hi})
        for d, (_, alarm) in days.items():
            if lo <= d <= hi:
                y = fd is not None and d <= fd < d + horizon
                counts[alarm][0] += int(y)
                counts[alarm][1] += 1
    return {k: (v[0] + 0.5) / (v[1] + 1.0) for k, v in counts.items()}, counts


def rule_scores(drives, lo, hi):
    """The Backblaze rule as a 0/1 score per drive-day."""
    return {drive: {d: 1.0 if v[1] else 0.0 for d, v in days.items()} for drive, days in drives.items()}


def row_brier(drives, preds, lo, hi, horizon):
    rows = []
    for drive, days in drives.items():
        fd = failure_day(days)
        for d in days:
            if lo <= d <= hi:
                y = 1.0 if fd is not None and d <= fd < d + horizon else 0.0
                rows.append((preds.get(drive, {}).get(d, 0.0), y))
    brier = sum((p - y) ** 2 for p, y in rows) / len(rows)
    base = sum(y for _, y in rows) / len(rows)
    brier_const = sum((base - y) ** 2 for _, y in rows) / len(rows)
    bins = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 0.5, 1.0 + 1e-12]
    table = []
    for a, b in zip(bins, bins[1:]):
        sel = [(p, y) for p, y in rows if a <= p < b]
        if sel:
            table.append((a, min(b, 1.0), len(sel), sum(p for p, _ in sel) / len(sel),
                          sum(y for _, y in sel), sum(y for _, y in sel) / len(sel)))
    return brier, brier_const, len(rows), int(sum(y for _, y in rows)), table


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--prognos", default=str(root / "build/release/prognos"))
    ap.add_argument("--data", default=str(root.parent / "shared/data/backblaze_2013/daily"))
    ap.add_argument("--threads", default="2")
    ap.add_argument("--extra", default="", help="extra flags for failure train")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    files = sorted(str(p) for p in pathlib.Path(args.data).glob("*.csv.gz"))
    if len(files) != 20:
        sys.exit(f"expected 20 daily files in {args.data}, found {len(files)}")
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.bin")
        out = os.path.join(tmp, "p.csv")
        t0 = time.time()
        train = subprocess.run([args.prognos, "failure", "train", "--input", *files[:TRAIN_DAYS],
                                "--label", "failure", "--horizon", f"{HORIZON_DAYS}d", "--model",
                                model, "--threads", args.threads, *args.extra.split()],
                               capture_output=True, text=True)
        t_train = time.time() - t0
        if train.returncode != 0:
            sys.exit("train failed: " + train.stderr)
        t0 = time.time()
        pred = subprocess.run([args.prognos, "failure", "predict", "--model", model, "--input",
                               *files, "--output", out], capture_output=True, text=True)
        t_pred = time.time() - t0
        if pred.returncode != 0:
            sys.exit("predict failed: " + pred.stderr)
        drives, first = read_drives(files)
        preds = read_predictions(out, first)
    lo, hi = TRAIN_DAYS, len(files) - 1
    failed, healthy = per_drive(drives, preds, lo, hi)
    tr_failed, tr_healthy = per_drive(drives, preds, 0, TRAIN_DAYS - 1)
    rule = rule_scores(drives, lo, hi)
    rf, rh = per_drive(drives, rule, lo, hi)

    p_rule, rule_counts = rule_probability(drives, 0, TRAIN_DAYS - 1, HORIZON_DAYS)
    rule_p = {drive: {d: p_rule[v[1]] for d, v in days.items()} for drive, days in drives.items()}
    combined = {drive: {d: max(preds.get(drive, {}).get(d, 0.0), p) for d, p in days.items()}
                for drive, days in rule_p.items()}
    ceiling = sum(1 for drive, (fd, _) in failed.items()
                  if any(v[1] for d, v in drives[drive].items() if d <= fd))

    lines = []
    emit = lines.append
    emit(f"train: {train.stderr.strip()}")
    emit(f"predict: {pred.stderr.strip()}")
    emit(f"wall time: train {t_train:.1f} s, predict {t_pred:.1f} s")
    emit("")
    emit(f"test period: days {lo}..{hi}; {len(failed)} drives failed, {len(healthy)} did not")
    emit("")
    emit("| method | threshold set on | target FAR | threshold | detected | detection rate | "
         "false alarms | FAR | mean lead (days) |")
    emit("|---|---|---|---|---|---|---|---|---|")
    for name, scores in (("prognos failure", preds), ("max(model, rule probability)", combined)):
        s_failed, s_healthy = per_drive(drives, scores, lo, hi)
        s_tr_failed, s_tr_healthy = per_drive(drives, scores, 0, TRAIN_DAYS - 1)
        for rate in (0.01, 0.005):
            for where, hs in (("test drives (oracle)", s_healthy), ("training days", s_tr_healthy)):
                thr = threshold_for([max(p.values()) for p in hs.values()], rate)
                det, leads, fa = score_threshold(s_failed, s_healthy, thr)
                lead = f"{sum(leads) / len(leads):.2f}" if leads else "—"
                emit(f"| {name} | {where} | {rate:.1%} | {thr:.3g} | {det}/{len(s_failed)} | "
                     f"{det / len(s_failed):.1%} | {fa}/{len(s_healthy)} | "
                     f"{fa / len(s_healthy):.2%} | {lead} |")
    det, leads, fa = score_threshold(rf, rh, 0.5)
    lead = f"{sum(leads) / len(leads):.2f}" if leads else "—"
    emit(f"| Backblaze rule (SMART 5/187/188/197/198 raw > 0) | — | — | — | {det}/{len(rf)} | "
         f"{det / len(rf):.1%} | {fa}/{len(rh)} | {fa / len(rh):.2%} | {lead} |")
    thr1 = threshold_for([max(p.values()) for p in tr_healthy.values()], 0.01)
    emit("")
    emit("test failures (model alarm at the training-days 1 % threshold / rule column > 0 on a day up "
         "to the failure):")
    for drive, (fd, p) in sorted(failed.items()):
        seen = any(v[1] for d, v in drives[drive].items() if d <= fd)
        emit(f"  {drive}: fails day {fd}, max p_fail {max(p.values()):.3g}, model "
             f"{'alarm' if max(p.values()) >= thr1 else 'silent'}, rule columns "
             f"{'> 0' if seen else 'all 0'}")
    emit("")
    emit(f"rule probability from the training rows: on {p_rule[True]:.3g} "
         f"({rule_counts[True][0]} positive of {rule_counts[True][1]}), off {p_rule[False]:.3g} "
         f"({rule_counts[False][0]} of {rule_counts[False][1]})")
    emit(f"ceiling: {ceiling} of {len(failed)} test failures had a rule column > 0 on a day up to "
         f"their failure; the other {len(failed) - ceiling} show nothing in the rule columns")
    for name, scores in (("max(model, rule probability)", combined),):
        b, _, _, _, _ = row_brier(drives, scores, lo, hi, HORIZON_DAYS)
        emit(f"Brier of {name} over the test rows: {b:.6f}")
    emit("")
    brier, brier_const, n_rows, n_pos, table = row_brier(drives, preds, lo, hi, HORIZON_DAYS)
    emit(f"Brier score over {n_rows} test rows ({n_pos} positive: the drive fails within "
         f"{HORIZON_DAYS} days): {brier:.6f} (constant base rate {n_pos / n_rows:.2e}: "
         f"{brier_const:.6f})")
    emit("")
    emit("| p_fail bin | rows | mean p_fail | positive rows | observed rate |")
    emit("|---|---|---|---|---|")
    for a, b, n, mp, pos, rate in table:
        emit(f"| [{a:g}, {b:g}) | {n} | {mp:.2e} | {int(pos)} | {rate:.2e} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
