package cgroupv2

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestScopeHelps(t *testing.T) {
	notDelegated := fmt.Errorf("%w: /sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope is not writable", ErrNotDelegated)
	hybrid := fmt.Errorf("%w: / offers none: %w", ErrNotDelegated, ErrNoControllers)
	tests := []struct {
		name        string
		probe       error
		userManager bool
		want        bool
	}{
		{"delegated", nil, true, false},
		{"not delegated, user manager", notDelegated, true, true},
		{"not delegated, no user manager", notDelegated, false, false},
		{"hybrid host, user manager", hybrid, true, false},
		{"other probe error", errors.New("read mountinfo: permission denied"), true, false},
	}
	for _, tt := range tests {
		if got := ScopeHelps(tt.probe, tt.userManager); got != tt.want {
			t.Errorf("%s: wantScope = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUserManagerReachable(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/systemd-run", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	withSocket := shortTempDir(t)
	if err := os.Mkdir(filepath.Join(withSocket, "systemd"), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(withSocket, "systemd", "private"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	withFile := t.TempDir()
	os.Mkdir(filepath.Join(withFile, "systemd"), 0o700)
	os.WriteFile(filepath.Join(withFile, "systemd", "private"), nil, 0o600)
	tests := []struct {
		name, dir string
		look      func(string) (string, error)
		want      bool
	}{
		{"socket and systemd-run", withSocket, found, true},
		{"socket, no systemd-run", withSocket, missing, false},
		{"no socket", t.TempDir(), found, false},
		{"a file, not a socket", withFile, found, false},
		{"no XDG_RUNTIME_DIR", "", found, false},
	}
	for _, tt := range tests {
		if got := UserManagerReachable(tt.dir, tt.look); got != tt.want {
			t.Errorf("%s: userManagerReachable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// shortTempDir is a temporary directory short enough for a socket path.
func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "dbx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestControllers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte("cpu memory pids\n"), 0o644)
	have, missing := Controllers(dir)
	if fmt.Sprint(have) != "[memory pids cpu]" || fmt.Sprint(missing) != "[cpuset io]" {
		t.Errorf("Debian 12's user@.service: have %v, missing %v", have, missing)
	}
	have, missing = Controllers(t.TempDir())
	if len(have) != 0 || len(missing) != len(Reported) {
		t.Errorf("no cgroup.controllers: have %v, missing %v", have, missing)
	}
}
