package initproc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/devbox-dev/devbox/internal/keepid"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// outerProc reports whether /proc is not this sandbox's own: the
// masked-/proc fallback binds the outer /proc, whose pids are the outer
// PID namespace's (/proc/self there is not init's pid 1).
func outerProc() bool {
	self, err := os.Readlink("/proc/self")
	return err != nil || self != strconv.Itoa(os.Getpid())
}

// keepIDStage starts a user = "self" session under the outer /proc: the
// session's process starts as init's own binary in the keep-id stage
// (internal/keepid), in a new user namespace without maps; it sends its
// pid in the outer /proc, init writes the maps through it, and the stage
// executes the program.
type keepIDStage struct {
	exe          *os.File
	mine, theirs *os.File
	uids, gids   []userns.Mapping
}

// errStrictOuterProc: the strict stage needs a capability that a session
// started through the keep-id stage no longer has.
var errStrictOuterProc = errors.New("strict sessions as your own user (user = \"self\") need the sandbox's own /proc, which this host refuses (a masked /proc): run with --user root, or give the container an unmasked /proc")

func newKeepIDStage(k *proto.KeepID) (*keepIDStage, error) {
	uids, err := mappedCount("/proc/self/uid_map")
	if err != nil {
		return nil, err
	}
	gids, err := mappedCount("/proc/self/gid_map")
	if err != nil {
		return nil, err
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open init binary for a session as your own user: %w", err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		exe.Close()
		return nil, fmt.Errorf("create keep-id stage socket: %w", err)
	}
	unix.SetNonblock(fds[0], true) // for the read deadline
	return &keepIDStage{exe: exe, mine: os.NewFile(uintptr(fds[0]), "keepid"), theirs: os.NewFile(uintptr(fds[1]), "keepid"),
		uids: userns.KeepIDMap(k.UID, uids), gids: userns.KeepIDMap(k.GID, gids)}, nil
}

// wrap makes attr start the stage in front of path and argv, in a new user
// namespace: the stage's binary and socket go in after stdio (the callers
// put stdio in front of attr.Files), and the stage changes to the
// session's directory once it is mapped (unmapped, it may not enter it).
func (s *keepIDStage) wrap(path string, argv []string, attr *syscall.ProcAttr) (string, []string) {
	attr.Sys.Cloneflags |= unix.CLONE_NEWUSER
	wargv, wenv := keepid.Wrap(attr.Dir, path, argv, attr.Env)
	attr.Dir, attr.Env = "", wenv
	attr.Files = []uintptr{s.exe.Fd(), s.theirs.Fd()}
	return "/proc/self/fd/" + strconv.Itoa(keepid.ExeFD), wargv
}

// finish completes a start: after a fork that failed it only frees the
// stage; after one that worked it maps the session's ids, and kills the
// session if that fails. A nil stage passes its arguments through.
func (s *keepIDStage) finish(pid int, master *os.File, err error) (int, *os.File, error) {
	if s == nil {
		return pid, master, err
	}
	defer s.exe.Close()
	defer s.mine.Close()
	s.theirs.Close()
	if err != nil {
		return pid, master, err
	}
	if err := s.mapSession(pid); err != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		if master != nil {
			master.Close()
		}
		return 0, nil, fmt.Errorf("map the ids of a session as your own user: %w", err)
	}
	return pid, master, nil
}

// mapSession reads the stage's pid in the outer /proc, checks that it is
// the process init started (its last NSpid is pid), writes its maps and
// lets it go on.
func (s *keepIDStage) mapSession(pid int) error {
	s.mine.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 32)
	n, err := s.mine.Read(b)
	if err != nil {
		return fmt.Errorf("read the stage's pid: %w", err)
	}
	outer, err := strconv.Atoi(string(b[:n]))
	if err != nil || outer <= 0 {
		return fmt.Errorf("read the stage's pid: bad pid %q", b[:n])
	}
	dir := "/proc/" + strconv.Itoa(outer)
	if got, err := lastNSpid(dir + "/status"); err != nil || got != pid {
		return fmt.Errorf("stage pid %d in the outer /proc is not session %d (%d, %v)", outer, pid, got, err)
	}
	if err := writeIDMap(dir+"/uid_map", s.uids); err != nil {
		return err
	}
	if err := writeIDMap(dir+"/gid_map", s.gids); err != nil {
		return err
	}
	if _, err := s.mine.Write([]byte(keepid.Ready)); err != nil {
		return fmt.Errorf("release the stage: %w", err)
	}
	return nil
}

// lastNSpid returns the last pid of the NSpid line of a /proc status
// file: the process's pid in its own PID namespace.
func lastNSpid(status string) (int, error) {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0, err
	}
	return parseNSpid(string(b))
}

func parseNSpid(status string) (int, error) {
	for _, line := range strings.Split(status, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" {
			return strconv.Atoi(f[len(f)-1])
		}
	}
	return 0, errors.New("no NSpid line")
}

// writeIDMap writes m to a uid_map or gid_map file in one write, as the
// kernel requires.
func writeIDMap(path string, m []userns.Mapping) error {
	var b strings.Builder
	for _, x := range m {
		fmt.Fprintf(&b, "%d %d %d\n", x.Inside, x.Host, x.Count)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(b.String())); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
