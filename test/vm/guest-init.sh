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
mount -t tmpfs -o mode=1777 tmpfs /tmp
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

echo "DEVBOX-VM-BEGIN kernel $(uname -r), controllers: $(cat $u/cgroup.controllers)"
home=/tmp/home-$uid
mkdir -p $home && chown "$uid:$gid" $home
cd "$DEVBOX_WORK"
setpriv --reuid="$uid" --regid="$gid" --init-groups \
	env -i HOME=$home USER="$DEVBOX_USER" LOGNAME="$DEVBOX_USER" PATH="$PATH" LANG=C.UTF-8 \
	DEVBOX_BIN="$DEVBOX_WORK/devbox" DEVBOX_VM_GUEST=1 \
	./vm.test -test.v -test.timeout 180s -test.run "$DEVBOX_RUN" 2>&1
rc=$?
echo "DEVBOX-VM-RESULT rc=$rc"
sync
poweroff -f -f 2>/dev/null || /bin/busybox poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
# Should nothing power off, init's exit ends the kernel.
exit "$rc"
