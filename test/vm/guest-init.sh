#!/bin/sh
# PID 1 of the User-Mode Linux guest (see run.sh). It runs as the guest's
# root: it mounts the pseudo file systems and cgroup2, delegates a subtree to
# the test user as systemd's Delegate=yes does, runs the suite as that user
# from a leaf below it, prints the result marker and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
# /tmp holds the tests' stores: the ext4 disk run.sh made, else tmpfs.
if [ -b /dev/ubda ] && mount -t ext4 /dev/ubda /tmp; then
	chmod 1777 /tmp
else
	mount -t tmpfs -o mode=1777 tmpfs /tmp
fi
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
# OOM reports and the like would interleave with the tests' output.
echo 1 >/proc/sys/kernel/printk

uid=$(id -u "$DEVBOX_USER")
gid=$(id -g "$DEVBOX_USER")
cg=/sys/fs/cgroup
# Controllers flow down: root -> user.slice -> the user's delegated group.
echo "+memory +pids +cpu" >$cg/cgroup.subtree_control
mkdir $cg/user.slice
echo "+memory +pids +cpu" >$cg/user.slice/cgroup.subtree_control
u=$cg/user.slice/user-$uid
mkdir $u $u/session
# Delegate=yes: the group itself and its procs, threads and subtree_control
# files, not its own limits; everything below it.
chown "$uid:$gid" $u $u/cgroup.procs $u/cgroup.threads $u/cgroup.subtree_control
chown -R "$uid:$gid" $u/session
echo $$ >$u/session/cgroup.procs

home=/tmp/home-$uid
mkdir -p $home && chown "$uid:$gid" $home
# devbox and the tests take the home from the password file: show the
# writable one there (the host's root is read-only in the guest).
pwhome=$(getent passwd "$uid" | cut -d: -f6)
if [ -n "$pwhome" ] && [ "$pwhome" != / ] && [ -d "$pwhome" ] && mount --bind "$home" "$pwhome"; then
	home=$pwhome
fi
cd "$DEVBOX_WORK"

# as_user CMD...: run CMD as the test user with a login's environment.
as_user() {
	setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i HOME=$home USER="$DEVBOX_USER" LOGNAME="$DEVBOX_USER" PATH="$PATH" LANG=C.UTF-8 \
		DEVBOX_BIN="$DEVBOX_WORK/devbox" "$@" 2>&1
}

echo "DEVBOX-VM-BEGIN kernel $(uname -r), controllers: $(cat $u/cgroup.controllers), /tmp on $(stat -f -c %T /tmp)"
as_user DEVBOX_VM_GUEST=1 ./vm.test -test.v -test.timeout 180s -test.run "$DEVBOX_RUN"
rc=$?
echo "DEVBOX-VM-SUITE cgroup rc=$rc"

# The rest of the integration suite on this kernel (6.1, Debian 12's own):
# the modules devbox's network drivers and image store need, the devices
# opened by the user as on a desktop distribution, loopback up for the
# published ports. It runs from a root-owned group outside the delegated
# subtree, so the not-delegated path is what it sees (vm.test covers the
# delegated one).
# run.sh writes the -test.run and -test.skip patterns to files: the kernel's
# command line cannot carry their characters.
if [ -x ./integration.test ]; then
	for m in drivers/net/tun fs/overlayfs/overlay fs/fuse/fuse; do
		# kmod may be absent; busybox-static (test.sh installs it) has insmod.
		busybox insmod "$DEVBOX_MODULES/kernel/$m.ko" || echo "guest-init: insmod $m.ko failed"
	done
	chmod 0666 /dev/net/tun /dev/fuse
	# Loopback only, no default route, as on an offline machine: both
	# drivers must work so (pasta with lo as its template interface).
	ip link set lo up
	mkdir -p /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix
	mkdir $cg/integration && echo $$ >$cg/integration/cgroup.procs
	as_user DEVBOX_TEST_MUST_WORK=1 DEVBOX_TEST_GUEST=1 TERM=dumb \
		./integration.test -test.v -test.count=1 -test.timeout 1150s \
		-test.run "$(cat integration.run)" -test.skip "$(cat integration.skip)" -devbox "$DEVBOX_WORK/devbox"
	irc=$?
	echo "DEVBOX-VM-SUITE integration rc=$irc"
	[ "$rc" != 0 ] || rc=$irc
fi
echo "DEVBOX-VM-RESULT rc=$rc"
sync
poweroff -f -f 2>/dev/null || /bin/busybox poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
# Should nothing power off, init's exit ends the kernel.
exit "$rc"
