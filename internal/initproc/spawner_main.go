package initproc

// The session spawner's own process. Init starts it once per sandbox, from
// init's own binary, in a user namespace nested in the sandbox's with the
// user = "self" id map (userns.KeepIDMap). It forks every later self
// session there: a plain fork and exec, where init would need a user
// namespace per session (a full fork of init, not a vfork, and three map
// writes), which was most of a join's cost.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/devbox-dev/devbox/internal/fds"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/strict"
	"github.com/devbox-dev/devbox/internal/timerslack"
	"golang.org/x/sys/unix"
)

// spawnerConnFD is the spawner's SEQPACKET socket to init.
const spawnerConnFD = 3

// envSpawner marks the spawner; its value is init's bounding set (hex),
// which the spawner's own namespace starts full of. envSpawnerStrict is
// the strict profile's session policy (JSON), when the sandbox's.
const (
	envSpawner       = "_DEVBOX_SPAWNER"
	envSpawnerStrict = "_DEVBOX_SPAWNER_STRICT"
)

// IsSpawner reports whether this process was started as init's session
// spawner.
func IsSpawner() bool { return os.Getenv(envSpawner) != "" }

// The spawner's main goroutine stays on the main thread, which cuts its
// own capabilities (they are per thread) and forks every session.
func init() {
	if IsSpawner() {
		runtime.LockOSThread()
	}
}

// SpawnerMain runs the spawner until init closes its socket, and returns
// the exit status.
func SpawnerMain() int {
	if err := runSpawner(); err != nil {
		fmt.Fprintf(os.Stderr, "devbox-init: session spawner: %v\n", err)
		return 125
	}
	return 0
}

func runSpawner() error {
	// Its own descriptors (the socket to init, the cgroup) stay out of
	// the sessions it starts.
	fds.CloseOnExecFrom(spawnerConnFD)
	unix.CloseOnExec(spawnerConnFD) // for kernels before close_range
	if err := hardenSpawner(os.Getenv(envSpawner)); err != nil {
		return err
	}
	if err := confineStrict(os.Getenv(envSpawnerStrict)); err != nil {
		return err
	}
	os.Unsetenv(envSpawner)
	os.Unsetenv(envSpawnerStrict)
	c, err := proto.FileConn(os.NewFile(spawnerConnFD, "init"))
	if err != nil {
		return err
	}
	sp := &spawnerProc{conn: c}
	// Idle most of its life, like init: keep its heap small, returning
	// its start's heap beside the first session it forks, not before.
	debug.SetGCPercent(25)
	go release()
	return sp.serve()
}

// hardenSpawner keeps the spawner from giving its sessions more than init
// would: the namespace's full bounding set is cut to init's, no capability
// passes on, no session can read the spawner's memory, and signals that
// stop the sandbox's sessions leave it running until init closes its
// socket. It runs on the main thread, which forks every session.
func hardenSpawner(bset string) error {
	keep, err := strconv.ParseUint(bset, 16, 64)
	if err != nil {
		return fmt.Errorf("read init's bounding set %q: %w", bset, err)
	}
	for c := 0; c < 64; c++ {
		if keep&(1<<c) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err == unix.EINVAL {
			break // past the last capability
		} else if err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	// The sessions it forks keep the user's uid, which clears no
	// capability: the ambient and inheritable ones it was started with
	// would pass on.
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	if err := clearInheritable(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make the spawner non-dumpable: %w", err)
	}
	// Caught, not ignored: an ignored signal stays ignored in what the
	// spawner execs, a caught one does not.
	stray := make(chan os.Signal, 8)
	signal.Notify(stray, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGPIPE)
	go func() {
		for range stray {
		}
	}()
	os.WriteFile("/proc/self/comm", []byte(SpawnerComm), 0)
	return nil
}

// clearInheritable empties this thread's inheritable capabilities.
func clearInheritable() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("clear inheritable capabilities: %w", err)
	}
	return nil
}

// SpawnerComm is the spawner's process name inside the sandbox.
const SpawnerComm = "devbox-sessions"

// confineStrict confines the spawner as a strict session's stage confines
// itself (internal/strict), on this thread, which forks every session: no
// new privileges, the Landlock domain, no capability, the strict filter.
// Its sessions share that one domain, which holds the sandbox's sessions
// and nothing else (not init). Nothing to do without a policy.
func confineStrict(policy string) error {
	if policy == "" {
		return nil
	}
	var p strict.Policy
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return fmt.Errorf("decode the strict policy: %w", err)
	}
	return strict.ConfineSpawner(p)
}

// spawnerProc is the spawner's state. Its main thread forks every session
// and, with pidfds, also waits for their ends (exits), in one poll(2) with
// init's socket: no goroutine has to be scheduled between a session's
// exit and its Reaped. With GOMAXPROCS=1, a goroutine waiting in wait4
// beside the main thread's poll got the one P only when sysmon took it
// from the other syscall: up to 0.3 ms after the exit on a busy machine.
// A kernel without pidfds (before 5.3) gets a waiting goroutine per
// session (await). mu orders a Fork's answer before the Reaped of the
// same pid, and guards live.
type spawnerProc struct {
	conn *proto.Conn
	mu   sync.Mutex
	live int // sessions started and not yet reaped
	// exits are the pidfds of running sessions, by pidfd; main thread only.
	exits map[int]int
}

// spawnerIdle is how long the spawner waits for a request while none of
// its sessions runs before it exits: an idle sandbox then holds no
// spawner, and init starts a new one after the next join.
const spawnerIdle = time.Minute

// serve answers Fork requests until init goes away, or until it has been
// idle for spawnerIdle.
func (sp *spawnerProc) serve() error {
	fd, err := connFD(sp.conn)
	if err != nil {
		return err
	}
	sp.exits = map[int]int{}
	for {
		if !sp.await(fd, spawnerIdle) {
			if sp.idle() {
				return nil
			}
			continue
		}
		msg, files, err := sp.conn.Recv()
		if err != nil {
			return nil // init closed the socket: the sandbox is stopping
		}
		req, ok := msg.(proto.Fork)
		if !ok {
			closeFiles(files)
			return fmt.Errorf("unexpected message %q", msg.Kind())
		}
		sp.mu.Lock()
		err = sp.conn.Send(sp.fork(req, files))
		sp.mu.Unlock()
		closeFiles(files)
		if err != nil {
			return nil
		}
	}
}

// connFD is c's socket descriptor, valid while c is open.
func connFD(c *proto.Conn) (int, error) {
	raw, err := c.Unix().SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("read init's socket: %w", err)
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd, nil
}

// await blocks this thread, the one that forks, in poll(2) until fd has
// a packet (or its end), reporting each session that ends meanwhile, and
// reports false after d without a packet. The kernel wakes this thread
// itself: through Go's poller, a Fork woke the poller's thread, which
// handed the locked main goroutine to this one, a second wakeup before
// every session.
func (sp *spawnerProc) await(fd int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return false
		}
		pfds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for pidfd := range sp.exits {
			pfds = append(pfds, unix.PollFd{Fd: int32(pidfd), Events: unix.POLLIN})
		}
		n, err := unix.Poll(pfds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return true // none is expected: left to Recv to report
		}
		for _, p := range pfds[1:] {
			if p.Revents != 0 {
				sp.reap(int(p.Fd))
			}
		}
		if n > 0 && pfds[0].Revents != 0 {
			return true
		}
	}
}

// reap reports the session whose pidfd is readable: it has exited.
func (sp *spawnerProc) reap(pidfd int) {
	pid := sp.exits[pidfd]
	var ws unix.WaitStatus
	got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	if err == nil && got == 0 {
		return // not yet (a spurious wakeup): still polled
	}
	delete(sp.exits, pidfd)
	unix.Close(pidfd)
	sp.reported(pid, ws, err)
}

// reported sends pid's end to init.
func (sp *spawnerProc) reported(pid int, ws unix.WaitStatus, err error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.live--
	if err == nil {
		sp.conn.Send(proto.Reaped{PID: pid, Status: uint32(ws)})
	}
}

// fork starts one session as req's user.
func (sp *spawnerProc) fork(req proto.Fork, files []*os.File) proto.Forked {
	pidfd := -1
	attr := &syscall.ProcAttr{Dir: req.Dir, Env: req.Env, Sys: &syscall.SysProcAttr{
		Setsid:      true,
		Setctty:     req.Setctty,
		Ctty:        req.Ctty,
		Credential:  &syscall.Credential{Uid: req.UID, Gid: req.GID, NoSetGroups: true},
		AmbientCaps: req.Ambient,
		PidFD:       &pidfd,
	}}
	for _, f := range files {
		attr.Files = append(attr.Files, f.Fd())
	}
	var pid int
	var err error
	timerslack.AsUsers(func() { pid, err = syscall.ForkExec(req.Path, req.Argv, attr) })
	if err != nil {
		errno, _ := err.(syscall.Errno)
		return proto.Forked{Errno: int(errno), Err: err.Error()}
	}
	sp.live++
	if pidfd >= 0 { // close-on-exec: CLONE_PIDFD sets it
		sp.exits[pidfd] = pid
	} else {
		go sp.wait(pid)
	}
	return proto.Forked{PID: pid}
}

// wait waits for the session pid on a thread of its own, where the
// kernel has no pidfds, and reports it. The Reaped goes after pid's
// Forked, which fork's caller sends holding sp.mu. The spawner's children
// are its sessions alone (theirs reparent to init), so no other wait is
// needed.
func (sp *spawnerProc) wait(pid int) {
	var ws unix.WaitStatus
	var err error
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	sp.reported(pid, ws, err)
}

// idle reports whether no session of the spawner's runs.
func (sp *spawnerProc) idle() bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.live == 0
}
