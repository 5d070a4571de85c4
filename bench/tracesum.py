#!/usr/bin/env python3
"""Median phase durations of several `devbox --trace` runs.

Usage: tracesum.py FILE...    each FILE holds the stderr of traced runs,
                              one or more traces one after the other
       tracesum.py --json FILE...

A phase is named by its process and name, with its parents' names for
context; the median is over the runs that had it. Lines come in the order
of the first run.
"""
import json
import re
import statistics
import sys

LINE = re.compile(r"^trace:\s+(?:(\d+\.\d+)ms)?\s+(\d+\.\d+)ms  ( *)(.*)$")


def parse(text):
    """[[(path, took_ms), ...] per run]"""
    runs, cur, stack = [], None, []
    for line in text.splitlines():
        if line.startswith("trace:") and "process: phase" in line:
            cur, stack = [], []
            runs.append(cur)
            continue
        m = LINE.match(line)
        if not m or cur is None:
            continue
        _, took, indent, what = m.groups()
        depth = len(indent) // 2
        if what == "total":
            cur.append((("total",), float(took)))
            continue
        if what.strip() == "(other)":
            # indent is that of the parent's children: one deeper.
            cur.append((tuple(stack[:depth]) + ("(other)",), float(took)))
            continue
        stack = stack[:depth] + [what]
        cur.append((tuple(stack), float(took)))
    return runs


def summarize(runs):
    order, vals = [], {}
    for run in runs:
        seen = {}
        for path, took in run:
            n = seen.get(path, 0)
            seen[path] = n + 1
            key = path if n == 0 else path[:-1] + (f"{path[-1]} #{n + 1}",)
            if key not in vals:
                vals[key] = []
                order.append(key)
            vals[key].append(took)
    return [(k, statistics.median(vals[k]), len(vals[k])) for k in order]


def main():
    args = sys.argv[1:]
    as_json = args[:1] == ["--json"]
    if as_json:
        args = args[1:]
    runs = []
    for f in args:
        runs += parse(open(f).read())
    rows = summarize(runs)
    if as_json:
        json.dump({"runs": len(runs), "phases": [{"path": list(k), "median_ms": m, "n": n} for k, m, n in rows]},
                  sys.stdout, indent=1)
        return
    print(f"{len(runs)} runs; median ms per phase")
    for k, m, n in rows:
        print(f"{m:9.2f}  {'  ' * (len(k) - 1)}{k[-1]}" + (f"  (in {n} runs)" if n != len(runs) else ""))


if __name__ == "__main__":
    main()
