package session

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/wire"
	"github.com/devbox-dev/devbox/shellinit"
)

// Template is what a session's request takes from the sandbox and its
// config, apart from what the client's own process brings (environment,
// directory, command): the client builds it from the loaded config
// (internal/sandbox), and a join ticket keeps it (ticket.go), so both ways
// of joining build one request with one function, Build.
type Template struct {
	Name    string
	Project string
	Home    string // the user's home on the host
	// Shell is the config's shell; empty takes $SHELL.
	Shell   string
	Workdir string // the config's workdir
	Pass    []string
	// Extra are devbox's own variables (rc hooks, caches, the agent
	// socket), then the display's when GUI, then Post (the kept user's
	// names, the strict profile's proxy).
	Extra []string
	GUI   bool
	Post  []string
	// KeepID runs the session as the invoking user (user = "self").
	KeepID *wire.KeepID
	// HostView is a sandbox without an image.
	HostView bool
	// ImageEnv, ImageWorkdir and ImageShell are an image sandbox's: its
	// Env, its WorkingDir (unless the config sets a workdir) and the shell
	// its Cmd names.
	ImageEnv     []string
	ImageWorkdir string
	ImageShell   string
	// Env is the config's env as sorted KEY=VALUE; in PATH's value, $PATH
	// and ${PATH} stand for the PATH the session has without it.
	Env []string
	// User, when set, is the joined sandbox's user, which a session
	// without --user runs as (WithUser).
	User string
}

// Inputs are what the client's process brings to a session's request.
type Inputs struct {
	Environ []string
	Getenv  func(string) string
	// Cwd is the current directory as the sandbox shows it (Cwd).
	Cwd       string
	ShortName string // ShortName of the sandbox
	Argv      []string
}

// ProcessInputs are this process's inputs for a session of argv in the
// sandbox name of project dir.
func ProcessInputs(name, dir string, argv []string) Inputs {
	return processInputs(ShortName(name, dir), argv)
}

// processInputs is ProcessInputs with the sandbox's short name known.
func processInputs(shortName string, argv []string) Inputs {
	return Inputs{Environ: os.Environ(), Getenv: os.Getenv, Cwd: Cwd(), ShortName: shortName, Argv: argv}
}

// Build is the session's request: environment (pass-through, devbox's
// own, the rc hooks, agent and display sockets, the image's Env, then the
// config's env last) and working directory (workdir, else the current
// directory, which the project bind makes valid, else the image's
// WorkingDir).
func (t Template) Build(in Inputs) wire.Spawn {
	shell := in.Getenv("SHELL")
	if t.Shell != "" {
		shell = t.Shell
	}
	cwd := in.Cwd
	if t.Workdir != "" {
		cwd = t.Workdir
	}
	s := shellinit.Session{Name: t.Name, ShortName: in.ShortName, Project: t.Project, Home: t.Home, Shell: shell, Path: t.hostPath(in), Pass: t.Pass}
	env := shellinit.Env(in.Environ, s, t.extra(in))
	req := wire.Spawn{Argv: in.Argv, Env: env, Cwd: cwd, DefaultCwd: t.Project, ShellHint: shell, KeepID: t.KeepID}
	req = t.image(req)
	req.Env = shellinit.WithPathVar(OverlayEnv(req.Env, ConfigEnv(t.Env, EnvValue(req.Env, "PATH"))))
	// In the host view the host's PATH is used as it is; init drops the
	// directories the sandbox does not show.
	req.FilterPath = t.HostView
	if t.HostView {
		req.Env = append(req.Env, shellinit.HostViewVar+"=1")
	}
	if t.User != "" {
		req = WithUser(req, t.User)
	}
	return req
}

// extra is devbox's own part of the session's environment.
func (t Template) extra(in Inputs) []string {
	out := slices.Clone(t.Extra)
	if t.GUI {
		out = append(out, GUIEnv(in.Getenv)...)
	}
	return append(out, t.Post...)
}

// hostPath is the host's PATH for a host-view session; an image sandbox
// starts from the image's Env or devbox's default.
func (t Template) hostPath(in Inputs) string {
	if !t.HostView {
		return ""
	}
	return in.Getenv("PATH")
}

// image applies the image's Env (over the host's), default shell, and
// WorkingDir: a session without a workdir starts in the current directory
// when the sandbox shows it (the project), else in WorkingDir.
func (t Template) image(req wire.Spawn) wire.Spawn {
	if t.HostView {
		return req
	}
	if t.ImageWorkdir != "" {
		req.DefaultCwd = t.ImageWorkdir
	}
	req.Env = OverlayEnv(req.Env, t.ImageEnv)
	if t.ImageShell != "" {
		req.ShellHint = t.ImageShell
	}
	return req
}

// UserSelf is the user = "self" of devbox.toml (config.UserSelf): the
// invoking user's own ids.
const UserSelf = "self"

// KeepsID reports whether a session as user needs its own ids kept: self
// for anyone but root, whose own ids are the sandbox's root already (devbox
// run as a container's root: no nested namespace for nothing).
func KeepsID(user string) bool {
	return user == UserSelf && os.Getuid() != 0
}

// Self is the invoking user's ids, kept inside for user = "self".
func Self() *wire.KeepID {
	return &wire.KeepID{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
}

// WithUser returns req running as user: self keeps the invoking user's ids
// (and sets USER and LOGNAME to their name), root is uid 0 inside.
func WithUser(req wire.Spawn, user string) wire.Spawn {
	name := "root"
	req.KeepID = nil
	if KeepsID(user) {
		req.KeepID = Self()
		if n, ok := UserName(); ok {
			name = n
		}
	}
	req.Env = OverlayEnv(req.Env, []string{"USER=" + name, "LOGNAME=" + name})
	return req
}

// OverlayEnv sets each KEY=VALUE of over in env, replacing the same key.
func OverlayEnv(env, over []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, e := range out {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// ConfigEnv is the config's env (KEY=VALUE) with, in a PATH value, $PATH
// and ${PATH} replaced by path.
func ConfigEnv(env []string, path string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + strings.NewReplacer("${PATH}", path, "$PATH", path).Replace(v)
		}
		out = append(out, kv)
	}
	return out
}

// EnvValue is the value of key in env, the last one when repeated.
func EnvValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// DefaultShell is the image's Cmd when it is a shell (debian's "bash",
// busybox's "sh").
func DefaultShell(cmd []string) string {
	if len(cmd) != 1 {
		return ""
	}
	if !strings.HasSuffix(path.Base(cmd[0]), "sh") {
		return ""
	}
	if !path.IsAbs(cmd[0]) {
		return "/bin/" + cmd[0]
	}
	return cmd[0]
}

// WaylandDir is where a session finds the Wayland socket inside.
const WaylandDir = "/run/devbox"

// WaylandSocket is the host's Wayland socket that WAYLAND_DISPLAY names.
func WaylandSocket(getenv func(string) string) string {
	w := getenv("WAYLAND_DISPLAY")
	if w == "" || filepath.IsAbs(w) {
		return w
	}
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" {
		return filepath.Join(rt, w)
	}
	return ""
}

// GUIEnv returns the display variables a session needs for the sandbox's
// display mounts.
func GUIEnv(getenv func(string) string) []string {
	var out []string
	if d := getenv("DISPLAY"); d != "" {
		out = append(out, "DISPLAY="+d)
	}
	if x := getenv("XAUTHORITY"); x != "" {
		out = append(out, "XAUTHORITY="+x)
	}
	if w := WaylandSocket(getenv); w != "" {
		out = append(out, "WAYLAND_DISPLAY="+filepath.Join(WaylandDir, filepath.Base(w)))
	}
	return out
}

// Cwd is the current directory as the sandbox shows it: the real path,
// since the project is bound at its real path and a symlink leading to it
// on the host (the logical $PWD) does not exist inside.
func Cwd() string {
	cwd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return project.RealPath(cwd) // resolved already by FindProject
}

// InstallFailed reports whether a host-view run of a package installer
// (apt, apt-get, dpkg, pip) failed on its own with status code, which the
// host's read-only /usr explains: devbox run then says so
// (shellinit.InstallHint), as an interactive shell's wrappers do.
func InstallFailed(code int, hostView bool, cmd string) bool {
	if !hostView || code == 0 || code >= 125 {
		return false
	}
	name := filepath.Base(cmd)
	return name == "apt-get" || slices.Contains(shellinit.InstallTools, name)
}
