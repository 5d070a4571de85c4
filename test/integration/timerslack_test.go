//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// devbox's own processes in a sandbox run with a relaxed timer slack
// (internal/timerslack), and nothing the user runs may inherit it: code
// in a session that times its sleeps must see the slack of the devbox
// command that started it, on every path a session takes (a cold start's
// first session, forked by init; a join through the spawner; a root
// session, forked by init), and so must the network helper that carries
// the sessions' traffic.
func TestTimerSlack_SessionsGetTheUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const mine = 123457 // ns: not the kernel's default, not devbox's
	want := strconv.Itoa(mine)
	slack := "cat /proc/self/timerslack_ns"
	// The first throwaway goes through devbox-front (no start ticket yet),
	// the second through the fast start.
	for _, path := range []string{"devbox-front", "the fast start"} {
		if got := strings.TrimSpace(withSlack(mine, func() string { return e.must("run", "--rm", "--", "sh", "-c", slack) })); got != want {
			t.Errorf("a throwaway sandbox's session (%s) has timer slack %s, want the user's %s", path, got, want)
		}
	}
	withSlack(mine, func() string { return e.must("run", "--", "true") })
	e.must("run", "--", "true") // the first join starts the spawner
	for _, args := range [][]string{{"run", "--", "sh", "-c", slack}, {"run", "--user", "root", "--", "sh", "-c", slack}} {
		if got := strings.TrimSpace(e.must(args...)); got != want {
			t.Errorf("devbox %s: timer slack %s, want the user's %s (the sandbox's starter)", strings.Join(args, " "), got, want)
		}
	}
	// The supervisor and init are not dumpable, so their slack is not for
	// this user to read; internal/timerslack's tests check what Relax
	// hands on, and the benchmark what it buys.
	p := e.only()
	helper := networkHelperOf(p.Init)
	if helper == 0 {
		t.Fatalf("no slirp4netns or pasta attached to init %d", p.Init)
	}
	if got := readSlack(t, helper); got != want {
		t.Errorf("the network helper's timer slack is %s, want the user's %s", got, want)
	}
}

// A strict sandbox's spawner confines itself (its own filter, Landlock)
// before it forks a session: the user's slack must still reach them.
func TestTimerSlack_StrictSessionsGetTheUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("security = \"strict\"\n")
	const mine = 234567
	withSlack(mine, func() string { return e.must("run", "--", "true") })
	e.must("run", "--", "true") // the first join starts the spawner
	for _, args := range [][]string{{"run", "--", "cat", "/proc/self/timerslack_ns"}, {"run", "--user", "root", "--", "cat", "/proc/self/timerslack_ns"}} {
		if got := strings.TrimSpace(e.must(args...)); got != strconv.Itoa(mine) {
			t.Errorf("strict sandbox, devbox %s: timer slack %s, want the user's %d", strings.Join(args, " "), got, mine)
		}
	}
}

// withSlack runs f, which starts devbox, on a thread with the timer slack
// ns, which devbox inherits.
func withSlack(ns int, f func() string) string {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err == nil {
		defer unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
	}
	unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(ns), 0, 0, 0)
	return f()
}

func readSlack(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/timerslack_ns")
	if err != nil {
		t.Fatalf("read the timer slack of %d: %v", pid, err)
	}
	return strings.TrimSpace(string(b))
}

// networkHelperOf is the slirp4netns or pasta process attached to the
// network namespace of the sandbox whose init is pid: both name it by that
// pid.
func networkHelperOf(pid int) int {
	for _, p := range hostProcs() {
		name := filepath.Base(p.argv[0])
		if (name == "slirp4netns" || strings.HasPrefix(name, "pasta")) && slices.Contains(p.argv, strconv.Itoa(pid)) {
			return p.pid
		}
	}
	return 0
}
