package initproc

// Init's side of the session spawner (spawner_main.go): it starts the
// spawner after the first user = "self" session, hands it later self
// sessions, and takes their exits as if it had reaped them itself. Without
// a spawner (not started yet, or gone), a self session gets its own nested
// user namespace as before (keepID), so the spawner only ever saves time.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/devbox-dev/devbox/internal/caps"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/strict"
	"golang.org/x/sys/unix"
)

// spawner is init's handle on the spawner process.
type spawner struct {
	st   *initState
	conn *proto.Conn
	id   proto.KeepID // the user its namespace keeps
	// strict is a spawner confined by the strict profile: its sessions
	// must never start any other way but confined.
	strict bool
	// mu serializes Fork requests: each waits for its own answer.
	mu      sync.Mutex
	answers chan proto.Forked
	gone    chan struct{}
}

// startSpawner starts the spawner for k's sessions. It runs on the main
// thread: the spawner inherits that thread's keyring and filter.
//
// It starts in the sessions leaf of the sandbox's group, so the sessions
// it forks are there too (under the pids limit) without CLONE_INTO_CGROUP,
// which needs clone3, and the strict filter refuses clone3. A strict
// sandbox's spawner confines itself as a strict session's stage does
// (policy), so its sessions need no stage.
func (st *initState) startSpawner(k proto.KeepID, policy *strict.Policy) (*spawner, error) {
	mine, theirs, err := proto.Socketpair()
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	env, err := spawnerEnv(policy)
	if err != nil {
		mine.Close()
		return nil, err
	}
	if err != nil {
		mine.Close()
		return nil, err
	}
	sys := &syscall.SysProcAttr{Setsid: true, Pdeathsig: unix.SIGKILL}
	intoSessions(sys)
	if err := keepID(sys, &k); err != nil {
		mine.Close()
		return nil, err
	}
	// The spawner runs as the user, whose uid the exec would strip of the
	// new namespace's capabilities: it keeps them as ambient ones, and
	// clears those first thing (hardenSpawner).
	sys.Credential = nil
	sys.AmbientCaps = caps.All()
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{devNullFD(), devNullFD(), uintptr(unix.Stderr), theirs.Fd()},
		Sys:   sys,
	}
	if _, err := syscall.ForkExec("/proc/self/exe", []string{"devbox-init"}, attr); err != nil {
		mine.Close()
		return nil, fmt.Errorf("start the session spawner: %w", err)
	}
	conn, err := proto.FileConn(mine)
	mine.Close()
	if err != nil {
		return nil, err
	}
	sp := &spawner{st: st, conn: conn, id: k, strict: policy != nil, answers: make(chan proto.Forked), gone: make(chan struct{})}
	go sp.read()
	return sp, nil
}

// devNull is an open /dev/null for the spawner's stdin and stdout.
var devNull = sync.OnceValue(func() *os.File {
	f, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	return f
})

func devNullFD() uintptr {
	if f := devNull(); f != nil {
		return f.Fd()
	}
	return uintptr(unix.Stderr)
}

// spawnerEnv is the spawner's environment: init's bounding set, the
// strict policy when there is one, and init's one-P runtime
// (proto.IdleRuntime): the spawner mostly waits, and a second P costs it
// memory and, on every session it forks, the wakeups of spinning threads;
// and the user's timer slack, for its sessions (internal/timerslack).
// Its sessions get the environment of their request, not this.
func spawnerEnv(policy *strict.Policy) ([]string, error) {
	env := append([]string{envSpawner + "=" + boundingSet()}, proto.IdleEnv()...)
	if policy != nil {
		b, err := json.Marshal(policy)
		if err != nil {
			return nil, fmt.Errorf("encode the strict policy: %w", err)
		}
		env = append(env, envSpawnerStrict+"="+string(b))
	}
	return env, nil
}

// boundingSet is this thread's capability bounding set, in hex.
func boundingSet() string {
	var set uint64
	for c := 0; c < 64; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil {
			break
		}
		if in == 1 {
			set |= 1 << c
		}
	}
	return strconv.FormatUint(set, 16)
}

// read takes the spawner's messages: answers go to the waiting Fork, and
// each exit to a goroutine of its own, which may wait for st.mu (a Fork is
// answered while the main thread holds it, so the reader must not). EOF
// means the spawner is gone: its sessions are init's children now, and
// init's own reaping reports them.
func (sp *spawner) read() {
	defer close(sp.gone)
	for {
		msg, files, err := sp.conn.Recv()
		closeFiles(files)
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case proto.Forked:
			sp.answers <- m
		case proto.Reaped:
			go sp.st.sessionExited(m.PID, unix.WaitStatus(m.Status))
		}
	}
}

// usable reports whether the spawner can start a session for k.
func (sp *spawner) usable(k *proto.KeepID) bool {
	if sp == nil || k == nil || *k != sp.id {
		return false
	}
	select {
	case <-sp.gone:
		return false
	default:
		return true
	}
}

// forkExec starts path as the spawner's user, with attr's directory,
// environment, descriptors and terminal.
func (sp *spawner) forkExec(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	req := proto.Fork{Path: path, Argv: argv, Env: attr.Env, Dir: attr.Dir,
		Setctty: attr.Sys.Setctty, Ctty: attr.Sys.Ctty, UID: sp.id.UID, GID: sp.id.GID, Ambient: attr.Sys.AmbientCaps}
	fds := make([]int, len(attr.Files))
	for i, fd := range attr.Files {
		fds[i] = int(fd)
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if err := sp.conn.Send(req, fds...); err != nil {
		// Not delivered (a packet goes whole or not at all): the spawner
		// is gone, though its reader may not have seen the end yet.
		return 0, fmt.Errorf("ask the session spawner: %w: %w", errSpawnerGone, err)
	}
	select {
	case a := <-sp.answers:
		if a.PID > 0 {
			return a.PID, nil
		}
		if a.Errno != 0 {
			return 0, syscall.Errno(a.Errno)
		}
		return 0, fmt.Errorf("session spawner: %s", a.Err)
	case <-sp.gone:
		return 0, errSpawnerGone
	}
}

// errSpawnerGone is a spawner that exited (idle, or killed) before it
// read the request, or before it could be sent: nothing was started.
var errSpawnerGone = errors.New("session spawner: gone")

// forkOr starts through the spawner, or through direct when the spawner
// is gone.
func (sp *spawner) forkOr(direct forkFunc) forkFunc {
	return func(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
		pid, err := sp.forkExec(path, argv, attr)
		if errors.Is(err, errSpawnerGone) {
			if sp.strict {
				// The direct start would need the strict stage, set up
				// before the fork; never start a strict session without it.
				return 0, errors.New("the sandbox's session spawner ended while starting this session; run it again")
			}
			return direct(path, argv, attr)
		}
		return pid, err
	}
}

// close ends the spawner: it exits when its socket closes, and what it
// started becomes init's to reap.
func (sp *spawner) close() {
	if sp != nil {
		sp.conn.Close()
	}
}

// idSizes are how many uids and gids this namespace maps, and whether it
// allows setgroups.
type idSizes struct {
	uids, gids uint32
	setgroups  bool
}

// nsSizes reads this namespace's sizes once: they never change.
var nsSizes = sync.OnceValues(func() (idSizes, error) {
	var s idSizes
	var err error
	if s.uids, err = mappedCount("/proc/self/uid_map"); err != nil {
		return s, err
	}
	if s.gids, err = mappedCount("/proc/self/gid_map"); err != nil {
		return s, err
	}
	b, err := os.ReadFile("/proc/self/setgroups")
	s.setgroups = err != nil || strings.TrimSpace(string(b)) != "deny"
	return s, nil
})

// spawnerServes reports whether the spawner runs for k's sessions: then a
// session needs no trip to the main thread for wantSpawner, two thread
// switches while it starts.
func (st *initState) spawnerServes(k *proto.KeepID) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.spawner.usable(k)
}

// wantSpawner starts the spawner, once, after the second self session
// started: a sandbox that is joined. One-shot sandboxes (run --rm) never
// pay for it, and its start (an exec) runs after a session, never in its
// way. It runs on the main thread.
func (st *initState) wantSpawner(req proto.Spawn) {
	// Under the outer /proc (the masked-/proc fallback) the spawner's
	// maps could not be written (keepID); self sessions take the keep-id
	// stage there.
	if req.KeepID == nil || st.spawnerFailed || outerProc() {
		return
	}
	if st.selfSessions++; st.selfSessions < 2 || st.spawner.usable(req.KeepID) {
		return // not joined yet, or running (a spawner idle too long exits)
	}
	sp, err := st.startSpawner(*req.KeepID, st.strict.policyOrNil())
	if err != nil {
		fmt.Fprintf(os.Stderr, "devbox-init: %v (self sessions get a user namespace each)\n", err)
		st.spawnerFailed = true
		return
	}
	st.mu.Lock() // spawnSession reads it under st.mu off the main thread
	st.spawner = sp
	st.mu.Unlock()
}
