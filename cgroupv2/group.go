package cgroupv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Group is one sandbox's cgroup. Its processes live in two leaves: InitLeaf
// for the sandbox's init and SessionsLeaf for everything init spawns. The
// group itself then holds no process, so its controllers stay enabled for
// groups created inside (nested delegation, as systemd's init.scope). The
// pids limit goes on the sessions leaf: a fork bomb there must not keep init
// (a Go program, which needs new threads now and then) from running.
type Group struct {
	Path string
	// controllers are enabled below the group by Settle.
	controllers []string
}

// The leaves of a sandbox group.
const (
	InitLeaf     = "init"
	SessionsLeaf = "sessions"
)

// supervisorLeaf is where a caller sitting in the delegated group itself
// moves, so that group may enable controllers (no internal processes).
const supervisorLeaf = "devbox-supervisor"

// NewGroup creates the group name under d.Parent with d's controllers
// enabled for it. A leftover group of that name (from a supervisor killed
// with -9) is removed first.
func NewGroup(d Delegation, name string) (*Group, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return nil, fmt.Errorf("create cgroup: invalid name %q", name)
	}
	if d.moveSelf() {
		if err := moveInto(filepath.Join(d.Parent, supervisorLeaf), os.Getpid()); err != nil {
			return nil, err
		}
	}
	if err := enable(d.Parent, d.Controllers); err != nil {
		return nil, err
	}
	g := &Group{Path: filepath.Join(d.Parent, name), controllers: d.Controllers}
	if _, err := os.Stat(g.Path); err == nil {
		if err := g.Remove(); err != nil {
			return nil, fmt.Errorf("remove leftover cgroup: %w", err)
		}
	}
	if err := os.Mkdir(g.Path, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	return g, nil
}

// Settle moves the sandbox's init (started in the group itself, so that its
// cgroup namespace's root is the group) into the init leaf, creates the
// sessions leaf and enables the controllers below the group, now empty.
func (g *Group) Settle(initPID int) error {
	if err := os.Mkdir(filepath.Join(g.Path, SessionsLeaf), 0o755); err != nil {
		return fmt.Errorf("create cgroup leaf: %w", err)
	}
	if err := moveInto(filepath.Join(g.Path, InitLeaf), initPID); err != nil {
		return err
	}
	return enable(g.Path, g.controllers)
}

// fileFor is where a limit file lives: pids.max on the sessions leaf when
// the group has one, everything else on the group.
func (g *Group) fileFor(name string) string {
	if strings.HasPrefix(name, "pids.") && name != "pids.current" {
		leaf := filepath.Join(g.Path, SessionsLeaf)
		if _, err := os.Stat(filepath.Join(leaf, name)); err == nil {
			return filepath.Join(leaf, name)
		}
	}
	return filepath.Join(g.Path, name)
}

// Open returns the existing group at path.
func Open(path string) (*Group, error) {
	fi, err := os.Stat(filepath.Join(path, "cgroup.procs"))
	if err != nil || fi.IsDir() {
		return nil, fmt.Errorf("open cgroup %s: not a cgroup v2 group", path)
	}
	return &Group{Path: path}, nil
}

// moveInto creates the leaf dir if needed and moves pid there.
func moveInto(dir string, pid int) error {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup leaf: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("move into cgroup leaf: %w", err)
	}
	return nil
}

// enable turns on controllers for dir's children.
func enable(dir string, controllers []string) error {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	on := strings.Fields(string(b))
	var add []string
	for _, c := range controllers {
		if !contains(on, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	err := writeFile(filepath.Join(dir, "cgroup.subtree_control"), strings.Join(add, " "))
	if errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("enable cgroup controllers in %s: it holds processes itself, and the kernel allows controllers only for groups without (%w)", dir, err)
	}
	if err != nil {
		return fmt.Errorf("enable cgroup controllers %s in %s: %w", strings.Join(add, " "), dir, err)
	}
	return nil
}

// Set writes the set limits.
func (g *Group) Set(l Limits) error {
	for _, s := range l.settings() {
		err := writeFile(g.fileFor(s.File), s.Value)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("set %s: the %s controller is not enabled for %s", s.Flag, s.Controller, g.Path)
		}
		if err != nil {
			return fmt.Errorf("set %s (%s %q): %w", s.Flag, s.File, s.Value, err)
		}
	}
	return nil
}

// FD opens the group for SysProcAttr.CgroupFD (CLONE_INTO_CGROUP). The
// caller closes it.
func (g *Group) FD() (*os.File, error) {
	return OpenDir(g.Path)
}

// OpenDir opens a group directory for SysProcAttr.CgroupFD. O_PATH would
// not do: clone3 ignores O_PATH descriptors.
func OpenDir(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", dir, err)
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// Remove kills what is left in the group and its sub-groups (nested
// delegation creates those) and removes them, deepest first.
func (g *Group) Remove() error {
	if _, err := os.Stat(g.Path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	g.kill()
	var dirs []string
	filepath.WalkDir(g.Path, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := rmdirRetry(dirs[i]); err != nil {
			return fmt.Errorf("remove cgroup %s: %w", dirs[i], err)
		}
	}
	return nil
}

// kill sends SIGKILL to every process in the subtree: cgroup.kill (Linux
// 5.14), else one by one.
func (g *Group) kill() {
	if writeFile(filepath.Join(g.Path, "cgroup.kill"), "1") == nil {
		return
	}
	filepath.WalkDir(g.Path, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
		return nil
	})
}

// rmdirRetry removes an empty group; killed processes take a moment to
// leave it (EBUSY).
func rmdirRetry(dir string) error {
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeFile writes one value to an existing cgroup file.
func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
