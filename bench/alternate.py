#!/usr/bin/env python3
"""Time two commands alternately, A B A B ..., so that load on a shared
machine falls on both alike.

Usage: alternate.py N OUT.json NAME_A CMD_A NAME_B CMD_B

CMD_A and CMD_B are shell-free command lines split on spaces. OUT.json
holds each command's wall times in ms and their median; a failed run is
counted and left out.
"""
import json
import statistics
import subprocess
import sys
import time


def run(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000, r.returncode == 0


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    names = [sys.argv[3], sys.argv[5]]
    cmds = [sys.argv[4].split(), sys.argv[6].split()]
    times = {k: [] for k in names}
    failed = {k: 0 for k in names}
    for cmd in cmds:  # warm the page cache for both
        run(cmd)
    for i in range(n):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for j in order:
            ms, ok = run(cmds[j])
            if ok:
                times[names[j]].append(ms)
            else:
                failed[names[j]] += 1
    res = {k: {"median_ms": statistics.median(v) if v else None, "times_ms": v, "failed": failed[k],
               "cmd": " ".join(cmds[names.index(k)])} for k, v in times.items()}
    json.dump(res, open(out, "w"), indent=1)
    for k, v in res.items():
        med = "none" if v["median_ms"] is None else f"{v['median_ms']:.2f} ms"
        print(f"{k}: median {med} over {len(v['times_ms'])} runs ({v['failed']} failed)")


if __name__ == "__main__":
    main()
