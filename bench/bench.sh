#!/usr/bin/env bash
# bench/bench.sh: devbox's benchmarks, all in one run, written to docs/benchmarks.md.
#
# Measured with hyperfine, as an unprivileged user:
#   join    devbox run -- true                 (running sandbox)
#   cold    devbox run --rm --network none -- true
#   unshare unshare --user --map-auto --map-root-user --mount --pid --fork --uts --ipc true
#   bwrap   bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true   (host view)
#   podman  podman --runtime runc run --rm --network none localhost/devbox-bench-busybox true
#   cold-net devbox run --rm -- true                (default network, slirp4netns)
#   floor   bench/floor: one unix-socket round trip while the server
#           fork+execs true (the least a join can cost)
#   rootlesskit --net=host true, rootlesskit --net=slirp4netns --mtu=65520 true
#           (Debian's rootlesskit package), the peers of the cold lines
# plus where a cold start's time goes (20 runs with DEVBOX_TRACE=1, median
# per phase, none and slirp4netns), the PSS of ten idle sandboxes (default
# network: supervisors, inits and slirp4netns), a burst of 50 different
# sandboxes cold-started at once (and podman run x50), and with --baseline
# the cold lines of an older binary timed alternately with this one;
# plus the RSS (and PSS) of an idle sandbox (supervisor + init), the Go
# benchmarks of internal/proto, and iperf3 throughput (-t 5, both directions,
# 3 interleaved rounds):
#   sandbox -> host loopback: devbox --network slirp4netns|pasta
#       --allow-host-loopback vs slirp4netns and pasta run by hand on a bare
#       unshare --user --map-root-user --net namespace;
#   host -> sandbox, published port: devbox run -p vs rootlesskit's CLI with
#       --net=slirp4netns --port-driver=builtin.
#
# Usage: bench/bench.sh [--user NAME] [--rev REV | --devbox PATH] [--rootlesskit PATH]
#                       [--baseline PATH] [--start-only] [--out FILE] [--keep]
#   --user NAME    as root: the unprivileged user to benchmark as (default dbx-helper;
#                  it needs a subuid/subgid range)
#   --rev REV      build devbox (and run the Go benchmarks) from a clean export of
#                  git revision REV instead of the working tree
#   --devbox PATH  benchmark this binary instead of building ./cmd/devbox
#   --rootlesskit PATH  rootlesskit binary for the published-port baseline
#                  (default: rootlesskit in PATH, else built with go install at
#                  the version in go.mod into the temporary work directory)
#   --baseline PATH  an older devbox binary (devbox-init beside it is used
#                  too): its cold starts are timed alternately with this one's
#                  and traced, for a before/after in the same run
#   --start-only   skip the image and iperf3 phases (minutes of their own)
#   --out FILE     report path (default docs/benchmarks.md in the repo)
#   --keep         keep the work directory (hyperfine JSON, logs)
#
# Needs: hyperfine, bubblewrap, uidmap (newuidmap), util-linux unshare >= 2.38,
# python3, go; podman + runc + busybox-static for the podman line (skipped
# with a note when podman is missing); iperf3, slirp4netns, passt (pasta) and
# nsenter for the network lines. Run as root, it apt-get installs the missing
# Debian packages among hyperfine, bubblewrap, iperf3, slirp4netns, passt.
# No internet access is needed: the podman image is imported from Debian's
# /bin/busybox, rootlesskit comes through the Go module proxy (or its cache),
# and network traffic goes only to 127.0.0.1 and into namespaces made here.
set -euo pipefail

BENCH_USER=dbx-helper
DEVBOX=
REV=
OUT=
ROOTLESSKIT=
KEEP=0
BASELINE=
START_ONLY=0
PHASE=main
WORK=

while [[ $# -gt 0 ]]; do
	case $1 in
	--user) BENCH_USER=$2; shift 2 ;;
	--user=*) BENCH_USER=${1#*=}; shift ;;
	--rev) REV=$2; shift 2 ;;
	--rev=*) REV=${1#*=}; shift ;;
	--devbox) DEVBOX=$2; shift 2 ;;
	--devbox=*) DEVBOX=${1#*=}; shift ;;
	--rootlesskit) ROOTLESSKIT=$2; shift 2 ;;
	--rootlesskit=*) ROOTLESSKIT=${1#*=}; shift ;;
	--out) OUT=$2; shift 2 ;;
	--out=*) OUT=${1#*=}; shift ;;
	--keep) KEEP=1; shift ;;
	--baseline) BASELINE=$2; shift 2 ;;
	--baseline=*) BASELINE=${1#*=}; shift ;;
	--start-only) START_ONLY=1; shift ;;
	--phase) PHASE=$2; shift 2 ;; # internal: "user" when re-run as the bench user
	--work) WORK=$2; shift 2 ;;   # internal
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
done

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

IMAGE=localhost/devbox-bench-busybox
WARMUP=3
FAST_RUNS=30   # minimum runs for the fast lines (hyperfine runs at least ~3 s anyway)
SLOW_RUNS=10   # minimum runs for podman

# ---------------------------------------------------------------------------
# User phase: everything that must run unprivileged. Writes into $WORK/out.
# ---------------------------------------------------------------------------
user_phase() {
	local out=$WORK/out proj=$WORK/proj
	[[ $(id -u) -ne 0 ]] || die "user phase must not run as root"
	trap user_cleanup EXIT
	trap "exit 130" INT TERM
	mkdir -p "$out" "$proj" "$WORK/img"
	cd "$proj"
	local status=$out/status.txt
	: >"$status"

	hfrun() { # hfrun KEY CMD HYPERFINE-OPTION...: one line, its status noted
		local key=$1 cmd=$2
		shift 2
		log "hyperfine: $cmd $*"
		if hyperfine -N "$@" --export-json "$out/$key.json" --command-name "$key" "$cmd" \
			>"$out/$key.log" 2>&1; then
			echo "$key ok" >>"$status"
		else
			echo "$key failed (see $key.log)" >>"$status"
			sed 's/^/    /' "$out/$key.log" | tail -20 >&2
			rm -f "$out/$key.json"
		fi
	}
	hf() { # hf KEY MINRUNS CMD...
		local key=$1 runs=$2
		shift 2
		hfrun "$key" "$*" --warmup "$WARMUP" --min-runs "$runs"
	}
	hfp() { # hfp KEY MINRUNS PREPARE CMD...: with a --prepare command
		local key=$1 runs=$2 prep=$3
		shift 3
		hfrun "$key" "$(printf '%q ' "$@")" --warmup 1 --min-runs "$runs" --prepare "$prep"
	}

	# 1. join a running sandbox, and its idle RSS.
	log "starting the sandbox for the join line"
	"$DEVBOX" run --idle-timeout 10m -- true || die "devbox run --idle-timeout 10m -- true failed"
	local name
	name=$("$DEVBOX" ps --json | python3 -c '
import json, sys
proj = sys.argv[1]
for s in json.load(sys.stdin) or []:
    if s.get("project") == proj:
        print(s["name"]); break
' "$proj")
	[[ -n $name ]] || die "the sandbox for $proj is not in devbox ps --json"
	STOP_SANDBOXES+=("$name")
	sleep 1
	rss "$name" idle-start >"$out/rss-start.json"
	hf join "$FAST_RUNS" "$DEVBOX" run -- true
	sleep 2 # let it settle: an idle sandbox after a burst of sessions
	rss "$name" idle-after-joins >"$out/rss.json"
	floor_line

	# 1b. join a strict sandbox (issue 11: at most 1.2x the join above).
	strict_join

	# 1c. review mode (issue 17): go test through the overlay vs the bind,
	# and devbox diff over 10,000 files copied up unchanged.
	review_lines

	# 2. cold throwaway sandbox (the warm one keeps running; --rm has its own),
	# without and with the default network: the difference is the network's
	# setup cost.
	hf cold "$FAST_RUNS" "$DEVBOX" run --rm --network none -- true
	hf cold-net "$FAST_RUNS" "$DEVBOX" run --rm -- true
	"$DEVBOX" stop "$name" >/dev/null 2>&1 || true
	rootlesskit_lines
	trace_lines
	baseline_lines
	idle_ten
	burst_lines

	# 3. bare namespaces, the floor for any sandbox.
	hf unshare "$FAST_RUNS" unshare --user --map-auto --map-root-user --mount --pid --fork --uts --ipc true

	# 4. bubblewrap on the host view.
	hf bwrap "$FAST_RUNS" bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true
	python3 "$WORK/alternate.py" "$PEER_RUNS" "$WORK/out/alt-cold-bwrap.json" \
		cold "$DEVBOX run --rm --network none -- true" \
		bwrap "bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true" >&2

	# 5. podman, rootless, with a local busybox image built offline.
	if ! command -v podman >/dev/null; then
		echo "podman skipped: podman is not installed" >>"$status"
	elif ! podman_image; then
		echo "podman skipped: could not build $IMAGE from /bin/busybox" >>"$status"
	else
		hf podman "$SLOW_RUNS" podman --runtime runc run --rm --network none "$IMAGE" true
	fi

	if [[ $START_ONLY == 1 ]]; then
		echo "image and throughput benchmarks skipped: --start-only" >>"$status"
		return 0
	fi
	# 6. images: pull from a loopback registry, cold --image start, join.
	image_phase

	# 7. network throughput.
	net_phase
}

# floor_line: the join floor, bench/floor's client against its server.
floor_line() {
	local sock=$WORK/out/floor.sock
	"$WORK/floor" serve "$sock" >"$WORK/out/floor.log" 2>&1 &
	BG_PIDS+=($!)
	local _
	for _ in $(seq 100); do
		[[ -S $sock ]] && break
		sleep 0.05
	done
	hf floor "$FAST_RUNS" "$WORK/floor" "$sock"
	# The ratio's own measurement: the join and the floor alternately
	# (bench/alternate.py), as hyperfine's lines run seconds apart and load
	# on a shared machine drifts between them.
	python3 "$WORK/alternate.py" "$FAST_PEER_RUNS" "$WORK/out/alt-join-floor.json" \
		join "$DEVBOX run -- true" floor "$WORK/floor $sock" >&2
}

# PEER_RUNS: runs of each command in the alternating measurements of the
# ratios to a peer (cold/bwrap); FAST_PEER_RUNS for the joins' (join/floor,
# strict/default join): a join's median moves 2-3% between runs of 60 on
# the benchmark machine, as much as the join/floor target's margin, and 200
# runs of each take about 6 seconds.
PEER_RUNS=60
FAST_PEER_RUNS=200

# rootlesskit_lines: Debian's rootlesskit, the cold lines' peers.
rootlesskit_lines() {
	local rk
	rk=$(command -v rootlesskit || true)
	if [[ -z $rk ]]; then
		echo "rootlesskit lines skipped: rootlesskit is not installed (apt-get install rootlesskit)" >>"$WORK/out/status.txt"
		return 0
	fi
	hf rootlesskit-host "$FAST_RUNS" "$rk" --net=host true
	hf rootlesskit-slirp "$FAST_RUNS" "$rk" --net=slirp4netns --mtu=65520 true
}

# trace_lines: 20 traced cold starts each, without and with the network;
# report.py takes the median of each phase (bench/tracesum.py).
TRACE_RUNS=20
trace_lines() {
	local key bin i
	for key in new base; do
		bin=$DEVBOX
		if [[ $key == base ]]; then
			[[ -n $BASELINE ]] || continue
			bin=$BASELINE
		fi
		log "traced cold starts ($key)"
		: >"$WORK/out/trace-$key-cold.txt"
		: >"$WORK/out/trace-$key-cold-net.txt"
		for i in $(seq "$TRACE_RUNS"); do
			DEVBOX_TRACE=1 "$bin" run --rm --network none -- true 2>>"$WORK/out/trace-$key-cold.txt" >/dev/null || true
			DEVBOX_TRACE=1 "$bin" run --rm -- true 2>>"$WORK/out/trace-$key-cold-net.txt" >/dev/null || true
		done
	done
}

# baseline_lines: the cold lines of --baseline and of this build, timed
# alternately (bench/alternate.py) so load on the machine falls on both.
# 100 runs each: with 30, the lines at d8876fb said join 1.01x where 150
# alternating runs outside the script gave 0.92x (this machine's run-to-run
# noise is about 5%); the four lines take about 40 s more.
ALT_RUNS=100
baseline_lines() {
	[[ -n $BASELINE ]] || return 0
	log "alternating joins: baseline vs this build"
	# Each build runs in a project of its own (env -C on both sides, so both
	# pay for it): the trust digest names the build, and two builds taking
	# turns in one project would each rewrite it on every run.
	local pb=$WORK/proj/alt-base pn=$WORK/proj/alt-new
	mkdir -p "$pb" "$pn"
	local base="env -C $pb $BASELINE" new="env -C $pn $DEVBOX"
	# Each keeps its own running sandbox. A few joins first: this build's
	# init starts its session spawner at the first join, and joins after
	# that are the steady state.
	$base run --name bench-base --idle-timeout 10m -- true >/dev/null &&
		$new run --name bench-new --idle-timeout 10m -- true >/dev/null || {
		echo "alternating joins failed: a sandbox did not start" >>"$WORK/out/status.txt"
	}
	STOP_SANDBOXES+=(bench-base bench-new)
	local _
	for _ in 1 2 3; do $new run --name bench-new -- true >/dev/null 2>&1 || true; done
	python3 "$WORK/alternate.py" "$ALT_RUNS" "$WORK/out/alt-join.json" \
		base "$base run --name bench-base -- true" new "$new run --name bench-new -- true" >&2
	# A join with a flag the fast join does not take (--user): this build
	# runs it through devbox-front, after devbox's own start and exec.
	python3 "$WORK/alternate.py" "$ALT_RUNS" "$WORK/out/alt-join-root.json" \
		base "$base run --name bench-base --user root -- true" new "$new run --name bench-new --user root -- true" >&2
	$base stop bench-base >/dev/null 2>&1 || true
	$new stop bench-new >/dev/null 2>&1 || true
	log "alternating cold starts: baseline vs this build"
	python3 "$WORK/alternate.py" "$ALT_RUNS" "$WORK/out/alt-cold.json" \
		base "$base run --rm --network none -- true" new "$new run --rm --network none -- true" >&2
	python3 "$WORK/alternate.py" "$ALT_RUNS" "$WORK/out/alt-cold-net.json" \
		base "$base run --rm -- true" new "$new run --rm -- true" >&2
}

# idle_ten: ten idle sandboxes (default network), the PSS of every
# supervisor, init and helper, from smaps_rollup.
idle_ten() {
	local i names=() name dir
	log "ten idle sandboxes"
	for i in $(seq 10); do
		dir=$WORK/proj/idle/$i
		mkdir -p "$dir"
		(cd "$dir" && "$DEVBOX" run --idle-timeout 10m -- true) || { echo "idle-ten failed: sandbox $i did not start" >>"$WORK/out/status.txt"; break; }
		name=$(cd "$dir" && "$DEVBOX" ps --json | python3 -c '
import json, sys
for s in json.load(sys.stdin) or []:
    if s.get("project") == sys.argv[1]:
        print(s["name"]); break
' "$dir")
		names+=("$name")
		STOP_SANDBOXES+=("$name")
	done
	sleep 2
	local rt=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/devbox}
	rt=${rt:-/tmp/devbox-$(id -u)}
	python3 - "$rt" "${names[@]}" >"$WORK/out/idle10.json" <<'PY'
import json, sys
rt, names = sys.argv[1], sys.argv[2:]
def kb(pid, f, key):
    try:
        for line in open(f"/proc/{pid}/{f}"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None
out = {"sandboxes": []}
for n in names:
    st = json.load(open(f"{rt}/{n}/state.json"))
    procs = [("supervisor", st["supervisor_pid"]), ("init", st["init_pid"])]
    procs += [("helper", p) for p in st.get("helpers") or []]
    out["sandboxes"].append({"name": n, "procs": [
        {"role": r, "pid": p, "pss_kb": kb(p, "smaps_rollup", "Pss"), "rss_kb": kb(p, "status", "VmRSS")}
        for r, p in procs]})
json.dump(out, sys.stdout, indent=1)
PY
	for name in "${names[@]}"; do
		"$DEVBOX" stop "$name" >/dev/null 2>&1 || true
	done
}

# burst_lines: 50 different sandboxes cold-started at once, then podman x50.
BURST=50
burst_lines() {
	log "burst: $BURST cold starts at once"
	python3 "$WORK/burst.py" "$BURST" "$WORK/proj/burst" "$WORK/out/burst-devbox.json" \
		"$DEVBOX" run --rm --network none -- true
	if command -v podman >/dev/null && podman_image; then
		log "burst: podman run x$BURST"
		timeout 300 python3 "$WORK/burst.py" "$BURST" "$WORK/proj/burst-podman" "$WORK/out/burst-podman.json" \
			podman --runtime runc run --rm --network none "$IMAGE" true ||
			echo "podman burst failed or took over 300 s" >>"$WORK/out/status.txt"
	fi
}

# ---------------------------------------------------------------------------
# Image phase (part of the user phase): an in-process registry on 127.0.0.1
# ($WORK/registry) serves the podman line's busybox image and a larger one
# (busybox plus the host's Python standard library, many small files).
# Pulls go into empty stores, wiped before every run; the cold and join
# lines use the user's default store. Results: $WORK/out/{pull-*,cold-image,
# join-image}.json.
# ---------------------------------------------------------------------------
image_phase() {
	local status=$WORK/out/status.txt reg
	if ! command -v podman >/dev/null || ! podman image exists "$IMAGE" 2>/dev/null; then
		echo "image benchmarks skipped: they need podman and $IMAGE" >>"$status"
		return 0
	fi
	start_registry || { echo "image benchmarks failed: the registry did not start" >>"$status"; return 0; }
	reg=$REG
	big_image || { echo "image benchmarks failed: could not build the large image" >>"$status"; return 0; }
	local img
	for img in "$IMAGE" "$IMAGE-big"; do
		podman push -q --tls-verify=false "$img" "$reg/${img#localhost/}:1" >&2 ||
			{ echo "image benchmarks failed: podman push $img" >>"$status"; return 0; }
	done
	local ref=$reg/${IMAGE#localhost/}:1
	"$DEVBOX" image pull -q "$ref" >/dev/null || { echo "image benchmarks failed: devbox image pull $ref" >>"$status"; return 0; }
	hf cold-image "$FAST_RUNS" "$DEVBOX" run --rm --network none --image "$ref" -- true
	log "traced cold --image starts"
	local i
	: >"$WORK/out/trace-new-cold-image.txt"
	for i in $(seq "$TRACE_RUNS"); do
		DEVBOX_TRACE=1 "$DEVBOX" run --rm --network none --image "$ref" -- true 2>>"$WORK/out/trace-new-cold-image.txt" >/dev/null || true
	done
	local dir=$WORK/proj/image name
	mkdir -p "$dir"
	(cd "$dir" && "$DEVBOX" run --idle-timeout 10m --network none --image "$ref" -- true) ||
		{ echo "join-image failed: could not start the image sandbox" >>"$status"; return 0; }
	name=$(cd "$dir" && "$DEVBOX" ps --json | python3 -c '
import json, sys
for s in json.load(sys.stdin) or []:
    if s.get("project") == sys.argv[1]:
        print(s["name"]); break
' "$dir")
	STOP_SANDBOXES+=("$name")
	(cd "$dir" && hf join-image "$FAST_RUNS" "$DEVBOX" run -- true)
	"$DEVBOX" stop "$name" >/dev/null 2>&1 || true
	"$DEVBOX" rm "$name" >/dev/null 2>&1 || true
	# Last: the pulls write and wipe ~100 MB per run, and the write-back
	# would slow the start lines above.
	pull_lines "$reg"
}

# start_registry: $WORK/registry in the background (in this shell, so that
# user_cleanup ends it); sets REG to its HOST:PORT.
REG=
start_registry() {
	local f=$WORK/out/registry.addr
	"$WORK/registry" >"$f" 2>"$WORK/out/registry.log" &
	BG_PIDS+=($!)
	local _
	for _ in $(seq 100); do
		[[ -s $f ]] && { REG=$(<"$f"); return 0; }
		sleep 0.05
	done
	return 1
}

# big_image: $IMAGE-big, busybox plus /usr/lib/python3.* (about 50 MB).
big_image() {
	podman image exists "$IMAGE-big" 2>/dev/null && return 0
	local py root=$WORK/img/big-root
	py=$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | head -1)
	[[ -n $py ]] || { log "no /usr/lib/python3.* for the large image"; return 1; }
	log "importing $IMAGE-big from busybox and $py"
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/usr/lib" || return 1
	cp /bin/busybox "$root/bin/busybox" && ln -s busybox "$root/bin/sh" && ln -s busybox "$root/bin/true" || return 1
	cp -a "$py" "$root/usr/lib/" 2>/dev/null || true # unreadable files are left out
	[[ -d $root$py ]] || return 1
	tar -C "$root" -cf "$WORK/img/big.tar" . && podman import "$WORK/img/big.tar" "$IMAGE-big" >/dev/null
}

# pull_lines REGISTRY: devbox image pull vs podman pull of each image into
# empty stores (devbox's own runtime dir too, for its store's run root).
pull_lines() {
	local img=$WORK/img/pull wipe key ref
	mkdir -p "$img"
	# sync: no run pays for the previous run's write-back.
	wipe="sh -c 'unshare --map-root-user --map-auto rm -rf $img/d $img/rt $img/p $img/prt; sync'"
	for key in busybox big; do
		ref=$1/${IMAGE#localhost/}:1
		[[ $key == big ]] && ref=$1/${IMAGE#localhost/}-big:1
		hfp "pull-devbox-$key" "$SLOW_RUNS" "$wipe" \
			env XDG_DATA_HOME="$img/d" XDG_RUNTIME_DIR="$img/rt" sh -c 'mkdir -m 700 -p "$XDG_RUNTIME_DIR" && exec "$0" image pull -q "$1"' "$DEVBOX" "$ref"
		hfp "pull-podman-$key" "$SLOW_RUNS" "$wipe" \
			podman --root "$img/p" --runroot "$img/prt" --storage-driver overlay --runtime runc pull -q --tls-verify=false "$ref"
	done
	unshare --map-root-user --map-auto rm -rf "$img"
}

# Everything the user phase starts in the background is listed here and
# ended on exit, whatever happens.
BG_PIDS=()
STOP_SANDBOXES=()
user_cleanup() {
	local pid name
	for name in "${STOP_SANDBOXES[@]}"; do
		"$DEVBOX" stop "$name" >/dev/null 2>&1 || true
	done
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

# rss NAME LABEL: JSON with VmRSS (and Pss when readable) of the supervisor
# and the init (init_pid is the init's host pid), from state.json.
rss() {
	local rt=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/devbox}
	rt=${rt:-/tmp/devbox-$(id -u)}
	python3 - "$rt/$1/state.json" "$2" <<'PY'
import json, sys
path, label = sys.argv[1], sys.argv[2]
st = json.load(open(path))
def kb(pid, f, key):
    try:
        for line in open(f"/proc/{pid}/{f}"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None
procs = {}
for role, key in (("supervisor", "supervisor_pid"), ("init", "init_pid")):
    pid = st[key]
    procs[role] = {"pid": pid, "vmrss_kb": kb(pid, "status", "VmRSS"),
                   "rssanon_kb": kb(pid, "status", "RssAnon"),
                   "rssfile_kb": kb(pid, "status", "RssFile"),
                   "pss_kb": kb(pid, "smaps_rollup", "Pss"),
                   "pss_anon_kb": kb(pid, "smaps_rollup", "Pss_Anon"),
                   "pss_file_kb": kb(pid, "smaps_rollup", "Pss_File")}
json.dump({"label": label, "state": path, "procs": procs}, sys.stdout, indent=1)
PY
}

podman_image() {
	if podman image exists "$IMAGE" 2>/dev/null; then
		return 0
	fi
	local bb
	bb=$(command -v busybox || true)
	[[ -x /bin/busybox ]] && bb=/bin/busybox
	[[ -n $bb ]] || { log "no busybox binary (apt-get install busybox-static)"; return 1; }
	if ldd "$bb" >/dev/null 2>&1; then
		log "$bb is dynamically linked; install busybox-static"
		return 1
	fi
	local root=$WORK/img/busybox-root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/etc" "$root/tmp" "$root/root"
	cp "$bb" "$root/bin/busybox"
	local a
	for a in sh true false echo cat ls ps id env sleep mount; do
		ln -s busybox "$root/bin/$a"
	done
	ln -s bin "$root/sbin"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	log "importing $IMAGE from $bb"
	tar -C "$root" -c . | podman import - "$IMAGE" >/dev/null
}

# ---------------------------------------------------------------------------
# Network phase (part of the user phase): iperf3 through devbox's drivers and
# through the same helpers run by hand. Traffic goes only to 127.0.0.1 and to
# addresses inside namespaces made here. Results: $WORK/out/net/*.json.
# ---------------------------------------------------------------------------
NET_SECS=5   # iperf3 -t
NET_ROUNDS=3 # interleaved rounds per pair; the report takes the median
# Debian 12's pasta collapses on its gateway (tap) path, sandbox -> host, at
# random: rounds of the same command ran at 0.1 to 10 Gbit/s here, raw or
# through devbox alike (more often when pasta is in another session than the
# iperf3 ends, see raw_pasta). So that pair, devbox's and raw pasta's, runs this many
# more interleaved rounds (their order swapped each round), and its median
# comes from all of them.
PASTA_EXTRA_ROUNDS=8
NS=
PUB_NAME=
NET_SANDBOXES=()

net_phase() {
	local net=$WORK/out/net status=$WORK/out/status.txt
	mkdir -p "$net" "$WORK/proj/net"
	for tool in iperf3 slirp4netns pasta nsenter; do
		if ! command -v "$tool" >/dev/null; then
			echo "network benchmarks skipped: $tool is not installed" >>"$status"
			return 0
		fi
	done
	local ports srv_port pub_port rk_port
	ports=$(free_ports 3)
	read -r srv_port pub_port rk_port <<<"$ports"
	echo "$srv_port $pub_port $rk_port" >"$net/ports.txt"
	echo "{\"secs\": $NET_SECS, \"rounds\": $NET_ROUNDS}" >"$net/params.json"

	# The host's iperf3 server, on loopback only.
	iperf3 -s -B 127.0.0.1 -p "$srv_port" >"$net/server.log" 2>&1 &
	BG_PIDS+=($!)
	wait_port "$srv_port" || { echo "network benchmarks failed: host iperf3 server did not listen" >>"$status"; return 0; }

	local raw_s4='' raw_pasta='' pub_name=''
	raw_slirp4netns && raw_s4=$NS
	raw_pasta "$srv_port" && raw_pasta=$NS
	devbox_published "$pub_port" && pub_name=$PUB_NAME
	rootlesskit_published "$rk_port" || rk_port=

	local round dir r
	for round in $(seq "$NET_ROUNDS"); do
		for dir in fwd rev; do
			r=()
			[[ $dir == fwd ]] || r=(-R)
			log "iperf3 round $round/$NET_ROUNDS, $dir"
			# 1. sandbox -> host loopback.
			(cd "$WORK/proj/net" && iperf "devbox-slirp4netns" "$dir" "$round" \
				"$DEVBOX" run --rm --network slirp4netns --allow-host-loopback -- \
				iperf3 -c host.devbox.internal -p "$srv_port" -t "$NET_SECS" -J "${r[@]}")
			[[ -z $raw_s4 ]] || iperf "raw-slirp4netns" "$dir" "$round" \
				setsid -w nsenter -t "$raw_s4" -U -n --preserve-credentials \
				iperf3 -c 10.0.2.2 -p "$srv_port" -t "$NET_SECS" -J "${r[@]}"
			(cd "$WORK/proj/net" && iperf "devbox-pasta" "$dir" "$round" \
				"$DEVBOX" run --rm --network pasta --allow-host-loopback -- \
				iperf3 -c host.devbox.internal -p "$srv_port" -t "$NET_SECS" -J "${r[@]}")
			if [[ -n $raw_pasta ]]; then
				iperf "raw-pasta" "$dir" "$round" \
					setsid -w nsenter -t "$raw_pasta" -U -n --preserve-credentials \
					iperf3 -c 10.0.2.2 -p "$srv_port" -t "$NET_SECS" -J "${r[@]}"
				iperf "raw-pasta-splice" "$dir" "$round" \
					setsid -w nsenter -t "$raw_pasta" -U -n --preserve-credentials \
					iperf3 -c 127.0.0.1 -p "$srv_port" -t "$NET_SECS" -J "${r[@]}"
			fi
			# 2. host -> sandbox through a published port.
			[[ -z $pub_name ]] || iperf "devbox-published" "$dir" "$round" \
				iperf3 -c 127.0.0.1 -p "$pub_port" -t "$NET_SECS" -J "${r[@]}"
			[[ -z $rk_port ]] || iperf "rootlesskit-builtin" "$dir" "$round" \
				iperf3 -c 127.0.0.1 -p "$rk_port" -t "$NET_SECS" -J "${r[@]}"
		done
	done
	[[ -z $raw_pasta ]] || pasta_extra_rounds "$srv_port" "$raw_pasta"
	strict_download
	net_cleanup >"$net/left.txt"
}

# pasta_extra_rounds PORT NS: PASTA_EXTRA_ROUNDS more rounds of the pasta
# gateway pair, sandbox -> host (NET_ROUNDS' comment says why), raw pasta's
# namespace NS.
pasta_extra_rounds() {
	local round i
	for i in $(seq "$PASTA_EXTRA_ROUNDS"); do
		round=$((NET_ROUNDS + i))
		log "iperf3 pasta gateway round $round, fwd"
		if ((i % 2)); then
			pasta_devbox_round "$1" "$round"
			pasta_raw_round "$1" "$2" "$round"
		else
			pasta_raw_round "$1" "$2" "$round"
			pasta_devbox_round "$1" "$round"
		fi
	done
}

pasta_devbox_round() {
	(cd "$WORK/proj/net" && iperf "devbox-pasta" fwd "$2" \
		"$DEVBOX" run --rm --network pasta --allow-host-loopback -- \
		iperf3 -c host.devbox.internal -p "$1" -t "$NET_SECS" -J)
}

pasta_raw_round() {
	iperf "raw-pasta" fwd "$3" setsid -w nsenter -t "$2" -U -n --preserve-credentials \
		iperf3 -c 10.0.2.2 -p "$1" -t "$NET_SECS" -J
}

# strict_join: the join line under security = "strict", in its own project.
strict_join() {
	local sp=$WORK/proj-strict
	mkdir -p "$sp"
	printf 'security = "strict"\n' >"$sp/devbox.toml"
	(cd "$sp" && "$DEVBOX" run --idle-timeout 10m -- true) || { echo "join-strict failed: could not start the strict sandbox" >>"$WORK/out/status.txt"; return 0; }
	(cd "$sp" && hf join-strict "$FAST_RUNS" "$DEVBOX" run -- true)
	python3 "$WORK/alternate.py" "$FAST_PEER_RUNS" "$WORK/out/alt-join-strict.json" \
		strict "$DEVBOX run --project $sp -- true" default "$DEVBOX run --project $WORK/proj -- true" >&2
	(cd "$sp" && "$DEVBOX" stop >/dev/null 2>&1) || true
}

# review_lines: issue 17's targets. A module of Go standard library
# packages (with their tests; none imports internal/) in one project,
# tested with `go test ./...` in a running sandbox with the plain bind and
# in one in review mode, alternately, REVIEW_GO_RUNS times each
# (GOFLAGS=-count=1: the tests run every time; the
# build cache in each sandbox's home is warm from hyperfine's warmup). Then
# devbox diff of a review sandbox of a 10,000-file project that read every
# file and changed none; and again once it copied all 10,000 up without
# changing them (chmod to the same mode), the worst case, where diff
# compares every one with the real file and lists nothing.
REVIEW_GO_RUNS=20
REVIEW_PKGS="container/list container/ring encoding/csv text/tabwriter encoding/hex encoding/base32 html text/template/parse"
review_lines() {
	local mp=$WORK/proj-review-go dp=$WORK/proj-review-diff goroot p i
	goroot=$(go env GOROOT) || { echo "review lines failed: no go in PATH" >>"$WORK/out/status.txt"; return 0; }
	mkdir -p "$mp"
	printf 'module benchmod\n\ngo %s\n' "$(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')" >"$mp/go.mod"
	for p in $REVIEW_PKGS; do
		mkdir -p "$mp/$p"
		cp "$goroot/src/$p"/*.go "$mp/$p/"
	done
	local gotest=(env GOFLAGS=-count=1 go test ./...)
	(cd "$mp" && "$DEVBOX" run --name bench-bind --idle-timeout 10m -- "${gotest[@]}" >/dev/null &&
		"$DEVBOX" run --name bench-review --review --idle-timeout 10m -- "${gotest[@]}" >/dev/null) ||
		{ echo "review go test lines failed: a sandbox could not run go test" >>"$WORK/out/status.txt"; return 0; }
	STOP_SANDBOXES+=(bench-bind bench-review)
	# Alternately (bench/alternate.py), so load on the machine falls on both.
	(cd "$mp" && python3 "$WORK/alternate.py" "$REVIEW_GO_RUNS" "$WORK/out/alt-review-gotest.json" \
		bind "$DEVBOX run --name bench-bind -- ${gotest[*]}" review "$DEVBOX run --name bench-review --review -- ${gotest[*]}" >&2) ||
		echo "review go test lines failed (see alt-review-gotest.json)" >>"$WORK/out/status.txt"
	(cd "$mp" && "$DEVBOX" stop bench-bind >/dev/null 2>&1 && "$DEVBOX" stop bench-review >/dev/null 2>&1) || true

	mkdir -p "$dp"
	for i in $(seq 0 99); do
		mkdir -p "$dp/d$i"
		for p in $(seq 0 99); do printf 'file %d of dir %d\n' "$p" "$i" >"$dp/d$i/f$p"; done
	done
	(cd "$dp" && "$DEVBOX" run --review --idle-timeout 10m -- sh -c 'find . -type f -exec cat {} + >/dev/null') ||
		{ echo "review diff lines failed: the review sandbox could not read the files" >>"$WORK/out/status.txt"; return 0; }
	(cd "$dp" && hf review-diff "$FAST_RUNS" "$DEVBOX" diff)
	(cd "$dp" && "$DEVBOX" run --review -- sh -c 'find . -type f -exec chmod 0644 {} +') ||
		{ echo "review diff copied-up line failed: the review sandbox could not copy the files up" >>"$WORK/out/status.txt"; return 0; }
	# The first diff after the copy-up compares every file; it keeps its
	# verdicts (internal/review/samecache.go), which later diffs use.
	local same
	same=$("$DEVBOX" ps --json | python3 -c '
import json, sys
for s in json.load(sys.stdin) or []:
    if s.get("project") == sys.argv[1]:
        print(s["name"]); break
' "$dp")
	if [[ -n $same ]]; then
		same=${XDG_DATA_HOME:-$HOME/.local/share}/devbox/sandboxes/$same/review/same-content
		(cd "$dp" && hfp review-diff-copied-first "$FAST_RUNS" "rm -f $same" "$DEVBOX" diff)
	else
		echo "review diff first line failed: the review sandbox of $dp is not in devbox ps --json" >>"$WORK/out/status.txt"
	fi
	(cd "$dp" && hf review-diff-copied "$FAST_RUNS" "$DEVBOX" diff)
	(cd "$dp" && "$DEVBOX" stop >/dev/null 2>&1) || true
}

# strict_download: a 1 GiB HTTP download from a loopback server, through
# the default network (slirp4netns, --allow-host-loopback) and through the
# strict profile's proxy (allow_local), NET_ROUNDS times each, in bytes/s
# from curl: proxy-{default,strict}-N.txt.
strict_download() {
	local net=$WORK/out/net dir=$WORK/proj-dl port
	mkdir -p "$net" "$dir/srv" "$dir/default" "$dir/strict"
	truncate -s 1G "$dir/srv/big"
	port=$(free_ports 1)
	(cd "$dir/srv" && exec python3 -m http.server -b 127.0.0.1 "$port") >"$net/http.log" 2>&1 &
	BG_PIDS+=($!)
	wait_port "$port" || { echo "proxy throughput failed: the HTTP server did not listen" >>"$WORK/out/status.txt"; return 0; }
	printf 'security = "strict"\n[egress]\nallow_local = ["127.0.0.1:%s"]\n' "$port" >"$dir/strict/devbox.toml"
	local round
	for round in $(seq "$NET_ROUNDS"); do
		(cd "$dir/default" && "$DEVBOX" run --rm --allow-host-loopback -- \
			curl -s -o /dev/null -w '%{speed_download}' "http://host.devbox.internal:$port/big") >"$net/proxy-default-$round.txt" || true
		# --noproxy '': the session's NO_PROXY lists 127.0.0.1.
		(cd "$dir/strict" && "$DEVBOX" run --rm -- \
			curl -s --noproxy '' -x http://127.0.0.1:3128 -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$port/big") >"$net/proxy-strict-$round.txt" || true
	done
}

# net_cleanup: end everything the network phase started, then list what is
# still running of it (the recorded pids and their descendants taken before
# the kill, and the sandboxes), which should be nothing.
net_cleanup() {
	local all=() pid name
	local kids=()
	for pid in "${BG_PIDS[@]}"; do
		mapfile -t kids < <(descendants "$pid")
		all+=("$pid" "${kids[@]}")
	done
	user_cleanup
	BG_PIDS=()
	STOP_SANDBOXES=()
	sleep 0.5
	for pid in "${all[@]}"; do
		if kill -0 "$pid" 2>/dev/null && [[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) != Z ]]; then
			echo "pid $pid left running: $(tr '\0' ' ' <"/proc/$pid/cmdline"); killed"
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	for name in "${NET_SANDBOXES[@]}"; do
		if "$DEVBOX" ps --json | grep -q "\"$name\""; then
			echo "sandbox $name left running"
		fi
	done
}

descendants() {
	local c
	# shellcheck disable=SC2013 # one pid per word
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

# iperf KEY DIR ROUND CMD...: one iperf3 client run, its JSON kept.
iperf() {
	local key=$1 dir=$2 round=$3 f
	shift 3
	f=$WORK/out/net/$key-$dir-$round.json
	if ! timeout $((NET_SECS + 25)) "$@" >"$f" 2>"$f.err"; then
		echo "iperf3 $key $dir round $round failed (see net/$key-$dir-$round.json.err)" >>"$WORK/out/status.txt"
		tail -5 "$f.err" | sed 's/^/    /' >&2
	fi
}

# free_ports N: N free TCP ports on 127.0.0.1.
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (5 s).
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# bare_netns: a user+net namespace holding a sleep; sets NS to its pid.
bare_netns() {
	unshare --user --map-root-user --net sleep 3600 >/dev/null 2>&1 &
	NS=$!
	BG_PIDS+=("$NS")
	local _
	for _ in $(seq 100); do
		if [[ $(readlink "/proc/$NS/ns/net") != "$(readlink /proc/self/ns/net)" ]]; then
			return 0
		fi
		sleep 0.02
	done
	return 1
}

# wait_tap PID: until tap0 in PID's namespace has an IPv4 address (5 s).
wait_tap() {
	local _
	for _ in $(seq 100); do
		if nsenter -t "$1" -U -n --preserve-credentials ip -4 -o addr show dev tap0 2>/dev/null | grep -q inet; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# raw_slirp4netns: slirp4netns as its README runs it, on a bare namespace
# (NS).
raw_slirp4netns() {
	bare_netns || return 1
	# In a session of its own, as devbox's runs in its supervisor's (see
	# raw_pasta on why it matters).
	setsid slirp4netns --configure --mtu=65520 "$NS" tap0 >"$WORK/out/net/raw-slirp4netns.log" 2>&1 &
	BG_PIDS+=($!)
	wait_tap "$NS" || { log "raw slirp4netns did not configure tap0"; return 1; }
}

# raw_pasta PORT: pasta with devbox's addresses and host loopback through
# its gateway (no --no-map-gw), plus -T PORT, the splice path from the
# namespace's 127.0.0.1:PORT to the host's. It daemonizes, as pasta does
# by default and as devbox and podman run it: in the foreground (-f) it
# would share this script's session, and so the scheduler's autogroup,
# with both iperf3 ends, which on Debian 12's pasta made its gateway path
# collapse about four times less often (12 alternating rounds: median
# 9.29 Gbit/s with -f, 1.77 with setsid -f, and 7.40 against 1.73 for -f
# against daemonized), a placement no sandbox's traffic has. Likewise the
# raw lines' iperf3 clients run in a session of their own (setsid -w), as a
# sandbox's session runs in its own: helper, client and server in three
# sessions, through devbox or raw.
raw_pasta() {
	local pidf=$WORK/out/net/raw-pasta.pid
	bare_netns || return 1
	pasta --stderr --ns-ifname=tap0 --mtu=65520 --config-net \
		--address=10.0.2.100 --netmask=24 --gateway=10.0.2.2 --dns-forward=10.0.2.3 --ipv4-only \
		--tcp-ports=none --udp-ports=none --tcp-ns="$1" --udp-ns=none \
		--pid "$pidf" "$NS" >"$WORK/out/net/raw-pasta.log" 2>&1 ||
		{ log "raw pasta did not start (net/raw-pasta.log)"; return 1; }
	BG_PIDS+=("$(cat "$pidf")")
	wait_tap "$NS" || { log "raw pasta did not configure tap0"; return 1; }
}

# devbox_published PORT: a sandbox (default network) serving iperf3 on 5201,
# published on 127.0.0.1:PORT; sets PUB_NAME.
devbox_published() {
	local dir=$WORK/proj/pub
	mkdir -p "$dir"
	(cd "$dir" && "$DEVBOX" run --idle-timeout 10m -p "127.0.0.1:$1:5201" -- sh -c 'iperf3 -s -D') >&2 || return 1
	PUB_NAME=$("$DEVBOX" ps --json | python3 -c '
import json, sys
for s in json.load(sys.stdin) or []:
    if s.get("project") == sys.argv[1]:
        print(s["name"]); break
' "$dir")
	[[ -n $PUB_NAME ]] || return 1
	STOP_SANDBOXES+=("$PUB_NAME")
	NET_SANDBOXES+=("$PUB_NAME")
	wait_port "$1"
}

# rootlesskit_published PORT: rootlesskit's CLI with slirp4netns and its
# builtin port driver, serving iperf3 on 127.0.0.1:PORT.
rootlesskit_published() {
	[[ -n $ROOTLESSKIT ]] || { echo "rootlesskit line skipped: no rootlesskit binary" >>"$WORK/out/status.txt"; return 1; }
	"$ROOTLESSKIT" --net=slirp4netns --mtu=65520 --port-driver=builtin \
		-p "127.0.0.1:$1:5201/tcp" iperf3 -s >"$WORK/out/net/rootlesskit.log" 2>&1 &
	BG_PIDS+=($!)
	wait_port "$1"
}

if [[ $PHASE == user ]]; then
	[[ -n $WORK && -n $DEVBOX ]] || die "--phase user needs --work and --devbox"
	[[ -z $ROOTLESSKIT || -x $ROOTLESSKIT ]] || ROOTLESSKIT=
	[[ -z $BASELINE || -x $BASELINE ]] || BASELINE=
	user_phase
	exit 0
fi

# ---------------------------------------------------------------------------
# Main phase: build, prepare, run the user phase, run the Go benchmarks, report.
# ---------------------------------------------------------------------------
# install_packages: as root, apt-get install the Debian packages the lines
# need when their commands are missing.
install_packages() {
	[[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || return 0
	local missing=() tool pkg
	for tool in hyperfine:hyperfine bwrap:bubblewrap iperf3:iperf3 slirp4netns:slirp4netns pasta:passt rootlesskit:rootlesskit; do
		pkg=${tool#*:}
		command -v "${tool%%:*}" >/dev/null || missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	log "apt-get install -y ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2 ||
		log "warning: apt-get install ${missing[*]} failed"
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$REPO/docs/benchmarks.md}
install_packages
for tool in hyperfine bwrap unshare python3; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/devbox-bench.XXXXXX)
chmod 0755 "$WORK"
cleanup() {
	if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# SRC is the tree that is built and whose Go benchmarks run.
SRC=$REPO
if [[ -n $REV ]]; then
	SRC=$WORK/src
	mkdir -p "$SRC"
	log "exporting $REV"
	git -C "$REPO" archive "$REV" | tar -x -C "$SRC"
	COMMIT=$(git -C "$REPO" rev-parse --short "$REV")
else
	COMMIT=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
fi
if [[ -z $DEVBOX ]]; then
	log "building devbox from ${REV:-the working tree}, as install.sh does"
	(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$WORK/" ./cmd/devbox ./cmd/devbox-front ./cmd/devbox-engine ./cmd/devbox-supervisor ./cmd/devbox-init)
else
	COMMIT="$COMMIT (binary: $DEVBOX)"
	install -m 0755 "$DEVBOX" "$WORK/devbox"
	for b in devbox-front devbox-engine devbox-supervisor devbox-init; do
		if [[ -x $(dirname "$DEVBOX")/$b ]]; then
			install -m 0755 "$(dirname "$DEVBOX")/$b" "$WORK/$b"
		fi
	done
fi
chmod 0755 "$WORK/devbox"
log "building the loopback registry and stripped binaries (sizes)"
mkdir -p "$WORK/out" "$WORK/stripped"
# The floor is built as devbox is (stripped), so that the join / floor
# ratio compares like with like.
(cd "$SRC" && CGO_ENABLED=0 go build -o "$WORK/" ./bench/registry &&
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$WORK/" ./bench/floor &&
	CGO_ENABLED=0 go build -ldflags='-s -w' -o "$WORK/stripped/" ./cmd/devbox ./cmd/devbox-front ./cmd/devbox-engine ./cmd/devbox-supervisor ./cmd/devbox-init) ||
	die "go build of bench/registry or the stripped binaries failed"
chmod 0755 "$WORK/registry" "$WORK/floor" "$WORK/out"
for f in burst.py alternate.py; do
	install -m 0755 "$REPO/bench/$f" "$WORK/$f"
done
if [[ -n $BASELINE ]]; then
	mkdir -p "$WORK/base"
	install -m 0755 "$BASELINE" "$WORK/base/devbox"
	for b in devbox-front devbox-engine devbox-supervisor devbox-init; do
		[[ -x $(dirname "$BASELINE")/$b ]] && install -m 0755 "$(dirname "$BASELINE")/$b" "$WORK/base/$b"
	done
	chmod 0755 "$WORK/base"
	BASELINE=$WORK/base/devbox
fi
printf '{"devbox": %s, "devbox-engine": %s, "devbox-supervisor": %s}\n' "$(stat -c %s "$WORK/stripped/devbox")" "$(stat -c %s "$WORK/stripped/devbox-engine")" "$(stat -c %s "$WORK/stripped/devbox-supervisor")" >"$WORK/out/size.json"
stat -c '{"devbox-init": %s}' "$WORK/stripped/devbox-init" >"$WORK/out/size-init.json"
if [[ -z $ROOTLESSKIT ]]; then
	ROOTLESSKIT=$(command -v rootlesskit || true)
fi
if [[ -z $ROOTLESSKIT ]]; then
	rkver=$(awk '$1 == "github.com/rootless-containers/rootlesskit/v2" { print $2 }' "$SRC/go.mod")
	log "building rootlesskit ${rkver:-latest} (go install, outside the repo)"
	if GOBIN=$WORK/rk CGO_ENABLED=0 go install "github.com/rootless-containers/rootlesskit/v2/cmd/rootlesskit@${rkver:-latest}" >&2; then
		ROOTLESSKIT=$WORK/rk/rootlesskit
	else
		log "warning: could not build rootlesskit; its line is skipped"
	fi
elif [[ -x $ROOTLESSKIT ]]; then
	mkdir -p "$WORK/rk"
	install -m 0755 "$ROOTLESSKIT" "$WORK/rk/rootlesskit"
	ROOTLESSKIT=$WORK/rk/rootlesskit
fi
[[ -d $WORK/rk ]] && chmod 0755 "$WORK/rk"
cp "$REPO/bench/bench.sh" "$WORK/bench.sh"
chmod 0755 "$WORK/bench.sh"

if [[ $(id -u) -eq 0 ]]; then
	id "$BENCH_USER" >/dev/null 2>&1 || die "user $BENCH_USER does not exist (use --user NAME)"
	grep -q "^$BENCH_USER:" /etc/subuid 2>/dev/null || log "warning: $BENCH_USER has no subuid range; devbox falls back to a single id"
	for dev in /dev/net/tun /dev/fuse; do
		[[ -e $dev ]] && chmod 0666 "$dev"
	done
	mkdir -p "$WORK/out" "$WORK/proj" "$WORK/proj-strict" "$WORK/proj-dl" "$WORK/img" "$WORK/proj-review-go" "$WORK/proj-review-diff"
	chown "$BENCH_USER:" "$WORK/out" "$WORK/proj" "$WORK/proj-strict" "$WORK/proj-dl" "$WORK/img" "$WORK/proj-review-go" "$WORK/proj-review-diff"
	# The review lines run go test inside (the host view shows the host's
	# go): the bench user's PATH keeps the directory of root's go.
	gobin=$(command -v go || true)
	home=$(getent passwd "$BENCH_USER" | cut -d: -f6)
	log "running the sandbox benchmarks as $BENCH_USER"
	# A clean login-like environment: no XDG_RUNTIME_DIR, so devbox uses
	# /tmp/devbox-UID, as it does under su/runuser.
	(cd "$WORK" && runuser -u "$BENCH_USER" -- env -i \
		HOME="$home" USER="$BENCH_USER" LOGNAME="$BENCH_USER" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin${gobin:+:$(dirname "$gobin")} \
		LANG=C.UTF-8 TERM="${TERM:-dumb}" \
		bash "$WORK/bench.sh" --phase user --work "$WORK" --devbox "$WORK/devbox" --rootlesskit "$ROOTLESSKIT" \
		--baseline "$BASELINE" $([[ $START_ONLY == 1 ]] && echo --start-only))
	RAN_AS=$BENCH_USER
else
	log "running the sandbox benchmarks as $(id -un)"
	(bash "$WORK/bench.sh" --phase user --work "$WORK" --devbox "$WORK/devbox" --rootlesskit "$ROOTLESSKIT" \
		--baseline "$BASELINE" $([[ $START_ONLY == 1 ]] && echo --start-only))
	RAN_AS=$(id -un)
fi

log "go test -run '^\$' -bench . ./internal/proto/"
(cd "$SRC" && go test -run '^$' -bench . -benchmem ./internal/proto/) >"$WORK/out/gobench.txt" 2>&1 ||
	log "warning: Go benchmarks failed (see the report)"

# Machine and tool versions.
ver() { "$@" 2>/dev/null | head -1 || true; }
python3 - "$WORK/out/meta.json" <<PY
import json, sys
meta = {
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "kernel": "$(uname -r)",
    "os": "$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null)",
    "cpus": "$(nproc)",
    "cpu_model": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
    "load": "$LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after",
    "mem": "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)",
    "user": "$RAN_AS",
    "commit": "$COMMIT",
    "go": "$(ver go version)",
    "hyperfine": "$(ver hyperfine --version)",
    "bwrap": "$(ver bwrap --version)",
    "unshare": "$(ver unshare --version)",
    "podman": "$(ver podman --version)",
    "runc": "$(ver runc --version)",
    "iperf3": "$(ver iperf3 --version)",
    "slirp4netns": "$(ver slirp4netns --version)",
    "passt": "$(dpkg-query -W -f='${Version}' passt 2>/dev/null || true)",
    "rootlesskit": "$([[ -n $ROOTLESSKIT ]] && ver "$ROOTLESSKIT" --version)",
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY

mkdir -p "$(dirname "$OUT")"
python3 "$REPO/bench/report.py" "$WORK/out" "$REPO/bench/tracesum.py" >"$OUT"
log "wrote $OUT"
sed -n '/^## Results/,/^## Go/p' "$OUT" | sed '$d' >&2
