//go:build integration

package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/session"
)

// sameButName drops the lines of a session's environment that name its
// throwaway sandbox (each start has a name of its own).
func sameButName(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, "-rm-") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// The fast start gives a throwaway sandbox's session what the front gives
// it: the same environment, directory, ids and mounts, its status and
// output passed through, and nothing left behind.
func TestFastStart_SameSessionAsTheFront(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeTrusted("[env]\nGREETING = \"hi there\"\nPATH = \"/opt/x:$PATH\"\n")
	devbox, front, _ := fastBins(t, e)
	if r := devbox("run", "--rm", "--", "true"); r.code != 0 {
		t.Fatalf("first start: %s", r)
	}
	ticket := session.StartTicketPath(filepath.Join(e.runtime, "devbox"), project.Name(e.project), "", false)
	if _, err := os.Stat(ticket); err != nil {
		t.Fatalf("no start ticket after a run --rm: %v", err)
	}
	script := "env | grep -v '^_=' | sort; pwd; id -u; id -g; hostname; cat /proc/self/uid_map; mount | grep -c ' / '"
	full := devbox("run", "--rm", "--tty=false", "--", "sh", "-c", script) // a flag: the front's start
	if full.code != 0 {
		t.Fatalf("front start: %s", full)
	}
	front(false)
	fast := mustFast(t, devbox, "run", "--rm", "--", "sh", "-c", script)
	if fast.code != 0 || sameButName(fast.stdout) != sameButName(full.stdout) {
		t.Errorf("fast start's session differs from the front's:\nfront:\n%s\nfast:\n%s", full, fast)
	}
	if r := mustFast(t, devbox, "run", "--rm", "sh", "-c", "echo out; echo err >&2; exit 3"); r.code != 3 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("run --rm CMD through the fast start: want exit 3, out, err; %s", r)
	}
	if r := mustFast(t, devbox, "run", "--rm", "--", "no-such-command"); r.code != 127 || !strings.Contains(r.stderr, "no-such-command") {
		t.Errorf("a command that is not there: want exit 127 naming it; %s", r)
	}
	if ps := e.ps(); len(ps) != 0 {
		t.Errorf("throwaway sandboxes still running after their runs: %+v", ps)
	}
	ents, _ := os.ReadDir(filepath.Join(e.runtime, "devbox"))
	for _, d := range ents {
		if d.IsDir() && strings.Contains(d.Name(), "-rm-") {
			t.Errorf("a throwaway sandbox's runtime dir is left: %s", d.Name())
		}
	}
}

// A start ticket holds only for the command line and host it was made
// for: another --network, an edited devbox.toml, an approval removed, a
// changed environment or an identity file that appeared each send the
// command line to the front, which checks it all again and leaves a new
// ticket. Not parallel: it creates ~/.gitconfig, which other sandboxes
// would bind.
func TestFastStart_TicketHoldsOnlyWhileNothingChanged(t *testing.T) {
	e := newEnv(t)
	e.writeTrusted("[env]\nA = \"1\"\n")
	devbox, front, _ := fastBins(t, e)
	args := []string{"run", "--rm", "--network", "none", "--", "true"}
	if r := devbox(args...); r.code != 0 {
		t.Fatalf("first start: %s", r)
	}
	home, _ := os.UserHomeDir()
	gitconfig := filepath.Join(home, ".gitconfig")
	if _, err := os.Lstat(gitconfig); err == nil {
		t.Fatalf("%s exists: this test creates it", gitconfig)
	}
	for _, c := range []struct {
		what   string
		change func()
		undo   func()
	}{
		{"another --network", func() { args[3] = "slirp4netns" }, func() { args[3] = "none" }},
		{"devbox.toml edited", func() { e.writeConfig("[env]\nA = \"1\"\n\n") }, func() {}},
		{"approval removed", func() {
			matches, _ := filepath.Glob(filepath.Join(e.data, "devbox", "trust", "*.digest"))
			if len(matches) != 1 {
				t.Fatalf("trust digests: %v", matches)
			}
			os.Remove(matches[0])
		}, func() {}},
		{"environment changed", func() { e.extra = append(e.extra, "EXTRA=1") }, func() {}},
		{"identity file appeared", func() { os.WriteFile(gitconfig, []byte("[user]\n"), 0o644) }, func() { os.Remove(gitconfig) }},
	} {
		front(false)
		if r := mustFast(t, devbox, args...); r.code != 0 {
			t.Fatalf("before %s: %s", c.what, r)
		}
		c.change()
		if r := devbox(args...); r.code != 125 || !strings.Contains(r.stderr, "devbox-front") {
			t.Errorf("%s: the fast start still started; want the front's check (exit 125 with it off): %s", c.what, r)
		}
		front(true)
		if r := devbox(args...); r.code != 0 && !strings.Contains(c.what, "approval") {
			t.Fatalf("%s: the front's start: %s", c.what, r)
		}
		if strings.Contains(c.what, "approval") {
			e.must("trust")
			if r := devbox(args...); r.code != 0 {
				t.Fatalf("%s: the front's start after 'devbox trust': %s", c.what, r)
			}
		}
		c.undo()
		if r := devbox(args...); r.code != 0 {
			t.Fatalf("%s undone: the front's start: %s", c.what, r)
		}
	}
}

// TestEscape_StartTicketOutOfReach: a start ticket is a launch spec the
// next `devbox run --rm` replays without checking it again: code in a
// sandbox that could write it would choose the mounts of the user's next
// sandbox. It lives in the runtime dir, which no sandbox sees.
func TestEscape_StartTicketOutOfReach(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.run("run", "--rm", "--", "true"); r.code != 0 {
		t.Fatalf("first start: %s", r)
	}
	ticket := session.StartTicketPath(filepath.Join(e.runtime, "devbox"), project.Name(e.project), "", false)
	before, err := os.ReadFile(ticket)
	if err != nil {
		t.Fatalf("no start ticket: %v", err)
	}
	r := e.run("run", "--rm", "--", "sh", "-c", `cat "$1"; echo '[[mounts]]' >> "$1" && echo WROTE; ls -A "$(dirname "$1")"`, "sh", ticket)
	if strings.Contains(r.stdout, "WROTE") || strings.Contains(r.stdout, "start ticket") || strings.Contains(r.stdout, ".start-ticket") {
		t.Errorf("a sandbox reached the start ticket %s: %s", ticket, r)
	}
	after, err := os.ReadFile(ticket)
	if err != nil || string(after) != string(before) {
		t.Errorf("the start ticket changed under a sandbox's run (%v)", err)
	}
}

// A start that fails once the fast start has sent its spec is reported
// as the front reports it (exit 125, the supervisor's error), leaves
// nothing running, and removes the ticket: the next start goes through
// the front, which decides afresh.
func TestFastStart_FailedStartRemovesTheTicket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	devbox, front, dir := fastBins(t, e)
	args := []string{"run", "--rm", "--network", "none", "--", "true"}
	if r := devbox(args...); r.code != 0 {
		t.Fatalf("first start: %s", r)
	}
	ticket := session.StartTicketPath(filepath.Join(e.runtime, "devbox"), project.Name(e.project), "none", true)
	if _, err := os.Stat(ticket); err != nil {
		t.Fatalf("no start ticket: %v", err)
	}
	initBin := filepath.Join(dir, "devbox-init")
	if err := os.Chmod(initBin, 0o644); err != nil {
		t.Fatal(err)
	}
	front(false)
	r := mustFast(t, devbox, args...)
	if r.code != 125 || !strings.Contains(r.stderr, "Error: ") || !strings.Contains(r.stderr, "devbox-init") {
		t.Errorf("a start whose init cannot run: want exit 125 naming devbox-init; %s", r)
	}
	if _, err := os.Stat(ticket); err == nil {
		t.Errorf("the start ticket outlived a failed start")
	}
	if ents := runtimeEntries(e); len(ents) > 0 {
		t.Errorf("runtime dirs left by the failed start: %v", ents)
	}
	os.Chmod(initBin, 0o755)
	front(true)
	if r := devbox(args...); r.code != 0 {
		t.Fatalf("start after the repair: %s", r)
	}
	if _, err := os.Stat(ticket); err != nil {
		t.Errorf("no new start ticket after the front's start: %v", err)
	}
}

// A fast start whose sandbox is killed under its session says so as the
// front does (exit 125, why, the fix) and leaves nothing behind.
func TestFastStart_KilledSandboxReportedAsTheFrontDoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, dir := fastStartOnly(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := exec.CommandContext(ctx, filepath.Join(dir, "devbox"), "run", "--rm", "--", "sleep", "300")
	bg.Dir, bg.Env = e.project, e.environ()
	w, stderr := startWatched(t, bg)
	var sb psEntry
	eventually(t, 10*time.Second, func() string {
		select {
		case <-w.done:
			t.Fatalf("the fast start ended before its sandbox was killed: %v\n%s", w.err, stderr.String())
		default:
		}
		list := e.ps()
		if len(list) != 1 {
			return fmt.Sprintf("want the throwaway sandbox in devbox ps: %+v", list)
		}
		sb = list[0]
		if sb.Init <= 0 {
			return fmt.Sprintf("no init pid in devbox ps: %+v", sb)
		}
		if r := e.run("run", "--name", sb.Name, "--", "ps", "-e", "-o", "args="); !hasLine(r.stdout, "sleep 300") {
			return "no sleep 300 inside:\n" + r.String()
		}
		return ""
	})
	if err := syscall.Kill(sb.Init, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 init (%d): %v", sb.Init, err)
	}
	assertGoneReported(t, bg, w, stderr)
	eventuallyNothingLeft(t, e, "after the kill")
}

// devbox ps sweeps the runtime dirs of dead sandboxes. A fast start's dir,
// which has no state.json until its supervisor writes one, is not one of
// them: the start holds its name's lock, as the front's does.
func TestFastStart_SurvivesConcurrentPs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	devbox, _ := fastStartOnly(t, e)
	stop := make(chan struct{})
	swept := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				swept <- n
				return
			default:
			}
			cmd := exec.Command(devboxBin, "ps")
			cmd.Dir, cmd.Env = e.project, e.environ()
			cmd.Run()
			n++
		}
	}()
	for i := 0; i < 10; i++ {
		if r := mustFast(t, devbox, "run", "--rm", "--", "true"); r.code != 0 {
			t.Errorf("start %d beside devbox ps: %s", i, r)
		}
	}
	close(stop)
	t.Logf("devbox ps ran %d times beside the starts", <-swept)
	eventuallyNothingLeft(t, e, "after the starts")
}

// fastStartOnly is fastBins after a first start, through devbox-front,
// of "run --rm [FLAG...] -- true", which leaves its start ticket, with
// devbox-front off from then on: only the fast start can run a command
// line of that ticket.
func fastStartOnly(t *testing.T, e *env, flags ...string) (devbox func(args ...string) result, dir string) {
	t.Helper()
	devbox, front, dir := fastBins(t, e)
	args := append(append([]string{"run", "--rm"}, flags...), "--", "true")
	if r := devbox(args...); r.code != 0 {
		t.Fatalf("first start: %s", r)
	}
	front(false)
	return devbox, dir
}

// A fast start forwards the client's signals to its session from
// armDelay after Ready on (the trap's status passes through; the test
// waits 500 ms, as Ready may follow the session's first output by the
// supervisor's last steps on a loaded machine); a signal sooner ends the
// client, and the throwaway sandbox with it. Either way nothing is left.
func TestFastStart_ForwardsSignals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, dir := fastStartOnly(t, e)
	for _, wait := range []time.Duration{500 * time.Millisecond, 0} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "devbox"), "run", "--rm", "--", "sh", "-c",
			"trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done")
		cmd.Dir, cmd.Env = e.project, e.environ()
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(out)
		if line, err := rd.ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("session: %q, %v\n%s", line, err, stderr.String())
		}
		time.Sleep(wait)
		cmd.Process.Signal(syscall.SIGTERM)
		rest, _ := io.ReadAll(rd)
		err = cmd.Wait()
		cancel()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		switch {
		case wait > 0 && (ws.ExitStatus() != 42 || string(rest) != "got-term\n"):
			t.Errorf("SIGTERM %v after the session started: want its trap's output and status 42; %v, stdout %q, stderr %s", wait, err, rest, stderr.String())
		case wait == 0 && ws.ExitStatus() != 42 && !(ws.Signaled() && ws.Signal() == syscall.SIGTERM):
			t.Errorf("SIGTERM at the session's start: want status 42 or the client ended by it; %v, stderr %s", err, stderr.String())
		}
		eventuallyNothingLeft(t, e, fmt.Sprintf("a SIGTERM %v after the session started", wait))
	}
}
