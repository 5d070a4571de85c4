package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config/digest"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/internal/wire"
	"github.com/devbox-dev/devbox/regfile"
	"github.com/devbox-dev/devbox/shellinit"
	"golang.org/x/sys/unix"
)

// The fast join: cmd/devbox runs `devbox run [--name N] [--] CMD [ARG...]`
// itself when the sandbox runs and its join ticket (ticket.go) holds:
// one small binary that builds the session's request from the ticket, sends
// it and passes the status through, where the full client (devbox-front)
// starts a larger binary, parses the flags and devbox.toml, checks the
// trust record and the running sandbox's config record. Every other
// command line, and every case the ticket does not cover, goes to
// devbox-front, which then does all of it and leaves a new ticket: a
// terminal on stdio (its relay), --trace, a warning a join prints, an
// error before the session starts.

// errFull sends a command line to the full client.
var errFull = errors.New("the full client's")

// FastJoin runs args (devbox's, without the program name) as a fast join,
// and returns its exit status; ok is false, with nothing done that the full
// client would not do again, when the full client must run them.
func FastJoin(args []string) (code int, ok bool) {
	name, argv, ok := runArgv(args)
	if !ok || trace.Requested() || stdioTerminal() {
		return 0, false
	}
	j, err := openJoin(name)
	if err != nil {
		return 0, false
	}
	code, err = j.run(argv)
	if errors.Is(err, errFull) {
		return 0, false
	}
	if err != nil {
		return report(err), true
	}
	return code, true
}

// runArgv is the sandbox name and CMD [ARG...] of "run [--name NAME] [--]
// CMD [ARG...]", CMD not a flag without "--": run's flags end at its first
// argument. name is "" without --name (the project's sandbox).
func runArgv(args []string) (name string, argv []string, ok bool) {
	if len(args) < 2 || args[0] != "run" {
		return "", nil, false
	}
	args = args[1:]
	switch {
	case args[0] == "--name" && len(args) >= 2:
		name, args = args[1], args[2:]
	case strings.HasPrefix(args[0], "--name="):
		name, args = strings.TrimPrefix(args[0], "--name="), args[1:]
	}
	switch {
	case len(args) >= 2 && args[0] == "--":
		return name, args[1:], true
	case len(args) >= 1 && !strings.HasPrefix(args[0], "-"):
		return name, args, true
	}
	return "", nil, false
}

// stdioTerminal reports whether stdin, stdout or stderr is a terminal,
// which a session gets only through a relay (the full client's).
func stdioTerminal() bool {
	for fd := 0; fd < 3; fd++ {
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			return true
		}
	}
	return false
}

// fastJoin is one fast join: the sandbox found and its ticket checked.
type fastJoin struct {
	dir, runtime string // the project, and the sandbox's runtime dir
	home         string // the user's home (HostHome), looked up once
	ticket       Ticket
}

// openJoin finds the running sandbox name (the project's when "") and
// checks its ticket: errFull (or any error) for the full client.
func openJoin(name string) (*fastJoin, error) {
	home := HostHome()
	dir, ignored, err := findProject("", home)
	if err != nil || ignored != "" {
		return nil, errFull // the full client says why, or warns
	}
	if name == "" {
		name = project.Name(dir)
	}
	root, err := state.RuntimeRoot()
	if err != nil || project.ValidateName(name) != nil {
		return nil, errFull
	}
	j := &fastJoin{dir: dir, runtime: filepath.Join(root, name), home: home}
	if j.ticket, err = ReadTicket(j.runtime); err != nil {
		return nil, errFull
	}
	if !j.holds() {
		return nil, errFull
	}
	return j, nil
}

// holds reports whether the ticket holds for this command line: the same
// sandbox, the same load of devbox.toml, still approved, and nothing a
// join warns about.
func (j *fastJoin) holds() bool {
	t, home := j.ticket, j.home
	if t.Template.Name != filepath.Base(j.runtime) || t.Template.Project != j.dir || t.Template.Home != home || t.Digest == "" {
		return false
	}
	if !sameFile(filepath.Join(j.runtime, state.SocketFile), t.Socket) || !sameFile(filepath.Join(j.runtime, "config.json"), t.Record) {
		return false
	}
	if loadDigest(j.dir, home, t.Env) != t.Digest || !approved(j.dir, t.Digest) {
		return false
	}
	b, err := ReadSmall(filepath.Join(j.runtime, state.StateFile))
	return err == nil && !JoinWarns(b)
}

func sameFile(path string, id FileID) bool {
	got, err := StatID(path)
	return err == nil && got == id
}

// maxConfig bounds the read of devbox.toml: a larger file differs from
// the one a ticket was written for, whose digest holds its bytes.
const maxConfig = 1 << 20

// loadDigest is the digest a load of the project's devbox.toml would have
// now, looking up the variables env (config.LoadFileRecorded); "" when the
// file cannot be read.
func loadDigest(dir, home string, env []string) string {
	data, err := regfile.Read(filepath.Join(dir, project.ConfigFile), maxConfig)
	switch {
	case errors.Is(err, os.ErrNotExist):
		data = nil
	case err != nil:
		return ""
	}
	lookups := make(map[string]string, len(env))
	for _, k := range env {
		v, ok := os.LookupEnv(k)
		lookups[k] = digest.Lookup(v, ok)
	}
	return digest.Sum(data, dir, home, lookups)
}

// approved reports whether the project's trust record approves the load
// with digest sum: the trust check's fast path.
func approved(dir, sum string) bool {
	path, err := state.TrustDigestPath(dir)
	if err != nil {
		return false
	}
	b, err := regfile.Read(path, 256)
	return err == nil && string(b) == sum
}

// run sends the session and waits for its end. A session that did not
// start (init's Error) goes to the full client, which runs it again and
// reports what failed.
//
// It connects once the request is built, and sends it at once: init's
// accept and its read of the request then run back to back while this
// process waits, rather than each beside this process's work on the
// machine's CPUs (2% of a join on two).
//
// A session that ends within armDelay never has its signals armed:
// enabling them (signal.Notify) takes the runtime's signal thread a round
// trip per signal, on the CPUs the session starts on. A signal that
// arrives before they are armed ends the client, as it would have before
// the request was sent, and init hangs up the session (SIGHUP), as it does
// for any client that goes away; from armDelay on, they are forwarded as
// the full client forwards them.
func (j *fastJoin) run(argv []string) (int, error) {
	t := j.ticket.Template
	req := t.Build(processInputs(j.shortName(), argv))
	req.NoStarted = true
	frame, err := wire.Encode(req)
	if err != nil {
		return 0, errFull
	}
	conn, err := wire.Dial(filepath.Join(j.runtime, state.SocketFile))
	if err != nil {
		return 0, errFull
	}
	defer conn.Close()
	var f *DenialFollower
	if p := j.ticket.Denials; p != "" {
		f = FollowDenials(p, state.DenialsSize(p), os.Stderr)
	}
	if err := conn.Send(frame, 0, 1, 2); err != nil {
		f.Finish()
		return 0, errFull
	}
	arm := time.AfterFunc(armDelay, func() { forwardSignals(conn) })
	defer arm.Stop()
	e, err := awaitExit(conn)
	f.Finish()
	var se *startError
	if errors.As(err, &se) || errors.Is(err, errUnexpected) {
		return 0, errFull
	}
	if err != nil {
		return 0, err
	}
	if msg := ExitMessage(e); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	if InstallFailed(e.Code, t.HostView, argv[0]) {
		fmt.Fprintln(os.Stderr, shellinit.InstallHint)
	}
	return e.Code, nil
}

// shortName is the ticket's ShortName while the directories it lists are
// as they were, else the one they give now.
func (j *fastJoin) shortName() string {
	if t := j.ticket; t.ShortName != "" && slices.Equal(NameDirs(), t.NameDirs) {
		return t.ShortName
	}
	return ShortName(j.ticket.Template.Name, j.dir)
}

// armDelay is how long a session runs before its client forwards signals.
const armDelay = 20 * time.Millisecond

// forwardSignals forwards the client's signals to the session on c from
// now on (signals.go), until the client exits.
func forwardSignals(c *wire.Conn) {
	sigs, _ := ArmSignals()
	ForwardTo(sigs, func(s os.Signal) {
		if frame, err := wire.Encode(wire.Signal{Sig: int(s.(unix.Signal))}); err == nil {
			c.Send(frame)
		}
	})
}

// awaitExit waits for the session's Exit on c; a Started, from an init
// that predates NoStarted, is skipped. An Error (the session did not
// start) is a *startError, anything else errUnexpected.
func awaitExit(c *wire.Conn) (wire.Exit, error) {
	for {
		env, fds, err := c.Recv()
		for _, fd := range fds {
			unix.Close(fd)
		}
		if err != nil {
			return wire.Exit{}, GoneError(err)
		}
		kind, body, ok := wire.SplitEnvelope(env)
		switch {
		case ok && kind == "Exit":
			return decodeExit(body)
		case ok && kind == "Started":
			addTrace(body) // init's phases, when traced
			continue
		case ok && kind == "Error":
			return wire.Exit{}, sessionError(body)
		}
		return wire.Exit{}, errUnexpected
	}
}

// ErrGone is why a session's connection closed before its Exit came: init,
// and with it the sandbox, ended first, under the session. Nothing ends a
// sandbox so but a kill (of init, of the supervisor, by the OOM killer):
// a stop ends the session first and reports its exit. Both clients report
// it alike, with GoneHint.
var ErrGone = errors.New("wait for session: the sandbox ended before it reported the session's exit (its init or its supervisor was killed)")

// GoneHint is the fix that goes with ErrGone.
const GoneHint = "run the command again; if it is killed again, 'journalctl -k' shows whether the kernel's OOM killer did it"

// GoneError is ErrGone, with its fix, for a session whose connection
// closed (err) before its Exit came.
func GoneError(err error) error {
	return hint.Wrap(fmt.Errorf("%w: %w", ErrGone, err), GoneHint)
}

// addTrace adds the spans of a Ready's or a Started's body (its "trace",
// which another process recorded) to this process's, when tracing.
func addTrace(body []byte) {
	if !trace.On() {
		return
	}
	var m struct {
		Trace []trace.Span `json:"trace"`
	}
	if json.Unmarshal(body, &m) == nil {
		trace.Add(m.Trace)
	}
}

// errUnexpected is a message a session's client does not expect.
var errUnexpected = errors.New("start session: unexpected message")

// sessionError is the error of init's Error body for a session that did
// not start: its own words for a command that cannot run (126, 127).
func sessionError(body []byte) error {
	r, ok := decodeReport(body)
	if !ok {
		return errUnexpected
	}
	if r.code != 126 && r.code != 127 {
		r.msg = "start session: " + r.msg
	}
	return &r
}

// decodeExit reads an Exit's body, as init writes it or, from another
// devbox's init, as encoding/json reads it.
func decodeExit(body []byte) (wire.Exit, error) {
	if e, ok := wire.DecodeExit(body); ok {
		return e, nil
	}
	var e wire.Exit
	if err := json.Unmarshal(body, &e); err != nil {
		return e, fmt.Errorf("wait for session: decode Exit: %w", err)
	}
	return e, nil
}
