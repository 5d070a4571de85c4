//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/session"
)

func TestConcurrentRunsStartOneSandbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 20
	var wg sync.WaitGroup
	results := make([]result, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := e.command(ctx, "run", "--", "true")
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			results[i] = result{stdout: out.String(), stderr: errb.String()}
			if err != nil {
				results[i].code = -1
				if cmd.ProcessState != nil {
					results[i].code = cmd.ProcessState.ExitCode()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("run %d of %d: %s", i, n, r)
		}
	}
	sb := e.only()
	if sups := sandboxProcs(sb.Name, ""); len(sups) != 1 {
		t.Errorf("%d supervisors for %s, want 1: %+v", len(sups), sb.Name, sups)
	}
	ents, err := os.ReadDir(e.runtime + "/devbox")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, d := range ents {
		if d.IsDir() {
			dirs = append(dirs, d.Name())
		}
	}
	if len(dirs) != 1 || dirs[0] != sb.Name {
		t.Errorf("runtime dirs %v, want only %s", dirs, sb.Name)
	}
}

// hostMounts returns the host's mount table without mount ids, so two reads
// compare equal when nothing was mounted or unmounted.
func hostMounts(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 {
			m[strings.Join(f[3:5], " ")]++ // root and mount point
		}
	}
	return m
}

func mountsMentioning(m map[string]int, dirs ...string) []string {
	var out []string
	for k := range m {
		for _, d := range dirs {
			if strings.Contains(k, d) {
				out = append(out, k)
			}
		}
	}
	return out
}

// assertGone waits until no process of sandbox name (supervisor, or in pidNS)
// is left on the host.
func assertGone(t *testing.T, name, pidNS string) {
	t.Helper()
	eventually(t, 5*time.Second, func() string {
		if left := sandboxProcs(name, pidNS); len(left) > 0 {
			return fmt.Sprintf("processes of sandbox %s left on the host: %+v", name, left)
		}
		return ""
	})
}

func TestStopLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := hostMounts(t)
	e.must("run", "--", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--", "sh", "-c", "sleep 300 & sleep 300 & wait")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	waitForInside(t, e, "sleep 300")
	sb := e.only()
	ns := pidNSOf(t, sb.Init)
	if n := len(sandboxProcs(sb.Name, ns)); n < 4 {
		t.Fatalf("found %d processes of the running sandbox, want supervisor, init, sh and sleeps", n)
	}
	if bad := mountsMentioning(hostMounts(t), e.runtime, e.project, e.data); len(bad) > 0 {
		t.Errorf("sandbox mounts visible on the host while it runs: %v", bad)
	}

	e.must("stop", sb.Name, "--time", "1s")
	assertGone(t, sb.Name, ns)
	if _, err := os.Stat(e.stateDir(sb.Name)); !os.IsNotExist(err) {
		t.Errorf("runtime dir %s still there after stop: %v", e.stateDir(sb.Name), err)
	}
	after := hostMounts(t)
	for k, n := range after {
		if before[k] < n {
			t.Errorf("mount %q appeared on the host", k)
		}
	}
	if list := e.ps(); len(list) != 0 {
		t.Errorf("devbox ps after stop: %+v", list)
	}
	// The client of the stopped session ends too.
	done := make(chan error, 1)
	go func() { done <- bg.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("the client of a session in a stopped sandbox did not exit")
	}
}

func TestKillSupervisorLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	testKillLeavesNothing(t, func(st stateInfo) int { return st.supervisor })
}

func TestKillInitLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	testKillLeavesNothing(t, func(st stateInfo) int { return st.init })
}

type stateInfo struct{ supervisor, init int }

func testKillLeavesNothing(t *testing.T, victim func(stateInfo) int) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--", "sleep", "300")
	w, stderr := startWatched(t, bg)
	waitForInside(t, e, "sleep 300")
	sb := e.only()
	st := e.readState(sb.Name)
	if st.Supervisor != sb.Supervisor || st.Init != sb.Init {
		t.Errorf("state.json pids %d/%d differ from devbox ps %d/%d", st.Supervisor, st.Init, sb.Supervisor, sb.Init)
	}
	ns := pidNSOf(t, st.Init)
	pid := victim(stateInfo{st.Supervisor, st.Init})
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	assertGone(t, sb.Name, ns)
	assertGoneReported(t, bg, w, stderr)
	if list := e.ps(); len(list) != 0 {
		t.Errorf("devbox ps lists a dead sandbox: %+v", list)
	}
	if _, err := os.Stat(e.stateDir(sb.Name)); !os.IsNotExist(err) {
		t.Errorf("devbox ps did not clean the stale runtime dir %s: %v", e.stateDir(sb.Name), err)
	}
	// The project starts afresh.
	if out := strings.TrimSpace(e.must("run", "--", "echo", "again")); out != "again" {
		t.Errorf("run after the crash: %q", out)
	}
}

func TestRmFlagDestroysThrowawaySandbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if out := strings.TrimSpace(e.must("run", "--rm", "--", "echo", "once")); out != "once" {
		t.Errorf("run --rm: %q", out)
	}
	eventuallyNothingLeft(t, e, "after run --rm")
	if r := e.run("run", "--rm", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("run --rm keeps the exit status: %s", r)
	}
}

// A sandbox that stops with its last session (--rm, --idle-timeout 0)
// lives through its setup steps, each a session of its own, until the
// command has run; then it goes.
func TestSandboxStoppingWithLastSessionRunsEverySetupStep(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"--rm", "--idle-timeout=0"} {
		t.Run(flag, func(t *testing.T) {
			e := newEnv(t)
			e.writeConfig("network = \"none\"\nsetup = [\"echo one > /tmp/steps\", \"echo two >> /tmp/steps\", \"echo three >> /tmp/steps\"]\n")
			r := e.run("run", flag, "--", "cat", "/tmp/steps")
			if r.code != 0 || r.stdout != "one\ntwo\nthree\n" || !strings.Contains(r.stderr, "devbox: setup [3/3]: echo three >> /tmp/steps") {
				t.Fatalf("run %s with three setup steps: want each step, then the command:\n%s", flag, r)
			}
			eventually(t, 5*time.Second, func() string {
				if list := e.ps(); len(list) != 0 {
					return fmt.Sprintf("sandbox still running after run %s: %+v", flag, list)
				}
				return ""
			})
		})
	}
}

// The hold that keeps a throwaway sandbox through its setup steps ends with
// its client: a client killed during a step leaves no sandbox running.
func TestThrowawayStopsWhenItsClientDiesDuringSetup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("network = \"none\"\nsetup = [\"touch step-started; exec sleep 300\", \"true\"]\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--rm", "--", "true")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	eventually(t, 10*time.Second, func() string {
		if _, err := os.Stat(filepath.Join(e.project, "step-started")); err != nil {
			return "the first setup step did not start: " + err.Error()
		}
		return ""
	})
	sb := e.only()
	ns := pidNSOf(t, e.readState(sb.Name).Init)
	if err := bg.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 the client: %v", err)
	}
	assertGone(t, sb.Name, ns)
	eventually(t, 5*time.Second, func() string {
		if list := e.ps(); len(list) != 0 {
			return fmt.Sprintf("throwaway sandbox still running after its client died: %+v", list)
		}
		return ""
	})
}

func TestIdleTimeoutZeroStopsWithLastSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("run", "--idle-timeout", "0", "--", "true")
	eventually(t, 5*time.Second, func() string {
		if list := e.ps(); len(list) != 0 {
			return fmt.Sprintf("sandbox with --idle-timeout 0 still running after its only session: %+v", list)
		}
		return ""
	})
}

func TestSandboxKeepsRunningBetweenSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("run", "--", "true")
	first := e.only()
	e.must("run", "--", "true")
	second := e.only()
	if first.Init != second.Init {
		t.Errorf("second run started a new sandbox: init %d, then %d", first.Init, second.Init)
	}
	e.must("stop", "--all", "--time", "1s")
	e.must("rm", first.Name)
}

// assertGoneReported checks what the client of a session whose sandbox was
// killed under it says: exit 125, why, and the fix (session.ErrGone).
func assertGoneReported(t *testing.T, client *exec.Cmd, w *waited, stderr *bytes.Buffer) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		client.Process.Kill()
		<-w.done
		t.Fatalf("the client of a session in a killed sandbox did not exit")
	}
	err := w.err
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	out := stderr.String()
	want := "Error: " + session.ErrGone.Error()
	if code != 125 || !strings.Contains(out, want) || !strings.Contains(out, "Hint: "+session.GoneHint) || strings.Count(out, "Error:") != 1 {
		t.Errorf("the client of a session in a killed sandbox: want exit 125 and one %q with its hint; exit %d, stderr:\n%s", want, code, out)
	}
}

// waited is a started command's end: done closes once Wait has returned
// err, so any number of receives see it.
type waited struct {
	done chan struct{}
	err  error
}

// startWatched starts cmd with its stderr kept, and waits for it in the
// background; it is killed, if still running, when the test ends.
func startWatched(t *testing.T, cmd *exec.Cmd) (*waited, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &waited{done: make(chan struct{})}
	go func() {
		w.err = cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-w.done })
	return w, &stderr
}

// eventuallyNothingLeft waits until e has no sandbox and no runtime dir
// left (start tickets stay by design).
func eventuallyNothingLeft(t *testing.T, e *env, when string) {
	t.Helper()
	eventually(t, 5*time.Second, func() string {
		if list := e.ps(); len(list) != 0 {
			return fmt.Sprintf("sandboxes left %s: %+v", when, list)
		}
		if ents := runtimeEntries(e); len(ents) != 0 {
			return fmt.Sprintf("runtime dirs left %s: %v", when, ents)
		}
		return ""
	})
}
