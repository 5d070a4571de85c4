#!/bin/sh
# test.sh: devbox's one test command (.ci/run calls it).
#
# As a user: gofmt, go vet, build, unit tests, then the integration tests
# against bin/devbox. As root (CI, fresh machine): install the host packages,
# create the unprivileged test users, copy the tree where they can read it,
# run everything above as devbox-test, then the tests that need root and the
# single-id tests as devbox-nosub (a user without subordinate ids).
#
# DEVBOX_TEST_MUST_WORK=1 turns every skipped test into a failure.
# DEVBOX_TEST_SOURCE=HEAD (root only) tests the last commit, not the work tree.
#
# For engineers iterating in parallel (never set by CI): DEVBOX_CI_USER names
# the unprivileged test user (default devbox-test; one per engineer, so that
# one engineer's `devbox stop --all` cannot end another's sandboxes),
# DEVBOX_CI_DIR the copy of the tree (default /var/tmp/devbox-ci, or
# /var/tmp/devbox-ci-USER for another user), DEVBOX_TEST_RUN a -run regex for
# the integration tests (with it set, DEVBOX_TEST_PODMAN=1 still runs the
# podman smoke tests, which a full run always does), and DEVBOX_CI_QUICK=1 leaves out the root, single-id
# and User-Mode Linux sections.
set -eu

cd "$(dirname "$0")"
started=$(date +%s)

test_user=${DEVBOX_CI_USER:-devbox-test} # unprivileged, with /etc/subuid and /etc/subgid ranges
nosub_user=devbox-nosub                  # unprivileged, no ranges: the single-id fallback
ci_dir=/var/tmp/devbox-ci                # world-readable copy of the tree, owned by test_user
[ "$test_user" = devbox-test ] || ci_dir=/var/tmp/devbox-ci-$test_user
ci_dir=${DEVBOX_CI_DIR:-$ci_dir}
packages="uidmap slirp4netns passt fuse-overlayfs iproute2 busybox-static tmux procps util-linux user-mode-linux"
# config tests (issue 6): ssh-agent, ssh-add and ssh-keygen for agent forwarding
packages="$packages openssh-client"
# gui = true: a real X server (Xvfb) and an X client (xdpyinfo); python3 for
# the UDP echo server and host-loopback probes of the network tests
packages="$packages xvfb x11-utils python3"
# image tests (issue 4): mmdebstrap builds the Debian rootfs of the apt
# test as the unprivileged user (debootstrap needs root)
packages="$packages mmdebstrap"
# AppArmor profile test (issue 13): apparmor ships apparmor_parser; Debian
# 12's is 3.0.8, older than the userns rule, so setup_apparmor_parser adds
# Debian 13's beside it
packages="$packages apparmor"
# escape tests (issue 10): keyctl for the keyring tests, ping, and gdb and
# strace tracing a session's own processes under the default profile
packages="$packages keyutils iputils-ping gdb strace"
# export and kube tests (issue 16): the exported image loads and runs in
# Debian's podman, and its Pod and Job run under podman kube play (runc:
# crun is not what Debian 12 installs by default on hybrid cgroups; kube play
# builds its pause image around catatonit)
packages="$packages podman runc catatonit"
# container tests (issue 13): the smoke subset runs inside a rootless
# podman run of a minimal Debian rootfs (mmdebstrap, above; podman and runc
# as for the kube tests)

# podman_smoke is the smoke subset of the integration suite that runs
# inside the container: run, exit codes, join, project write, an image
# sandbox, and the container's own fallbacks.
podman_smoke='^(TestExitStatusPassesThrough|TestSandboxKeepsRunningBetweenSessions|TestFileCreatedInProjectIsOwnedByUser|TestImage_ImportEachKind|TestInContainer_.*)$'
# benchmarks (bench/bench.sh, issue 15): the peers of the cold-start lines
packages="$packages bubblewrap rootlesskit hyperfine"

section() { printf '\n==== %s ====\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - started))s"; }

# has_subids USER: the user owns a range in both /etc/subuid and /etc/subgid.
has_subids() {
	uid=$(id -u "$1")
	for f in /etc/subuid /etc/subgid; do
		grep -q -e "^$1:" -e "^$uid:" "$f" 2>/dev/null || return 1
	done
}

# ---------------------------------------------------------------- as a user

user_main() {
	export CGO_ENABLED=0
	command -v go >/dev/null || die "go not found in PATH"

	section "gofmt"
	unformatted=$(gofmt -l .)
	if [ -n "$unformatted" ]; then
		printf '%s\n' "$unformatted"
		die "gofmt: the files above need gofmt -w"
	fi
	echo ok

	section "go vet"
	go vet ./...
	go vet -tags integration ./test/integration/
	echo ok

	section "build"
	go build -o bin/ ./cmd/devbox ./cmd/devbox-front ./cmd/devbox-engine ./cmd/devbox-supervisor ./cmd/devbox-init
	go test -tags integration -c -o bin/integration.test ./test/integration/
	ls -l bin/devbox bin/devbox-front bin/devbox-engine bin/devbox-supervisor bin/devbox-init

	section "unit tests"
	go test -count=1 ./...

	# Root-only tests run in the root part; the no-subuid test needs a user
	# without ranges (devbox-nosub in the root part).
	# TestInContainer_ runs in the container (podman_smoke_run).
	skip='^(TestRunAsRoot|TestOtherUserCannotJoinOrStop|TestInContainer_.*)$'
	if has_subids "$(id -un)"; then
		skip='^(TestRunAsRoot|TestOtherUserCannotJoinOrStop|TestSingleIDWithoutSubordinateRange|TestInContainer_.*)$'
	fi
	section "integration tests as $(id -un) (uid $(id -u))"
	go test -tags integration -count=1 -timeout 10m -v -skip "$skip" -run "${DEVBOX_TEST_RUN:-.}" \
		./test/integration/ -devbox "$PWD/bin/devbox" 2>&1 | summarize
	if [ -n "${DEVBOX_TEST_PODMAN_ROOTFS:-}" ]; then
		podman_smoke_run
	fi
}

# podman_smoke_run runs podman_smoke inside a rootless podman container with
# default options, as this user: the container's root runs the tests
# against bin/, mounted read-only. runc and cgroupfs: this host's cgroups
# are hybrid, where Debian 12's crun and the systemd manager fail rootless.
podman_smoke_run() {
	section "smoke tests inside rootless podman run (default options)"
	rootfs=$DEVBOX_TEST_PODMAN_ROOTFS
	img=localhost/devbox-ci-debian:$(stat -c %Y "$rootfs")
	if ! podman image exists "$img"; then
		podman import "$rootfs" "$img" >/dev/null
	fi
	podman --runtime runc --cgroup-manager cgroupfs run --rm \
		-v "$PWD/bin:/devbox:ro" -e DEVBOX_TEST_IN_CONTAINER=1 -e DEVBOX_TEST_MUST_WORK="${DEVBOX_TEST_MUST_WORK:-}" \
		"$img" /devbox/integration.test -test.count=1 -test.timeout=5m -test.v \
		-test.run "$podman_smoke" -devbox /devbox/devbox 2>&1 | summarize
}

# summarize passes go test -v output through but keeps only the result lines
# of passing tests, so failures and skips stand out; it keeps go test's status.
summarize() {
	awk '
		/^(=== (RUN|PAUSE|CONT)|    --- PASS)/ { next }
		{ print }
		/^(--- FAIL|FAIL)/ { failed = 1 }
		END { exit failed }
	'
}

# ---------------------------------------------------------------- as root

install_packages() {
	missing=
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	# The Debian apt test fetches a package with apt-get download, which
	# needs the package lists.
	if ! ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'; then
		apt-get update
	fi
	if [ -z "$missing" ]; then
		echo "all present: $packages"
		return
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y --no-install-recommends $missing; then
		apt-get update
		# shellcheck disable=SC2086
		apt-get install -y --no-install-recommends $missing
	fi
}

# setup_apparmor_parser sets aa_parser to an AppArmor 4 apparmor_parser for
# the profile test (contrib/apparmor/devbox.in uses AppArmor 4.0's userns
# rule). The host's own when it is 4 or newer; otherwise Debian 13's
# apparmor and libc6 packages, downloaded from the host's own Debian mirror
# and unpacked (not installed) under aa_dir, run through their own dynamic
# loader, since that parser needs a newer glibc than Debian 12's.
setup_apparmor_parser() {
	if apparmor_parser --version 2>/dev/null | head -n 1 | grep -q 'version [4-9]'; then
		aa_parser=$(command -v apparmor_parser)
		return
	fi
	aa_dir=/var/cache/devbox-ci/apparmor4
	aa_parser=$aa_dir/apparmor_parser
	[ -x "$aa_parser" ] && return
	rm -rf "$aa_dir"
	mkdir -p "$aa_dir/lists/partial" "$aa_dir/cache/partial" "$aa_dir/debs" "$aa_dir/root"
	# shellcheck disable=SC2016 # apt's format fields, not shell
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk '$2 !~ /-/ { print $1; exit }')
	[ -n "$mirror" ] || die "no Debian mirror in the apt sources to fetch AppArmor 4 from"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$aa_dir/sources.list"
	set -- -o Dir::Etc::sourcelist="$aa_dir/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$aa_dir/lists" -o Dir::Cache="$aa_dir/cache"
	apt-get "$@" update >/dev/null
	(cd "$aa_dir/debs" && apt-get "$@" download apparmor libc6 2>&1 | grep -v unsandboxed)
	for deb in "$aa_dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$aa_dir/root"
	done
	cat >"$aa_parser.tmp" <<EOF
#!/bin/sh
r=$aa_dir/root
exec "\$r/usr/lib64/ld-linux-x86-64.so.2" --library-path "\$r/usr/lib/x86_64-linux-gnu" \\
	"\$r/usr/sbin/apparmor_parser" --config-file=/dev/null --base "\$r/etc/apparmor.d" "\$@"
EOF
	chmod 0755 "$aa_parser.tmp"
	mv "$aa_parser.tmp" "$aa_parser"
	chmod -R a+rX "$aa_dir"
	"$aa_parser" --version | head -n 1
}

# setup_podman_rootfs sets podman_rootfs to a minbase Debian 12 tarball
# (plus busybox-static, which the image tests copy into their images) for
# the container smoke tests, made once with mmdebstrap, as the apt test
# makes its rootfs, and kept in /var/cache/devbox-ci. It has no
# slirp4netns, pasta or uidmap, as a CI runner's image need not.
setup_podman_rootfs() {
	podman_rootfs=/var/cache/devbox-ci/podman-rootfs.tar
	[ -s "$podman_rootfs" ] && return
	mkdir -p /var/cache/devbox-ci
	mmdebstrap --variant=minbase --include=busybox-static --format=tar \
		bookworm "$podman_rootfs.tmp" http://deb.debian.org/debian
	chmod a+r "$podman_rootfs.tmp"
	mv "$podman_rootfs.tmp" "$podman_rootfs"
}

# next_free_subid: the start of a 65536-id block above every range in use.
next_free_subid() {
	cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: '
		NF == 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { end = $2 + $3; if (end > max) max = end }
		END { if (max < 100000) max = 100000; print max }
	'
}

setup_users() {
	touch /etc/subuid /etc/subgid
	if ! id "$test_user" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$test_user"
	fi
	# A supplementary group, as users have docker or disk: the escape suite
	# checks that no host group reaches the sandbox.
	groupadd -f devbox-extra
	id -nG "$test_user" | grep -qw devbox-extra || usermod -aG devbox-extra "$test_user"
	if ! has_subids "$test_user"; then
		start=$(next_free_subid)
		end=$((start + 65535))
		grep -q "^$test_user:" /etc/subuid || usermod --add-subuids "$start-$end" "$test_user"
		grep -q "^$test_user:" /etc/subgid || usermod --add-subgids "$start-$end" "$test_user"
	fi
	if ! id "$nosub_user" >/dev/null 2>&1; then
		# useradd allocates subordinate ids itself unless told not to.
		useradd -m -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$nosub_user"
	fi
	nosub_uid=$(id -u "$nosub_user")
	for f in /etc/subuid /etc/subgid; do
		if grep -q -e "^$nosub_user:" -e "^$nosub_uid:" "$f"; then
			sed -i -e "/^$nosub_user:/d" -e "/^$nosub_uid:/d" "$f"
		fi
	done
	grep -e "^$test_user:" /etc/subuid /etc/subgid
	echo "$nosub_user: no subordinate ids"
}

setup_devices() {
	if [ ! -e /dev/net/tun ]; then
		mkdir -p /dev/net
		mknod /dev/net/tun c 10 200
	fi
	if [ ! -e /dev/fuse ]; then
		mknod /dev/fuse c 10 229
	fi
	# slirp4netns, pasta and fuse-overlayfs open these as the user.
	chmod 0666 /dev/net/tun /dev/fuse
	ls -l /dev/net/tun /dev/fuse
	# X11's socket directory, as a desktop session has it (the gui test)
	mkdir -p /tmp/.X11-unix && chown root:root /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix
}

# copy_tree copies the source to $ci_dir/src: the work tree (tracked and
# untracked files git does not ignore; without git, everything but bin and
# .git), or with DEVBOX_TEST_SOURCE=HEAD the last commit only.
copy_tree() {
	rm -rf "$ci_dir"
	mkdir -p "$ci_dir/src"
	if [ "${DEVBOX_TEST_SOURCE:-}" = HEAD ]; then
		git archive HEAD | tar -xf - -C "$ci_dir/src"
	elif command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# shellcheck disable=SC2016
		git ls-files -z --cached --others --exclude-standard |
			xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done; true' sh |
			tar -cf - -T - | tar -xf - -C "$ci_dir/src"
	else
		tar --exclude=./bin --exclude=./.git -cf - . | tar -xf - -C "$ci_dir/src"
	fi
	chown -R "$test_user:" "$ci_dir"
	chmod -R a+rX "$ci_dir"
	echo "copied ${DEVBOX_TEST_SOURCE:-the work tree} to $ci_dir/src"
}

# go_env_for USER HOME: env assignments to run go as USER.
go_env_for() {
	goproxy=$(go env GOPROXY)
	# Reuse the modules root already has before the network proxy, when the
	# user can read root's cache.
	rootcache=$(go env GOMODCACHE)/cache/download
	if [ -d "$rootcache" ] && runuser -u "$1" -- test -r "$rootcache" -a -x "$rootcache"; then
		goproxy="file://$rootcache,$goproxy"
	fi
	printf '%s\n' "GOPATH=$2/go" "GOMODCACHE=$2/go/pkg/mod" "GOCACHE=$2/.cache/go-build" \
		"GOPROXY=$goproxy" "GOSUMDB=$(go env GOSUMDB)" "GOTOOLCHAIN=$(go env GOTOOLCHAIN)"
	for v in GOFLAGS GONOSUMDB GOPRIVATE GOINSECURE GONOPROXY; do
		val=$(go env "$v")
		[ -z "$val" ] || printf '%s=%s\n' "$v" "$val"
	done
}

root_main() {
	if ! command -v go >/dev/null; then
		[ -x /usr/local/go/bin/go ] || die "go not found in PATH or /usr/local/go/bin"
		PATH=/usr/local/go/bin:$PATH
	fi
	godir=$(dirname "$(command -v go)")
	must_work=${DEVBOX_TEST_MUST_WORK:-}

	section "host setup (root)"
	install_packages
	setup_apparmor_parser
	podman_rootfs=
	if [ -z "${DEVBOX_TEST_RUN:-}" ] || [ -n "${DEVBOX_TEST_PODMAN:-}" ]; then
		setup_podman_rootfs
	fi
	setup_users
	setup_devices
	copy_tree

	section "as $test_user: format, vet, build, unit and integration tests"
	home=$(getent passwd "$test_user" | cut -d: -f6)
	(
		cd "$ci_dir/src"
		# shellcheck disable=SC2046
		runuser -u "$test_user" -- env -i \
			HOME="$home" USER="$test_user" LOGNAME="$test_user" LANG=C.UTF-8 TERM="${TERM:-dumb}" \
			PATH="$godir:/usr/local/bin:/usr/bin:/bin" \
			$(go_env_for "$test_user" "$home") \
			DEVBOX_TEST_MUST_WORK="$must_work" DEVBOX_TEST_NESTED=1 DEVBOX_TEST_RUN="${DEVBOX_TEST_RUN:-.}" \
			DEVBOX_TEST_APPARMOR_PARSER="$aa_parser" DEVBOX_TEST_PODMAN_ROOTFS="$podman_rootfs" \
			sh ./test.sh
	)
	if [ -n "${DEVBOX_CI_QUICK:-}" ]; then
		return
	fi

	bin=$ci_dir/src/bin
	chmod -R a+rX "$bin"

	section "integration tests as root"
	(
		cd "$ci_dir"
		env -i HOME="${HOME:-/root}" USER=root LOGNAME=root LANG=C.UTF-8 PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
			DEVBOX_TEST_MUST_WORK="$must_work" DEVBOX_TEST_USER="$test_user" \
			"$bin/integration.test" -test.count=1 -test.timeout=5m -test.v \
			-test.run '^(TestRunAsRoot|TestOtherUserCannotJoinOrStop)$' -devbox "$bin/devbox" 2>&1 | summarize
	)

	section "single-id tests as $nosub_user"
	nosub_home=$(getent passwd "$nosub_user" | cut -d: -f6)
	(
		cd "$ci_dir"
		runuser -u "$nosub_user" -- env -i \
			HOME="$nosub_home" USER="$nosub_user" LOGNAME="$nosub_user" LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin \
			DEVBOX_TEST_MUST_WORK="$must_work" \
			"$bin/integration.test" -test.count=1 -test.timeout=5m -test.v \
			-test.run 'SingleID' -devbox "$bin/devbox" 2>&1 | summarize
	)

	# ---- cgroup v2 suite (test/vm): the hosts' cgroups are hybrid, so
	# delegated limits are proven in a User-Mode Linux guest (Debian's 6.1
	# kernel as a process, package user-mode-linux above), one boot, as
	# $test_user with a delegated subtree (about 30 s); then, same boot, the
	# rest of test/integration on that 6.1 kernel with MUST_WORK (about 3 min).
	section "cgroup v2 suite in User-Mode Linux (test/vm/run.sh)"
	DEVBOX_VM_USER="$test_user" sh "$ci_dir/src/test/vm/run.sh"
}

# ---------------------------------------------------------------- main

if [ "$(id -u)" = 0 ]; then
	root_main
else
	user_main
fi
if [ -n "${DEVBOX_TEST_NESTED:-}" ]; then
	section "tests as $(id -un) passed ($(elapsed))"
else
	section "all tests passed ($(elapsed))"
fi
