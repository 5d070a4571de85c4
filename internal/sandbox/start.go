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

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/supervisor"
	"github.com/devbox-dev/devbox/slirpnet"
	"golang.org/x/sys/unix"
)

// Options describe the sandbox a command wants. They apply when the sandbox
// is created; joining a running sandbox reports options that differ.
type Options struct {
	Name     string
	Project  string
	Hostname string
	Network  string // the driver, as in Net.Driver
	// Net is the network: driver, published ports, host loopback.
	Net         supervisor.NetworkConfig
	IdleTimeout time.Duration
	// Ephemeral sandboxes (--rm) keep their home in the runtime dir and leave
	// no persistent data.
	Ephemeral bool
	// Explicit lists the options the user set on the command line, so a join
	// can say which of them the running sandbox does not have.
	Explicit map[string]bool
	// Limits go to the sandbox's cgroup v2 group; RequireLimits turns the
	// warning for limits that cannot be enforced into an error.
	Limits        cgroupv2.Limits
	RequireLimits bool
	// Image, when set, roots the sandbox on this stored image (ImageID) in a
	// writable layer instead of the host view. ImageDriver and ImageLower
	// are its store driver and layer dirs (top first), as looked up.
	Image, ImageID string
	ImageDriver    string
	ImageLower     []string
	// Warn receives warnings (the single-id fallback, option mismatches).
	Warn io.Writer
	// Config is the project's effective configuration (see configureSpec);
	// FileConfig is the same without flag overrides, and FlagKeys the config
	// keys that flags set, for the config check on join.
	Config     config.Config
	FileConfig config.Config
	FlagKeys   map[string]bool
}

// Handle is a running sandbox.
type Handle struct {
	Name    string
	Dir     string
	Created bool
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
	if probe(h.Socket()) {
		return h, checkJoin(h, opts)
	}
	unlock, err := state.Lock(filepath.Join(root, opts.Name+".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if probe(h.Socket()) {
		return h, checkJoin(h, opts)
	}
	if err := clearStale(h.Dir); err != nil {
		return nil, err
	}
	if err := startSupervisor(h.Dir, opts); err != nil {
		return nil, err
	}
	h.Created = true
	return h, nil
}

// probe reports whether something serves the socket.
func probe(sock string) bool {
	c, err := proto.Dial(sock)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// checkJoin warns when options the user set differ from the running sandbox.
func checkJoin(h *Handle, opts Options) error {
	if err := checkConfig(h, opts); err != nil {
		return err
	}
	st, err := state.Read(h.Dir)
	if err != nil || opts.Warn == nil {
		return nil
	}
	diff := func(key, have, want string) {
		if opts.Explicit[key] && have != want {
			fmt.Fprintf(opts.Warn, "devbox: warning: sandbox %s is running with --%s=%s, not %s; run 'devbox stop %s' to apply\n", h.Name, key, have, want, h.Name)
		}
	}
	diff("network", st.Network, opts.Network)
	diff("hostname", st.Hostname, opts.Hostname)
	diff("idle-timeout", st.IdleTimeout.String(), opts.IdleTimeout.String())
	return nil
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
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove stale sandbox state: %w", err)
	}
	return nil
}

func waitGone(st state.State, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for st.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// startSupervisor starts the detached supervisor and waits for Ready or Error
// on a pipe; warnings it sends on the way are printed once.
func startSupervisor(dir string, opts Options) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("create sandbox state dir: %w", err)
	}
	cfg, err := supervisorConfigFor(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	if err := configureSpec(&cfg, opts); err != nil {
		os.RemoveAll(dir)
		return err
	}
	cmd, err := launchSupervisor(dir, cfg, opts.Warn)
	if err != nil {
		return err
	}
	go cmd.Wait() // reap it if it ends while this client still runs
	return nil
}

// spawnSupervisor starts the supervisor, in a systemd user scope when scope
// is set (scope.go), with its config in the environment and the write end
// of the ready pipe as fd 3.
func spawnSupervisor(dir string, cfg supervisor.Config, scope bool) (*exec.Cmd, *os.File, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find devbox binary: %w", err)
	}
	blob, err := json.Marshal(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("encode supervisor config: %w", err)
	}
	log, err := os.OpenFile(filepath.Join(dir, state.LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open supervisor log: %w", err)
	}
	defer log.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("create ready pipe: %w", err)
	}
	defer readyW.Close()
	path, argv := supervisorArgv(self, cfg.Spec.Name, scope)
	cmd := exec.Command(path)
	cmd.Args = argv
	cmd.Env = append(os.Environ(), supervisor.EnvSupervise+"="+string(blob))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.ExtraFiles = []*os.File{readyW}
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		readyR.Close()
		return nil, nil, fmt.Errorf("start supervisor: %w", err)
	}
	return cmd, readyR, nil
}

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
			return nil
		case proto.Error:
			return preflight.Hint(errors.New(m.Msg), m.Hint)
		default:
			return fmt.Errorf("start sandbox: unexpected report %q", msg.Kind())
		}
	}
}

// supervisorConfigFor computes the child's Spec on the host.
func supervisorConfigFor(dir string, opts Options) (supervisor.Config, error) {
	u, err := user.Current()
	if err != nil {
		return supervisor.Config{}, fmt.Errorf("look up current user: %w", err)
	}
	home, homeSrc, err := homeFor(u, dir, opts)
	if err != nil {
		return supervisor.Config{}, err
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return supervisor.Config{
		Spec: proto.Spec{
			Name: opts.Name, Hostname: opts.Hostname, ProjectDir: opts.Project,
			Home: home, HomeSource: homeSrc, StateDir: dir,
			Network: opts.Network, IdleTimeout: opts.IdleTimeout,
			Image: imageRoot(opts),
		},
		UID: uint32(uid), GID: uint32(gid), User: u.Username, Ephemeral: opts.Ephemeral,
		Limits: opts.Limits, RequireLimits: opts.RequireLimits, Net: opts.Net,
	}, nil
}

// homeFor returns the home path inside (the user's own) and the host dir
// bound there: persistent per sandbox, or in the runtime dir for --rm.
func homeFor(u *user.User, dir string, opts Options) (string, string, error) {
	home := u.HomeDir
	if home == "" || home == "/" {
		home = "/home/" + u.Username
	}
	src := filepath.Join(dir, "home")
	if !opts.Ephemeral {
		data, err := state.DataRoot()
		if err != nil {
			return "", "", err
		}
		src = filepath.Join(data, "sandboxes", opts.Name, "home")
		if err := writeMeta(filepath.Join(data, "sandboxes", opts.Name), opts); err != nil {
			return "", "", err
		}
	}
	if err := os.MkdirAll(src, 0o700); err != nil {
		return "", "", fmt.Errorf("create sandbox home: %w", err)
	}
	return home, src, nil
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
