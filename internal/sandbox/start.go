package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/protect"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/timerslack"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// Options describe the sandbox a command wants. They apply when the sandbox
// is created; joining a running sandbox refuses a config that differs.
type Options struct {
	Name    string
	Project string
	// PinName is the sandbox whose image pins a throwaway one reads.
	PinName string
	// Ephemeral sandboxes (--rm) keep their home in a tmpfs inside and
	// leave no persistent data.
	Ephemeral bool
	// Image is the image Config.Image resolved to (pulled if missing); nil
	// for the host view.
	Image *Image
	// Warn receives warnings (the single-id fallback, unenforced limits).
	Warn io.Writer
	// Config is the project's effective configuration, validated, with the
	// network driver resolved; FileConfig is the same without flag
	// overrides, and FlagKeys the config keys that flags set, for the join
	// check.
	Config     config.Config
	FileConfig config.Config
	FlagKeys   map[string]bool
	// FileDigest identifies the load that made FileConfig
	// (config.LoadFileDigest): the trust check's fast path.
	FileDigest string
	// FileEnv are the host variables that load looked up.
	FileEnv []string
	// Plain is a command line without flags: a join ticket (WriteTicket)
	// holds for the next one.
	Plain bool
	// StartFlags are the flags of a command line the fast start parses,
	// nil for any other: a start ticket (startticket.go) holds for the
	// next one.
	StartFlags *StartFlags
	// User is the session's user asked for with --user (config.UserRoot
	// or config.UserSelf); empty runs sessions as the sandbox's user.
	User string
	// JoinOnly makes Ensure return ErrNotRunning instead of starting the
	// sandbox: the front binary (cmd/devbox) joins, and hands a start to
	// devbox-engine.
	JoinOnly bool
	// Approve asks the user to approve a devbox.toml wider than the
	// project's trust record (see trust.go); nil refuses it.
	Approve func([]config.Change) bool
	// launch is the session that travels with the start (launch.go), set
	// by Run.
	launch *launchSession
}

// Handle is a running sandbox.
type Handle struct {
	Name    string
	Dir     string
	Created bool
	// record is the joined sandbox's config record, as the join check
	// read it (its values only; nil when it had none).
	record *config.Record
	// conn is the connection that found the sandbox serving (probe), kept
	// for the first session rather than dialled again; nil once taken.
	conn *proto.Conn
	// launch is the session that came with this command's start of the
	// sandbox, nil for any other.
	launch *launchSession
}

// Socket returns the sandbox socket path.
func (h *Handle) Socket() string { return filepath.Join(h.Dir, state.SocketFile) }

// Ensure returns the running sandbox for opts, starting it when absent. A
// start is serialised by a lock beside the runtime dir, so concurrent
// commands in one project start exactly one sandbox.
func Ensure(opts Options) (*Handle, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return nil, err
	}
	h := &Handle{Name: opts.Name, Dir: filepath.Join(root, opts.Name)}
	end := trace.Begin("probe socket")
	h.conn = probeConn(h.Socket())
	end()
	if h.conn != nil {
		return h.joined(opts)
	}
	if opts.JoinOnly {
		return nil, fmt.Errorf("%s: %w", opts.Name, ErrNotRunning)
	}
	end = trace.Begin("lock")
	unlock, err := state.Lock(filepath.Join(root, opts.Name+".lock"))
	if err != nil {
		end()
		return nil, err
	}
	defer unlock()
	if h.conn = probeConn(h.Socket()); h.conn != nil {
		end()
		return h.joined(opts)
	}
	err = clearStale(h.Dir)
	end()
	if err != nil {
		return nil, err
	}
	if opts, err = withDefaultNetwork(opts); err != nil {
		return nil, err
	}
	end = trace.Begin("supervisor spawn (to Ready)")
	err = startSupervisor(h.Dir, opts)
	end()
	if err != nil {
		return nil, err
	}
	h.Created = true
	h.launch = opts.launch
	return h, nil
}

// joined is Ensure's answer for a running sandbox: h once join accepts it.
func (h *Handle) joined(opts Options) (*Handle, error) {
	end := trace.Begin("join check")
	err := join(h, opts)
	end()
	if err != nil {
		h.conn.Close()
		return nil, err
	}
	return h, nil
}

// join checks a running sandbox's config against opts and warns when its
// network is down.
func join(h *Handle, opts Options) error {
	if err := checkJoin(h, opts); err != nil {
		return err
	}
	st, err := readJoinState(h.Dir)
	if err != nil || opts.Warn == nil {
		return nil
	}
	if st.NetworkDown != "" {
		fmt.Fprintf(opts.Warn, "devbox: warning: sandbox %s has no network: its helper %s; run 'devbox restart' to bring it back (this ends its running sessions)\n", h.Name, st.NetworkDown)
	}
	if st.SingleID && staleSingleID(st, currentPlan()) { // the plan reads /etc/subuid: only when it can matter
		fmt.Fprintf(opts.Warn, "devbox: warning: %s\n", SingleIDNotice(h.Name))
	}
	return nil
}

// readJoinState reads what a join warns about from the sandbox's
// state.json: a lost network and the single-id map. state.Write leaves
// both keys out while they are zero (omitempty), which is nearly always:
// then there is nothing to decode, and the join never runs encoding/json,
// whose first use in a process cost it about 0.1 ms (its code's first
// page faults more than the decoding). A key's name found anywhere in the
// file, even inside a value, has the file decoded in full.
func readJoinState(dir string) (state.State, error) {
	b, err := session.ReadSmall(filepath.Join(dir, state.StateFile))
	if err != nil {
		return state.State{}, err
	}
	if !session.JoinWarns(b) {
		return state.State{}, nil
	}
	var js struct {
		NetworkDown string `json:"network_down"`
		SingleID    bool   `json:"single_id"`
	}
	if err := json.Unmarshal(b, &js); err != nil {
		return state.State{}, fmt.Errorf("decode %s: %w", filepath.Join(dir, state.StateFile), err)
	}
	return state.State{NetworkDown: js.NetworkDown, SingleID: js.SingleID}, nil
}

// probe reports whether something serves the socket.
func probe(sock string) bool {
	c := probeConn(sock)
	if c == nil {
		return false
	}
	c.Close()
	return true
}

// probeConn returns a connection to the socket when something serves it,
// else nil. Init reads one request on it, so it can carry the first
// session.
func probeConn(sock string) *proto.Conn {
	c, err := proto.Dial(sock)
	if err != nil {
		return nil
	}
	return c
}

// clearStale removes the runtime dir of a sandbox whose supervisor is gone
// (killed, or from before a reboot). A supervisor that is alive but not
// serving is stopping: give it a moment, then end it.
func clearStale(dir string) error {
	st, err := state.Read(dir)
	if err == nil && st.Alive() {
		if !waitGone(st, 3*time.Second) {
			syscall.Kill(st.Supervisor, syscall.SIGKILL)
			waitGone(st, 2*time.Second)
		}
	}
	return removeStale(dir)
}

// removeStale ends what a dead supervisor left: network helpers (Debian 12's
// pasta outlives its namespace), the cgroup, and the runtime dir.
func removeStale(dir string) error {
	if st, err := state.Read(dir); err == nil {
		slirpnet.KillHelpers(st.Helpers)
	}
	removeStaleCgroup(dir)
	removeLeftStubs(dir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove stale sandbox state: %w", err)
	}
	return nil
}

// removeLeftStubs removes the placeholders of a strict sandbox whose
// supervisor was killed (internal/protect): those of the runtime dir's
// record, and of the data dir's copy.
func removeLeftStubs(dir string) {
	protect.RemoveStubs(dir)
	if data, err := state.SandboxData(filepath.Base(dir)); err == nil {
		protect.RemoveStubs(data)
	}
}

func waitGone(st state.State, d time.Duration) bool {
	deadline := time.Now().Add(d)
	awaitSupervisorExit(st, d)
	for st.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// awaitSupervisorExit returns when st's supervisor exits or after d, whichever comes
// first, without polling: it waits on a pidfd, opened before Alive checks
// that the pid is still the supervisor's. Without pidfds (Linux < 5.3) it
// returns at once and the caller polls.
func awaitSupervisorExit(st state.State, d time.Duration) {
	fd, err := unix.PidfdOpen(st.Supervisor, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if !st.Alive() {
		return
	}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(left.Milliseconds())+1); err != unix.EINTR {
			return
		}
	}
}

// startSupervisor starts the detached supervisor and waits for Ready or Error
// on a pipe; warnings it sends on the way are printed once. The supervisor
// is started before its launch spec is made, which it reads from a pipe:
// the spec (the user, the home, the config record) is made while the
// supervisor's binary loads and its runtime starts.
func startSupervisor(dir string, opts Options) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("create sandbox state dir: %w", err)
	}
	premade := func() {}
	var sent proto.Spec
	makeSpec := func() (proto.Spec, error) {
		spec, err := launchSpec(dir, opts)
		if err != nil {
			return spec, err
		}
		spec.LaunchSession = opts.launch != nil
		premade = premakeMountPoints(spec)
		sent = spec
		return spec, nil
	}
	cmd, err := launchSupervisor(dir, opts.Image != nil, makeSpec, opts.Warn, opts.launch)
	premade()
	if err != nil {
		return err
	}
	if opts.launch != nil {
		leaveStartTicket(filepath.Dir(dir), opts, sent, warned(opts.Warn))
	}
	go func() { // reap it if it ends while this client still runs
		userns.AwaitExit(cmd.Process.Pid)
		cmd.Wait()
	}()
	return nil
}

// spawnSupervisor starts the supervisor, in a systemd user scope when scope
// is set (scope.go), the write end of the ready pipe as fd 3, a launch
// session's connection, if any, as fd 4, and the read end of the pipe that
// will carry its launch spec as fd 5 (proto.FDSpec), whose write end it
// returns.
func spawnSupervisor(dir, name string, image, scope bool, launch *os.File) (*exec.Cmd, *os.File, *os.File, error) {
	self, err := supervisorBinary(image)
	if err != nil {
		return nil, nil, nil, err
	}
	log, err := state.OpenLog(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	defer log.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("create ready pipe: %w", err)
	}
	defer readyW.Close()
	specR, specW, err := os.Pipe()
	if err != nil {
		readyR.Close()
		return nil, nil, nil, fmt.Errorf("create launch spec pipe: %w", err)
	}
	defer specR.Close()
	path, argv := supervisorArgv(self, name, scope)
	cmd := exec.Command(path)
	cmd.Args = argv
	cmd.Env = append(append(os.Environ(), proto.EnvSupervise+"=1"), proto.IdleEnv()...)
	cmd.Stdout, cmd.Stderr = log, log
	// A nil file is closed in the supervisor: fd 4 without a launch session.
	cmd.ExtraFiles = []*os.File{readyW, launch, specR}
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true}
	end := trace.Begin("fork+exec supervisor")
	timerslack.Relax(func() { err = cmd.Start() })
	end()
	if err != nil {
		readyR.Close()
		specW.Close()
		return nil, nil, nil, fmt.Errorf("start supervisor: %w", err)
	}
	return cmd, readyR, specW, nil
}

// sendSpec writes the launch spec on the supervisor's spec pipe and closes
// it. A write that fails means the supervisor is gone (systemd-run that
// failed before it ran, say): errSupervisorGone, and its report, or the
// lack of one, is what the caller goes by.
func sendSpec(w *os.File, spec proto.Spec) error {
	defer w.Close()
	blob, err := proto.MarshalSpec(spec)
	if err != nil {
		return fmt.Errorf("encode launch spec: %w", err)
	}
	if _, err := w.Write(blob); err != nil {
		return fmt.Errorf("%w: %w", errSupervisorGone, err)
	}
	return nil
}

// errSupervisorGone: the supervisor exited before it read its launch spec.
var errSupervisorGone = errors.New("send the launch spec: the supervisor is gone")

// awaitReady reads the supervisor's report.
func awaitReady(r io.Reader, warn io.Writer) error {
	for {
		msg, err := proto.Decode(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("start sandbox: the supervisor exited without a report")
			}
			return fmt.Errorf("start sandbox: %w", err)
		}
		switch m := msg.(type) {
		case proto.Warning:
			if warn != nil {
				fmt.Fprintf(warn, "devbox: warning: %s\n", m.Msg)
			}
		case proto.Ready:
			trace.Add(m.Trace)
			return nil
		case proto.Error:
			return hint.Wrap(errors.New(m.Msg), m.Hint)
		default:
			return fmt.Errorf("start sandbox: unexpected report %q", msg.Kind())
		}
	}
}

// launchSpec computes the launch spec on the host, from opts alone: the
// one place the validated config becomes what the supervisor and the child
// run with. It also records the config for the join check.
func launchSpec(dir string, opts Options) (proto.Spec, error) {
	if err := checkReviewLeft(opts.Name, opts.Config); err != nil {
		return proto.Spec{}, err
	}
	u, err := user.Current()
	if err != nil {
		return proto.Spec{}, fmt.Errorf("look up current user: %w", err)
	}
	home, homeSrc, err := homeFor(u, opts)
	if err != nil {
		return proto.Spec{}, err
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	c := opts.Config
	network, err := slirpnet.ParseDriver(c.Network)
	if err != nil {
		return proto.Spec{}, err
	}
	spec := proto.Spec{
		Name: opts.Name, Hostname: hostname(opts), ProjectDir: opts.Project,
		Home: home, HomeSource: homeSrc, HomeTmpfs: homeSrc == "", StateDir: dir,
		Network: network, Ports: c.Ports, AllowHostLoopback: c.AllowHostLoopback,
		IdleTimeout: c.IdleTimeout, Image: imageRoot(opts), Security: c.Security,
		Egress: egressSpec(c), UID: uint32(uid), GID: uint32(gid), User: u.Username, Ephemeral: opts.Ephemeral,
		Limits: c.Limits.Limits, RequireLimits: c.Limits.Required, RequireProc: c.RequireProc,
		RequireStrict: c.RequireStrict, Protect: protectedPaths(opts.Project, c), DenyRead: c.DenyRead,
	}
	if c.Review() {
		spec.Review = &proto.ReviewLayer{} // the supervisor fills it
	}
	if err := configureSpec(&spec, opts); err != nil {
		return proto.Spec{}, err
	}
	return spec, recordConfig(dir, opts)
}

// hostname is the hostname key, else one derived from the sandbox's short
// readable name (ShortName).
func hostname(opts Options) string {
	if opts.Config.Hostname != "" {
		return opts.Config.Hostname
	}
	return project.Hostname(session.ShortName(opts.Name, opts.Project))
}

// homeFor returns the home path inside (the user's own) and the host dir
// bound there, persistent per sandbox; none for --rm, whose home is a
// tmpfs the child mounts (proto.Spec.HomeTmpfs): nothing to make on the
// host before the start, nor to remove after it.
func homeFor(u *user.User, opts Options) (string, string, error) {
	home := homeInside(u)
	if opts.Ephemeral {
		return home, "", nil
	}
	data, err := state.SandboxData(opts.Name)
	if err != nil {
		return "", "", err
	}
	src := filepath.Join(data, "home")
	if err := writeMeta(data, opts); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(src, 0o700); err != nil {
		return "", "", fmt.Errorf("create sandbox home: %w", err)
	}
	return home, src, nil
}

// homeInside is the home directory inside: the user's, else /home/USER.
func homeInside(u *user.User) string {
	if u.HomeDir == "" || u.HomeDir == "/" {
		return "/home/" + u.Username
	}
	return u.HomeDir
}

// MountPoints are the paths where a sandbox from opts mounts something over
// its root: what the sandbox itself leaves at them in its writable layer is
// devbox's, not the setup steps'.
func MountPoints(opts Options) []string {
	out := []string{"/proc", "/sys", "/dev", "/tmp", "/var/tmp", "/run", "/oldroot", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", SSHAgentSocket, opts.Project}
	if u, err := user.Current(); err == nil {
		out = append(out, homeInside(u))
	}
	for _, m := range opts.Config.Mounts {
		out = append(out, m.Target)
	}
	for _, m := range socketMounts(opts.Config, nil) {
		out = append(out, m.Target)
	}
	return out
}

// Meta is the persistent record of a sandbox, kept beside its home.
type Meta struct {
	Name    string    `json:"name"`
	Project string    `json:"project"`
	Created time.Time `json:"created"`
}

func writeMeta(dir string, opts Options) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create sandbox data dir: %w", err)
	}
	path := filepath.Join(dir, "sandbox.json")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	b, _ := json.MarshalIndent(Meta{Name: opts.Name, Project: opts.Project, Created: time.Now().UTC()}, "", "  ")
	return state.WriteFileAtomic(path, b, 0o600)
}
