#!/bin/sh
# install.sh: build devbox from this checkout, install it, and check the host.
#
# As root it installs the host packages devbox uses, the AppArmor profile
# Ubuntu's user namespace restriction calls for, and, with --user NAME,
# gives NAME subordinate ids. As anyone else it changes nothing outside the
# install directory and prints the sudo commands for what is missing.
# It ends by running `devbox doctor`.
set -eu

usage() {
	cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--user NAME] [--no-deps]
       ./install.sh [--prefix DIR] --print-apparmor-profile

Build devbox and install it to /usr/local/bin (root), ~/.local/bin (others),
or DIR/bin with --prefix. Then check the host and run 'devbox doctor'.

  --prefix DIR  install DIR/bin/devbox (and devbox-engine, devbox-supervisor
                and devbox-init beside it)
  --user NAME   as root: add subordinate uid/gid ranges for NAME if missing
  --no-deps     do not install or suggest host packages
  --print-apparmor-profile
                print the AppArmor profile for devbox in that directory
                (what root gets in /etc/apparmor.d where Ubuntu restricts
                user namespaces) and exit without building
  -h, --help    show this help
EOF
}

say() { printf '%s\n' "$*"; }
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

prefix=
user=
deps=1
print_profile=0
while [ $# -gt 0 ]; do
	case $1 in
	--prefix)
		[ $# -ge 2 ] || die "--prefix needs a directory"
		prefix=$2
		shift 2
		;;
	--prefix=*)
		prefix=${1#--prefix=}
		shift
		;;
	--user)
		[ $# -ge 2 ] || die "--user needs a user name"
		user=$2
		shift 2
		;;
	--user=*)
		user=${1#--user=}
		shift
		;;
	--no-deps)
		deps=0
		shift
		;;
	--print-apparmor-profile)
		print_profile=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown option '$1'. Run './install.sh --help' for usage." ;;
	esac
done

if [ -n "$user" ] && ! id -u "$user" >/dev/null 2>&1; then
	die "no such user: $user"
fi

is_root() { [ "$(id -u)" -eq 0 ]; }

# sudo prefixes the commands printed for a non-root user.
sudo=
is_root || sudo='sudo '

src=$(cd "$(dirname "$0")" && pwd)

find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [ -x /usr/local/go/bin/go ]; then
		say /usr/local/go/bin/go
	else
		want=$(sed -n 's/^go //p' "$src/go.mod")
		die "Go $want or newer is needed to build devbox: install it from https://go.dev/doc/install (to /usr/local/go), then run ./install.sh again"
	fi
}

bin_dir() {
	if [ -n "$prefix" ]; then
		say "$prefix/bin"
	elif is_root; then
		say /usr/local/bin
	else
		say "$HOME/.local/bin"
	fi
}

# build_and_install builds into a temporary directory, then installs the
# binary mode 0755 (root-owned when root: a user-writable devbox could be
# rewritten from inside a sandbox).
build_and_install() {
	go=$(find_go)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	say "building devbox with $("$go" env GOVERSION)"
	# Four binaries, each as small as its job: devbox, the front users type,
	# joins running sandboxes and execs devbox-engine (every other command,
	# and an image sandbox's supervisor) for the rest; devbox-supervisor is
	# a host-view sandbox's supervisor; devbox-init is the sandbox's PID 1.
	# They find each other in one directory.
	# Stripped (-s -w), as distributions ship binaries: no symbol table or
	# DWARF (a panic still prints its full stack, from the runtime's own
	# tables), a third smaller, and a cold start execs three of them
	# (about 0.5 ms less per start here). Build without it for a debugger.
	# devbox version prints the commit; Go's own VCS stamp is missing in a
	# tree without .git, so pass it when git knows it.
	ldflags="-s -w"
	if rev=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null); then
		ldflags="$ldflags -X github.com/devbox-dev/devbox/internal/cli.commit=$rev"
	fi
	(cd "$src" && CGO_ENABLED=0 "$go" build -trimpath -ldflags "$ldflags" -o "$tmp/" ./cmd/devbox ./cmd/devbox-front ./cmd/devbox-engine ./cmd/devbox-supervisor ./cmd/devbox-init)
	mkdir -p "$bindir"
	for b in devbox devbox-front devbox-engine devbox-supervisor devbox-init; do
		if is_root; then
			install -m 0755 -o root -g root "$tmp/$b" "$bindir/$b"
		else
			install -m 0755 "$tmp/$b" "$bindir/$b"
		fi
	done
	say "installed $bindir/devbox, devbox-engine, devbox-supervisor and devbox-init"
	is_root || say "note: you can rewrite this binary, and so could a sandbox escape; sudo ./install.sh installs a root-owned one"
	case ":$PATH:" in
	*":$bindir:"*) ;;
	*) say "note: $bindir is not in PATH; add to your shell's rc: export PATH=\"$bindir:\$PATH\"" ;;
	esac
}

# missing_packages prints the packages of the host's package manager that
# are not installed, or nothing on an unknown distribution.
missing_packages() {
	if command -v apt-get >/dev/null 2>&1; then
		for p in uidmap slirp4netns passt fuse-overlayfs iproute2; do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || printf '%s ' "$p"
		done
	elif command -v dnf >/dev/null 2>&1; then
		for p in shadow-utils slirp4netns passt fuse-overlayfs iproute; do
			rpm -q "$p" >/dev/null 2>&1 || printf '%s ' "$p"
		done
	fi
}

pkg_install_cmd() {
	if command -v apt-get >/dev/null 2>&1; then
		say "apt-get install -y $1"
	else
		say "dnf install -y $1"
	fi
}

install_packages() {
	missing=$(missing_packages)
	missing=${missing% }
	if [ -z "$missing" ]; then
		say "host packages: all present"
		return
	fi
	cmd=$(pkg_install_cmd "$missing")
	if ! is_root; then
		say "host packages missing; install them with: sudo $cmd"
		return
	fi
	say "installing host packages: $missing"
	export DEBIAN_FRONTEND=noninteractive
	# Stale package lists are the usual failure: refresh once and retry.
	# shellcheck disable=SC2086 # $cmd is a word list
	if ! $cmd >/dev/null; then
		command -v apt-get >/dev/null 2>&1 && apt-get update >/dev/null
		$cmd >/dev/null || say "warning: could not install: $missing"
	fi
}

# has_range FILE NAME UID: FILE has a non-empty range owned by NAME or UID.
has_range() {
	[ -r "$1" ] || return 1
	awk -F: -v n="$2" -v u="$3" '
		($1 == n || $1 == u) && NF == 3 && $3 > 0 { found = 1 }
		END { exit !found }' "$1"
}

# next_free prints the start of a free 65536-id block at or above 100000,
# after the highest range in use in /etc/subuid and /etc/subgid.
next_free() {
	cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: '
		BEGIN { next_id = 100000 }
		NF == 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ && $2 + $3 > next_id { next_id = $2 + $3 }
		END { printf "%.0f\n", next_id }'
}

# subids NAME gives NAME subordinate ids when missing (as root), or prints
# the command that does.
subids() {
	name=$1
	uid=$(id -u "$name")
	flags=
	start=$(next_free)
	range="$start-$((start + 65535))"
	has_range /etc/subuid "$name" "$uid" || flags="--add-subuids $range"
	has_range /etc/subgid "$name" "$uid" || flags="$flags --add-subgids $range"
	if [ -z "$flags" ]; then
		say "subordinate ids for $name: present"
		return
	fi
	flags=${flags# }
	if ! is_root; then
		say "no subordinate ids for $name (only one id will be mapped); fix: ${sudo}usermod $flags $name"
		return
	fi
	# shellcheck disable=SC2086 # $flags is a word list
	usermod $flags "$name"
	say "subordinate ids for $name: added $range"
}

check_subids() {
	if [ -n "$user" ]; then
		subids "$user"
	elif ! is_root; then
		subids "$(id -un)"
	elif [ -n "${SUDO_USER:-}" ] && ! has_range /etc/subuid "$SUDO_USER" "$(id -u "$SUDO_USER")"; then
		say "note: $SUDO_USER has no subordinate ids; run again with --user $SUDO_USER to add them"
	fi
}

# ---- AppArmor: Ubuntu 23.10 and later set
# kernel.apparmor_restrict_unprivileged_userns=1, which leaves a program no
# profile covers without capabilities in its user namespaces. The profile
# (contrib/apparmor/devbox.in) allows them to devbox, devbox-front,
# devbox-engine, devbox-supervisor and devbox-init at the path installed to; devbox doctor
# prints the same one.

# aa_name prints the profile and file name for $bindir/devbox, as
# /etc/apparmor.d names them (usr.local.bin.devbox).
aa_name() {
	printf '%s' "$bindir/devbox" | LC_ALL=C sed -e 's|^/*||' -e 's|/|.|g' -e 's|[^A-Za-z0-9._-]|_|g'
}

apparmor_profile() {
	esc=$(printf '%s' "$bindir" | sed 's/[\\|&]/\\&/g')
	sed -e "s|@BINDIR@|$esc|g" -e "s|@NAME@|$(aa_name)|g" "$src/contrib/apparmor/devbox.in"
}

# quote prints $1 in single quotes for a shell.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

setup_apparmor() {
	knob=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
	[ -r "$knob" ] && [ "$(cat "$knob")" = 1 ] || return 0
	file=/etc/apparmor.d/$(aa_name)
	if ! is_root; then
		say "AppArmor restricts user namespaces here (kernel.apparmor_restrict_unprivileged_userns=1): devbox needs a profile. Install it with:"
		say "  sh $(quote "$src/install.sh") --prefix $(quote "${bindir%/bin}") --print-apparmor-profile | sudo tee $file >/dev/null"
		say "  sudo apparmor_parser -r $file"
		return
	fi
	apparmor_profile >"$file.tmp"
	chmod 0644 "$file.tmp"
	mv "$file.tmp" "$file"
	if apparmor_parser -r "$file"; then
		say "AppArmor: installed and loaded $file (user namespaces for devbox, devbox-front, devbox-engine, devbox-supervisor and devbox-init in $bindir)"
	else
		say "warning: apparmor_parser could not load $file (it needs AppArmor 4.0 for the userns rule); see 'devbox doctor'"
	fi
}

bindir=$(bin_dir)
if [ "$print_profile" -eq 1 ]; then
	apparmor_profile
	exit 0
fi
build_and_install
setup_apparmor
[ "$deps" -eq 0 ] || install_packages
check_subids
say ""
say "running devbox doctor:"
"$bindir/devbox" doctor || true
