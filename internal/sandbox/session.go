package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/trace"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// ExitError carries a status to pass through: the session's own, or 126/127
// when its command could not run.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

// Exec runs one session in the sandbox and returns its exit status: the
// command's code, or 128+N when signal N killed it.
func (h *Handle) Exec(req proto.Spawn) (int, error) {
	c, err := h.sessionConn()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if req.TTY {
		return execTTY(c, req)
	}
	return execPlain(c, req)
}

// sessionConn is the connection for a session: the one Ensure's probe
// opened, the first time, else a new one.
func (h *Handle) sessionConn() (*proto.Conn, error) {
	if c := h.conn; c != nil {
		h.conn = nil
		return c, nil
	}
	spawnAt := trace.Mark()
	c, err := proto.Dial(h.Socket())
	if err != nil {
		return nil, fmt.Errorf("connect to sandbox %s: %w", h.Name, err)
	}
	trace.Since("dial sandbox socket", spawnAt)
	return c, nil
}

// Hold keeps the sandbox from going idle until release is called or this
// process exits: a sandbox that stops with its last session (--rm, idle
// timeout 0) then lives through the gaps between the setup steps and the
// command, each a session of its own.
func (h *Handle) Hold() (release func(), err error) {
	c, err := proto.Dial(h.Socket())
	if err != nil {
		return nil, fmt.Errorf("connect to sandbox %s: %w", h.Name, err)
	}
	err = c.Send(proto.Hold{})
	if err == nil {
		_, err = proto.RecvAs[proto.Held](c)
	}
	if err != nil {
		c.Close()
		return nil, holdError(h.Name, err)
	}
	return func() { c.Close() }, nil
}

// holdError explains a refused hold: init closes the connection on a
// request it does not know (an init from an older devbox) and when it is
// going away.
func holdError(name string, err error) error {
	err = fmt.Errorf("hold sandbox %s: %w", name, err)
	if errors.Is(err, io.EOF) {
		return hint.Wrap(err, fmt.Sprintf("the sandbox stopped, or an older devbox started it; run the command again, or 'devbox restart --name %s' to restart it with this devbox", name))
	}
	return err
}

// execPlain hands the client's own stdin, stdout and stderr to the session
// and forwards signals. Those that are a terminal are relayed instead (see
// relay.go): a process in the sandbox must never hold the user's terminal.
func execPlain(c *proto.Conn, req proto.Spawn) (int, error) {
	sigs, disarm := session.ArmSignals()
	defer disarm()
	req, err := sendPlain(c, req)
	if err != nil {
		return 0, err
	}
	return finishPlain(c, req, sigs)
}

// sendPlain sends a session without a terminal of its own: the client's
// stdio fds, those on a terminal to be relayed. It returns req as sent.
func sendPlain(c *proto.Conn, req proto.Spawn) (proto.Spawn, error) {
	req.Relay = terminalFDs()
	if len(req.Relay) > 0 {
		size := terminalSize()
		req.Rows, req.Cols = size.Row, size.Col
	}
	// Started would bring nothing but the pid: no relay master, and no
	// trace of init's to print.
	req.NoStarted = len(req.Relay) == 0 && !trace.On()
	req.Trace = trace.On()
	return req, c.Send(req, passedFDs(req.Relay)...)
}

// finishPlain runs a session sendPlain sent, forwarding sigs, until its
// exit.
func finishPlain(c *proto.Conn, req proto.Spawn, sigs chan os.Signal) (int, error) {
	var master *os.File
	if !req.NoStarted {
		if err := awaitStarted(c, masterFor(req, &master)); err != nil {
			return 0, err
		}
	}
	// Before the session starts, a signal waits in the socket: init reads
	// it once the session runs.
	session.ForwardTo(sigs, func(s os.Signal) { c.Send(proto.Signal{Sig: int(s.(unix.Signal))}) })
	if req.NoStarted {
		return awaitExitAlone(c)
	}
	if master == nil {
		return awaitExit(c)
	}
	defer master.Close()
	r := startRelay(master, req.Relay)
	code, err := awaitExit(c)
	r.stop()
	return code, err
}

// awaitStarted reads Started; the pty master, if any, is stored in *master.
func awaitStarted(c *proto.Conn, master **os.File) error {
	msg, files, err := c.Recv()
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	started, err := proto.As[proto.Started](msg)
	if err != nil {
		closeFiles(files)
		return sessionError(err)
	}
	trace.Add(started.Trace)
	if master != nil {
		if len(files) != 1 {
			closeFiles(files)
			return errors.New("start session: no terminal received")
		}
		// A non-blocking master joins Go's poller, so reads can time out.
		fd, err := unix.Dup(int(files[0].Fd()))
		files[0].Close()
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		unix.CloseOnExec(fd)
		unix.SetNonblock(fd, true)
		*master = os.NewFile(uintptr(fd), "pty-master")
		return nil
	}
	closeFiles(files)
	return nil
}

// sessionError maps init's refusal to a pass-through status (126, 127) or a
// devbox failure (125).
func sessionError(err error) error {
	var re *proto.RemoteError
	if errors.As(err, &re) && (re.Code == 126 || re.Code == 127) {
		return &ExitError{Code: re.Code, Msg: "devbox: " + re.Msg}
	}
	return fmt.Errorf("start session: %w", err)
}

func awaitExit(c *proto.Conn) (int, error) {
	msg, files, err := c.Recv()
	closeFiles(files)
	if err != nil {
		return 0, session.GoneError(err)
	}
	e, err := proto.As[proto.Exit](msg)
	if err != nil {
		return 0, fmt.Errorf("wait for session: %w", err)
	}
	return exitStatus(e)
}

// awaitExitAlone waits for the Exit of a session sent with NoStarted: an
// Error is its start's failure, and a Started, from an init that predates
// NoStarted, is skipped.
func awaitExitAlone(c *proto.Conn) (int, error) {
	msg, files, err := c.Recv()
	closeFiles(files)
	if err != nil {
		return 0, session.GoneError(err)
	}
	switch m := msg.(type) {
	case proto.Exit:
		return exitStatus(m)
	case proto.Started:
		trace.Add(m.Trace)
		return awaitExit(c)
	}
	_, err = proto.As[proto.Exit](msg)
	return 0, sessionError(err)
}

// exitStatus is the session's status, and the error that explains an end
// the session did not choose.
func exitStatus(e proto.Exit) (int, error) {
	if msg := session.ExitMessage(e); msg != "" {
		// Printed once the client's terminal is restored.
		return e.Code, &ExitError{Code: e.Code, Msg: msg}
	}
	return e.Code, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// execTTY runs a session on a terminal opened inside the sandbox: the client
// copies between its own terminal (raw mode) and the pty master, and follows
// SIGWINCH by resizing the master.
func execTTY(c *proto.Conn, req proto.Spawn) (int, error) {
	if _, err := sendTTY(c, req); err != nil {
		return 0, err
	}
	return finishTTY(c)
}

// sendTTY sends a session on a terminal of its own, of the client
// terminal's size.
func sendTTY(c *proto.Conn, req proto.Spawn) (proto.Spawn, error) {
	size := terminalSize()
	req.Rows, req.Cols = size.Row, size.Col
	return req, c.Send(req)
}

// finishTTY runs a session sendTTY sent until its exit.
func finishTTY(c *proto.Conn) (int, error) {
	in := int(os.Stdin.Fd())
	var master *os.File
	if err := awaitStarted(c, &master); err != nil {
		return 0, err
	}
	defer master.Close()
	if term.IsTerminal(in) {
		old, err := term.MakeRaw(in)
		if err == nil {
			defer term.Restore(in, old)
		}
	}
	stopResize := followResize(master)
	defer stopResize()
	out := pump(master)
	code, err := awaitExit(c)
	drain(master, out)
	return code, err
}

// terminalSize returns the client terminal's size, or 24x80.
func terminalSize() *unix.Winsize {
	for _, fd := range []int{1, 0, 2} {
		if ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil && ws.Row > 0 {
			return ws
		}
	}
	return &unix.Winsize{Row: 24, Col: 80}
}

func followResize(master *os.File) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGWINCH)
	go func() {
		for range ch {
			unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, terminalSize())
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}

// pump copies stdin to the master and the master to stdout; the returned
// channel closes when the master reports EOF or EIO (the session's side is
// closed).
func pump(master *os.File) chan struct{} {
	done := make(chan struct{})
	go io.Copy(master, os.Stdin)
	go func() {
		io.Copy(os.Stdout, master)
		close(done)
	}()
	return done
}

// drain waits briefly for output the session wrote just before exiting. A
// background process may keep the terminal open, so the wait is bounded.
func drain(master *os.File, out chan struct{}) {
	select {
	case <-out:
	case <-time.After(200 * time.Millisecond):
		master.SetReadDeadline(time.Now())
	}
}

// StdinIsTerminal reports whether the client's stdin is a terminal, which
// an interactive shell needs.
func StdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
