package cgroupv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotDelegated means no cgroup v2 subtree with controllers is delegated
// to this user: limits cannot be enforced. Like runc's ErrRootless, callers
// warn and go on unless the user insisted on limits.
var ErrNotDelegated = errors.New("cgroup v2 is not delegated to this user")

// ErrNoControllers means the cgroup v2 hierarchy has no controllers: a
// hybrid host, where cgroup v1 holds them all. It comes with ErrNotDelegated.
var ErrNoControllers = errors.New("cgroup v1 holds the controllers")

// Wanted are the controllers devbox uses, in the order it enables them.
var Wanted = []string{"memory", "pids", "cpu"}

// Delegation is where this process may create sandbox groups.
type Delegation struct {
	// Mount is the cgroup2 mount point; Own is this process's group there.
	Mount string `json:"mount"`
	Own   string `json:"own"`
	// Parent is the delegated group new sandbox groups go under: the
	// nearest delegated ancestor of Own, or Own itself when only it is
	// delegated (a systemd-run --scope -p Delegate=yes).
	Parent string `json:"parent"`
	// Controllers are those of Wanted that Parent offers.
	Controllers []string `json:"controllers"`
}

// moveSelf reports whether the caller sits in Parent itself, so it must move
// into a leaf before controllers can be enabled there.
func (d Delegation) moveSelf() bool { return d.Parent == d.Own }

// Probe finds the delegated subtree from /proc/self/cgroup and mountinfo.
// Its error wraps ErrNotDelegated with the reason.
func Probe() (Delegation, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return Delegation{}, fmt.Errorf("read mountinfo: %w", err)
	}
	pc, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return Delegation{}, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	own, err := ownDir(mi, pc)
	if err != nil {
		return Delegation{}, err
	}
	d := Delegation{Own: own.dir, Mount: own.mount}
	d.Parent, err = nearestDelegated(own.mount, own.dir)
	if err != nil {
		return d, err
	}
	d.Controllers = offered(d.Parent)
	if len(d.Controllers) == 0 {
		return d, fmt.Errorf("%w: %s offers none of the memory, pids and cpu controllers: %w", ErrNotDelegated, d.Parent, ErrNoControllers)
	}
	return d, nil
}

type ownGroup struct{ mount, dir string }

// ownDir joins the cgroup2 mount point and this process's group path.
func ownDir(mountinfo, procCgroup []byte) (ownGroup, error) {
	mnt, root, ok := ParseMountinfo(mountinfo)
	if !ok {
		return ownGroup{}, fmt.Errorf("%w: no cgroup2 file system is mounted", ErrNotDelegated)
	}
	p, err := ParseProcCgroup(procCgroup)
	if err != nil {
		return ownGroup{}, fmt.Errorf("%w: %v", ErrNotDelegated, err)
	}
	// A mount of a subtree shows paths below its root.
	if root != "/" {
		rel, ok := strings.CutPrefix(p, root)
		if !ok {
			return ownGroup{}, fmt.Errorf("%w: own cgroup %s is outside the cgroup2 mount of %s", ErrNotDelegated, p, root)
		}
		p = rel
	}
	return ownGroup{mount: mnt, dir: filepath.Join(mnt, p)}, nil
}

// nearestDelegated walks up from own's parent to the mount point and returns
// the first delegated group; own itself is the last resort.
func nearestDelegated(mount, own string) (string, error) {
	for dir := own; dir != mount && strings.HasPrefix(dir, mount); {
		dir = filepath.Dir(dir)
		if delegated(dir) == nil {
			return dir, nil
		}
	}
	err := delegated(own)
	if err == nil {
		return own, nil
	}
	return "", fmt.Errorf("%w: %v", ErrNotDelegated, err)
}

// delegated checks what systemd's Delegate=yes grants: the directory,
// cgroup.procs and cgroup.subtree_control are writable.
func delegated(dir string) error {
	for _, p := range []string{dir, filepath.Join(dir, "cgroup.procs"), filepath.Join(dir, "cgroup.subtree_control")} {
		if err := unix.Access(p, unix.W_OK); err != nil {
			return fmt.Errorf("%s is not writable by uid %d: %w", p, os.Getuid(), err)
		}
	}
	return nil
}

// offered returns the wanted controllers dir's cgroup.controllers lists.
func offered(dir string) []string {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	return intersect(Wanted, strings.Fields(string(b)))
}

func intersect(want, have []string) []string {
	var out []string
	for _, c := range want {
		if contains(have, c) {
			out = append(out, c)
		}
	}
	return out
}

// Reported are the controllers 'devbox doctor' reports on: those devbox
// uses and those a user@.service drop-in can add.
var Reported = []string{"memory", "pids", "cpu", "cpuset", "io"}

// Controllers returns which of Reported dir's cgroup.controllers lists, and
// which it lacks.
func Controllers(dir string) (have, missing []string) {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	listed := strings.Fields(string(b))
	for _, c := range Reported {
		if contains(listed, c) {
			have = append(have, c)
		} else {
			missing = append(missing, c)
		}
	}
	return have, missing
}

// ScopeHelps reports whether starting in a transient systemd user scope
// with Delegate=yes would give a delegated group: the probe found this
// process's subtree not delegated, the hierarchy has controllers (on a
// hybrid host cgroup v1 holds them, and no scope helps), and a systemd user
// manager is reachable.
func ScopeHelps(probeErr error, userManager bool) bool {
	return userManager && errors.Is(probeErr, ErrNotDelegated) && !errors.Is(probeErr, ErrNoControllers)
}

// UserManagerReachable reports whether a systemd user manager listens on its
// private socket in runtimeDir ($XDG_RUNTIME_DIR), which systemd-run --user
// connects to, and systemd-run is installed.
func UserManagerReachable(runtimeDir string, lookPath func(string) (string, error)) bool {
	if runtimeDir == "" {
		return false
	}
	fi, err := os.Stat(filepath.Join(runtimeDir, "systemd", "private"))
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		return false
	}
	_, err = lookPath("systemd-run")
	return err == nil
}

// DelegateHint is how a user gets a delegated subtree without root.
const DelegateHint = "run devbox in a delegated scope: 'systemd-run --user --scope -p Delegate=yes devbox ...' (needs a systemd user session); 'devbox doctor' shows what is delegated"
