package initproc

import (
	"os"
	"sync"
	"syscall"

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

// sessionsDir is an open fd of the sandbox group's sessions leaf, nil
// without one; opened once, kept for every spawn.
var sessionsDir = sync.OnceValue(func() *os.File {
	f, err := cgroupv2.OpenDir(cgroupRoot + "/" + cgroupv2.SessionsLeaf)
	if err != nil {
		return nil
	}
	return f
})

// intoSessions starts a session in the sessions leaf (CLONE_INTO_CGROUP),
// where the pids limit applies, apart from init itself.
func intoSessions(attr *syscall.SysProcAttr) {
	if f := sessionsDir(); f != nil {
		attr.UseCgroupFD = true
		attr.CgroupFD = int(f.Fd())
	}
}
