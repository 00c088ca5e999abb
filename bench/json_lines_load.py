#!/usr/bin/env python3
"""JSON-lines ingest benchmark: the load of ../shared/tools/remote_write_load.py (same series, same real Bitbrains
values, same timestamps, same request sizes and connections), sent as JSON lines instead of remote-write.

usage: json_lines_load.py URL [--format prognos|vm] [--series 2000] [--per-series 500] [--batch 2000] [--conns 2]
  prognos: POST URL (e.g. http://127.0.0.1:8470/v1/health), one health message per sample:
           {"ts": <ms>, "host": "vm-<s>", "component": "bench", "indicators": {"cpu_usage_mhz": <v>}}
           (stored as {__name__="cpu_usage_mhz", host="vm-<s>", component="bench"}, like remote-write's series
           {__name__, instance, job} with host/component added from instance/job)
  vm:      VictoriaMetrics' own JSON-lines import (POST URL = http://127.0.0.1:8428/api/v1/import), one line per
           sample: {"metric": {"__name__": "cpu_usage_mhz", "instance": "vm-<s>", "job": "bench"},
           "values": [<v>], "timestamps": [<ms>]}
Prints samples/s and errors (non-2xx replies), in remote_write_load.py's format. Run with Debian's /usr/bin/python3.
"""
import argparse, http.client, json, os, sys, threading, time, urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools"))
import remote_write_load  # noqa: E402  (values(): the same Bitbrains readings)


def bodies(fmt, series_ids, per_series, batch, vals):
    t0 = 1_700_000_000_000
    k = max(1, batch // len(series_ids))
    spb = min(len(series_ids), batch)
    out = []
    for c in range(0, per_series, k):
        for b0 in range(0, len(series_ids), spb):
            lines = []
            for s in series_ids[b0:b0 + spb]:
                v = vals[s % len(vals)]
                for j in range(min(k, per_series - c)):
                    x, ts = v[(c + j + s) % len(v)], t0 + (c + j) * 15000
                    if fmt == "prognos":
                        lines.append(json.dumps({"ts": ts, "host": f"vm-{s}", "component": "bench",
                                                 "indicators": {"cpu_usage_mhz": x}}))
                    else:
                        lines.append(json.dumps({"metric": {"__name__": "cpu_usage_mhz", "instance": f"vm-{s}",
                                                            "job": "bench"}, "values": [x], "timestamps": [ts]}))
            out.append(("\n".join(lines) + "\n").encode())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url"); ap.add_argument("--format", choices=["prognos", "vm"], default="prognos")
    ap.add_argument("--series", type=int, default=2000); ap.add_argument("--per-series", type=int, default=500)
    ap.add_argument("--batch", type=int, default=2000); ap.add_argument("--conns", type=int, default=2)
    a = ap.parse_args()
    vals = remote_write_load.values()
    groups = [list(range(g, a.series, a.conns)) for g in range(a.conns)]
    per_conn = [bodies(a.format, g, a.per_series, a.batch // a.conns if a.conns > 1 else a.batch, vals)
                for g in groups]
    nreq = sum(len(b) for b in per_conn)
    total = a.series * a.per_series
    u = urllib.parse.urlparse(a.url)
    hdr = {"Content-Type": "application/x-ndjson"}
    errors = [0]; lock = threading.Lock()

    def worker(bs):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        for body in bs:
            c.request("POST", u.path, body=body, headers=hdr)
            r = c.getresponse(); r.read()
            if r.status // 100 != 2:
                with lock: errors[0] += 1
    t = time.time()
    th = [threading.Thread(target=worker, args=(b,)) for b in per_conn]
    [x.start() for x in th]; [x.join() for x in th]
    dt = time.time() - t
    print(f"samples={total} requests={nreq} seconds={dt:.3f} samples_per_s={total / dt:.0f} errors={errors[0]}")


if __name__ == "__main__":
    main()
