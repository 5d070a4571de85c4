#!/usr/bin/env python3
"""Render docs/benchmarks.md from bench/bench.sh's output directory.

Usage: report.py OUTDIR [TRACESUM.py] > docs/benchmarks.md

OUTDIR holds one hyperfine --export-json file per line (join, cold, cold-net,
unshare, bwrap, podman), rss.json and rss-start.json, gobench.txt, meta.json,
status.txt, and net/KEY-DIR-ROUND.json, one iperf3 -J client run each.
"""
import glob
import json
import os
import statistics
import sys

LINES = [
    ("join", "`devbox run -- true` (running sandbox)"),
    ("cold", "`devbox run --rm --network none -- true` (cold)"),
    ("cold-net", "`devbox run --rm -- true` (cold, default network: slirp4netns)"),
    ("floor", "join floor: `bench/floor SOCK` (one unix-socket round trip; the server fork+execs `true`)"),
    ("rootlesskit-host", "`rootlesskit --net=host true` (Debian's rootlesskit)"),
    ("rootlesskit-slirp", "`rootlesskit --net=slirp4netns --mtu=65520 true` (Debian's rootlesskit)"),
    ("unshare", "`unshare --user --map-auto --map-root-user --mount --pid --fork --uts --ipc true`"),
    ("bwrap", "`bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true`"),
    ("podman", "`podman --runtime runc run --rm --network none localhost/devbox-bench-busybox true`"),
    ("cold-image", "`devbox run --rm --network none --image REG/devbox-bench-busybox:1 -- true` (cold, image)"),
    ("join-image", "`devbox run -- true` (running image sandbox)"),
    ("join-strict", "`devbox run -- true` (running sandbox, security = \"strict\")"),
    ("review-diff", "`devbox diff` (review sandbox that read a 10,000-file project and changed nothing)"),
    ("review-diff-copied-first", "`devbox diff` (the same, once all 10,000 files were copied up unchanged: the first diff, which compares each)"),
    ("review-diff-copied", "`devbox diff` (the same, later diffs: each file found equal before and unchanged since is not read again)"),
    ("pull-devbox-busybox", "`devbox image pull REG/devbox-bench-busybox:1` (empty store)"),
    ("pull-podman-busybox", "`podman pull --tls-verify=false REG/devbox-bench-busybox:1` (empty store)"),
    ("pull-devbox-big", "`devbox image pull REG/devbox-bench-busybox-big:1` (empty store)"),
    ("pull-podman-big", "`podman pull --tls-verify=false REG/devbox-bench-busybox-big:1` (empty store)"),
]

JOIN_MAX_MS = 10.0
JOIN_UNSHARE_MAX = 3.0
COLD_PODMAN_MAX = 0.25
RSS_MAX_MIB = 20.0
COLD_IMAGE_PODMAN_MAX = 0.3
PULL_PODMAN_MAX = 0.6
BINARY_MAX_MB = 15.0
NET_SETUP_MAX_MS = 25.0
RAW_MIN = 0.95
ROOTLESSKIT_MIN = 0.9
# issue 15
COLD_BWRAP_MAX = 3.0
COLD_NET_ROOTLESSKIT_MAX = 0.75
JOIN_FLOOR_MAX = 1.25
IDLE_PSS_MAX_MIB = 5.0
# issue 17
REVIEW_GOTEST_MAX = 1.1
REVIEW_DIFF_MAX_MS = 100.0

# iperf3 lines: key, what, command. "fwd" is iperf3's default direction (the
# client sends), "rev" is -R.
NET_LINES = [
    ("devbox-slirp4netns", "devbox, slirp4netns",
     "`devbox run --rm --network slirp4netns --allow-host-loopback -- iperf3 -c host.devbox.internal`"),
    ("raw-slirp4netns", "raw slirp4netns",
     "`slirp4netns --configure --mtu=65520 PID tap0` on `unshare --user --map-root-user --net`; client to 10.0.2.2"),
    ("devbox-pasta", "devbox, pasta",
     "`devbox run --rm --network pasta --allow-host-loopback -- iperf3 -c host.devbox.internal`"),
    ("raw-pasta", "raw pasta, gateway (tap)",
     "`pasta --config-net --mtu=65520` (daemonized, its default, as devbox and podman run it) with devbox's addresses on a bare namespace; client to the gateway 10.0.2.2"),
    ("raw-pasta-splice", "raw pasta, -T splice",
     "the same pasta with `-T PORT`; client to the namespace's 127.0.0.1:PORT"),
    ("devbox-published", "devbox, published port",
     "`devbox run -p 127.0.0.1:HP:5201 -- sh -c 'iperf3 -s -D'`; client on the host to 127.0.0.1:HP"),
    ("rootlesskit-builtin", "rootlesskit builtin port",
     "`rootlesskit --net=slirp4netns --mtu=65520 --port-driver=builtin -p 127.0.0.1:HP2:5201/tcp iperf3 -s`"),
]
PUBLISHED = {"devbox-published", "rootlesskit-builtin"}
NET_RATIOS = [
    ("devbox slirp4netns / raw slirp4netns", "devbox-slirp4netns", "raw-slirp4netns", RAW_MIN),
    ("devbox pasta / raw pasta (gateway)", "devbox-pasta", "raw-pasta", RAW_MIN),
    ("devbox published port / rootlesskit builtin", "devbox-published", "rootlesskit-builtin", ROOTLESSKIT_MIN),
]


def direction(key, d):
    if key in PUBLISHED:
        return "host → sandbox" if d == "fwd" else "sandbox → host (-R)"
    return "sandbox → host" if d == "fwd" else "host → sandbox (-R)"


def load_net(d):
    """{(key, dir): [(sender_gbps, receiver_gbps, retransmits), ...]}"""
    runs = {}
    def round_order(f):  # round 10 after round 9, not after round 1
        key, dr, rnd = os.path.basename(f)[:-5].rsplit("-", 2)
        return key, dr, int(rnd) if rnd.isdigit() else 0

    for f in sorted(glob.glob(os.path.join(d, "net", "*-*-*.json")), key=round_order):
        base = os.path.basename(f)[:-5]
        key, dr, _ = base.rsplit("-", 2)
        try:
            j = json.load(open(f))
            e = j["end"]
            snd, rcv = e["sum_sent"], e["sum_received"]
            runs.setdefault((key, dr), []).append(
                (snd["bits_per_second"] / 1e9, rcv["bits_per_second"] / 1e9, snd.get("retransmits")))
        except (OSError, ValueError, KeyError):
            continue
    return runs


def net_median(runs, key, dr, i=1):
    r = runs.get((key, dr))
    return statistics.median(x[i] for x in r) if r else None


def load(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def verdict(ok):
    if ok is None:
        return "n/a"
    return "PASS" if ok else "FAIL"


def net_section(w, d, status):
    runs = load_net(d)
    w("## Network throughput (iperf3)")
    w("")
    if not runs:
        w("Not run" + "".join(f"; {x}" for x in status if x.startswith("network")) + ".")
        w("")
        return
    params = load(os.path.join(d, "net"), "params.json") or {}
    rounds = params.get("rounds", max(len(v) for v in runs.values()))
    w(f"iperf3 -t {params.get('secs', '?')}, {rounds} rounds interleaved (every line once per round, each")
    w("direction), medians of the rounds in Gbit/s; the per-round receiver numbers")
    w("follow. The host-side iperf3 server listens on 127.0.0.1 only; the raw lines run")
    w("their client with `setsid -w nsenter -t PID -U -n --preserve-credentials` in a bare namespace:")
    w("helper, client and server each in a session of its own, as through devbox, since the")
    w("scheduler's autogroups (one per session) change how often pasta's tap path collapses.")
    w("Retransmits are the sender's (the median of the rounds). Sender and receiver are")
    w("iperf3 -J's `end.sum_sent` and `end.sum_received`; ratios use the receiver medians.")
    w("")
    w("| Line | Direction | Sender | Receiver | Retransmits | Receiver per round |")
    w("|---|---|---:|---:|---:|---|")
    for key, what, _ in NET_LINES:
        for dr in ("fwd", "rev"):
            r = runs.get((key, dr))
            if not r:
                w(f"| {what} | {direction(key, dr)} | – | – | – | failed or skipped |")
                continue
            rt = [x[2] for x in r if x[2] is not None]
            cells = [what, direction(key, dr),
                     f"{net_median(runs, key, dr, 0):.2f}", f"{net_median(runs, key, dr, 1):.2f}",
                     f"{statistics.median(rt):g}" if rt else "–",
                     ", ".join(f"{x[1]:.2f}" for x in r)]
            w("| " + " | ".join(cells) + " |")
    w("")
    w("The lines:")
    w("")
    for key, what, cmd in NET_LINES:
        w(f"- {what}: {cmd}.")
    w("")
    rng = {}
    for k in ("devbox-pasta", "raw-pasta"):
        v = [r[1] for r in runs.get((k, "fwd"), [])]
        if v:
            rng[k] = f"{min(v):.2f}–{max(v):.2f}"
    if len(rng) == 2:
        w(f"pasta's gateway (tap) path, sandbox → host, ran at {rng['devbox-pasta']} Gbit/s per round")
        w(f"through devbox and {rng['raw-pasta']} Gbit/s for the raw helper, with retransmits")
        w(f"in every run: Debian 12's pasta tap-path collapse (see DESIGN.md). On a collapsed")
        w(f"path the rounds swing widely, raw or through devbox alike, so that pair ran")
        w(f"{len(runs.get(('devbox-pasta', 'fwd'), []))} and {len(runs.get(('raw-pasta', 'fwd'), []))} "
          f"rounds (the extra ones alternating, order swapped each round), and its ratio")
        w(f"is of the medians of all of them. The reverse direction and the splice path do")
        w(f"not collapse.")
        w("")
    x, y = net_median(runs, "devbox-pasta", "fwd"), net_median(runs, "raw-pasta-splice", "fwd")
    if x is not None and y:
        w(f"devbox's pasta reaches host loopback through pasta's gateway (tap) path, as")
        w(f"`--allow-host-loopback` must map an address, not a fixed list of ports;")
        w(f"Debian 12's pasta splice path (`-T`) did {y:.2f} Gbit/s sandbox → host here,")
        w(f"{y / x:.0f}× devbox's pasta line, but forwards only listed ports to the")
        w(f"namespace's own 127.0.0.1.")
        w("")


def image_rows(med, pod):
    """Target rows of the image lines: cold --image start, join, pulls."""
    rows = []
    ci = med("cold-image")
    r = ci / pod if ci is not None and pod else None
    rows.append(("Cold `--image` / podman run (medians)", f"{r:.3f}×" if r is not None else "–",
                 f"≤ {COLD_IMAGE_PODMAN_MAX:g}×", verdict(None if r is None else r <= COLD_IMAGE_PODMAN_MAX)))
    ji = med("join-image")
    rows.append(("Join median, image sandbox", f"{ji:.2f} ms" if ji is not None else "–", f"≤ {JOIN_MAX_MS:g} ms",
                 verdict(None if ji is None else ji <= JOIN_MAX_MS)))
    a, b = med("pull-devbox-busybox"), med("pull-podman-busybox")
    r = a / b if a is not None and b else None
    rows.append(("Pull / podman pull (the test image: busybox, 1 MB, medians)", f"{r:.2f}×" if r is not None else "–",
                 f"≤ {PULL_PODMAN_MAX:g}×", verdict(None if r is None else r <= PULL_PODMAN_MAX)))
    a, b = med("pull-devbox-big"), med("pull-podman-big")
    r = a / b if a is not None and b else None
    rows.append(("Pull / podman pull (busybox + Python stdlib, ~50 MB in ~5000 files, medians)",
                 f"{r:.2f}×" if r is not None else "–", "context", "–"))
    return rows


def ratio_row(label, a, b, lim):
    r = a / b if a is not None and b else None
    return (label, f"{r:.2f}×" if r is not None else "–", f"≤ {lim:g}×", verdict(None if r is None else r <= lim))


def idle_pss(d):
    """(PSS per sandbox in MiB, sandboxes, processes) of idle10.json."""
    j = load(d, "idle10.json")
    if not j or not j.get("sandboxes"):
        return None, 0, 0
    vals = [p["pss_kb"] for s in j["sandboxes"] for p in s["procs"]]
    if any(v is None for v in vals):
        return None, len(j["sandboxes"]), len(vals)
    return sum(vals) / 1024.0 / len(j["sandboxes"]), len(j["sandboxes"]), len(vals)


def peer_ratio_row(d, med, label, alt_file, a, b, lim):
    """A ratio to a peer: from the alternating runs of alt_file when the run
    has them (load falls on both alike), else from hyperfine's lines."""
    alt = load(d, alt_file) or {}
    m = lambda k: (alt.get(k) or {}).get("median_ms")
    if m(a) is not None and m(b) is not None:
        n = min(len(alt[a]["times_ms"]), len(alt[b]["times_ms"]))
        return ratio_row(f"{label} (medians, {n} alternating runs each)", m(a), m(b), lim)
    return ratio_row(f"{label} (medians)", med(a), med(b), lim)


def issue15_rows(d, med):
    """Issue 15's targets, each against its peer from the same run."""
    rows = [peer_ratio_row(d, med, "Cold `--rm --network none` / bwrap", "alt-cold-bwrap.json",
                           "cold", "bwrap", COLD_BWRAP_MAX),
            ratio_row("Cold `--rm` slirp4netns / `rootlesskit --net=slirp4netns` (medians)", med("cold-net"),
                      med("rootlesskit-slirp"), COLD_NET_ROOTLESSKIT_MAX),
            peer_ratio_row(d, med, "Join / join floor", "alt-join-floor.json", "join", "floor", JOIN_FLOOR_MAX)]
    pss, n, _ = idle_pss(d)
    rows.append((f"Idle PSS per sandbox, {n} idle sandboxes (supervisors, inits, slirp4netns)",
                 f"{pss:.2f} MiB" if pss is not None else "–", f"≤ {IDLE_PSS_MAX_MIB:g} MiB",
                 verdict(None if pss is None else pss <= IDLE_PSS_MAX_MIB)))
    b = load(d, "burst-devbox.json")
    if b:
        rows.append((f"Burst: {b['runs']} sandboxes cold-started at once, failures",
                     str(len(b["failures"])), "0", verdict(len(b["failures"]) == 0)))
    return rows


def strict_rows(d, med):
    """Issue 11's targets: the strict join against the default join, and a
    download through the strict proxy against the default network's."""
    rows = [peer_ratio_row(d, lambda k: med({"strict": "join-strict", "default": "join"}[k]),
                           "Join, strict sandbox / default sandbox", "alt-join-strict.json", "strict", "default", 1.2)]
    def speeds(kind):
        vals = []
        for i in range(1, 10):
            f = os.path.join(d, "net", f"proxy-{kind}-{i}.txt")
            try:
                vals.append(float(open(f).read().strip()))
            except (OSError, ValueError):
                pass
        return statistics.median(vals) if vals else None
    s, p = speeds("strict"), speeds("default")
    r = s / p if s is not None and p else None
    rows.append(("1 GiB HTTP download, strict proxy / default network (medians of curl's speed)",
                 f"{r:.2f}×" if r is not None else "–", "≥ 0.8×", verdict(None if r is None else r >= 0.8)))
    return rows


def review_rows(d, med):
    """Issue 17's targets: go test through the review overlay against the
    plain bind (timed alternately, bench/alternate.py), and devbox diff of
    10,000 unchanged files, read and copied up."""
    alt = load(d, "alt-review-gotest.json") or {}
    m = lambda k: (alt.get(k) or {}).get("median_ms")
    rows = [ratio_row("`devbox run -- env GOFLAGS=-count=1 go test ./...` of a module of 8 std packages, "
                      "review mode / plain bind (medians, alternating runs)", m("review"), m("bind"), REVIEW_GOTEST_MAX)]
    for key, what in (("review-diff", "10,000 unchanged files"),
                      ("review-diff-copied-first", "10,000 files copied up unchanged, first diff (each compared)"),
                      ("review-diff-copied", "10,000 files copied up unchanged, later diffs (verdicts kept)")):
        d = med(key)
        rows.append((f"`devbox diff`, {what} (median)", f"{d:.1f} ms" if d is not None else "–",
                     f"≤ {REVIEW_DIFF_MAX_MS:g} ms", verdict(None if d is None else d <= REVIEW_DIFF_MAX_MS)))
    return rows


def start_sections(w, d):
    """Burst, idle memory of ten, baseline comparison and trace breakdown."""
    bursts = [(k, load(d, f"burst-{k}.json")) for k in ("devbox", "podman")]
    if any(b for _, b in bursts):
        w("## Burst: 50 different sandboxes cold-started at once")
        w("")
        w("`bench/burst.py`: all started before any is waited for, each in its own project")
        w("directory; per-start wall time from its spawn to its exit.")
        w("")
        w("| Command | Runs | Failures | Total wall (ms) | p50 (ms) | p99 (ms) |")
        w("|---|---:|---:|---:|---:|---:|")
        for k, b in bursts:
            if not b:
                w(f"| {k} | – | – | – | – | – |")
                continue
            w(f"| `{' '.join(b['cmd'][1:]) if k == 'devbox' else ' '.join(b['cmd'])}` ({k}) | {b['runs']} | "
              f"{len(b['failures'])} | {b['wall_ms']:.0f} | {b['p50_ms']:.0f} | {b['p99_ms']:.0f} |")
        w("")
        for k, b in bursts:
            for f in (b or {}).get("failures", [])[:5]:
                w(f"- {k} failure: exit {f['code']}: {f['stderr']}")
        w("")
    j = load(d, "idle10.json")
    if j and j.get("sandboxes"):
        pss, n, procs = idle_pss(d)
        roles = {}
        for s in j["sandboxes"]:
            for p in s["procs"]:
                if p["pss_kb"] is not None:
                    roles.setdefault(p["role"], []).append(p["pss_kb"])
        w("## Ten idle sandboxes")
        w("")
        w(f"{n} sandboxes on the default network, idle; Pss from `/proc/PID/smaps_rollup` of")
        w(f"all {procs} processes (each sandbox's supervisor, init and slirp4netns). Pss")
        w("divides shared pages (the binaries' text) among the processes mapping them.")
        w("")
        w("| Process | Count | Pss total (MiB) | Pss each (MiB) |")
        w("|---|---:|---:|---:|")
        for r, v in roles.items():
            w(f"| {r} | {len(v)} | {sum(v) / 1024:.1f} | {sum(v) / 1024 / len(v):.2f} |")
        if pss is not None:
            w(f"| **per sandbox** | | | **{pss:.2f}** |")
        w("")
    alts = [(k, load(d, f"alt-{k}.json")) for k in ("join", "join-root", "cold", "cold-net")]
    if any(a for _, a in alts):
        w("## Before and after, alternately")
        w("")
        w("`bench/alternate.py`: the `--baseline` binary and this build, run A B A B ... so")
        w("load on the machine falls on both alike. `join` is `devbox run -- true` in a")
        w("running sandbox by its name (`--name`), `join-root` the same with `--user root`")
        w("on both sides: a flag the fast join does not take, so this build's devbox")
        w("hands that command line to devbox-front.")
        w("")
        w("| Line | Baseline median (ms) | This build median (ms) | Ratio | Runs |")
        w("|---|---:|---:|---:|---:|")
        for k, a in alts:
            if not a:
                continue
            b, n = a["base"]["median_ms"], a["new"]["median_ms"]
            if b is None or n is None:
                w(f"| {k} | every run failed on one side | | | |")
                continue
            w(f"| {k} | {b:.2f} | {n:.2f} | {n / b:.2f}× | {len(a['new']['times_ms'])} |")
        w("")
    tracesum = None
    if len(sys.argv) > 2:
        import importlib.util
        spec = importlib.util.spec_from_file_location("tracesum", sys.argv[2])
        tracesum = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tracesum)
    if tracesum:
        for key, what in (("cold", "`--network none`"), ("cold-net", "slirp4netns"),
                          ("cold-image", "`--image REG/devbox-bench-busybox:1 --network none`")):
            for build in ("base", "new"):
                f = os.path.join(d, f"trace-{build}-{key}.txt")
                if not os.path.exists(f):
                    continue
                runs = tracesum.parse(open(f).read())
                if not runs:
                    continue
                w(f"## Where a cold start's time goes: {what}, {'baseline' if build == 'base' else 'this build'}")
                w("")
                w(f"`DEVBOX_TRACE=1 devbox run --rm ... -- true`, {len(runs)} runs, the median of each")
                w("phase (bench/tracesum.py); indented phases ran inside the one above.")
                w("")
                w("```")
                for k, m, n in tracesum.summarize(runs):
                    w(f"{m:9.2f} ms  {'  ' * (len(k) - 1)}{k[-1]}" + (f"  (in {n} runs)" if n != len(runs) else ""))
                w("```")
                w("")


def main():
    d = sys.argv[1]
    meta = load(d, "meta.json") or {}
    res = {}
    for key, _ in LINES:
        j = load(d, key + ".json")
        if j and j.get("results"):
            res[key] = j["results"][0]
    status = []
    if os.path.exists(os.path.join(d, "status.txt")):
        status = [l.strip() for l in open(os.path.join(d, "status.txt")) if l.strip()]

    ms = lambda s: s * 1000.0
    med = lambda k: ms(res[k]["median"]) if k in res else None

    o = []
    w = o.append
    w("# Benchmarks")
    w("")
    w("Generated by `bench/bench.sh` from hyperfine's JSON; do not edit by hand.")
    w("The issues' targets: join ≤ 10 ms median and ≤ 3× the unshare line;")
    w("cold ≤ 0.25× podman; supervisor + init RSS of an idle sandbox ≤ 20 MiB;")
    w("images: pull ≤ 0.6× podman pull, cold `--image` start ≤ 0.3× podman run, join")
    w("on an image sandbox ≤ 10 ms, stripped binary ≤ 15 MB;")
    w("network setup ≤ 25 ms over `--network none`; iperf3 throughput ≥ 0.95× the")
    w("raw driver (slirp4netns, pasta) and ≥ 0.9× rootlesskit's builtin port driver")
    w("for published ports.")
    w("")
    w("## Machine")
    w("")
    for k, label in [("date", "Date (UTC)"), ("os", "OS"), ("kernel", "Kernel"),
                     ("cpu_model", "CPU"), ("cpus", "CPUs"), ("mem", "Memory"),
                     ("load", "Load average (1, 5, 15 min)"),
                     ("user", "Benchmarked as"), ("commit", "devbox commit"),
                     ("go", "Go"), ("hyperfine", "hyperfine"), ("unshare", "unshare"),
                     ("bwrap", "bubblewrap"), ("podman", "podman"), ("runc", "runc"),
                     ("iperf3", "iperf3"), ("slirp4netns", "slirp4netns"), ("passt", "passt (pasta)"),
                     ("rootlesskit", "rootlesskit")]:
        if meta.get(k):
            w(f"- {label}: {meta[k]}")
    w("")
    w("## Results")
    w("")
    w("hyperfine `-N` (no shell), `--warmup 3`, at least 30 runs (10 for podman; the")
    w("pulls: `--warmup 1`, 10 runs, each into an empty store wiped by `--prepare`),")
    w("all lines in the same run, as an unprivileged user. REG is an in-memory")
    w("registry on 127.0.0.1 (`bench/registry`) holding images `podman push`ed there.")
    w("")
    w("| Command | Median (ms) | Mean (ms) | Stddev (ms) | Min (ms) | Max (ms) | Runs |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for key, label in LINES:
        r = res.get(key)
        if r is None:
            w(f"| {label} | – | – | – | – | – | skipped |")
            continue
        w(f"| {label} | {ms(r['median']):.2f} | {ms(r['mean']):.2f} | {ms(r['stddev'] or 0):.2f} "
          f"| {ms(r['min']):.2f} | {ms(r['max']):.2f} | {len(r['times'])} |")
    w("")
    left = os.path.join(d, "net", "left.txt")
    if os.path.exists(left):
        status += [l.strip() for l in open(left) if l.strip()]
    notes = [s for s in status if not s.endswith(" ok")]
    for s in notes:
        w(f"- Note: {s}.")
    if notes:
        w("")

    # Targets.
    rss = load(d, "rss.json")
    rss_start = load(d, "rss-start.json")

    def rss_mib(r, field="vmrss_kb"):
        if not r:
            return None
        vals = [p.get(field) for p in r["procs"].values()]
        if any(v is None for v in vals):
            return None
        return sum(vals) / 1024.0

    join, cold, uns, pod = med("join"), med("cold"), med("unshare"), med("podman")
    rows = []
    rows.append(("Join median", f"{join:.2f} ms" if join is not None else "–", f"≤ {JOIN_MAX_MS:g} ms",
                 verdict(None if join is None else join <= JOIN_MAX_MS)))
    r = join / uns if join is not None and uns else None
    rows.append(("Join / unshare (medians)", f"{r:.2f}×" if r is not None else "–", f"≤ {JOIN_UNSHARE_MAX:g}×",
                 verdict(None if r is None else r <= JOIN_UNSHARE_MAX)))
    r = cold / pod if cold is not None and pod else None
    rows.append(("Cold / podman (medians)", f"{r:.3f}×" if r is not None else "–", f"≤ {COLD_PODMAN_MAX:g}×",
                 verdict(None if r is None else r <= COLD_PODMAN_MAX)))
    cn = med("cold-net")
    setup = cn - cold if cn is not None and cold is not None else None
    rows.append(("Network setup, cold `--rm` default network − `--network none` (medians)",
                 f"{setup:.1f} ms" if setup is not None else "–", f"≤ {NET_SETUP_MAX_MS:g} ms",
                 verdict(None if setup is None else setup <= NET_SETUP_MAX_MS)))
    runs = load_net(d)
    for label, a, b, lim in NET_RATIOS:
        for dr in ("fwd", "rev"):
            x, y = net_median(runs, a, dr), net_median(runs, b, dr)
            r = x / y if x is not None and y else None
            rows.append((f"{label}, {direction(a, dr)}", f"{r:.2f}×" if r is not None else "–",
                         f"≥ {lim:g}×", verdict(None if r is None else r >= lim)))
    rows += issue15_rows(d, med)
    rows += strict_rows(d, med)
    rows += review_rows(d, med)
    rows += image_rows(med, pod)
    sizes = {**(load(d, "size.json") or {}), **(load(d, "size-init.json") or {})}
    init = f" (devbox-init {sizes['devbox-init'] / 1e6:.1f} MB)" if sizes.get("devbox-init") else ""
    for name, what in (("devbox", "the front users run"), ("devbox-engine", "every other command and an image sandbox's supervisor"),
                       ("devbox-supervisor", "a host-view sandbox's supervisor")):
        if sizes.get(name):
            mb = sizes[name] / 1e6
            rows.append((f"Stripped binary (`-ldflags='-s -w'`), {name}, {what}" + init, f"{mb:.1f} MB",
                         f"≤ {BINARY_MAX_MB:g} MB", verdict(mb <= BINARY_MAX_MB)))
    m = rss_mib(rss)
    rows.append(("Idle RSS, supervisor + init", f"{m:.1f} MiB" if m is not None else "–", f"≤ {RSS_MAX_MIB:g} MiB",
                 verdict(None if m is None else m <= RSS_MAX_MIB)))
    w("## Targets")
    w("")
    w("| Target | Measured | Limit | Verdict |")
    w("|---|---:|---:|---|")
    for row in rows:
        w("| " + " | ".join(row) + " |")
    w("")
    big = {k: res.get(f"pull-{k}-big") for k in ("devbox", "podman")}
    if all(big.values()):
        cpu = {k: (v.get("user", 0) + v.get("system", 0)) for k, v in big.items()}
        w(f"The large pull is context, not a target: both tools extract its ~5000 files")
        w(f"with the same containers/storage code, and that file system work dominates")
        w(f"(user + system CPU: devbox {cpu['devbox']:.2f} s, podman {cpu['podman']:.2f} s per pull,")
        w(f"of which user {big['devbox'].get('user', 0):.2f} s and {big['podman'].get('user', 0):.2f} s).")
        w("")
    if cold is not None and uns:
        extra = [f"cold / unshare {cold / uns:.1f}×"]
        if res.get("bwrap"):
            extra.append(f"cold / bwrap {cold / med('bwrap'):.1f}×")
            extra.append(f"join / bwrap {join / med('bwrap'):.2f}×" if join is not None else "")
        w("For context: " + ", ".join(e for e in extra if e) + ".")
        w("")

    w("## Idle sandbox memory")
    w("")
    w("VmRSS (with its RssAnon / RssFile split) from `/proc/PID/status`, and Pss (with")
    w("Pss_Anon / Pss_File) from `/proc/PID/smaps_rollup`, of `supervisor_pid` and")
    w("`init_pid` (the init's host pid) in the sandbox's `state.json`. The file-backed")
    w("part is the binaries' text and data in the page cache: shared with every other")
    w("process mapping the same file (Pss divides those pages among the mappers) and")
    w("reclaimable. The verdict uses the total VmRSS after the join runs; Pss is context.")
    w("")
    w("| When | Process | VmRSS | anon | file | Pss | Pss anon | Pss file |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    fmt = lambda kb: f"{kb / 1024.0:.1f} MiB" if kb is not None else "n/a"
    fields = ["vmrss_kb", "rssanon_kb", "rssfile_kb", "pss_kb", "pss_anon_kb", "pss_file_kb"]
    for label, r in [("just started", rss_start), ("idle after the join runs", rss)]:
        if not r:
            w(f"| {label} | – | n/a | n/a | n/a | n/a | n/a | n/a |")
            continue
        procs = r["procs"]
        for role in ("supervisor", "init"):
            w(f"| {label} | {role} | " + " | ".join(fmt(procs[role].get(f)) for f in fields) + " |")
        tot = []
        for f in fields:
            vals = [procs[role].get(f) for role in ("supervisor", "init")]
            tot.append(None if any(v is None for v in vals) else sum(vals))
        w(f"| {label} | **total** | " + " | ".join(f"**{fmt(v)}**" for v in tot) + " |")
    w("")
    if rss and all(rss["procs"][r].get(f) is not None for r in ("supervisor", "init")
                   for f in ("vmrss_kb", "pss_kb", "rssfile_kb")):
        v = sum(rss["procs"][r]["vmrss_kb"] for r in ("supervisor", "init"))
        p = sum(rss["procs"][r]["pss_kb"] for r in ("supervisor", "init"))
        f = sum(rss["procs"][r]["rssfile_kb"] for r in ("supervisor", "init"))
        if p >= 0.95 * v:
            w(f"Pss is about VmRSS here: the supervisor (devbox-supervisor) and init (devbox-init) map")
            w(f"different binaries and no other process maps either, so nothing is split. The")
            w(f"{f / 1024.0:.1f} MiB file-backed part is page cache that a second sandbox, or a")
            w(f"`devbox` client running at the same time, maps without a second copy; the")
            w(f"anonymous part is what each sandbox adds.")
        else:
            w(f"Pss ({p / 1024.0:.1f} MiB) is below VmRSS ({v / 1024.0:.1f} MiB) because other")
            w(f"processes map the same binaries; {f / 1024.0:.1f} MiB of VmRSS is file-backed.")
        w("")

    start_sections(w, d)
    net_section(w, d, status)

    w("## Go benchmarks (internal/proto)")
    w("")
    w("`go test -run '^$' -bench . -benchmem ./internal/proto/`: Marshal and Decode of a")
    w("typical Spawn message (argv plus 31 environment variables).")
    w("")
    w("```")
    gb = os.path.join(d, "gobench.txt")
    w(open(gb).read().rstrip() if os.path.exists(gb) else "(not run)")
    w("```")
    w("")

    w("## Re-running")
    w("")
    w("```sh")
    w("sudo bench/bench.sh                 # as root: builds devbox, benchmarks as dbx-helper")
    w("sudo bench/bench.sh --rev HEAD      # a clean export of a commit, not the working tree")
    w("sudo bench/bench.sh --user alice    # another unprivileged user with a subuid range")
    w("bench/bench.sh                      # as an unprivileged user: benchmarks as yourself")
    w("bench/bench.sh --keep               # keep the hyperfine JSON and logs in /tmp/devbox-bench.*")
    w("sudo bench/bench.sh --rootlesskit /path/to/rootlesskit   # the published-port baseline")
    w("```")
    w("")
    w("Network lines: iperf3, slirp4netns, passt and nsenter; rootlesskit is taken from")
    w("PATH or `--rootlesskit PATH`, else built with `go install` at go.mod's version into")
    w("the temporary work directory (never into the repo). Run as root, the script")
    w("apt-get installs missing hyperfine, bubblewrap, iperf3, slirp4netns and passt.")
    w("Every background process (host iperf3 server, bare namespaces, raw helpers,")
    w("rootlesskit, the published-port sandbox) is ended on exit, and whatever of them is")
    w("still running afterwards is listed as a note.")
    w("")
    w("Needs hyperfine, bubblewrap, uidmap, util-linux (unshare ≥ 2.38 for `--map-auto`),")
    w("python3 and Go; podman, runc and busybox-static for the podman line (it is skipped")
    w("with a note when podman is missing). No network is needed: the podman image")
    w("`localhost/devbox-bench-busybox` is imported from Debian's static `/bin/busybox`.")
    w("Run as root, the script copies the binary to a world-readable temporary directory,")
    w("makes /dev/net/tun and /dev/fuse mode 0666, and re-runs itself as the user with a")
    w("clean environment (no XDG_RUNTIME_DIR, so state lives in /tmp/devbox-UID).")
    w("Rootless podman uses `--runtime runc` because crun fails on hybrid cgroups here.")
    w("The load average after the run includes the run's own iperf3 lines, which keep")
    w("both ends of each transfer busy.")
    w("These are wall-clock numbers: other work on the machine during the run (see the")
    w("load average above) shows up as a larger stddev and max; compare medians.")
    print("\n".join(o))


if __name__ == "__main__":
    main()
