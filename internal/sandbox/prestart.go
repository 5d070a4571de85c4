package sandbox

// A throwaway sandbox's supervisor, started early. `devbox run --rm`
// always starts a new sandbox (its name is its own), so the client can
// start devbox-supervisor before it has loaded the config, rather than
// after it has loaded it and taken the start lock: the supervisor's exec
// and runtime start (about 2 ms, the longest step before its clone of
// the child) then overlap the client's config, lock and launch spec. The
// supervisor waits for the spec on its pipe, as every supervisor does,
// and nothing it does before the spec touches the sandbox's state; the
// runtime dir does not exist yet, so it opens its log itself once the
// spec names the dir (proto.SuperviseOwnLog). A start that goes another
// way (an image sandbox, which devbox-engine supervises; a systemd user
// scope; an error) drops it: its spec pipe closes empty, and it exits
// without a word.

import (
	"os"
	"os/exec"
	"sync"

	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/userns"
)

// early is the supervisor PrestartSupervisor starts, once done is closed
// (nil p when the start failed), until a start takes it or
// CancelPrestart drops it. done is nil without a PrestartSupervisor.
var early struct {
	sync.Mutex
	done chan struct{}
	p    *prestarted
}

// prestarted is a supervisor started before its launch spec and runtime
// dir existed, with the client's ends of its pipes and of the launch
// session's socketpair, whose other end it holds as its fd 4.
type prestarted struct {
	cmd           *exec.Cmd
	readyR, specW *os.File
	local         *os.File
}

// PrestartSupervisor starts devbox-supervisor for a run --rm whose config
// is still to be loaded, where it can be the sandbox's supervisor: where
// no systemd user scope would give the sandbox the cgroup it lacks
// (session.ScopeHelps: no user manager, or a subtree delegated already), which
// launchSupervisor asks the same way. The fork and exec run on a
// goroutine of their own (os/exec waits for the exec, 0.5-2 ms), beside
// the config. A start that fails leaves nothing: the start then spawns
// its supervisor as usual, and reports.
func PrestartSupervisor() {
	done := make(chan struct{})
	early.Lock()
	if early.done != nil { // adopted (AdoptEarlySupervisor)
		early.Unlock()
		return
	}
	early.done = done
	early.Unlock()
	go func() {
		defer close(done)
		if session.ScopeHelps() {
			return
		}
		end := trace.Begin("fork+exec supervisor (early)")
		p, err := prestart()
		end()
		if err == nil {
			early.Lock()
			early.p = p
			early.Unlock()
		}
	}()
}

// awaitPrestart waits for PrestartSupervisor's start, if there is one.
func awaitPrestart() {
	early.Lock()
	done := early.done
	early.Unlock()
	if done != nil {
		<-done
	}
}

func prestart() (*prestarted, error) {
	self, err := supervisorBinary(false)
	if err != nil {
		return nil, err
	}
	e, err := session.StartEarly(self)
	if err != nil {
		return nil, err
	}
	return fromEarly(e)
}

// fromEarly is e as a start takes it: its process as an exec.Cmd (Kill,
// Wait), which e's process is to this one, its parent, whoever forked it.
func fromEarly(e *session.Early) (*prestarted, error) {
	proc, err := os.FindProcess(e.PID)
	if err != nil {
		e.Drop()
		return nil, err
	}
	return &prestarted{cmd: &exec.Cmd{Process: proc}, readyR: e.ReadyR, specW: e.SpecW, local: e.Local}, nil
}

// AdoptEarlySupervisor takes, in devbox-front, the early supervisor that
// devbox started before it became this process (session.HandOnEarly), as
// if PrestartSupervisor had started it here; without one it does nothing.
func AdoptEarlySupervisor() {
	e, ok := session.AdoptEarly()
	if !ok {
		return
	}
	p, err := fromEarly(e)
	done := make(chan struct{})
	close(done)
	early.Lock()
	defer early.Unlock()
	early.done = done
	if err == nil {
		early.p = p
	}
}

// takePrestarted returns the early supervisor for a start that can use
// it, nil when there is none; the caller owns it from then on.
func takePrestarted() *prestarted {
	awaitPrestart()
	early.Lock()
	defer early.Unlock()
	p := early.p
	early.p = nil
	return p
}

// takeLaunchPair returns the early supervisor's launch session
// socketpair: the client's end, and nil for the other, which the
// supervisor holds already. ok is false without an early supervisor.
func takeLaunchPair() (local *os.File, ok bool) {
	awaitPrestart()
	early.Lock()
	defer early.Unlock()
	if early.p == nil || early.p.local == nil {
		return nil, false
	}
	local, early.p.local = early.p.local, nil
	return local, true
}

// CancelPrestart ends an early supervisor that no start took: its spec
// pipe closes empty, on which it exits, and it is reaped.
func CancelPrestart() {
	if p := takePrestarted(); p != nil {
		p.drop()
	}
}

// drop closes the client's ends and reaps the supervisor, which exits
// on its empty spec pipe.
func (p *prestarted) drop() {
	p.specW.Close()
	p.readyR.Close()
	if p.local != nil {
		p.local.Close()
	}
	userns.AwaitExit(p.cmd.Process.Pid)
	p.cmd.Wait()
}
