package project

import (
	"fmt"
	"os"
	"path/filepath"
)

// Guard holds the host directories a project must not be, contain or lie
// in: the user's home and devbox's own runtime and data dirs. The project
// is bound read-write into the sandbox, so a project that holds any of them
// hands code inside the user's keys and dotfiles, or every sandbox's
// sockets and state.
type Guard struct {
	Home    string
	Runtime string // devbox's runtime dir ($XDG_RUNTIME_DIR/devbox)
	Data    string // devbox's data dir ($XDG_DATA_HOME/devbox)
}

// sharedTemp are world-writable directories that are never a project.
var sharedTemp = []string{"/tmp", "/var/tmp"}

// Check refuses dir as a project, naming the reason. explicit is true when
// the user chose dir with --project: that may choose home itself (the
// sandbox then hides devbox's dirs in it), never an ancestor of it.
func (g Guard) Check(dir string, explicit bool) error {
	dir = RealPath(dir)
	home := RealPath(g.Home)
	if home != "" && dir == home {
		if explicit {
			return nil // devbox's dirs in it are hidden inside (child side)
		}
		return fmt.Errorf("refusing %s as the project: it is your home directory, and code in the sandbox could write your dotfiles and keys; run devbox in a project directory, or pass --project %s to choose it anyway", dir, dir)
	}
	if home != "" && dir != home && Within(home, dir) {
		return fmt.Errorf("refusing %s as the project: it contains your home directory %s; run devbox in a project directory, or pass --project DIR", dir, home)
	}
	for _, t := range sharedTemp {
		if dir == t || dir == RealPath(t) {
			return fmt.Errorf("refusing %s as the project: it is a shared temporary directory other users and programs write to; make a directory for the project (mkdir %s)", dir, filepath.Join(t, "myproject"))
		}
	}
	for _, d := range []struct{ what, path string }{{"runtime", g.Runtime}, {"data", g.Data}} {
		if err := refuseDevboxDir(dir, d.what, d.path); err != nil {
			return err
		}
	}
	return nil
}

// refuseDevboxDir refuses a project that contains or lies in one of
// devbox's own dirs.
func refuseDevboxDir(dir, what, path string) error {
	if path == "" {
		return nil
	}
	for _, p := range []string{filepath.Clean(path), RealPath(path)} {
		switch {
		case Within(p, dir):
			return fmt.Errorf("refusing %s as the project: it contains devbox's %s dir %s (every sandbox's state); run devbox in a project directory, or pass --project DIR", dir, what, p)
		case Within(dir, p):
			return fmt.Errorf("refusing %s as the project: it is inside devbox's %s dir %s; run devbox in a project directory, or pass --project DIR", dir, what, p)
		}
	}
	return nil
}

// Explicit resolves a directory the user chose as the project: absolute,
// symlinks resolved, and a directory.
func Explicit(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", fmt.Errorf("resolve project dir: %w", err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("resolve project dir: %s is not a directory", abs)
	}
	return abs, nil
}
