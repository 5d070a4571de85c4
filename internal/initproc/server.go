package initproc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/trace"
	"golang.org/x/sys/unix"
)

func listen(f *os.File) (*net.UnixListener, error) {
	l, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("serve sandbox socket: %w", err)
	}
	f.Close()
	ul, ok := l.(*net.UnixListener)
	if !ok {
		return nil, errors.New("serve sandbox socket: not a unix socket")
	}
	return ul, nil
}

func (st *initState) serve(ln *net.UnixListener) {
	for {
		uc, err := ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go st.handle(proto.NewConn(uc), trace.Now())
	}
}

// serveLaunch serves the launch session, the client's first, which came
// connected with the launch, like a connection from the socket, and then
// ends the sandbox: it lives as long as that session (run --rm), even when
// other clients joined it meanwhile.
func (st *initState) serveLaunch(f *os.File) {
	c, err := proto.FileConn(f)
	f.Close()
	if err == nil {
		st.handle(c, trace.Now())
	}
	st.stop(launchGrace)
}

// handle serves one client connection, accepted at (CLOCK_MONOTONIC): one
// request, then for a session its signals until the session exits.
func (st *initState) handle(c *proto.Conn, accepted int64) {
	if err := checkPeer(c); err != nil {
		c.Send(proto.Error{Msg: err.Error(), Code: 125})
		c.Close()
		return
	}
	msg, files, err := c.Recv()
	if err != nil {
		c.Close()
		return
	}
	switch m := msg.(type) {
	case proto.Spawn:
		st.spawnSession(c, m, files, accepted)
	case proto.Info:
		st.mu.Lock()
		n := len(st.sessions)
		st.mu.Unlock()
		c.Send(proto.InfoReply{Name: st.cfg.Spec.Name, Project: st.cfg.Spec.ProjectDir, Sessions: n, StartedAt: st.started})
		c.Close()
	case proto.Stop:
		c.Send(proto.Stopping{})
		c.Close()
		st.stop(m.Grace)
	case proto.Hold:
		st.hold(c)
	default:
		closeFiles(files)
		c.Send(proto.Error{Msg: fmt.Sprintf("unexpected request %q", msg.Kind()), Code: 125})
		c.Close()
	}
}

// hold keeps the sandbox from going idle until the client closes c (or
// dies, which closes it): a client that runs its setup steps and then its
// command, each a session, holds the sandbox across the gaps.
func (st *initState) hold(c *proto.Conn) {
	defer c.Close()
	st.mu.Lock()
	if st.stopping {
		st.mu.Unlock()
		c.Send(proto.Error{Msg: "the sandbox is stopping; try again in a moment", Code: 125})
		return
	}
	st.holds++
	st.idle.Stop()
	st.mu.Unlock()
	if err := c.Send(proto.Held{}); err == nil {
		for err == nil {
			var files []*os.File
			_, files, err = c.Recv()
			closeFiles(files)
		}
	}
	st.mu.Lock()
	st.holds--
	st.sessionsChangedLocked()
	st.mu.Unlock()
}

// checkPeer admits only the sandbox's owner: the invoking user is uid 0 in
// this user namespace, and any other host user shows as an unmapped id.
func checkPeer(c *proto.Conn) error {
	raw, err := c.Unix().SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var cerr error
	raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if cerr != nil {
		return fmt.Errorf("read peer credentials: %w", cerr)
	}
	if cred.Uid != 0 {
		return fmt.Errorf("permission denied: this sandbox belongs to another user")
	}
	return nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// spawnSession starts a session for a client, whose request came on a
// connection accepted at accepted, and relays its signals and exit.
func (st *initState) spawnSession(c *proto.Conn, req proto.Spawn, files []*os.File, accepted int64) {
	defer closeFiles(files)
	s := &session{conn: c, exit: make(chan proto.Exit, 1), oomBefore: oomKills(), tty: req.TTY, noStarted: req.NoStarted,
		traced: req.Trace || trace.On()}
	s.span("session request (accepted to read)", accepted)
	var master *os.File
	var err error
	stopping := false
	exitFD := -1
	spawnAt := trace.Now()
	// onMain says whether this runs on the main thread, which may fork;
	// elsewhere only the spawner may start the session, and retry says
	// that it could not.
	begin := func(onMain bool) (retry bool) {
		st.mu.Lock()
		defer st.mu.Unlock()
		if stopping = st.stopping; stopping {
			return false
		}
		var pid int
		pid, master, err = start(req, files, st.strict, st.spawner, onMain, s.marker())
		if !onMain && errors.Is(err, errSpawnerGone) {
			return true
		}
		s.span("session fork+exec", spawnAt)
		if err == nil {
			s.pid = pid
			if onMain {
				exitFD = exitWatch(pid)
			}
			st.sessions[pid] = s
			// Under the lock: a session that ends at once is reaped (and
			// the idle timer armed) only after this.
			st.idle.Stop()
			st.reports.Add(1)
		}
		return false
	}
	// A session the spawner starts needs no hop to the main thread and
	// back, two thread switches on every join.
	if begin(false) {
		st.runOnMain(func() { begin(true) })
	}
	if stopping {
		c.Send(proto.Error{Msg: "the sandbox is stopping; try again in a moment", Code: 125})
		c.Close()
		return
	}
	if err != nil {
		c.Send(spawnError(err))
		c.Close()
		return
	}
	defer st.reports.Done()
	if exitFD >= 0 {
		go st.reapAtExit(exitFD)
	}
	if req.KeepID != nil && !st.spawnerServes(req.KeepID) {
		go st.runOnMain(func() { st.wantSpawner(req) })
	}
	st.startedOnce.Do(func() { close(st.firstStart) })
	s.run(master)
}

// spawnError maps a start failure to the exit codes shells use: 127 for a
// command that is not found, 126 for one that cannot be executed.
func spawnError(err error) proto.Error {
	var nf *notFoundError
	if errors.As(err, &nf) {
		return proto.Error{Msg: err.Error(), Code: 127}
	}
	var pe *os.PathError
	if errors.As(err, &pe) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOEXEC) {
		return proto.Error{Msg: err.Error(), Code: 126}
	}
	return proto.Error{Msg: err.Error(), Code: 126}
}

// session is one client's process.
type session struct {
	pid  int
	conn *proto.Conn
	exit chan proto.Exit
	// oomBefore is the sandbox's OOM kill count when the session started.
	oomBefore uint64
	// tty sessions are hung up first when the sandbox stops; stopped is
	// set when the sandbox's stop ended the session.
	tty, stopped bool
	// noStarted is a client that waits for Exit alone (Spawn.NoStarted).
	noStarted bool
	// traced records the session's start (spans) for Started: the
	// client asked (Spawn.Trace), or init traces everything.
	traced bool
	spans  []trace.Span
}

// run confirms the start, forwards the client's signals, and reports the
// exit. A client that disconnects early hangs up its session, as a closed
// terminal would.
func (s *session) run(master *os.File) {
	err := s.confirm(master)
	gone := make(chan struct{})
	if err == nil {
		go s.relaySignals(gone)
	} else {
		close(gone)
	}
	select {
	case e := <-s.exit:
		s.conn.Send(e)
	case <-gone:
		unix.Kill(-s.pid, unix.SIGHUP)
		unix.Kill(-s.pid, unix.SIGCONT)
		<-s.exit
	}
	s.conn.Close()
}

// confirm sends Started, with the pty master when there is one; a client
// that waits for Exit alone gets none: a message, and the client's wakeup
// for it, less while the session runs.
func (s *session) confirm(master *os.File) error {
	spans := append(trace.Take(), s.spans...)
	if master != nil {
		defer master.Close()
		return s.conn.Send(proto.Started{PID: s.pid, Trace: spans}, int(master.Fd()))
	}
	if s.noStarted {
		return nil
	}
	return s.conn.Send(proto.Started{PID: s.pid, Trace: spans})
}

// marker is span for a traced session, nil for another: start then times
// nothing.
func (s *session) marker() func(string, int64) {
	if !s.traced {
		return nil
	}
	return s.span
}

// span records a phase of the session's start, from start to now, when
// it is traced.
func (s *session) span(name string, start int64) {
	if s.traced {
		s.spans = append(s.spans, trace.Span{Proc: "init", Name: name, Start: start, End: trace.Now()})
	}
}

func (s *session) relaySignals(gone chan struct{}) {
	defer close(gone)
	for {
		msg, files, err := s.conn.Recv()
		closeFiles(files)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			return
		}
		if sig, ok := msg.(proto.Signal); ok && sig.Sig > 0 && sig.Sig < 65 {
			unix.Kill(-s.pid, syscall.Signal(sig.Sig))
		}
	}
}

// exited records the wait status.
func (s *session) exited(ws unix.WaitStatus) {
	e := proto.Exit{Code: ws.ExitStatus()}
	if ws.Signaled() {
		e = proto.Exit{Code: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
		markOOM(&e, s.oomBefore)
	}
	e.Stopped = s.stopped
	select {
	case s.exit <- e:
	default:
	}
}
