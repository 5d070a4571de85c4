//go:build integration

package integration

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/session"
)

// fastBins installs devbox's binaries in a dir of the test's own and
// returns a runner for its devbox in e's project, and a switch for
// devbox-front: off, devbox can run only what it joins by itself (the
// fast join), since a chmod keeps what a join ticket's digest holds of the
// binary (inode, size, mtime).
func fastBins(t *testing.T, e *env) (devbox func(args ...string) result, front func(on bool), dir string) {
	t.Helper()
	dir = t.TempDir()
	copyFile(t, devboxBin, filepath.Join(dir, "devbox"))
	for _, b := range []string{"devbox-front", "devbox-engine", "devbox-supervisor", "devbox-init"} {
		copyFile(t, filepath.Join(filepath.Dir(devboxBin), b), filepath.Join(dir, b))
	}
	devbox = func(args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "devbox"), args...)
		cmd.Dir, cmd.Env = e.project, e.environ()
		return collect(t, ctx, cmd, "devbox "+strings.Join(args, " "))
	}
	front = func(on bool) {
		t.Helper()
		mode := os.FileMode(0o644)
		if on {
			mode = 0o755
		}
		if err := os.Chmod(filepath.Join(dir, "devbox-front"), mode); err != nil {
			t.Fatal(err)
		}
	}
	return devbox, front, dir
}

// mustFast runs args with devbox-front off: only the fast join or the
// fast start can run them. The exec of devbox-front is what fails then
// (an error that only mentions devbox-front, as an install hint does, is
// the command's own).
func mustFast(t *testing.T, devbox func(args ...string) result, args ...string) result {
	t.Helper()
	r := devbox(args...)
	if r.code == 125 && strings.Contains(r.stderr, "devbox-front: permission denied") {
		t.Fatalf("devbox %s did not run without devbox-front: %s", strings.Join(args, " "), r)
	}
	return r
}

// The fast join gives a session the request the front gives it: the
// same environment, directory and ids, and passes its status through.
func TestFastJoin_SameSessionAsTheFront(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeTrusted("[env]\nGREETING = \"hi there\"\nPATH = \"/opt/x:$PATH\"\n")
	devbox, front, _ := fastBins(t, e)
	if r := devbox("run", "--", "true"); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	name := e.only().Name
	if _, err := os.Stat(filepath.Join(e.stateDir(name), session.TicketFile)); err != nil {
		t.Fatalf("no join ticket after a start without flags: %v", err)
	}
	script := "env | grep -v '^_=' | sort; pwd; id -u; id -g"
	full := devbox("run", "--tty=false", "--", "sh", "-c", script) // a flag: the front's join
	if full.code != 0 {
		t.Fatalf("front join: %s", full)
	}
	front(false)
	fast := mustFast(t, devbox, "run", "--", "sh", "-c", script)
	if fast.code != 0 || fast.stdout != full.stdout {
		t.Errorf("fast join's session differs from the front's:\nfront:\n%s\nfast:\n%s", full, fast)
	}
	if r := mustFast(t, devbox, "run", "sh", "-c", "echo out; echo err >&2; exit 3"); r.code != 3 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("run CMD through the fast join: want exit 3, out, err; %s", r)
	}
	if r := devbox("run", "--tty=false", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "devbox-front") {
		t.Errorf("a flag with devbox-front off: want exit 125 naming it; %s", r)
	}
	// A sandbox by name: --name is the one flag the fast join takes.
	front(true)
	if r := devbox("run", "--name", "named", "--", "true"); r.code != 0 {
		t.Fatalf("start by name: %s", r)
	}
	front(false)
	if r := mustFast(t, devbox, "run", "--name=named", "sh", "-c", "echo $DEVBOX_NAME"); r.code != 0 || r.stdout != "named\n" {
		t.Errorf("fast join by name: want DEVBOX_NAME=named; %s", r)
	}
}

// A ticket holds only while nothing it was checked against changed: an
// edited devbox.toml, a trust record without the approval, or a restarted
// sandbox each send the command line to the front, which checks it all
// again and leaves a new ticket.
func TestFastJoin_TicketHoldsOnlyWhileNothingChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeTrusted("[env]\nA = \"1\"\n")
	devbox, front, _ := fastBins(t, e)
	if r := devbox("run", "--", "true"); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	name := e.only().Name
	for _, c := range []struct {
		what   string
		change func()
	}{
		{"devbox.toml edited", func() { e.writeConfig("[env]\nA = \"1\"\n\n") }},
		{"approval removed", func() {
			matches, _ := filepath.Glob(filepath.Join(e.data, "devbox", "trust", "*.digest"))
			if len(matches) != 1 {
				t.Fatalf("trust digests: %v", matches)
			}
			os.Remove(matches[0])
		}},
		{"sandbox restarted", func() { front(true); e.must("restart") }},
	} {
		front(false)
		if r := mustFast(t, devbox, "run", "--", "true"); r.code != 0 {
			t.Fatalf("before %s: %s", c.what, r)
		}
		c.change()
		front(false)
		if r := devbox("run", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "devbox-front") {
			t.Errorf("%s: the fast join still joined; want the front's check (exit 125 with it off): %s", c.what, r)
		}
		front(true)
		if r := devbox("run", "--", "true"); r.code != 0 {
			t.Fatalf("%s: the front's join: %s", c.what, r)
		}
	}
	if _, err := os.Stat(filepath.Join(e.stateDir(name), session.TicketFile)); err != nil {
		t.Errorf("no ticket after the front's join: %v", err)
	}
}

// A session that outlives the first moments gets the client's signals,
// as through the front: SIGTERM to the client reaches the session, whose
// status the client passes through.
func TestFastJoin_ForwardsSignals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	devbox, front, dir := fastBins(t, e)
	if r := devbox("run", "--", "true"); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	front(false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "devbox"), "run", "--", "sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done")
	cmd.Dir, cmd.Env = e.project, e.environ()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("session: %q, %v", line, err)
	}
	time.Sleep(100 * time.Millisecond) // past the fast join's arming of signals
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 42 {
		t.Errorf("SIGTERM to the client: want the session's trap status 42; %v", err)
	}
}
