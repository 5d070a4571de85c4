//go:build integration

package integration

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/testutil"
)

// These run where cgroup v2 is not delegated (the hybrid CI hosts, or any
// host without a systemd user session). The delegated path is proven in a
// User-Mode Linux guest: see test/vm.

func TestLimits_NotDelegatedWarnsOnceAndRuns(t *testing.T) {
	e := newEnv(t)
	r := e.run("run", "--rm", "--memory", "512m", "--pids", "100", "--", "echo", "ran")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "ran" {
		t.Fatalf("want the command to run without limits:\n%s", r)
	}
	if n := strings.Count(r.stderr, "limits not enforced: --memory, --pids"); n != 1 {
		t.Fatalf("want one warning naming --memory and --pids, got %d:\n%s", n, r)
	}
}

func TestLimits_RequireLimitsFailsWith125(t *testing.T) {
	e := newEnv(t)
	r := e.run("run", "--rm", "--memory", "512m", "--require-limits", "--", "echo", "ran")
	if r.code != 125 || strings.Contains(r.stdout, "ran") {
		t.Fatalf("want exit 125 without running:\n%s", r)
	}
	if !strings.Contains(r.stderr, "--require-limits") || !strings.Contains(r.stderr, "Hint:") {
		t.Fatalf("want the error and a hint:\n%s", r)
	}
}

func TestLimits_InvalidValueIsUsageError(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"--memory", "lots"}, {"--cpus", "0"}, {"--pids", "-3"}, {"--cpu-weight", "20000"}} {
		r := e.run(append(append([]string{"run", "--rm"}, args...), "--", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, args[0]) {
			t.Errorf("%v: want exit 125 naming the flag:\n%s", args, r)
		}
	}
}

// fakeUserManager makes devbox see a systemd user manager: a socket at
// $XDG_RUNTIME_DIR/systemd/private and a systemd-run in PATH that runs
// script (sh) with systemd-run's arguments. It skips unless this host's
// cgroup v2 has controllers but this process's group is not delegated, the
// only case where devbox asks for a scope: never on the hybrid hosts, always
// in the VM guest (test/vm/run.sh), where it must run.
func fakeUserManager(t *testing.T, e *env, script string) {
	t.Helper()
	if _, err := cgroupv2.Probe(); !cgroupv2.ScopeHelps(err, true) {
		if testutil.Guest() {
			t.Fatalf("the VM guest runs this suite from a group that is not delegated; probe: %v", err)
		}
		t.Skipf("a systemd user scope would not help here (probe: %v); the VM guest run covers this", err)
	}
	if err := os.Mkdir(filepath.Join(e.runtime, "systemd"), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(e.runtime, "systemd", "private"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "systemd-run"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	e.path = bin + ":" + e.path
}

func TestLimits_ScopeFailureFallsBackToWarning(t *testing.T) {
	e := newEnv(t)
	fakeUserManager(t, e, "echo 'Failed to connect to bus: No medium found' >&2; exit 1\n")
	r := e.run("run", "--rm", "--memory", "512m", "--", "echo", "ran")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "ran" {
		t.Fatalf("want the command to run without limits:\n%s", r)
	}
	want := "systemd-run --user --scope failed: Failed to connect to bus: No medium found"
	if strings.Count(r.stderr, "limits not enforced: --memory") != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("want one warning with systemd-run's error:\n%s", r)
	}
}

// The supervisor survives being exec'd by systemd-run: its environment and
// its ready pipe (fd 3) pass through.
func TestLimits_SupervisorStartsThroughSystemdRun(t *testing.T) {
	e := newEnv(t)
	argv := filepath.Join(t.TempDir(), "argv")
	fakeUserManager(t, e, `printf '%s\n' "$@" >`+argv+`
while [ "$1" != -- ]; do shift; done
shift
exec "$@"
`)
	e.must("run", "--name", "scoped", "--", "true")
	b, err := os.ReadFile(argv)
	if err != nil {
		t.Fatalf("systemd-run was not used: %v", err)
	}
	got := strings.Fields(string(b))
	want := []string{"--user", "--scope", "--quiet", "--collect", "-p", "Delegate=yes"}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) || !slices.Contains(got, "devbox-supervisor") {
		t.Fatalf("systemd-run argv: %q", got)
	}
	if out := e.must("run", "--name", "scoped", "--", "echo", "joined"); strings.TrimSpace(out) != "joined" {
		t.Fatalf("join: %q", out)
	}
}
