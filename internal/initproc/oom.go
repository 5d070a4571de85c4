package initproc

import (
	"os"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
)

// cgroupRoot is the sandbox's own group, seen through its cgroup namespace
// (the child mounts it when the group is delegated).
const cgroupRoot = "/sys/fs/cgroup"

// oomKills returns the sandbox group's OOM kill count, 0 without a group.
func oomKills() uint64 {
	b, _ := os.ReadFile(cgroupRoot + "/memory.events")
	return cgroupv2.ParseKeyed(b)["oom_kill"]
}

// markOOM flags a session that died by SIGKILL while the OOM kill count
// grew. Init reads it before reporting the exit: the group is gone once the
// sandbox stops, which may be right after its last session.
func markOOM(e *proto.Exit, before uint64) {
	if e.Signal != int(unix.SIGKILL) || oomKills() <= before {
		return
	}
	e.OOMKilled = true
	b, _ := os.ReadFile(cgroupRoot + "/memory.max")
	e.MemoryMax, _ = cgroupv2.ParseMax(b)
}
