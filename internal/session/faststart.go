package session

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/internal/wire"
	"github.com/devbox-dev/devbox/shellinit"
	"golang.org/x/sys/unix"
)

// The fast start: cmd/devbox starts a throwaway sandbox for `devbox run
// --rm [--name N] [--network NET] [--] CMD [ARG...]` itself when the start
// ticket (startticket.go) holds: it starts the supervisor, sends it the
// ticket's spec under a name of the start's own, sends the session with
// the launch (the full client's launch session), and passes its status
// through. The full client (devbox-front) would start a larger binary and
// parse the flags and devbox.toml to make the same spec. Every other
// command line, and every case the ticket does not cover, goes to
// devbox-front, with the supervisor this process started for it (Early):
// a terminal on stdio (its relay), a ticket that does not hold. --trace
// (or DEVBOX_TRACE) is the fast start's too: it prints the phases of the
// start users get, this process's, the supervisor's, the child's and
// init's.
//
// Once the spec is sent there is no way back to the full client: the
// sandbox is starting, and may run the command. An error from then on is
// reported here, as the full client reports it.

// StartLine is a command line the fast start runs.
type StartLine struct {
	// Name is --name, "" for the project's.
	Name string
	// Network is --network, when NetworkSet.
	Network    string
	NetworkSet bool
	// Trace is --trace: the start prints its phases (internal/trace).
	Trace bool
	Argv  []string
}

// ParseStart parses "run" (after devbox's own --trace, if given) followed
// by --rm, --trace, and --name NAME and
// --network NET (each also as --flag=VALUE; NET a word:
// ValidTicketNetwork), each at most once and in any order, then
// CMD [ARG...] after "--", or from the first argument that is not a flag.
// ok is false for anything else.
func ParseStart(args []string) (l StartLine, ok bool) {
	args, l.Trace = withoutOwnTrace(args)
	if len(args) < 2 || args[0] != "run" {
		return l, false
	}
	rm := false
	for args = args[1:]; len(args) > 0; {
		a := args[0]
		switch {
		case a == "--":
			l.Argv = args[1:]
			return l, rm && len(l.Argv) > 0
		case !strings.HasPrefix(a, "-"):
			l.Argv = args
			return l, rm
		case a == "--rm" && !rm:
			rm, args = true, args[1:]
			continue
		case a == "--trace" && !l.Trace:
			l.Trace, args = true, args[1:]
			continue
		}
		key, value, rest, ok := flagValue(args)
		switch {
		case ok && key == "name" && l.Name == "" && value != "":
			l.Name = value
		case ok && key == "network" && !l.NetworkSet && ValidTicketNetwork(value):
			l.Network, l.NetworkSet = value, true
		default:
			return StartLine{}, false
		}
		args = rest
	}
	return StartLine{}, false
}

// flagValue reads --name or --network with its value, as "--key=VALUE" or
// "--key VALUE", from the front of args.
func flagValue(args []string) (key, value string, rest []string, ok bool) {
	k, v, eq := strings.Cut(strings.TrimPrefix(args[0], "--"), "=")
	if k != "name" && k != "network" || !strings.HasPrefix(args[0], "--") {
		return "", "", nil, false
	}
	if eq {
		return k, v, args[1:], true
	}
	if len(args) < 2 {
		return "", "", nil, false
	}
	return k, args[1], args[2:], true
}

// FastStart runs args (devbox's, without the program name) as a fast
// start, and returns its exit status; ok is false when the full client
// must run them, with nothing done that it would not do again: then the
// supervisor this process started is handed on to it (HandOnEarly), or
// none was started.
func FastStart(args []string) (code int, ok bool) {
	l, ok := ParseStart(args)
	if !ok || stdioTerminal() {
		return 0, false
	}
	if l.Trace || trace.Requested() {
		trace.Enable() // and the supervisor's, the child's and init's
	}
	e := startEarly()
	if e == nil {
		return 0, false
	}
	end := trace.Begin("start ticket check")
	s, err := openStart(l)
	end()
	if err != nil {
		e.handOn()
		return 0, false
	}
	code, err = s.run(e, l.Argv)
	if errors.Is(err, errFull) {
		return 0, false
	}
	if trace.On() {
		trace.Format(os.Stderr, trace.Take())
	}
	return code, true
}

// fastStart is one fast start: its ticket, checked.
type fastStart struct {
	t               StartTicket
	dir, home, root string // the project, the user's home, the runtime root
	name, stateDir  string // the sandbox's own, once run chose them
	// early is the supervisor, conn its launch session (early.Local).
	early *Early
	conn  *wire.Conn
}

// openStart finds the project and its start ticket, and checks it:
// errFull (or any error) for the full client.
func openStart(l StartLine) (*fastStart, error) {
	s := &fastStart{home: HostHome()}
	dir, ignored, err := findProject("", s.home)
	if err != nil || ignored != "" {
		return nil, errFull // the full client says why, or warns
	}
	s.dir = dir
	pin := l.Name
	if pin == "" {
		pin = project.Name(dir)
	}
	if s.root, err = state.RuntimeRoot(); err != nil || project.ValidateName(pin) != nil {
		return nil, errFull
	}
	if s.t, err = ReadStartTicket(StartTicketPath(s.root, pin, l.Network, l.NetworkSet)); err != nil || !s.holds(l, pin) {
		return nil, errFull
	}
	return s, nil
}

// holds reports whether the ticket holds for this command line and host:
// the cheap checks first, the rc files (which a start rewrites when they
// differ) last.
func (s *fastStart) holds(l StartLine, pin string) bool {
	t := s.t
	switch {
	case t.Pin != pin || t.Template.Project != s.dir || t.Template.Home != s.home:
		return false
	case t.NetworkSet != l.NetworkSet || t.Network != l.Network:
		return false
	case t.UID != uint32(os.Getuid()) || t.GID != uint32(os.Getgid()):
		return false
	case EnvSum(os.Environ()) != t.EnvSum:
		return false
	case loadDigest(s.dir, s.home, t.Env) != t.Digest || !approved(s.dir, t.Digest):
		return false
	}
	hidden, err := state.DevboxDirs()
	if err != nil || !slices.Equal(hidden, t.Hidden) || !filesAsBefore(t.Present, t.Absent) {
		return false
	}
	data, err := state.DataRoot()
	if err != nil || filepath.Join(data, "shellinit") != t.RC {
		return false
	}
	rc, err := shellinit.EnsureRC(t.RC)
	return err == nil && rc == t.RC
}

// filesAsBefore reports whether the files of present exist and those of
// absent do not.
func filesAsBefore(present, absent []string) bool {
	for _, p := range present {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	for _, p := range absent {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	return true
}

// run starts the sandbox on the early supervisor e with the session argv,
// waits for the session's end and the sandbox's, and returns the session's
// status. Before it sends the spec, a failure is errFull.
func (s *fastStart) run(e *Early, argv []string) (int, error) {
	s.early, s.name = e, UniqueName(s.t.Pin, "rm")
	s.stateDir = filepath.Join(s.root, s.name)
	// The name's lock until Ready, as the full client's start holds it: a
	// sweep of stale runtime dirs (devbox ps) would take this one, which
	// has no state.json yet, for a dead sandbox's and remove it.
	unlock, err := state.Lock(filepath.Join(s.root, s.name+".lock"))
	if err != nil {
		e.Drop()
		return 0, errFull
	}
	err = s.start(argv)
	unlock()
	switch {
	case errors.Is(err, errFull):
		return 0, errFull
	case err != nil:
		return report(err), nil
	}
	return s.finish(argv), nil
}

// start makes the runtime dir, sends the spec and the session, and waits
// for Ready. A failure after the spec is sent leaves nothing: the
// sandbox, its runtime dir and the ticket are gone.
func (s *fastStart) start(argv []string) error {
	end := trace.Begin("runtime dir, launch spec and session")
	if err := s.makeStateDir(); err != nil {
		end()
		s.early.Drop()
		return errFull
	}
	s.conn = wire.FileConn(s.early.Local)
	err := s.launch(argv)
	end()
	if err == nil || errors.Is(err, errSpecNotSent) {
		// The supervisor's report explains a spec it did not take.
		end = trace.Begin("await Ready")
		if rerr := s.awaitReady(); rerr != nil {
			err = rerr
		}
		end()
	}
	if err != nil {
		s.early.Drop() // the sandbox ends with the launch session's connection
		os.RemoveAll(s.stateDir)
		// The next start goes through the full client, which decides
		// afresh (a network helper since uninstalled, say) and reports.
		os.Remove(s.t.Path(s.root))
	}
	return err
}

// makeStateDir makes the sandbox's runtime dir with its config record, as
// the full client does before the spec.
func (s *fastStart) makeStateDir() error {
	if err := os.Mkdir(s.stateDir, 0o700); err != nil {
		return err
	}
	err := state.WriteFileAtomic(filepath.Join(s.stateDir, "config.json"), []byte(s.t.ConfigRecord), 0o600)
	if err != nil {
		os.RemoveAll(s.stateDir) // a full disk, say: the full client reports it
	}
	return err
}

// launch sends the spec, then the session on the launch connection, with
// this process's stdio, as the full client's launch session does.
func (s *fastStart) launch(argv []string) error {
	spec := s.t.FillSpec(s.name, s.stateDir, func(n string) string { return project.Hostname(ShortName(n, s.dir)) })
	_, err := s.early.SpecW.Write(spec)
	s.early.SpecW.Close()
	if err != nil {
		return errSpecNotSent
	}
	t := s.t.Template
	t.Name = s.name
	req := t.Build(ProcessInputs(s.name, s.dir, argv))
	// Started would bring nothing but the pid, and init's phases when
	// they are traced.
	req.NoStarted = !trace.On()
	frame, err := wire.Encode(req)
	if err == nil {
		err = s.conn.Send(frame, 0, 1, 2)
	}
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	return nil
}

// errSpecNotSent: the supervisor exited before it read its spec.
var errSpecNotSent = errors.New("send the launch spec: the supervisor is gone")

// finish waits for the session's exit, then for the sandbox's end
// (Stopped), and returns the session's status.
//
// The session's signals are armed armDelay after Ready, as a join's are
// after its request (fast.go), not armDelay after the launch: that is in
// the middle of the sandbox's start, whose processes keep both CPUs busy,
// and enabling the signals there (a round trip to the runtime's signal
// thread per signal, and two threads made) made a cold start of `true`
// 4% slower. A signal before then ends the client, and with it the
// launch session: init hangs it up (SIGHUP) and the throwaway sandbox
// ends, as for a client that goes away.
func (s *fastStart) finish(argv []string) int {
	arm := time.AfterFunc(armDelay, func() { forwardSignals(s.conn) })
	defer arm.Stop()
	end := trace.Begin("first session")
	ex, err := awaitExit(s.conn)
	end()
	code := ex.Code
	if err != nil {
		code = report(err)
	} else {
		if msg := ExitMessage(ex); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		if InstallFailed(ex.Code, s.t.Template.HostView, argv[0]) {
			fmt.Fprintln(os.Stderr, shellinit.InstallHint)
		}
	}
	end = trace.Begin("teardown (wait for Stopped)")
	defer end()
	if !s.awaitStopped(launchStopWait) {
		s.discard()
	}
	return code
}

// launchStopWait bounds the wait for Stopped after the session: init's
// stop grace for it (2 s) and a margin (the full client's wait).
const launchStopWait = 7 * time.Second

// awaitReady reads the supervisor's report on its ready pipe: warnings,
// printed as the full client prints them, then Ready or an Error.
func (s *fastStart) awaitReady() error {
	for {
		kind, body, err := readReport(s.early.ReadyR)
		if err != nil {
			return &startError{msg: "start sandbox: " + err.Error()}
		}
		switch kind {
		case "Warning":
			if r, ok := decodeReport(body); ok {
				fmt.Fprintf(os.Stderr, "devbox: warning: %s\n", r.msg)
			}
		case "Ready":
			addTrace(body) // the supervisor's phases, and the child's
			return nil
		case "Error":
			if r, ok := decodeReport(body); ok {
				return &r
			}
			return &startError{msg: "start sandbox: an error it could not say"}
		default:
			return &startError{msg: fmt.Sprintf("start sandbox: unexpected report %q", kind)}
		}
	}
}

// awaitStopped waits at most d for Stopped on the ready pipe: the sandbox
// has ended and its name is free.
func (s *fastStart) awaitStopped(d time.Duration) bool {
	s.early.ReadyR.SetReadDeadline(time.Now().Add(d))
	for {
		kind, _, err := readReport(s.early.ReadyR)
		if err != nil {
			return false
		}
		if kind == "Stopped" {
			return true
		}
	}
}

// discard stops a sandbox whose supervisor did not report its end, with
// the full client's stop, as the full client does.
func (s *fastStart) discard() {
	self, err := os.Executable()
	if err != nil {
		return
	}
	// Silent, as the full client's discard: a sandbox that is gone
	// already (its supervisor killed) is what it stops most often.
	p, err := os.StartProcess(state.Sibling(self, state.FrontName), []string{"devbox", "stop", "--time", "2s", s.name},
		&os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err == nil {
		p.Wait()
	}
}

// startError is an error the supervisor or init reported (Error), or one
// reading their reports.
type startError struct {
	msg, hint string
	code      int
}

func (e *startError) Error() string { return e.msg }

// report prints err as the full client does and returns the exit status:
// an Error's own for a command that cannot run (126, 127), else 125.
func report(err error) int {
	var se *startError
	if errors.As(err, &se) && (se.code == 126 || se.code == 127) {
		fmt.Fprintf(os.Stderr, "devbox: %s\n", se.msg)
		return se.code
	}
	fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	switch {
	case errors.As(err, &se) && se.hint != "":
		fmt.Fprintf(os.Stderr, "Hint: %s\n", se.hint)
	case hint.Of(err) != "":
		fmt.Fprintf(os.Stderr, "Hint: %s\n", hint.Of(err))
	}
	return 125
}

// readReport reads one frame from the supervisor's ready pipe: its kind
// and body.
func readReport(r io.Reader) (kind string, body []byte, err error) {
	buf, err := wire.ReadFrame(r)
	if errors.Is(err, io.EOF) {
		return "", nil, errors.New("the supervisor exited without a report")
	}
	if err != nil {
		return "", nil, err
	}
	kind, body, ok := wire.SplitEnvelope(buf)
	if !ok {
		return "", nil, errors.New("a report in another form")
	}
	return kind, body, nil
}

// decodeReport reads a Warning's or an Error's body, {"msg":M,"hint":H,
// "code":N} as encoding/json writes it.
func decodeReport(b []byte) (e startError, ok bool) {
	r := wire.Reader{B: b}
	keys := []string{"msg", "hint", "code"}
	ok = r.Members(keys, func(k int) bool {
		switch keys[k] {
		case "msg":
			e.msg = r.Str()
		case "hint":
			e.hint = r.Str()
		case "code":
			e.code = int(r.Int())
		}
		return !r.Bad
	})
	return e, ok
}

// UniqueName is NAME-KIND-RANDOM for a sandbox of a command's own, with
// NAME cut so the whole stays a valid sandbox name (63 characters).
func UniqueName(name, kind string) string {
	var b [4]byte
	for {
		if _, err := unix.Getrandom(b[:], 0); err != unix.EINTR {
			break
		}
	}
	suffix := "-" + kind + "-" + hex.EncodeToString(b[:])
	if n := 63 - len(suffix); len(name) > n {
		name = name[:n]
	}
	return name + suffix
}
