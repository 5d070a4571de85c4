//go:build integration

package integration

// The launch session (internal/sandbox/launch.go): `run --rm` sends its
// session with the sandbox's start, and returns on the supervisor's
// Stopped. The session is the same as any other: stdio, terminals, signals
// and the exit status pass as they do for a session started after the
// sandbox; and the sandbox ends with it, also when its client is killed.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Files and pipes pass through, the exit status too, and when the client
// returns nothing of the sandbox runs and its name is free.
func TestLaunchSession_StdioAndStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runInput("from-stdin\n", "run", "--rm", "--network", "none", "--", "sh", "-c",
		"readlink /proc/self/ns/pid; cat; echo to-stderr >&2; sleep 300 >/dev/null 2>&1 & exit 5")
	if r.code != 5 {
		t.Fatalf("run --rm: want exit status 5: %s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || lines[1] != "from-stdin" || !strings.Contains(r.stderr, "to-stderr") {
		t.Fatalf("run --rm: want the pid namespace, stdin on stdout and stderr's line: %s", r)
	}
	if left := sandboxProcs("", lines[0]); len(left) > 0 {
		t.Errorf("processes of the --rm sandbox left when it returned: %+v", left)
	}
	if ents := runtimeEntries(e); len(ents) > 0 {
		t.Errorf("runtime dirs left when run --rm returned: %v", ents)
	}
	if r := e.run("run", "--rm", "--network", "none", "--", "no-such-command-devbox"); r.code != 127 {
		t.Errorf("run --rm of a missing command: want 127: %s", r)
	}
	if ents := runtimeEntries(e); len(ents) > 0 {
		t.Errorf("runtime dirs left when run --rm of a missing command returned: %v", ents)
	}
}

// With -t the session gets a terminal of the sandbox's own, of the
// client's size; without it, output to a terminal is relayed and stays a
// terminal inside.
func TestLaunchSession_Terminals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{
		{"run", "--rm", "-t", "--network", "none", "--", "sh", "-c", "stty size; test -t 0 && echo stdin-is-a-tty; exit 4"},
		{"run", "--rm", "--network", "none", "--", "sh", "-c", "stty size; test -t 1 && echo stdout-is-a-tty; exit 4"},
	} {
		tm := newTmux(t, e, 90, 25, args...)
		want := tm.paneSize()
		scr := tm.waitFor(`(?m)^devbox-exit=\d+\s*$`, 30*time.Second)
		if !regexp.MustCompile(`(?m)^` + want + `\s*$`).MatchString(scr) {
			t.Errorf("devbox %s: stty size did not print %q:\n%s", strings.Join(args, " "), want, scr)
		}
		if !strings.Contains(scr, "-is-a-tty") {
			t.Errorf("devbox %s: no terminal inside:\n%s", strings.Join(args, " "), scr)
		}
		if !regexp.MustCompile(`(?m)^devbox-exit=4\s*$`).MatchString(scr) {
			t.Errorf("devbox %s: want exit status 4:\n%s", strings.Join(args, " "), scr)
		}
	}
}

// A signal to the client reaches the session, whose status passes through.
func TestLaunchSession_ForwardsSignals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--rm", "--network", "none", "--", "sh", "-c",
		`trap 'echo got-term; exit 42' TERM; touch started; while :; do sleep 0.05; done`)
	var out strings.Builder
	bg.Stdout = &out
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	waitForFile(t, filepath.Join(e.project, "started"))
	if err := bg.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	bg.Wait()
	if code := bg.ProcessState.ExitCode(); code != 42 || !strings.Contains(out.String(), "got-term") {
		t.Errorf("SIGTERM to run --rm: want the session's trap and status 42, got %d, stdout %q", code, out.String())
	}
	if ents := runtimeEntries(e); len(ents) > 0 {
		t.Errorf("runtime dirs left when run --rm returned: %v", ents)
	}
}

// A client killed while its session runs leaves no sandbox behind.
func TestLaunchSession_KilledClientLeavesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--rm", "--network", "none", "--", "sh", "-c", "touch started; exec sleep 300")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	waitForFile(t, filepath.Join(e.project, "started"))
	sb := e.only()
	ns := pidNSOf(t, e.readState(sb.Name).Init)
	if err := bg.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 the client: %v", err)
	}
	bg.Wait()
	assertGone(t, sb.Name, ns)
	eventually(t, 10*time.Second, func() string {
		if list := e.ps(); len(list) != 0 {
			return fmt.Sprintf("throwaway sandbox still running after its client died: %+v", list)
		}
		if _, err := os.Stat(e.stateDir(sb.Name)); !os.IsNotExist(err) {
			return fmt.Sprintf("runtime dir left after the client died: %v", err)
		}
		return ""
	})
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	eventually(t, 20*time.Second, func() string {
		if _, err := os.Stat(path); err != nil {
			return "the session did not start: " + err.Error()
		}
		return ""
	})
}

// The sandbox lives as long as its launch session: a session that joined
// it meanwhile ends with it, and the --rm client returns once both have.
func TestLaunchSession_JoinedSessionEndsWithIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := e.command(ctx, "run", "--rm", "--network", "none", "--", "sh", "-c", "touch started; while [ ! -e go ]; do sleep 0.05; done; exit 6")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { first.Process.Kill(); first.Wait() }()
	waitForFile(t, filepath.Join(e.project, "started"))
	sb := e.only()
	ns := pidNSOf(t, e.readState(sb.Name).Init)
	joined := e.command(ctx, "run", "--name", sb.Name, "--idle-timeout", "0", "--network", "none", "--", "sh", "-c", "touch joined; exec sleep 300")
	var joinedErr strings.Builder
	joined.Stderr = &joinedErr
	if err := joined.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { joined.Process.Kill(); joined.Wait() }()
	eventually(t, 20*time.Second, func() string {
		if _, err := os.Stat(filepath.Join(e.project, "joined")); err != nil {
			return fmt.Sprintf("the joined session did not start: %v; its stderr: %s", err, joinedErr.String())
		}
		return ""
	})
	if err := os.WriteFile(filepath.Join(e.project, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if code := first.ProcessState.ExitCode(); code != 6 {
		t.Errorf("run --rm: want the launch session's status 6, got %d", code)
	}
	if left := sandboxProcs("", ns); len(left) > 0 {
		t.Errorf("processes of the --rm sandbox left when it returned, with a joined session: %+v", left)
	}
	joined.Wait()
	if joined.ProcessState.ExitCode() == 0 {
		t.Errorf("the joined session's client exited 0 although the sandbox stopped under it")
	}
}

// run --rm starts its supervisor before it loads the config
// (internal/sandbox/prestart.go): a run whose devbox.toml does not load
// ends that supervisor before it returns, and leaves no runtime dir.
func TestLaunchSession_EarlySupervisorEndsWithTheFailedStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("network = 5\n")
	r := e.run("run", "--rm", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "network") {
		t.Fatalf("run --rm with a devbox.toml that does not load: want exit 125 naming the key: %s", r)
	}
	want := "XDG_RUNTIME_DIR=" + e.runtime
	for _, p := range hostProcs() {
		if p.argv[0] != "devbox-supervisor" {
			continue
		}
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.pid))
		if contains(strings.Split(string(env), "\x00"), want) {
			t.Errorf("a supervisor of this run is left after it failed: pid %d %q", p.pid, p.argv)
		}
	}
	if ents := runtimeEntries(e); len(ents) > 0 {
		t.Errorf("runtime dirs left after run --rm failed: %v", ents)
	}
}
