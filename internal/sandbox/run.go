package sandbox

// The client's command sequences: what `devbox run`, `enter` and `restart`
// do once cmd/devbox has parsed the flags and loaded the config. Prepare
// completes the Options (network default, image), Session builds a
// session's request, Run and Restart drive Ensure, Provision, Exec and
// Discard, and Provisioned builds the clean, provisioned sandbox whose layer
// devbox export reads.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/shellinit"
	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/devbox-dev/devbox/storage/resolved"
)

// Prepare completes opts after the config is loaded: it refuses a
// devbox.toml wider than the project's trust record (trust.go), before
// anything acts on it; picks network none for a strict config that names
// none (the user-mode default waits for a start: withDefaultNetwork); and
// resolves the image, pulling it when it is missing (progress on
// opts.Warn). tlsVerify is --tls-verify for the pull.
func Prepare(opts Options, tlsVerify bool) (Options, error) {
	if err := checkTrust(opts); err != nil {
		return opts, err
	}
	if opts.Ephemeral && opts.Config.Review() {
		return opts, hint.Wrap(errors.New("review mode needs a sandbox that outlives its command: a throwaway sandbox (--rm) takes its changes with it before 'devbox diff' can show them"),
			"drop --rm: 'devbox run --review -- CMD', then 'devbox diff' and 'devbox apply' or 'devbox discard'")
	}
	if opts.Config.Network == "" && opts.Config.Security == config.SecurityStrict {
		// Its own network namespace, no route out: devbox's proxy is the
		// one way out (docs/security.md).
		opts.Config.Network = slirpnet.None.Name()
	}
	return resolveImage(opts, tlsVerify)
}

// withDefaultNetwork picks the default network driver when the config
// names none, written into the config, so a sandbox started with the
// default and one that names it have the same config. Only a start needs
// it (Ensure): a join's check compares the file's network and the flags'
// (config.Record.JoinChanges), never the default, which costs a look
// through PATH and an open of /dev/net/tun.
func withDefaultNetwork(opts Options) (Options, error) {
	if opts.Config.Network != "" {
		return opts, nil
	}
	d, err := defaultNetwork(opts)
	if err != nil {
		return opts, err
	}
	opts.Config.Network = d.Name()
	return opts, nil
}

// defaultNetwork is the driver for a config that names none: the usable
// user-mode one, else none with a notice (a container without a helper or
// /dev/net/tun), or an error under require_network.
func defaultNetwork(opts Options) (slirpnet.Driver, error) {
	d, err := slirpnet.DefaultUsable()
	if err == nil {
		return d, nil
	}
	if opts.Config.RequireNetwork {
		return slirpnet.Driver{}, hint.Wrap(fmt.Errorf("no usable user-mode network (require_network is set): %w", err), hint.Of(err))
	}
	notice(opts.Warn, "no user-mode network here (%v): using --network none (loopback only); --require-network makes this an error", err)
	return slirpnet.None, nil
}

// notice writes one warning line, when there is somewhere to write it.
func notice(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "devbox: warning: "+format+"\n", args...)
	}
}

// resolveImage looks up Config.Image (--image, else image = in
// devbox.toml) in the store, pulling it when missing.
func resolveImage(opts Options, tlsVerify bool) (Options, error) {
	ref := opts.Config.Image
	if ref == "" || opts.Image != nil { // none, or the joined sandbox's (RunningImage)
		return opts, nil
	}
	if im, ok := CachedImage(opts); ok {
		opts.Image = im
		return opts, nil
	}
	e, err := needEngine()
	if err != nil {
		return opts, err
	}
	progress := opts.Warn
	if progress == nil {
		progress = io.Discard
	}
	dir, err := pinsData(opts)
	if err != nil {
		return opts, err
	}
	end := trace.Begin("image lookup in the store")
	opts.Image, err = e.ResolveImage(opts.Project, dir, ref, ImageOptions{TLSVerify: tlsVerify, Progress: progress, NoPin: opts.Ephemeral})
	end()
	return opts, err
}

// pinsData is the data dir whose pins and cached image the sandbox of opts
// uses: a throwaway sandbox reads those of the project's own sandbox.
func pinsData(opts Options) (string, error) {
	if opts.PinName != "" {
		return state.SandboxData(opts.PinName)
	}
	return state.SandboxData(opts.Name)
}

// CachedImage resolves Config.Image from the resolution caches alone
// (storage/resolved), as the image store last resolved it, without opening
// the store: the front binary starts an image sandbox itself when this
// finds the image.
func CachedImage(opts Options) (*Image, bool) {
	defer trace.Begin("image lookup (cached)")()
	data, err := state.DataRoot()
	if err != nil {
		return nil, false
	}
	dir, err := pinsData(opts)
	if err != nil {
		return nil, false
	}
	img, ok := resolved.Find(resolved.GraphRoot(data), opts.Project, dir, opts.Config.Image)
	if !ok {
		return nil, false
	}
	return &Image{Name: img.Name, ID: img.ID, Driver: img.Driver, Lower: img.Lower,
		Config: state.ImageConfig{Env: img.Config.Env, WorkingDir: img.Config.WorkingDir, Cmd: img.Config.Cmd}}, true
}

// Throwaway turns opts into a one-off (--rm) sandbox with its own name,
// which stops with its last session.
func Throwaway(opts Options) Options {
	opts.PinName = opts.Name
	opts.Name = session.UniqueName(opts.Name, "rm")
	opts.Ephemeral = true
	opts.Config.IdleTimeout = 0
	return opts
}

// Provisioned starts a fresh sandbox from opts under a name of its own
// (NAME-export-RANDOM), runs the setup steps in it with their output on
// out, and stops it. Its writable layer stays in the image store (it is
// not ephemeral), where devbox export reads what the steps wrote; remove
// deletes the sandbox and that layer. It publishes no ports: the project's
// own sandbox may hold them. It stops with its last session, so a client
// that dies leaves no sandbox running.
func Provisioned(opts Options, out io.Writer) (name string, remove func(), err error) {
	opts.Name = session.UniqueName(opts.Name, "export")
	opts.Ephemeral = false
	opts.Config.Ports = nil
	opts.Config.IdleTimeout = 0
	remove = func() {
		Stop(opts.Name, 2*time.Second)
		Remove(opts.Name)
	}
	h, err := Ensure(opts)
	if err != nil {
		remove()
		return "", nil, fmt.Errorf("start the export sandbox: %w", err)
	}
	if err := h.provisionAndStop(opts, out); err != nil {
		remove()
		return "", nil, err
	}
	return opts.Name, remove, nil
}

// provisionAndStop holds the sandbox while it runs the setup steps, then
// stops it before the hold ends.
func (h *Handle) provisionAndStop(opts Options, out io.Writer) error {
	release, err := h.Hold()
	if err != nil {
		return err
	}
	defer release()
	if err := h.Provision(opts, Session(opts, []string{"true"}), out); err != nil {
		return err
	}
	if err := Stop(h.Name, 2*time.Second); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	return nil
}

// Run ensures the sandbox, runs its setup and then one session, and passes
// the session's status through as an *ExitError; a throwaway sandbox
// (discard) is removed afterwards. req gives the session's request
// (SessionLater) when the session is sent.
func Run(opts Options, req func() proto.Spawn, discard bool) error {
	trace.Since("config (flags, devbox.toml)", trace.MainAt())
	defer CancelPrestart() // one this start had no use for
	if launchApplies(opts, discard) {
		if opts.StartFlags != nil && opts.Warn != nil {
			opts.Warn = &noticeWriter{w: opts.Warn} // a start ticket only for a start that printed nothing
		}
		l, err := newLaunch(req, opts.Image == nil)
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		defer l.close()
		opts.launch = l
	}
	h, err := Ensure(opts)
	if err != nil {
		if discard {
			Discard(opts.Name, 0) // its start lock and any stale state
		}
		return err
	}
	var code int
	if h.launch != nil {
		code, err = h.runLaunch(opts)
	} else {
		code, err = h.provisionAndExec(opts, req(), discard)
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// provisionAndExec holds the sandbox while it runs the setup steps and then
// the session: one that stops with its last session would otherwise stop
// between them. A throwaway sandbox (discard) is removed before the hold
// ends, so it stops once, by Discard.
func (h *Handle) provisionAndExec(opts Options, req proto.Spawn, discard bool) (int, error) {
	code := 0
	release, err := h.holdForSetup(opts, discard)
	if err == nil {
		defer release()
		end := trace.Begin("setup steps")
		err = h.Provision(opts, req, os.Stderr)
		end()
		if err == nil {
			h.leaveTicket(opts, discard)
			end = trace.Begin(sessionPhase(h))
			f := followDenials(h, opts.Config.Security == config.SecurityStrict, os.Stderr)
			code, err = h.Exec(joinedUser(h, opts, req))
			f.Finish()
			end()
		}
	}
	if discard {
		end := trace.Begin("teardown")
		Discard(h.Name, 2*time.Second)
		end()
	}
	return code, err
}

// launchStopWait bounds the wait for the supervisor's Stopped after a
// launch session: init's stop grace for it (2 s) and the margin Stop
// gives.
const launchStopWait = 7 * time.Second

// runLaunch waits for the session that came with the start (launch.go),
// then for the sandbox's end, which that session's exit brings; a
// supervisor that cannot say Stopped leaves it to Discard.
func (h *Handle) runLaunch(opts Options) (int, error) {
	end := trace.Begin(sessionPhase(h))
	f := followDenials(h, opts.Config.Security == config.SecurityStrict, os.Stderr)
	code, err := h.launch.run()
	f.Finish()
	end()
	end = trace.Begin("teardown")
	if !h.launch.awaitStopped(launchStopWait) {
		Discard(h.Name, 2*time.Second)
	}
	end()
	return code, err
}

// holdForSetup holds the sandbox when something runs before the command
// that could let it stop in between: setup steps, or the first session of
// a sandbox this command started (or throws away). A plain join needs no
// hold: the sandbox is already serving, and the session is the next request
// (a hold taken after the probe could not close that gap either), so it
// saves a round trip.
func (h *Handle) holdForSetup(opts Options, discard bool) (release func(), err error) {
	if !h.Created && !discard && len(opts.Config.Setup) == 0 {
		return func() {}, nil
	}
	return h.Hold()
}

// sessionPhase names the session in the trace: the first of a sandbox this
// command started, or a join.
func sessionPhase(h *Handle) string {
	if h.Created {
		return "first session"
	}
	return "session (join)"
}

// joinedUser runs a session without --user as the user the joined sandbox
// was started with: a sandbox from before the default became self stays
// root until 'devbox restart'.
func joinedUser(h *Handle, opts Options, req proto.Spawn) proto.Spawn {
	if u := joinUser(h, opts); u != "" {
		return session.WithUser(req, u)
	}
	return req
}

// joinUser is the user joinedUser runs a session as, "" to leave it as
// asked.
func joinUser(h *Handle, opts Options) string {
	if h.Created || opts.User != "" {
		return ""
	}
	rec := h.record // read by the join check
	if rec == nil || rec.UserMode() == opts.Config.UserMode() {
		return ""
	}
	return rec.UserMode()
}

// leaveTicket writes the sandbox's join ticket (session.Ticket) once a
// command line without flags has joined or started it and its setup
// steps ran: the next such command line joins without this client's work.
// It leaves a ticket that is already there as it is; a failure only costs
// the next join its speed.
func (h *Handle) leaveTicket(opts Options, discard bool) {
	if !opts.Plain || discard || opts.Ephemeral || opts.FileDigest == "" {
		return
	}
	sock, err := session.StatID(h.Socket())
	if err != nil {
		return
	}
	rec, err := session.StatID(filepath.Join(h.Dir, configFile))
	if err != nil {
		return
	}
	t := session.Ticket{Socket: sock, Record: rec, Digest: opts.FileDigest, Env: opts.FileEnv, NameDirs: session.NameDirs(), Template: newTemplate(opts)}
	t.ShortName = session.ShortName(opts.Name, opts.Project) // after NameDirs: a change between the two fails the ticket's check
	t.Template.User = joinUser(h, opts)
	if opts.Config.Security == config.SecurityStrict {
		if t.Denials, err = DenialsPath(h.Name); err != nil {
			return
		}
	}
	if old, err := session.ReadSmall(filepath.Join(h.Dir, session.TicketFile)); err == nil && bytes.Equal(old, t.Encode()) {
		return
	}
	session.WriteTicket(h.Dir, t)
}

// Restart stops the sandbox (its sessions get grace before SIGKILL),
// starts it again from opts and runs setup steps that changed, with their
// output on out.
func Restart(opts Options, grace time.Duration, out io.Writer) error {
	// Before the stop: a network the start cannot have fails the restart
	// with the old sandbox still running.
	opts, err := withDefaultNetwork(opts)
	if err != nil {
		return err
	}
	if err := Stop(opts.Name, grace); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	h, err := Ensure(opts)
	if err != nil {
		return err
	}
	release, err := h.Hold()
	if err != nil {
		return err
	}
	defer release()
	return h.Provision(opts, Session(opts, nil), out)
}

// Session builds a session's request from the template of opts
// (newTemplate) and this process's environment, directory and argv.
func Session(opts Options, argv []string) proto.Spawn {
	return newTemplate(opts).Build(session.ProcessInputs(opts.Name, opts.Project, argv))
}

// newTemplate is what a session's request takes from opts (see
// session.Template).
func newTemplate(opts Options) session.Template {
	c := opts.Config
	t := session.Template{Name: opts.Name, Project: opts.Project, Home: HostHome(), Shell: c.Shell, Workdir: c.Workdir,
		Pass: c.EnvPass, GUI: c.GUI, HostView: opts.Image == nil, Env: configEnvList(c.Env)}
	t.Extra, t.Post, t.KeepID = sessionExtra(c, sessionUser(opts))
	if opts.Image != nil {
		im := opts.Image.Config
		if c.Workdir == "" {
			t.ImageWorkdir = im.WorkingDir
		}
		t.ImageEnv, t.ImageShell = im.Env, session.DefaultShell(im.Cmd)
	}
	return t
}

// configEnvList is the config's env as sorted KEY=VALUE.
func configEnvList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// SessionLater is Session with tweak applied, built on a goroutine of its
// own; the returned func waits for it. The client builds a session's
// request beside the probe of the sandbox's socket and the join check,
// since it needs the request only to send the session: Session's
// directory listings (ShortName), user lookup and environment then cost a
// join nothing on a second CPU.
func SessionLater(opts Options, argv []string, tweak func(*proto.Spawn)) func() proto.Spawn {
	ch := make(chan proto.Spawn, 1)
	go func() {
		end := trace.Begin("session request (beside the join check)")
		req := Session(opts, argv)
		tweak(&req)
		end()
		ch <- req
	}()
	return sync.OnceValue(func() proto.Spawn {
		end := trace.Begin("wait for the session request")
		defer end()
		return <-ch
	})
}

// sessionUser is the user a new session asks for: --user, else the
// config's (self by default). Run corrects it on a join, where the
// sandbox's recorded user applies.
func sessionUser(opts Options) string {
	if opts.User != "" {
		return opts.User
	}
	return opts.Config.UserMode()
}

// sessionExtra is devbox's own part of a session's environment, before
// the display's variables and after them, and the ids kept inside for user
// = "self".
func sessionExtra(c config.Config, user string) (extra, post []string, keep *proto.KeepID) {
	extra = append(shellinit.RCEnv(), cacheEnv(c, HostHome())...)
	if c.ForwardSSHAgent {
		extra = append(extra, "SSH_AUTH_SOCK="+SSHAgentSocket)
	}
	if session.KeepsID(user) {
		keep = session.Self()
		if name, ok := session.UserName(); ok {
			post = append(post, "USER="+name, "LOGNAME="+name)
		}
	}
	if c.Security == config.SecurityStrict {
		post = append(post, ProxyEnv()...)
	}
	return extra, post, keep
}

// HostHome is the invoking user's home directory on the host.
func HostHome() string { return session.HostHome() }

// Welcome is the one-line welcome of an interactive shell; a session
// that is not root says how to get a root shell.
func Welcome(opts Options) string {
	return shellinit.Welcome(opts.Name, opts.Project, sessionUser(opts) != config.UserRoot)
}
