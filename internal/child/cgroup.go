package child

import (
	"os"
	"syscall"

	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
)

// cgroupDir is where programs inside look for cgroup v2.
const cgroupDir = "/sys/fs/cgroup"

// mountCgroup mounts cgroup2 at /sys/fs/cgroup when the sandbox has its own
// delegated group. The cgroup namespace makes that group the root here, so
// programs inside (a container engine, systemd) can create nested groups.
// The supervisor created the group as the invoking user, who is uid 0 here;
// a root owned by anyone else (the host's group when nothing is delegated)
// is not ours to offer, and the mount is dropped again.
func mountCgroup(spec proto.Spec) error {
	if !spec.Cgroup {
		// Nothing delegated: mounting only to find the host's group and
		// unmount it again cost milliseconds of every start (an unmount
		// waits for an RCU grace period).
		return nil
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("cgroup2", cgroupDir, "cgroup2", flags, ""); err != nil {
		return nil // no cgroup2 here (v1-only host): nothing to offer
	}
	fi, err := os.Stat(cgroupDir)
	if err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == 0 {
			return nil
		}
	}
	return unix.Unmount(cgroupDir, unix.MNT_DETACH)
}
