#!/usr/bin/python3
"""NAB evaluation of `prognos score` (DESIGN.md §7): every file of ../shared/data/nab/data is scored by
the prognos binary with one configuration, then by ../shared/tools/nab_score.py for the three profiles
with ONE threshold for all files and profiles, next to the published detectors on the same files.

usage: scripts/eval_nab.py [--prognos BUILD/prognos] [--threshold T] [--out DIR] [--sweep] [--band]

The threshold was chosen on these files (the standard-profile optimum on the tuning half, see
docs/evaluation.md); --sweep also prints each profile's own optimal threshold, for reference only.
Files are split by sorted position into a tuning half (even) and a held-back half (odd): design
choices were made looking at the tuning half, and the held-back half shows whether they carry over.

--band also prints, per half, the mean score over five alarm levels around the default: the files are
scored again with `prognos score --alarm-z Z` for the z that put the alarm level where thresholds 0.49,
0.495, 0.505 and 0.51 would (z = 3.228 t / (1 − t)), and read at 0.5, so the detector's own holds move
with the level. The score at one level is a knife edge (many rows score just above 0.5; on the tuning
half a threshold of 0.505 instead of 0.5 once moved the standard score from 74.5 to 67.0), so a design
change should also hold up in the band before it is kept (docs/evaluation.md).
"""
import argparse
import concurrent.futures
import csv
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
NAB = os.path.join(SHARED, "data", "nab")
SCORER = os.path.join(SHARED, "tools", "nab_score.py")
PROFILES = {"standard": (1.0, 0.11, 1.0), "reward_low_FP_rate": (1.0, 0.22, 1.0),
            "reward_low_FN_rate": (1.0, 0.11, 2.0)}
PUBLISHED = ["ARTime", "contextOSE", "numenta", "htmjava", "knncad", "relativeEntropy", "windowedGaussian"]
DEFAULT_THRESHOLD = 0.5
BAND_Z_HALF = 3.228  # AnomalyConfig::z_half, the default alarm z


def run_scorer(scores_dir, threshold, files=None):
    cmd = ["/usr/bin/python3", SCORER, "--labels", os.path.join(NAB, "labels", "combined_windows.json"),
           "--data", os.path.join(NAB, "data"), "--scores", scores_dir]
    if threshold is not None:
        cmd += ["--threshold", str(threshold)]
    if files is not None:
        cmd += ["--files", files]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"(\w+): score=(-?[\d.]+) threshold=(-?[\d.]+)", line)
        if m:
            res[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return res


def published(names):
    """Normalised score of each published detector on exactly `names`, from its per-file rows."""
    windows = json.load(open(os.path.join(NAB, "labels", "combined_windows.json")))
    nwin = sum(len(windows[n]) for n in names)
    table = {}
    for det in PUBLISHED:
        row = {}
        for prof, (tp, _, fn) in PROFILES.items():
            path = os.path.join(NAB, "results", "scores", f"{det}_{prof}_scores.csv")
            raw = sum(float(r["Score"]) for r in csv.DictReader(open(path)) if r["File"] in names)
            null, perfect = -fn * nwin, tp * nwin
            row[prof] = 100.0 * (raw - null) / (perfect - null)
        table[det] = row
    return table


def score_all(prognos, names, out, extra):
    jobs = []
    for name in names:
        dst = os.path.join(out, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        jobs.append([prognos, "score", "--input", os.path.join(NAB, "data", name), "--output", dst]
                    + extra)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for job, rc in zip(jobs, pool.map(lambda j: subprocess.run(j).returncode, jobs)):
            if rc != 0:
                sys.exit(f"failed ({rc}): {' '.join(job)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prognos", default=os.path.join(REPO, "build", "prognos"))
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--out", default="/tmp/prognos-nab")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--band", action="store_true")
    a = ap.parse_args()

    windows = json.load(open(os.path.join(NAB, "labels", "combined_windows.json")))
    names = sorted(windows)
    score_all(a.prognos, names, a.out, [])

    halves = {"tuning": names[0::2], "held-back": names[1::2]}
    lists = {}
    for half, files in halves.items():
        path = os.path.join(a.out, f"{half}.txt")
        with open(path, "w") as f:
            f.write("\n".join(files) + "\n")
        lists[half] = path

    ours = {"all 42": run_scorer(a.out, a.threshold)}
    for half, path in lists.items():
        ours[half] = run_scorer(a.out, a.threshold, path)
    pub = {"all 42": published(names)}
    for half, files in halves.items():
        pub[half] = published(files)

    print(f"prognos score, one configuration, threshold {a.threshold} for every file and profile")
    print(f"| files | detector | standard | reward_low_FP_rate | reward_low_FN_rate |")
    print(f"|---|---|---|---|---|")
    for subset in ("all 42", "tuning", "held-back"):
        r = ours[subset]
        print(f"| {subset} | **prognos** | " + " | ".join(f"**{r[p][0]:.1f}**" for p in PROFILES) + " |")
        for det in PUBLISHED[:3] if subset != "all 42" else PUBLISHED:
            print(f"| {subset} | {det} | " + " | ".join(f"{pub[subset][det][p]:.1f}" for p in PROFILES) + " |")
    if a.band:
        band = (0.49, 0.495, 0.5, 0.505, 0.51)
        runs = {subset: [] for subset in ("all 42", "tuning", "held-back")}
        for t in band:
            z = BAND_Z_HALF * t / (1.0 - t)
            out = os.path.join(a.out, f"band-{t}")
            score_all(a.prognos, names, out, ["--alarm-z", f"{z:.6f}"])
            for subset in runs:
                runs[subset].append(run_scorer(out, 0.5, None if subset == "all 42" else lists[subset]))
        for subset, rs in runs.items():
            print(f"mean over alarm levels {band[0]}-{band[-1]}, {subset}: " +
                  ", ".join(f"{p} {sum(r[p][0] for r in rs) / len(rs):.1f}" for p in PROFILES))
    if a.sweep:
        best = run_scorer(a.out, None)
        print("per-profile optimal thresholds (reference only): " +
              ", ".join(f"{p} {best[p][0]:.1f} at {best[p][1]:.4f}" for p in PROFILES))


if __name__ == "__main__":
    main()
