#!/usr/bin/env bash
# bench/bench.sh: devbox's benchmarks, all in one run, written to docs/benchmarks.md.
#
# Measured with hyperfine, as an unprivileged user:
#   join    devbox run -- true                 (running sandbox)
#   cold    devbox run --rm --network none -- true
#   unshare unshare --user --map-auto --map-root-user --mount --pid --fork --uts --ipc true
#   bwrap   bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true   (host view)
#   podman  podman --runtime runc run --rm --network none localhost/devbox-bench-busybox true
# plus the RSS of an idle sandbox (supervisor + init) and the Go benchmarks of
# internal/proto.
#
# Usage: bench/bench.sh [--user NAME] [--rev REV | --devbox PATH] [--out FILE] [--keep]
#   --user NAME    as root: the unprivileged user to benchmark as (default dbx-helper;
#                  it needs a subuid/subgid range)
#   --rev REV      build devbox (and run the Go benchmarks) from a clean export of
#                  git revision REV instead of the working tree
#   --devbox PATH  benchmark this binary instead of building ./cmd/devbox
#   --out FILE     report path (default docs/benchmarks.md in the repo)
#   --keep         keep the work directory (hyperfine JSON, logs)
#
# Needs: hyperfine, bubblewrap, uidmap (newuidmap), util-linux unshare >= 2.38,
# python3, go; podman + runc + busybox-static for the podman line (skipped
# with a note when podman is missing). No network access is needed: the podman
# image is imported from Debian's /bin/busybox.
set -euo pipefail

BENCH_USER=dbx-helper
DEVBOX=
REV=
OUT=
KEEP=0
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
	--out) OUT=$2; shift 2 ;;
	--out=*) OUT=${1#*=}; shift ;;
	--keep) KEEP=1; shift ;;
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
	mkdir -p "$out" "$proj"
	cd "$proj"
	local status=$out/status.txt
	: >"$status"

	hf() { # hf KEY MINRUNS CMD...
		local key=$1 runs=$2
		shift 2
		log "hyperfine: $*"
		if hyperfine -N --warmup "$WARMUP" --min-runs "$runs" \
			--export-json "$out/$key.json" --command-name "$key" "$*" \
			>"$out/$key.log" 2>&1; then
			echo "$key ok" >>"$status"
		else
			echo "$key failed (see $key.log)" >>"$status"
			sed 's/^/    /' "$out/$key.log" | tail -20 >&2
			rm -f "$out/$key.json"
		fi
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
	# shellcheck disable=SC2064
	trap "\"$DEVBOX\" stop '$name' >/dev/null 2>&1 || true" EXIT
	sleep 1
	rss "$name" idle-start >"$out/rss-start.json"
	hf join "$FAST_RUNS" "$DEVBOX" run -- true
	sleep 2 # let it settle: an idle sandbox after a burst of sessions
	rss "$name" idle-after-joins >"$out/rss.json"

	# 2. cold throwaway sandbox (the warm one keeps running; --rm has its own).
	hf cold "$FAST_RUNS" "$DEVBOX" run --rm --network none -- true
	"$DEVBOX" stop "$name" >/dev/null 2>&1 || true
	trap - EXIT

	# 3. bare namespaces, the floor for any sandbox.
	hf unshare "$FAST_RUNS" unshare --user --map-auto --map-root-user --mount --pid --fork --uts --ipc true

	# 4. bubblewrap on the host view.
	hf bwrap "$FAST_RUNS" bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true

	# 5. podman, rootless, with a local busybox image built offline.
	if ! command -v podman >/dev/null; then
		echo "podman skipped: podman is not installed" >>"$status"
	elif ! podman_image; then
		echo "podman skipped: could not build $IMAGE from /bin/busybox" >>"$status"
	else
		hf podman "$SLOW_RUNS" podman --runtime runc run --rm --network none "$IMAGE" true
	fi
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
                   "pss_kb": kb(pid, "smaps_rollup", "Pss")}
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
	local root=$WORK/busybox-root
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

if [[ $PHASE == user ]]; then
	[[ -n $WORK && -n $DEVBOX ]] || die "--phase user needs --work and --devbox"
	user_phase
	exit 0
fi

# ---------------------------------------------------------------------------
# Main phase: build, prepare, run the user phase, run the Go benchmarks, report.
# ---------------------------------------------------------------------------
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$REPO/docs/benchmarks.md}
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
	log "building devbox from ${REV:-the working tree}"
	(cd "$SRC" && CGO_ENABLED=0 go build -o "$WORK/" ./cmd/devbox ./cmd/devbox-init)
else
	COMMIT="$COMMIT (binary: $DEVBOX)"
	install -m 0755 "$DEVBOX" "$WORK/devbox"
	if [[ -x $(dirname "$DEVBOX")/devbox-init ]]; then
		install -m 0755 "$(dirname "$DEVBOX")/devbox-init" "$WORK/devbox-init"
	fi
fi
chmod 0755 "$WORK/devbox"
cp "$REPO/bench/bench.sh" "$WORK/bench.sh"
chmod 0755 "$WORK/bench.sh"

if [[ $(id -u) -eq 0 ]]; then
	id "$BENCH_USER" >/dev/null 2>&1 || die "user $BENCH_USER does not exist (use --user NAME)"
	grep -q "^$BENCH_USER:" /etc/subuid 2>/dev/null || log "warning: $BENCH_USER has no subuid range; devbox falls back to a single id"
	for dev in /dev/net/tun /dev/fuse; do
		[[ -e $dev ]] && chmod 0666 "$dev"
	done
	mkdir -p "$WORK/out" "$WORK/proj"
	chown "$BENCH_USER:" "$WORK/out" "$WORK/proj"
	home=$(getent passwd "$BENCH_USER" | cut -d: -f6)
	log "running the sandbox benchmarks as $BENCH_USER"
	# A clean login-like environment: no XDG_RUNTIME_DIR, so devbox uses
	# /tmp/devbox-UID, as it does under su/runuser.
	(cd "$WORK" && runuser -u "$BENCH_USER" -- env -i \
		HOME="$home" USER="$BENCH_USER" LOGNAME="$BENCH_USER" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		LANG=C.UTF-8 TERM="${TERM:-dumb}" \
		bash "$WORK/bench.sh" --phase user --work "$WORK" --devbox "$WORK/devbox")
	RAN_AS=$BENCH_USER
else
	log "running the sandbox benchmarks as $(id -un)"
	(bash "$WORK/bench.sh" --phase user --work "$WORK" --devbox "$WORK/devbox")
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
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY

mkdir -p "$(dirname "$OUT")"
python3 "$REPO/bench/report.py" "$WORK/out" >"$OUT"
log "wrote $OUT"
sed -n '/^## Results/,/^## Go/p' "$OUT" | sed '$d' >&2
