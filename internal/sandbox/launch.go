package sandbox

// The launch session: a throwaway sandbox's (run --rm) one session travels
// with its launch. Before it starts the supervisor, the client makes a
// SEQPACKET socketpair and, while the supervisor starts, writes its Spawn
// on its end; the other end goes
// to the supervisor (supervisor.FDLaunch) and on to the child, where init
// serves it as the sandbox's first connection once it serves the socket
// (proto.Spec.LaunchSession). That saves the dial, Hold and Spawn round
// trips of a session started after Ready. The sandbox ends with that
// session: init stops it when the session exits, and the supervisor,
// which keeps the ready pipe open, writes Stopped there once the sandbox
// has ended (the teardown of docs/architecture.md), so the client's
// teardown is one read on a pipe it already holds rather than a stop
// request and a wait on ctl.sock.

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/trace"
	"golang.org/x/sys/unix"
)

// launchSession is the client's side of a launch session.
type launchSession struct {
	conn *proto.Conn
	// remote is the end for the supervisor, held until it is started.
	remote *os.File
	// req is the Spawn as sent.
	req proto.Spawn
	// ready is the supervisor's ready pipe, kept open after Ready for
	// Stopped.
	ready *os.File
	// sigs are the signals forwarded to a session without a terminal,
	// from the Spawn on: init may start it before the client reads Ready.
	// started is set once Ensure has returned.
	sigs    chan os.Signal
	disarm  func()
	started atomic.Bool
	// sent is closed once the Spawn is written (or failed: sendErr).
	sent    chan struct{}
	sendErr error
}

// launchApplies reports whether Run starts opts's sandbox with its session
// in the launch: a throwaway sandbox this process starts, with no setup
// steps to run before the command.
func launchApplies(opts Options, discard bool) bool {
	return discard && opts.Ephemeral && !opts.JoinOnly && len(opts.Config.Setup) == 0
}

// newLaunch makes the launch session's connection and sends req's Spawn
// on it beside the start: the remote end must exist when the supervisor
// forks, but the request (the environment, the terminal) is built and
// written while the client forks the supervisor and that one execs. The
// Spawn waits in the socket until init reads it; wait says how the send
// went. A host-view start uses the socketpair of the supervisor started
// early (prestart.go), if there is one, which holds the remote end.
func newLaunch(req func() proto.Spawn, hostView bool) (*launchSession, error) {
	local, remote, err := launchPair(hostView)
	if err != nil {
		return nil, err
	}
	c, err := proto.FileConn(local)
	local.Close()
	if err != nil {
		if remote != nil {
			remote.Close()
		}
		return nil, err
	}
	l := &launchSession{conn: c, remote: remote, sent: make(chan struct{})}
	go func() {
		defer close(l.sent)
		l.sendErr = l.send(req())
	}()
	return l, nil
}

// launchPair is the launch session's socketpair: the early supervisor's
// (its remote end nil: the supervisor has it) for a host-view start, else
// a new one.
func launchPair(hostView bool) (local, remote *os.File, err error) {
	if hostView {
		if local, ok := takeLaunchPair(); ok {
			return local, nil, nil
		}
	}
	return proto.Socketpair()
}

// send writes req on the connection and, for a session without a
// terminal, starts forwarding the client's signals.
func (l *launchSession) send(req proto.Spawn) error {
	var err error
	if req.TTY {
		l.req, err = sendTTY(l.conn, req)
	} else {
		l.req, err = sendPlain(l.conn, req)
	}
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	if !req.TTY {
		l.forwardSignals()
	}
	return nil
}

// wait waits for the send newLaunch started and returns its error.
func (l *launchSession) wait() error {
	<-l.sent
	return l.sendErr
}

// forwardSignals sends the client's signals to the session as Exec does,
// from now on: init reads them once the session runs. One that comes
// while the sandbox still starts goes there too; a second one ends the
// client, as a signal during a start did before, so a start that hangs
// can still be interrupted (init then hangs up the session).
func (l *launchSession) forwardSignals() {
	l.sigs, l.disarm = session.ArmSignals()
	go func() {
		early := 0
		for s := range l.sigs {
			sig := s.(unix.Signal)
			l.conn.Send(proto.Signal{Sig: int(sig)})
			if early++; !l.started.Load() && early >= 2 {
				session.DieBy(sig)
			}
		}
	}()
}

// sentRemote is called once the supervisor runs with the remote end, or
// failed: the client's copy is closed, so the session's connection ends
// when the sandbox's does.
func (l *launchSession) sentRemote() {
	if l.remote != nil {
		l.remote.Close()
		l.remote = nil
	}
}

func (l *launchSession) close() {
	l.wait()
	if l.disarm != nil {
		l.disarm()
	}
	l.sentRemote()
	l.conn.Close()
	if l.ready != nil {
		l.ready.Close()
	}
}

// run waits for the session init started from the launch, as Exec does
// for one it sends itself, and returns its exit status.
func (l *launchSession) run() (int, error) {
	if err := l.wait(); err != nil {
		return 0, err
	}
	l.started.Store(true)
	if l.req.TTY {
		return finishTTY(l.conn)
	}
	none := make(chan os.Signal) // forwardSignals forwards them
	close(none)
	return finishPlain(l.conn, l.req, none)
}

// awaitStopped waits at most d for the supervisor's Stopped on the ready
// pipe: the sandbox has ended and its name is free. It reports false when
// the pipe ended without it (the supervisor died) or d passed.
func (l *launchSession) awaitStopped(d time.Duration) bool {
	if l.ready == nil {
		return false
	}
	end := trace.Begin("wait for Stopped")
	defer end()
	l.ready.SetReadDeadline(time.Now().Add(d))
	for {
		msg, err := proto.Decode(l.ready)
		if err != nil {
			return false
		}
		if _, ok := msg.(proto.Stopped); ok {
			return true
		}
	}
}
