//go:build integration

package integration

import (
	"strings"
	"testing"
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
