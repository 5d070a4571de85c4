// Package timerslack gives devbox's own long-lived processes a relaxed
// timer slack and everything they start for the user the user's own. It
// runs on both sides of the fork: in the client and the front, which start
// the supervisor relaxed (Relax); in the supervisor, which starts the
// network helper with the user's slack (AsUsers); and in init and the
// session spawner, which start every session with it.
//
// The timer slack (prctl(PR_SET_TIMERSLACK)) is how late the kernel may
// wake a thread from a timed sleep: 50 µs unless something set it. A
// thread starts with its creator's, and a process keeps it through exec.
// A Go program's monitor thread (sysmon) sleeps 20 µs between its looks at
// the scheduler whenever the program has just started work, for 50 rounds
// and more, and a program that waits and works by turns, as a sandbox's
// start is, starts those rounds again after every wait: 100 to 170 wakeups
// per process in a cold start here, each a context switch that costs
// 20-50 µs of CPU on a virtual machine (the monitor's share was a sixth of
// a cold start's CPU). A slack of milliseconds lets the kernel batch those
// sleeps: with the supervisor, init and the spawner relaxed, a cold `run
// --rm` took 0.93-0.96× of the time at 2 ms, and 0.97× of that again at
// 5 ms, a join 0.96-0.98× of 2 ms's at 5 ms, and six concurrent clients'
// joins no longer at the 99th percentile (docs/architecture.md). The
// monitor is the runtime's first thread, made before any package init, so
// the slack has to come from the parent.
//
// The relaxed slack stays with devbox's own processes. Sessions, the
// network helper that carries their traffic and fuse-overlayfs, which
// serves their file system, get the slack of the devbox command that
// started the sandbox (Users), which travels to the supervisor, its
// helpers, init and the spawner in Env. newuidmap and newgidmap keep the
// relaxed one: they run for a few milliseconds and sleep on nothing.
package timerslack

import (
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Relaxed is the timer slack of devbox's own processes, in nanoseconds.
const Relaxed = 5_000_000

// EnvName carries the user's slack to devbox's own processes (Env).
const EnvName = "_DEVBOX_TIMER_SLACK"

// users is the user's timer slack, as this process found it at its start.
var users = usersSlack(os.Getenv(EnvName), current)

// usersSlack is the slack in env (Env's value), or else the calling
// thread's (in a process that no devbox process started).
func usersSlack(env string, current func() uint64) uint64 {
	if n, err := strconv.ParseUint(env, 10, 64); err == nil && n > 0 {
		return n
	}
	return current()
}

// Users returns the user's timer slack in nanoseconds.
func Users() uint64 { return users }

// Env is the environment entry that hands the user's slack on to a devbox
// process this one starts.
func Env() string { return EnvName + "=" + strconv.FormatUint(users, 10) }

// Relax runs start, which starts one of devbox's own processes, on a
// thread with the relaxed slack, which that process and every thread it
// makes inherit. The thread gets its own slack back afterwards.
func Relax(start func()) { with(Relaxed, start) }

// AsUsers runs start, which starts a process for the user (a session, the
// network helper), on a thread with the user's slack.
func AsUsers(start func()) { with(users, start) }

// with runs start on this goroutine's thread with the slack ns, and puts
// the thread's slack back. A failed prctl leaves the slack as it was:
// start runs either way.
func with(ns uint64, start func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old := current()
	if old == ns || set(ns) != nil {
		start()
		return
	}
	defer set(old)
	start()
}

// current is the calling thread's timer slack.
func current() uint64 {
	n, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || n <= 0 {
		return 50_000 // the kernel's default
	}
	return uint64(n)
}

func set(ns uint64) error {
	return unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(ns), 0, 0, 0)
}
