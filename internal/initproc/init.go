// Package initproc is the sandbox's PID 1. It runs inside every namespace of
// the sandbox, after the root filesystem is built: it serves the sandbox
// socket (spawning sessions for clients), reaps every orphan, forwards
// signals to the sessions, and ends the sandbox on Stop, SIGTERM, idle
// timeout, or the supervisor's death.
//
// A PID 1 gets no default signal actions, so every signal it should act on has
// a handler here; when it exits, the kernel kills everything in the namespace.
package initproc

import (
	"errors"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/devbox-dev/devbox/internal/prefault"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// Config is what the child hands its init.
type Config struct {
	Spec     proto.Spec
	Parent   *proto.Conn // supervisor; EOF means it died
	Listener *os.File    // listening SEQPACKET socket
	// Launch is the client's first session, connected before the sandbox
	// started (proto.Spec.LaunchSession); nil otherwise.
	Launch *os.File
}

// firstSessionWait is how long a sandbox with idle timeout 0 waits for its
// first session.
const firstSessionWait = 30 * time.Second

// defaultGrace is the stop grace period for SIGTERM sent to init itself.
const defaultGrace = 10 * time.Second

// launchTidyDelay is how long after a launch session's start init tidies
// its heap (tidy), if the sandbox still runs.
const launchTidyDelay = time.Second

// launchGrace is the stop grace period of a sandbox that ends with its
// launch session: the one a `run --rm` client's own stop gave it.
const launchGrace = 2 * time.Second

type initState struct {
	cfg     Config
	started time.Time

	mu       sync.Mutex
	sessions map[int]*session // by pid
	// holds counts open Hold connections: like sessions, they keep the
	// sandbox from going idle.
	holds    int
	stopping bool

	idle *time.Timer
	done chan struct{}
	// reaped wakes a stop waiting for the last process: the signal loop
	// sends on it (without blocking) after each round of reaping.
	reaped chan struct{}
	// onMain carries work to the loop on the main thread: sessions are
	// forked there, so they inherit its credentials (see Run).
	onMain chan func()
	// strict starts sessions through the strict session stage; nil
	// unless the profile is strict.
	strict *strictSessions
	// spawner forks user = "self" sessions in their user namespace
	// (spawner.go); nil until the first one asks for it. Set on the main
	// thread under mu; read there, or elsewhere under mu.
	spawner       *spawner
	selfSessions  int
	spawnerFailed bool
	// firstStart is closed once the first session has started,
	// startedOnce guards it.
	firstStart  chan struct{}
	startedOnce sync.Once
	// reports counts sessions whose exit status is not yet sent: init
	// waits for them before it exits (a --rm client otherwise saw its
	// sandbox vanish before the status came, found on UML's slow kernel).
	reports sync.WaitGroup
}

// Run serves the sandbox until it stops. It returns only on a setup error; a
// normal stop exits the process.
//
// The caller's thread is the one that forks every session: the child cut
// its capabilities and bounding set there, and those are per thread, so
// Run keeps this goroutine on it and forks nowhere else.
func Run(cfg Config) error {
	runtime.LockOSThread()
	st := &initState{cfg: cfg, started: time.Now(), sessions: map[int]*session{}, done: make(chan struct{}), reaped: make(chan struct{}, 1), onMain: make(chan func()), firstStart: make(chan struct{})}
	end := trace.Begin("init's signals (wait)")
	sigs := watchedSignals()
	end()
	ln, err := listen(cfg.Listener)
	if err != nil {
		return err
	}
	if st.strict, err = newStrictSessions(cfg.Spec); err != nil {
		return err
	}
	st.armIdle(firstSessionWait)
	st.tidy(cfg.Launch != nil)
	go st.watchParent()
	if cfg.Launch != nil {
		go st.serveLaunch(cfg.Launch)
	}
	go st.serve(ln)
	st.loop(sigs)
	return nil
}

// tidy makes an idle init hold little: it collects garbage more eagerly
// and returns setup's heap to the kernel, beside the first session rather
// than before it. With a launch session waiting, it waits for that
// session's start: on a sandbox's one or two CPUs, the collection and the
// scavenging would otherwise delay the session they are meant to follow.
// And then for launchTidyDelay more: a throwaway sandbox's one session is
// often short (a test, a build step), and its sandbox ends with it; a
// collection and a scavenge while it runs (0.7 ms of init's CPU here,
// with the collector off since the child started) only delay init's
// reaping of it and its Exit, on the sandbox's way out.
func (st *initState) tidy(launch bool) {
	if !launch {
		debug.SetGCPercent(25)
		go release()
		return
	}
	go func() {
		<-st.firstStart
		select {
		case <-time.After(launchTidyDelay):
		case <-st.done:
			return
		}
		debug.SetGCPercent(25)
		release()
	}()
}

// release returns setup's heap to the kernel, and the pages of init's
// binary that its start mapped (package prefault) to the page cache.
func release() {
	debug.FreeOSMemory()
	prefault.Release()
}

// signals is what WatchSignals set up; signalsSet is closed once every
// signal is watched.
var (
	signals     chan os.Signal
	signalsSet  chan struct{}
	signalsOnce sync.Once
)

// WatchSignals starts, in the background, the delivery of the signals
// init acts on; Run waits for it (watchedSignals), and the child starts it
// early, once it has said Hello. Each signal's first Notify is a round
// trip between the goroutine and the runtime's signal thread, two thread
// switches with GOMAXPROCS=1: 0.6-4 ms for the seven, which stood between
// the child's Hello and its reading the id maps (written by then) on every
// start. In a goroutine they run while the child's setup waits for the
// supervisor (NetReady, NetAttached, Go). A signal before its Notify ends
// the child as before; signals that come before Run are kept for it (32
// of them).
func WatchSignals() {
	signalsOnce.Do(func() {
		signals = make(chan os.Signal, 32)
		signalsSet = make(chan struct{})
		go func() {
			signal.Notify(signals, unix.SIGCHLD, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
			close(signalsSet)
		}()
	})
}

// watchedSignals returns the signals' channel once every one is watched.
func watchedSignals() chan os.Signal {
	WatchSignals()
	<-signalsSet
	return signals
}

// loop handles signals until the sandbox is done.
func (st *initState) loop(sigs chan os.Signal) {
	for {
		select {
		case s := <-sigs:
			st.handleSignal(s.(syscall.Signal))
		case f := <-st.onMain:
			f()
		case <-st.done:
			st.finish()
		}
	}
}

// runOnMain runs f in the loop, on the thread that forks sessions, and
// waits for it.
func (st *initState) runOnMain(f func()) {
	done := make(chan struct{})
	st.onMain <- func() { f(); close(done) }
	<-done
}

func (st *initState) handleSignal(sig syscall.Signal) {
	switch sig {
	case unix.SIGCHLD:
		st.reap()
	case unix.SIGTERM:
		st.forward(sig)
		go st.stop(defaultGrace)
	default:
		st.forward(sig)
	}
}

// forward sends sig to every session's process group.
func (st *initState) forward(sig syscall.Signal) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for pid := range st.sessions {
		unix.Kill(-pid, sig)
	}
}

// exitWatch returns a pidfd of init's own child pid, which the caller has
// not reaped, or -1 where the kernel has none (before 5.10): see
// reapAtExit.
func exitWatch(pid int) int {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return -1
	}
	return fd
}

// reapAtExit reaps once the process of pidfd fd has exited, on the
// goroutine that waits for it in the runtime's poller. SIGCHLD would
// reach reap too, but through the runtime's signal thread and then init's
// locked main thread, three thread switches after the exit (1.1 ms from
// a throwaway's command's exit to its reaping, traced); a session's own
// exit is the step its client and its sandbox's end wait for. reap is
// safe to run twice: the later one finds nothing.
func (st *initState) reapAtExit(fd int) {
	userns.AwaitPidfd(fd)
	st.reap()
}

// reap collects every exited child: sessions report their status, orphans
// reparented to PID 1 are simply collected.
//
// It waits under st.mu: a session that ends at once is reaped only after
// spawnSession, which forks under st.mu, has recorded it.
func (st *initState) reap() {
	for {
		st.mu.Lock()
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			st.mu.Unlock()
			select {
			case st.reaped <- struct{}{}:
			default:
			}
			return
		}
		s := st.takeSessionLocked(pid)
		st.mu.Unlock()
		st.report(s, ws)
	}
}

// sessionExited reports the exit of a session the spawner reaped.
func (st *initState) sessionExited(pid int, ws unix.WaitStatus) {
	st.mu.Lock()
	s := st.takeSessionLocked(pid)
	st.mu.Unlock()
	st.report(s, ws)
}

// takeSessionLocked removes pid's session (nil for an orphan) and marks
// whether the sandbox's stop ended it. The caller holds st.mu.
func (st *initState) takeSessionLocked(pid int) *session {
	s := st.sessions[pid]
	delete(st.sessions, pid)
	if s != nil {
		s.stopped = st.stopping
	}
	return s
}

// report sends a session's exit and re-arms the idle timer.
func (st *initState) report(s *session, ws unix.WaitStatus) {
	if s == nil {
		return
	}
	s.exited(ws)
	st.mu.Lock()
	st.sessionsChangedLocked()
	st.mu.Unlock()
}

// busyLocked counts what keeps the sandbox from going idle: sessions and
// holds. The caller holds st.mu.
func (st *initState) busyLocked() int { return len(st.sessions) + st.holds }

// sessionsChangedLocked arms the idle timer when no session or hold is
// left, and stops it otherwise. The caller holds st.mu, so the timer
// follows the count in order when sessions end and holds are released
// at once.
func (st *initState) sessionsChangedLocked() {
	if st.busyLocked() > 0 {
		st.idle.Stop()
		return
	}
	if st.cfg.Spec.IdleTimeout == 0 {
		st.armIdle(time.Millisecond)
		return
	}
	st.armIdle(st.cfg.Spec.IdleTimeout)
}

func (st *initState) armIdle(d time.Duration) {
	if st.idle == nil {
		st.idle = time.AfterFunc(d, st.idleExpired)
		return
	}
	st.idle.Reset(d)
}

func (st *initState) idleExpired() {
	st.mu.Lock()
	n := st.busyLocked()
	st.mu.Unlock()
	if n == 0 {
		st.stop(st.idleGrace())
	}
}

// idleGrace is the grace of a stop for idleness: a sandbox that ends with
// its launch session gets the launch's, whichever of the two stops first.
func (st *initState) idleGrace() time.Duration {
	if st.cfg.Spec.LaunchSession {
		return launchGrace
	}
	return defaultGrace
}

// watchParent ends the sandbox when the supervisor goes away (kill -9 of the
// supervisor must leave nothing behind).
func (st *initState) watchParent() {
	for {
		if _, _, err := st.cfg.Parent.Recv(); err != nil {
			unix.Kill(-1, unix.SIGKILL)
			os.Exit(1)
		}
	}
}

// stop ends the sandbox: SIGHUP to the sessions on a terminal, as closing
// a terminal window does (an interactive bash ignores SIGTERM and would
// wait out the grace period), then SIGTERM to every process, SIGKILL
// after grace.
func (st *initState) stop(grace time.Duration) {
	st.mu.Lock()
	if st.stopping {
		st.mu.Unlock()
		return
	}
	st.stopping = true
	for pid, s := range st.sessions {
		if s.tty {
			unix.Kill(-pid, unix.SIGHUP)
			unix.Kill(-pid, unix.SIGCONT)
		}
	}
	st.mu.Unlock()
	// The spawner exits when its socket closes; its sessions become init's
	// children, reaped and reported like the others.
	st.runOnMain(func() { st.spawner.close() })
	unix.Kill(-1, unix.SIGTERM)
	st.awaitNoChildren(grace)
	close(st.done)
}

// awaitNoChildren returns when no process but init is left, or after
// grace. The last one to exit is init's child (its parent died before it,
// or is init), so the reaping that follows its SIGCHLD wakes the wait;
// a slow poll backs that up.
func (st *initState) awaitNoChildren(grace time.Duration) {
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for hasChildren() {
		select {
		case <-st.reaped:
		case <-poll.C:
		case <-deadline.C:
			return
		}
	}
}

// hasChildren reports whether any process but init is left. Children are
// reaped by the signal loop; kill(-1, 0) reaches every other process of the
// PID namespace and fails with ESRCH when there is none. It does not read
// /proc, which may be the outer one (the masked /proc fallback).
func hasChildren() bool {
	return !errors.Is(unix.Kill(-1, 0), unix.ESRCH)
}

// finish kills what is left and exits; the kernel tears down the namespaces.
func (st *initState) finish() {
	unix.Kill(-1, unix.SIGKILL)
	st.mu.Lock()
	for _, s := range st.sessions {
		s.stopped = true
		s.exited(unix.WaitStatus(uint32(unix.SIGKILL)))
	}
	st.mu.Unlock()
	st.waitReports(2 * time.Second)
	os.Exit(0)
}

// waitReports waits, at most d, until every session's exit status is sent.
func (st *initState) waitReports(d time.Duration) {
	sent := make(chan struct{})
	go func() { st.reports.Wait(); close(sent) }()
	select {
	case <-sent:
	case <-time.After(d):
	}
}
