//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
)

// runtimeEntries lists the runtime root's entries that are neither start
// tickets nor retired dirs (being deleted by their supervisors).
func runtimeEntries(e *env) []string {
	var out []string
	for _, name := range runtimeAll(e) {
		if !state.IsRetired(name) {
			out = append(out, name)
		}
	}
	return out
}

// runtimeAll is every entry of the runtime root, retired dirs too, but
// the start tickets, which stay there by design (session.StartTicket).
func runtimeAll(e *env) []string {
	ents, _ := os.ReadDir(filepath.Join(e.runtime, "devbox"))
	var out []string
	for _, d := range ents {
		if !session.IsStartTicket(d.Name()) {
			out = append(out, d.Name())
		}
	}
	return out
}

// running says how pid still runs ("" when it does not): it is gone, a
// zombie, killed (SIGKILL pending: it never returns to user space), or
// exiting (PF_EXITING: only its exit in the kernel is left). A killed
// process goes from the one to the other, so the status is read before
// the flags.
func running(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	const sigkill = 1 << (9 - 1)
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "State":
			if strings.HasPrefix(v, "Z") || strings.HasPrefix(v, "X") {
				return ""
			}
		case "SigPnd", "ShdPnd":
			if mask, err := strconv.ParseUint(v, 16, 64); err == nil && mask&sigkill != 0 {
				return ""
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	const pfExiting = 0x4
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) > 6 {
		if flags, err := strconv.ParseUint(fields[6], 10, 64); err == nil && flags&pfExiting != 0 {
			return ""
		}
	}
	return "is still running (state " + fields[0] + ")"
}

// When `devbox stop` and `devbox run --rm` return, the sandbox has ended:
// no process of its PID namespace is left, nor its network helper, and its
// runtime dir has left its name. Checked at once, not eventually; only the
// supervisor may still be deleting the renamed dir and reaping the killed
// helper, and it goes soon after.
func TestTeardown_StopAndRmReturnWhenTheSandboxHasEnded(t *testing.T) {
	t.Parallel()
	requireDriver(t, "slirp4netns")
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--rm", "--network", "slirp4netns", "--", "sh", "-c", "sleep 300 & touch started; wait")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	eventually(t, 10*time.Second, func() string {
		if _, err := os.Stat(filepath.Join(e.project, "started")); err != nil {
			return "the session did not start: " + err.Error()
		}
		return ""
	})
	sb := e.only()
	st := e.readState(sb.Name)
	ns := pidNSOf(t, st.Init)
	if len(helperProcs(st.Init)) == 0 {
		t.Fatalf("no slirp4netns found for init %d", st.Init)
	}
	e.must("stop", sb.Name)
	if left := sandboxProcs("", ns); len(left) > 0 {
		t.Errorf("processes of the sandbox left when devbox stop returned: %+v", left)
	}
	for _, pid := range st.Helpers {
		if how := running(pid); how != "" {
			t.Errorf("network helper %d %s when devbox stop returned", pid, how)
		}
	}
	if _, err := os.Stat(e.stateDir(sb.Name)); !os.IsNotExist(err) {
		t.Errorf("runtime dir still under its name when devbox stop returned: %v", err)
	}
	if err := bg.Wait(); err == nil {
		t.Errorf("the --rm client of a stopped sandbox exited 0")
	}
	// run --rm itself: the exit status passes through, and the session's
	// background process ends with the sandbox before the client returns.
	r := e.run("run", "--rm", "--network", "none", "--", "sh", "-c", "readlink /proc/self/ns/pid; sleep 300 >/dev/null 2>&1 & exit 3")
	if r.code != 3 {
		t.Fatalf("run --rm: want exit status 3, got %s", r)
	}
	if left := sandboxProcs("", strings.TrimSpace(r.stdout)); len(left) > 0 {
		t.Errorf("processes of the --rm sandbox left when it returned: %+v", left)
	}
	if ents := runtimeEntries(e); len(ents) > 0 {
		t.Errorf("runtime dirs left when run --rm returned: %v", ents)
	}
	eventually(t, 5*time.Second, func() string {
		if ents := runtimeAll(e); len(ents) > 0 {
			return fmt.Sprintf("runtime root not empty after the supervisors exited: %v", ents)
		}
		if left := sandboxProcs(sb.Name, ""); len(left) > 0 {
			return fmt.Sprintf("supervisor still running: %+v", left)
		}
		return ""
	})
}

// A sandbox of the same name starts right after a stop, while the old
// supervisor may still be deleting its renamed runtime dir: the new one's
// state is untouched by it.
func TestTeardown_SameNameStartsRightAfterStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("network = \"none\"\n")
	for i := 0; i < 5; i++ {
		if out := e.must("run", "--name", "again", "--", "echo", fmt.Sprint(i)); strings.TrimSpace(out) != fmt.Sprint(i) {
			t.Fatalf("run %d: %q", i, out)
		}
		e.must("stop", "again")
	}
	e.must("run", "--name", "again", "--", "true")
	eventually(t, 5*time.Second, func() string {
		ents := runtimeEntries(e)
		all := runtimeAll(e)
		if len(ents) != len(all) {
			return fmt.Sprintf("retired dirs not deleted: %d entries, %d live", len(all), len(ents))
		}
		return ""
	})
	st := e.readState("again")
	if !st.Alive() {
		t.Fatalf("the last sandbox's state names a dead supervisor: %+v", st)
	}
	if out := e.must("run", "--name", "again", "--", "echo", "joined"); strings.TrimSpace(out) != "joined" {
		t.Fatalf("join after the restarts: %q", out)
	}
	e.must("stop", "again")
}

// A published port is free for the next start when devbox stop returns:
// the supervisor unpublishes it before it says the sandbox has stopped.
func TestTeardown_PublishedPortFreeWhenStopReturns(t *testing.T) {
	t.Parallel()
	requireDriver(t, "slirp4netns")
	e := newEnv(t)
	port := freePort(t, "tcp")
	p := fmt.Sprintf("127.0.0.1:%d:80", port)
	for i := 0; i < 3; i++ {
		e.must("run", "--name", "pub", "--network", "slirp4netns", "-p", p, "--", "true")
		e.must("stop", "pub")
	}
	e.must("run", "--rm", "--network", "slirp4netns", "-p", p, "--", "true")
	e.must("run", "--rm", "--network", "slirp4netns", "-p", p, "--", "true")
}
