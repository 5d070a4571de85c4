package session

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/timerslack"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/internal/wire"
	"golang.org/x/sys/unix"
)

// The early supervisor of a throwaway sandbox. `devbox run --rm` always
// starts a new sandbox (its name is its own), so its supervisor can start
// before the config is loaded, and its exec and runtime start overlap the
// client's (internal/sandbox/prestart.go). cmd/devbox starts it first
// thing: it takes it itself for a fast start (faststart.go), else hands it
// on across its exec of devbox-front (envEarly), whose own exec and
// runtime start then overlap the supervisor's too.

// envEarly names, across cmd/devbox's exec of devbox-front, the early
// supervisor it started: PID,READY,SPEC,LOCAL, the last three the
// descriptors of the client's ends (Early).
const envEarly = "_DEVBOX_EARLY_SUPERVISOR"

// Early is a supervisor started before its launch spec and runtime dir
// existed, with the client's ends of its pipes (its report, the spec) and
// of the launch session's socketpair, whose other end it holds as its fd 4.
type Early struct {
	PID                  int
	ReadyR, SpecW, Local *os.File
}

// ThrowawayRun reports whether args, as the client gets them, are a `run
// --rm` (after devbox's own --trace, if given): --rm among run's own
// flags, before "--" and before any help flag.
func ThrowawayRun(args []string) bool {
	args, _ = withoutOwnTrace(args)
	if len(args) == 0 || args[0] != "run" {
		return false
	}
	for _, a := range args[1:] {
		switch a {
		case "--rm", "--rm=true":
			return true
		case "--", "--help", "-h":
			return false
		}
	}
	return false
}

// withoutOwnTrace is args without devbox's own --trace in front of the
// command ("devbox --trace run ..."), and whether it was there.
func withoutOwnTrace(args []string) ([]string, bool) {
	if len(args) > 0 && args[0] == "--trace" {
		return args[1:], true
	}
	return args, false
}

// ScopeHelps reports whether a systemd user scope would give the sandbox
// the cgroup it lacks: then its supervisor starts in one, never early.
// Without a user manager to ask there is no scope to make, so the cgroup
// probe (mountinfo, the tree's controllers) is skipped. The answer is the
// process's.
var ScopeHelps = sync.OnceValue(func() bool {
	if !cgroupv2.UserManagerReachable(os.Getenv("XDG_RUNTIME_DIR"), exec.LookPath) {
		return false
	}
	_, probeErr := cgroupv2.Probe()
	return cgroupv2.ScopeHelps(probeErr, true)
})

// StartEarly starts the supervisor binary at path for a sandbox whose
// spec is still to come: it waits for the spec on its pipe, as every
// supervisor does, and exits without a word when the pipe closes empty.
func StartEarly(path string) (*Early, error) {
	local, remote, err := wire.Socketpair()
	if err != nil {
		return nil, err
	}
	defer remote.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		local.Close()
		return nil, err
	}
	defer readyW.Close()
	specR, specW, err := os.Pipe()
	if err != nil {
		local.Close()
		readyR.Close()
		return nil, err
	}
	defer specR.Close()
	// syscall's fork, not os.StartProcess: this process has no use for a
	// pidfd (Drop waits by pid), whose first use costs a probe's clone.
	closed := ^uintptr(0)
	var pid int
	timerslack.Relax(func() {
		pid, err = syscall.ForkExec(path, []string{"devbox-supervisor", "(run --rm)"}, &syscall.ProcAttr{
			Env:   append(append(os.Environ(), wire.EnvSupervise+"="+wire.SuperviseOwnLog), wire.IdleEnv()...),
			Files: []uintptr{closed, closed, closed, readyW.Fd(), remote.Fd(), specR.Fd()},
			Sys:   &syscall.SysProcAttr{Setsid: true},
		})
	})
	if err != nil {
		local.Close()
		readyR.Close()
		specW.Close()
		return nil, fmt.Errorf("start the supervisor: %w", err)
	}
	return &Early{PID: pid, ReadyR: readyR, SpecW: specW, Local: local}, nil
}

// HandOnEarly starts the early supervisor of a throwaway sandbox's start
// that devbox-front, which this process is about to become, would start
// itself (devbox-supervisor beside this binary, outside a systemd scope),
// and hands it on, unless one was handed on already (FastStart). Without
// it the front starts its own, as before.
func HandOnEarly() {
	if _, ok := os.LookupEnv(envEarly); ok {
		return
	}
	if trace.On() {
		// --trace, which the supervisor's command line does not hold:
		// through the environment its start is traced too, and the
		// child's and init's after it.
		trace.Enable()
	}
	if e := startEarly(); e != nil {
		e.handOn()
	}
}

// startEarly starts the early supervisor for this process's start (see
// HandOnEarly); nil when there is none to start or it failed.
func startEarly() *Early {
	self, err := os.Executable()
	if err != nil || ScopeHelps() {
		return nil
	}
	e, err := StartEarly(state.Sibling(self, state.SupervisorName))
	if err != nil {
		return nil
	}
	return e
}

// handOn keeps e's descriptors open across the exec of devbox-front, and
// names them in envEarly for it (AdoptEarly).
func (e *Early) handOn() {
	fds := []*os.File{e.ReadyR, e.SpecW, e.Local}
	v := strconv.Itoa(e.PID)
	for _, f := range fds {
		if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, 0); err != nil {
			e.Drop()
			return
		}
		v += "," + strconv.Itoa(int(f.Fd()))
	}
	os.Setenv(envEarly, v)
}

// AdoptEarly takes the early supervisor that the devbox before this exec
// handed on, if there is one, and removes envEarly from the environment
// (nothing this process starts gets it).
func AdoptEarly() (*Early, bool) {
	v, ok := os.LookupEnv(envEarly)
	if !ok {
		return nil, false
	}
	os.Unsetenv(envEarly)
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return nil, false
	}
	var n [4]int
	for i, p := range parts {
		var err error
		if n[i], err = strconv.Atoi(p); err != nil || n[i] <= 2 {
			return nil, false
		}
	}
	for _, fd := range n[1:] {
		unix.CloseOnExec(fd)
	}
	return &Early{PID: n[0], ReadyR: os.NewFile(uintptr(n[1]), "early-ready"), SpecW: os.NewFile(uintptr(n[2]), "early-spec"),
		Local: os.NewFile(uintptr(n[3]), "early-launch")}, true
}

// Drop ends an early supervisor that no start took: its spec pipe closes
// empty, on which it exits, and it is reaped.
func (e *Early) Drop() {
	e.SpecW.Close()
	e.ReadyR.Close()
	if e.Local != nil {
		e.Local.Close()
	}
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(e.PID, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}
