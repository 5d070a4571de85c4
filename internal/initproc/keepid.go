package initproc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// keepID makes the session run as the invoking user's own uid and gid, in a
// user namespace nested in the sandbox's (init stays uid 0; it built the
// sandbox and keeps serving it). Init writes the nested maps itself: it has
// CAP_SETUID and CAP_SETGID over every id of the sandbox's namespace.
func keepID(sys *syscall.SysProcAttr, k *proto.KeepID) error {
	// The session's maps are written through /proc/PID, with the pid of
	// this namespace: the outer /proc of the masked-/proc fallback has
	// other pids, and the write would miss (or hit another process).
	if self, err := os.Readlink("/proc/self"); err != nil || self != strconv.Itoa(os.Getpid()) {
		return errors.New("sessions as your own user (user = \"self\") need the sandbox's own /proc, which this host refuses (a masked /proc): run with --user root, or give the container an unmasked /proc")
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
	var end uint64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		start, _ := strconv.ParseUint(f[0], 10, 32)
		count, _ := strconv.ParseUint(f[2], 10, 32)
		end = max(end, start+count)
	}
	if end == 0 {
		return 0, fmt.Errorf("read %s: no ids mapped", path)
	}
	return uint32(min(end, 1<<32-1)), nil
}
