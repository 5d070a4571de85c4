package initproc

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// keepID makes the session run as the invoking user's own uid and gid, in a
// user namespace nested in the sandbox's (init stays uid 0; it built the
// sandbox and keeps serving it). Init writes the nested maps itself: it has
// CAP_SETUID and CAP_SETGID over every id of the sandbox's namespace.
// The kernel's clone path (Go's UidMappings) writes them through
// /proc/PID with the pid of this namespace, so keepID is for a sandbox
// with its own /proc; under the outer /proc, keepIDStage does it.
func keepID(sys *syscall.SysProcAttr, k *proto.KeepID) error {
	// Go writes the maps through /proc/PID with this namespace's pid: under
	// the outer /proc (the masked-/proc fallback) that names another
	// process, so the callers take the keep-id stage there instead.
	if outerProc() {
		return errOuterProc
	}
	sizes, err := nsSizes()
	if err != nil {
		return err
	}
	sys.Cloneflags |= unix.CLONE_NEWUSER
	sys.UidMappings = idMaps(userns.KeepIDMap(k.UID, sizes.uids))
	sys.GidMappings = idMaps(userns.KeepIDMap(k.GID, sizes.gids))
	// A single-id sandbox was mapped with setgroups denied (no
	// newgidmap), which a nested namespace inherits: asking to allow it
	// there fails with EPERM.
	sys.GidMappingsEnableSetgroups = sizes.setgroups
	sys.Credential = &syscall.Credential{Uid: k.UID, Gid: k.GID, NoSetGroups: true}
	return nil
}

// errOuterProc: keepID cannot write maps through the outer /proc.
var errOuterProc = errors.New("sessions as your own user (user = \"self\") need the sandbox's own /proc for this, which this host refuses (a masked /proc)")

func idMaps(m []userns.Mapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, x := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(x.Inside), HostID: int(x.Host), Size: int(x.Count)}
	}
	return out
}

// mappedCount returns how many ids this namespace maps, counted from 0
// (devbox maps 0..N-1 contiguously).
func mappedCount(path string) (uint32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	end := userns.MappedEnd(string(b))
	if end == 0 {
		return 0, fmt.Errorf("read %s: no ids mapped", path)
	}
	return uint32(min(end, 1<<32-1)), nil
}
