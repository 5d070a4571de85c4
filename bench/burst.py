#!/usr/bin/env python3
"""Start N commands at once, each in its own directory, and time them.

Usage: burst.py N DIR OUT.json CMD...

Each of the N runs gets DIR/N as its working directory (created), so a
devbox command starts N different sandboxes. All are started before any is
waited for. OUT.json: runs, failures (with their last stderr line), the
total wall time from the first start to the last exit, and the per-run
wall times with their p50 and p99 (nearest rank).
"""
import json
import math
import os
import subprocess
import sys
import time


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, math.ceil(p / 100 * len(sorted_vals)) - 1)
    return sorted_vals[k]


def main():
    n, base, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    procs = []
    t0 = time.perf_counter()
    for i in range(n):
        d = os.path.join(base, str(i))
        os.makedirs(d, exist_ok=True)
        procs.append((time.perf_counter(), subprocess.Popen(cmd, cwd=d, stdout=subprocess.DEVNULL,
                                                             stderr=subprocess.PIPE)))
    times, failures = [], []
    for start, p in procs:
        _, err = p.communicate()
        end = time.perf_counter()
        times.append((end - start) * 1000)
        if p.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            failures.append({"code": p.returncode, "stderr": lines[-1] if lines else ""})
    wall = (time.perf_counter() - t0) * 1000
    s = sorted(times)
    json.dump({"runs": n, "failures": failures, "wall_ms": wall, "times_ms": times,
               "p50_ms": pct(s, 50), "p99_ms": pct(s, 99), "cmd": cmd}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
