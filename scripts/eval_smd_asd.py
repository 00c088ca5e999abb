#!/usr/bin/python3
"""SMD and ASD evaluation of `prognos score` (DESIGN.md §7, issue 11 done-when 1).

For every machine in ../shared/data/smd and ../shared/data/asd: train rows then test rows go through
`prognos score` as one causal stream (one headerless CSV, no time column); only test rows count.
For `risk`, `anomaly_score` and the PCA-reconstruction baseline (fit on each machine's train part,
components for 90 % of the variance) it reports, at ONE threshold shared by all machines:
  composite F1 = harmonic mean of point-wise precision and event-wise recall (Garg et al. 2021),
  never point-adjusted;
and, threshold-free, the point-wise PR-AUC (average precision) and the root-cause hit rate (an
anomaly segment is hit when a labelled interpretation dimension is among the top 3 explanations at
the segment's highest-scoring row; prognos: the `root_cause` column; PCA: the 3 largest squared
reconstruction residuals).

The shared threshold of each detector is chosen on these machines: the value that maximises the
mean composite F1 over all machines (the sweep's candidates are quantiles of the pooled test scores).
Usage: scripts/eval_smd_asd.py [--prognos build/pred/prognos] [--data ../shared/data] [--jobs 2]
"""
import argparse
import concurrent.futures
import gzip
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(path):
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)


def load_labels(path):
    with gzip.open(path, "rt") as f:
        return np.array([int(float(x)) for x in f.read().split()], dtype=np.int8)


def load_interpretation(path):
    """[(start, end, {dims 0-based})]: 0-based test rows start..end-1 (checked against the labels:
    SMD's "246-252" is labelled rows 246..251)."""
    segs = []
    if not os.path.exists(path):
        return segs
    for line in open(path):
        line = line.strip()
        m = re.match(r"(\d+)-(\d+):(.*)", line)
        if not m:
            continue
        dims = {int(d) - 1 for d in m.group(3).split(",") if d.strip()}
        segs.append((int(m.group(1)), int(m.group(2)), dims))
    return segs


def events(labels):
    """Contiguous runs of 1 as (start, end) inclusive."""
    out = []
    i, n = 0, len(labels)
    while i < n:
        if labels[i]:
            j = i
            while j + 1 < n and labels[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def composite_f1(pred, labels, evts):
    tp = int(np.sum(pred & (labels == 1)))
    fp = int(np.sum(pred & (labels == 0)))
    prec = tp / (tp + fp) if tp + fp > 0 else 0.0
    found = sum(1 for s, e in evts if pred[s:e + 1].any())
    rec_e = found / len(evts) if evts else 0.0
    f1 = 2 * prec * rec_e / (prec + rec_e) if prec + rec_e > 0 else 0.0
    return f1, prec, rec_e


def average_precision(scores, labels):
    """Point-wise PR-AUC as average precision (step-wise, ties grouped)."""
    pos = int(labels.sum())
    if pos == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    y = labels[order].astype(np.float64)
    tp = np.cumsum(y)
    fp = np.cumsum(1 - y)
    # Keep the last index of each group of equal scores.
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp, fp = tp[last], fp[last]
    prec = tp / (tp + fp)
    rec = tp / pos
    rec_prev = np.r_[0.0, rec[:-1]]
    return float(np.sum((rec - rec_prev) * prec))


def root_cause_hits(scores, ranks, segs):
    """Segments whose highest-scoring row names a labelled dimension among its top 3."""
    hits = 0
    for s, e, dims in segs:
        e = min(e, len(scores)) - 1
        if s > e:
            continue
        i = s + int(np.argmax(scores[s:e + 1]))
        if set(ranks[i][:3]) & dims:
            hits += 1
    return hits, len(segs)


def pca_scores(train, test):
    """Squared reconstruction error of test rows, PCA fit on train (90 % of variance)."""
    mu = train.mean(axis=0)
    x = train - mu
    _, sv, vt = np.linalg.svd(x, full_matrices=False)
    var = sv ** 2
    k = int(np.searchsorted(np.cumsum(var) / var.sum(), 0.90) + 1) if var.sum() > 0 else 0
    comp = vt[:k]
    xt = test - mu
    resid = xt - (xt @ comp.T) @ comp
    r2 = resid ** 2
    ranks = np.argsort(-r2, axis=1)[:, :3]
    return r2.sum(axis=1), [list(r) for r in ranks], k


def run_machine(args, dataset, machine, tmp):
    base = os.path.join(args.data, dataset)
    train = load(os.path.join(base, "train", machine + ".txt.gz"))
    test = load(os.path.join(base, "test", machine + ".txt.gz"))
    labels = load_labels(os.path.join(base, "test_label", machine + ".txt.gz"))
    segs = load_interpretation(os.path.join(base, "interpretation_label", machine + ".txt"))
    inp = os.path.join(tmp, f"{dataset}_{machine}.csv")
    out = os.path.join(tmp, f"{dataset}_{machine}.out.csv")
    with gzip.open(os.path.join(base, "train", machine + ".txt.gz"), "rb") as f:
        a = f.read()
    with gzip.open(os.path.join(base, "test", machine + ".txt.gz"), "rb") as f:
        b = f.read()
    with open(inp, "wb") as f:
        f.write(a if a.endswith(b"\n") else a + b"\n")
        f.write(b)
    subprocess.run([args.prognos, "score", "--input", inp, "--output", out], check=True)
    df = pd.read_csv(out, keep_default_na=False, dtype={"root_cause": str})
    n_train = len(train)
    assert len(df) == n_train + len(test), (machine, len(df), n_train, len(test))
    tdf = df.iloc[n_train:]
    names = [f"c{i + 1}" for i in range(train.shape[1])]
    index = {n: i for i, n in enumerate(names)}
    rc = [[index[c] for c in str(v).split(";") if c in index] for v in tdf["root_cause"]]
    pca, pca_ranks, k = pca_scores(train, test)
    os.remove(inp)
    return {
        "dataset": dataset, "machine": machine, "labels": labels, "segs": segs,
        "events": events(labels), "pca_k": k, "dims": train.shape[1],
        "scores": {
            "risk": pd.to_numeric(tdf["risk"], errors="coerce").fillna(0).to_numpy(),
            "anomaly_score": pd.to_numeric(tdf["anomaly_score"], errors="coerce")
                                .fillna(0).to_numpy(),
            "pca": pca,
        },
        "ranks": {"risk": rc, "anomaly_score": rc, "pca": pca_ranks},
    }


def best_threshold(machines, det):
    pooled = np.concatenate([m["scores"][det] for m in machines])
    cands = np.unique(np.quantile(pooled, np.linspace(0.80, 0.99999, 400)))
    best = (-1.0, None)
    for th in cands:
        f = np.mean([composite_f1(m["scores"][det] >= th, m["labels"], m["events"])[0]
                     for m in machines])
        if f > best[0]:
            best = (f, th)
    return best[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prognos", default=os.path.join(ROOT, "build", "pred", "prognos"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--pickle", help=argparse.SUPPRESS)
    ap.add_argument("--keep", help="directory to keep the score outputs in (default: a temp dir)")
    args = ap.parse_args()
    jobs = []
    for dataset in ("smd", "asd"):
        tdir = os.path.join(args.data, dataset, "test")
        for f in sorted(os.listdir(tdir)):
            if f.endswith(".txt.gz"):
                jobs.append((dataset, f[:-len(".txt.gz")]))
    with tempfile.TemporaryDirectory(prefix="prognos-smd-") as tmp:
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            tmp = args.keep
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            machines = list(ex.map(lambda j: run_machine(args, j[0], j[1], tmp), jobs))
    if args.pickle:
        import pickle
        with open(args.pickle, "wb") as f:
            pickle.dump(machines, f)
    dets = ("risk", "anomaly_score", "pca")
    thresholds = {d: best_threshold(machines, d) for d in dets}
    print("| dataset | machine | detector | composite F1 | point precision | event recall | "
          "PR-AUC | root cause hits |")
    print("|---|---|---|---|---|---|---|---|")
    summary = {d: {"f1": [], "ap": [], "hit": 0, "segs": 0, "p": [], "r": []} for d in dets}
    per_set = {(ds, d): {"f1": [], "ap": [], "hit": 0, "segs": 0} for ds in ("smd", "asd")
               for d in dets}
    for m in machines:
        for d in dets:
            sc = m["scores"][d]
            f1, p, r = composite_f1(sc >= thresholds[d], m["labels"], m["events"])
            ap_ = average_precision(sc, m["labels"])
            hit, nseg = root_cause_hits(sc, m["ranks"][d], m["segs"])
            for acc in (summary[d], per_set[(m["dataset"], d)]):
                acc["f1"].append(f1)
                acc["ap"].append(ap_)
                acc["hit"] += hit
                acc["segs"] += nseg
            summary[d]["p"].append(p)
            summary[d]["r"].append(r)
            print(f"| {m['dataset']} | {m['machine']} | {d} | {f1:.3f} | {p:.3f} | {r:.3f} | "
                  f"{ap_:.3f} | {hit}/{nseg} |")
    print()
    print("| detector | shared threshold | mean composite F1 (SMD / ASD / all) | mean PR-AUC "
          "(SMD / ASD / all) | root-cause hit rate (all) |")
    print("|---|---|---|---|---|")
    for d in dets:
        s = summary[d]
        a, b = per_set[("smd", d)], per_set[("asd", d)]
        print(f"| {d} | {thresholds[d]:.6g} | {np.mean(a['f1']):.3f} / {np.mean(b['f1']):.3f} / "
              f"{np.mean(s['f1']):.3f} | {np.mean(a['ap']):.3f} / {np.mean(b['ap']):.3f} / "
              f"{np.mean(s['ap']):.3f} | {s['hit']}/{s['segs']} = "
              f"{s['hit'] / max(s['segs'], 1):.3f} |")
    # Chance level of the root-cause hit rate: three columns drawn at random hit a segment with L
    # labelled dimensions out of d with probability 1 − C(d − L, 3) / C(d, 3).
    chance = sum(1 - math.comb(m["dims"] - len(dims), 3) / math.comb(m["dims"], 3)
                 for m in machines for _, _, dims in m["segs"])
    nseg = sum(len(m["segs"]) for m in machines)
    for d in ("risk", "anomaly_score"):
        f = np.mean([composite_f1(m["scores"][d] >= 0.5, m["labels"], m["events"])[0]
                     for m in machines])
        print(f"| {d} at its documented alarm level | 0.5 | {f:.3f} (all) | | |")
    print(f"| random 3 columns (chance) | | | | {chance:.1f}/{nseg} = {chance / nseg:.3f} |")
    print()
    print("anomaly_score has no explanation of its own: its hit rate uses the root_cause column "
          "(the dependency model's) at anomaly_score's highest row of each segment.")
    print("PCA components (90 % variance): " +
          ", ".join(f"{m['machine']}={m['pca_k']}" for m in machines))


if __name__ == "__main__":
    sys.exit(main())
