//go:build integration

package integration

import (
	"strings"
	"testing"
)

// --trace, like DEVBOX_TRACE=1, times a cold start in every process it
// runs through, the supervisor that devbox starts before devbox-front has
// parsed the flag included: the phases span the client's exec to its exit.
func TestTrace_ColdStartShowsEveryProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := []string{
		"client: exec (fork to Go init)",
		"supervisor: exec (fork to Go init)",
		"supervisor: wait for the id maps",
		"child: rootfs",
		"init: session fork+exec",
		"init: fork and exec in init",
		"client: teardown",
		"total",
	}
	check := func(how string, r result) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: %s", how, r)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, "trace:") || !strings.Contains(r.stderr, w) {
				t.Errorf("%s: no %q phase in the trace:\n%s", how, w, r.stderr)
			}
		}
	}
	r := e.run("run", "--rm", "--trace", "--", "true")
	check("--trace", r)
	if !strings.Contains(r.stderr, "supervisor: network attach") {
		t.Errorf("--trace: no network phase for a sandbox with a network:\n%s", r.stderr)
	}
	e.extra = append(e.extra, "DEVBOX_TRACE=1")
	check("DEVBOX_TRACE=1", e.run("run", "--rm", "--network", "none", "--", "true"))
}

// The fast start traces the start users get, with the ticket a start
// without --trace left: devbox's own phases, then every other process's.
func TestTrace_FastStartShowsEveryProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	devbox, _ := fastStartOnly(t, e, "--network", "none")
	for _, args := range [][]string{
		{"run", "--trace", "--rm", "--network", "none", "--", "sh", "-c", "echo out"},
		{"run", "--rm", "--network=none", "--trace", "sh", "-c", "echo out"},
		{"--trace", "run", "--rm", "--network", "none", "sh", "-c", "echo out"},
	} {
		r := mustFast(t, devbox, args...)
		if r.code != 0 || r.stdout != "out\n" {
			t.Fatalf("%q: %s", args, r)
		}
		for _, w := range []string{"client: exec (fork to Go init)", "client: start ticket check", "supervisor: exec (fork to Go init)",
			"child: rootfs", "init: session fork+exec", "client: teardown", "total"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%q: no %q phase in the fast start's trace:\n%s", args, w, r.stderr)
			}
		}
	}
}

// A traced join into a sandbox started without --trace shows init's
// phases of the session's start too, which init records for that session
// alone: the next join, untraced, gets none of them.
func TestTrace_JoinShowsInitsPhases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.run("run", "--", "true"); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	r := e.run("run", "--trace", "--", "true")
	if r.code != 0 {
		t.Fatalf("traced join: %s", r)
	}
	// The fork and exec is through the spawner, or in init itself while
	// the spawner starts.
	for _, w := range []string{"client: session (join)", "init: session request (accepted to read)", "init: session fork+exec",
		"init: fork and exec ", "total"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("no %q phase in the join's trace:\n%s", w, r.stderr)
		}
	}
	if r := e.run("run", "--", "true"); r.code != 0 || strings.Contains(r.stderr, "trace:") {
		t.Errorf("untraced join after a traced one: %s", r)
	}
}
