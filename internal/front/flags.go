package front

import (
	"fmt"
	"time"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/spf13/pflag"
)

// SandboxFlags are the flags run and enter share.
type SandboxFlags struct {
	name        string
	project     string
	hostname    string
	net         netFlags
	idleTimeout time.Duration
	env         []string
	envFiles    []string
	volumes     []string
	mounts      []string
	workdir     string
	user        string
	// throwaway is run's --rm: the sandbox is made one-off before the
	// image resolves, so nothing is pinned or cached for it.
	throwaway     bool
	limits        limitFlags
	image         imageFlags
	security      string
	allow         []string
	allowLocal    []string
	requireProc   bool
	requireStrict bool
}

// defaultSandboxFlags are the flags' values when none is given, as
// register sets them (a test holds the two together).
func defaultSandboxFlags() SandboxFlags {
	return SandboxFlags{idleTimeout: defaultIdleTimeout, image: imageFlags{tlsVerify: true}}
}

// defaultIdleTimeout is --idle-timeout's default.
const defaultIdleTimeout = 15 * time.Minute

// register adds the flags of run and enter but --user (registerUser) to
// fl; internal/cli adds their completions for the engine's commands.
func (f *SandboxFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.name, "name", "", "sandbox name (default: derived from the project directory)")
	fl.StringVar(&f.project, "project", "", "project directory, bound read-write (default: the nearest directory above holding devbox.toml, else the git work-tree root, else the current directory)")
	fl.StringVar(&f.hostname, "hostname", "", "hostname inside (default: the project's basename, with the hash when another sandbox has the same)")
	f.net.register(fl)
	fl.DurationVar(&f.idleTimeout, "idle-timeout", defaultIdleTimeout, "stop the sandbox after this long without sessions; 0 stops it with the last session")
	fl.VarP(newStringArray(&f.env), "env", "e", "set an environment variable in the session: NAME=VALUE, or NAME for the host's value (repeatable)")
	fl.Var(newStringArray(&f.envFiles), "env-file", "read environment variables from a file: NAME=VALUE or NAME lines, # comments (repeatable)")
	fl.VarP(newStringArray(&f.volumes), "volume", "v", "bind a host path: SRC:DST[:ro] (repeatable)")
	fl.Var(newStringArray(&f.mounts), "mount", "bind a host path: type=bind,source=SRC,target=DST[,readonly] (repeatable)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside (default: the current directory)")
	f.limits.register(fl, true)
	f.image.register(fl)
	fl.StringVar(&f.security, "security", "", "kernel-facing profile: default (seccomp filter, Podman's capabilities), unconfined (neither) or strict (no capabilities, egress allowlist, protected files; see docs/security.md)")
	fl.Var(newStringArray(&f.allow), "allow", "strict profile: let the sandbox reach PATTERN (host, *.domain, either with :port; default ports 80 and 443) through devbox's proxy (repeatable)")
	fl.Var(newStringArray(&f.allowLocal), "allow-local", "strict profile: let the sandbox reach PATTERN even where it resolves to a loopback, link-local or private address (repeatable)")
	fl.Bool("review", false, "show the sandbox the project through an overlay: its writes wait in the sandbox's own layer for 'devbox diff', 'devbox apply' or 'devbox discard' (project = \"review\")")
	fl.BoolVar(&f.requireStrict, "require-strict", false, "strict profile: fail (exit 125) instead of warning when the kernel's Landlock cannot enforce all of it (ABI 6 or newer needed)")
	fl.BoolVar(&f.requireProc, "require-proc", false, "fail (exit 125) instead of falling back to the outer /proc when the kernel refuses the sandbox a /proc of its own (a masked /proc in a container)")
}

// Register adds the sandbox's flags, run's and enter's but --user, to fl,
// for a command that starts a sandbox without a session (restart).
func (f *SandboxFlags) Register(fl *pflag.FlagSet) {
	f.register(fl)
}

// Pick sets the sandbox, and its project, the flags' options are of: what
// --name and --project would set.
func (f *SandboxFlags) Pick(name, project string) {
	f.name, f.project = name, project
}

// Options resolves the project and sandbox name, loads the config (the
// flags fl set over devbox.toml) and has the client complete it.
func (f *SandboxFlags) Options(fl *pflag.FlagSet, a *App) (sandbox.Options, error) {
	return f.options(fl, a)
}

// registerUser adds --user, for the commands that start a session.
func (f *SandboxFlags) registerUser(fl *pflag.FlagSet) {
	fl.StringVarP(&f.user, "user", "u", "", "run the session as root (uid 0 inside) or self (your own uid); default: the sandbox's user")
}

// options resolves the project and sandbox name, loads the config (flags
// over devbox.toml) and has the client complete it.
func (f *SandboxFlags) options(fl *pflag.FlagSet, a *App) (sandbox.Options, error) {
	opts, err := f.projectOptions(fl, a)
	if err != nil {
		return opts, err
	}
	return f.completeOptions(opts, a)
}

// completeOptions completes the options of the project (projectOptions):
// the front's hand-off, the trust check and the image.
func (f *SandboxFlags) completeOptions(opts sandbox.Options, a *App) (sandbox.Options, error) {
	if err := a.frontServe(&opts); err != nil {
		return opts, err
	}
	return sandbox.Prepare(opts, f.image.tlsVerify)
}

// projectOptions finds the project, names the sandbox and loads the config,
// without resolving the image.
func (f *SandboxFlags) projectOptions(fl *pflag.FlagSet, a *App) (sandbox.Options, error) {
	dir, err := f.projectDir(a)
	if err != nil {
		return sandbox.Options{}, err
	}
	opts := sandbox.Options{Project: dir, Warn: a.Stderr}
	opts.Name = f.name
	if opts.Name == "" {
		opts.Name = project.Name(dir)
	}
	if err := project.ValidateName(opts.Name); err != nil {
		return opts, UsageError{Err: err}
	}
	if err := applyConfig(fl, &opts); err != nil {
		return opts, err
	}
	if f.user != "" && f.user != config.UserRoot && f.user != config.UserSelf {
		return opts, UsageError{Err: fmt.Errorf("invalid --user %q: valid choices are root, self", f.user)}
	}
	opts.User = f.user
	opts.Plain = onlyName(fl)
	opts.Approve = askApproval(a)
	if f.throwaway {
		opts = sandbox.Throwaway(opts)
		opts.StartFlags = startFlags(fl)
	}
	return opts, nil
}

// projectDir is --project (its value resolved here), else the project the
// client finds from the current directory; the client refuses either when
// it cannot be a project.
func (f *SandboxFlags) projectDir(a *App) (string, error) {
	var dir string
	if f.project != "" {
		var err error
		if dir, err = project.Explicit(f.project); err != nil {
			return "", UsageError{Err: fmt.Errorf("invalid --project %q: %w", f.project, err)}
		}
	}
	return session.FindProject(dir, a.Stderr)
}

// SandboxOptions are the options of sandbox name (the project's own when
// name is empty) for the commands outside this package, whose flags fl
// may set config keys (flagKeys): the project found
// from the current directory, its devbox.toml, and the image resolved
// (pulled when missing, tlsVerify as --tls-verify).
func SandboxOptions(fl *pflag.FlagSet, a *App, name string, tlsVerify bool) (sandbox.Options, error) {
	f := SandboxFlags{name: name}
	f.image.tlsVerify = tlsVerify
	return f.options(fl, a)
}

// ProjectOptions is SandboxOptions without resolving the image.
func ProjectOptions(fl *pflag.FlagSet, a *App, name string) (sandbox.Options, error) {
	return (&SandboxFlags{name: name}).projectOptions(fl, a)
}

// startFlags are the flags of fl when it sets none but --rm, --name and
// --network: a command line the fast start can run (session.FastStart);
// else nil.
func startFlags(fl *pflag.FlagSet) *sandbox.StartFlags {
	sf, ok := &sandbox.StartFlags{}, true
	if fl != nil {
		fl.Visit(func(f *pflag.Flag) {
			switch f.Name {
			case "rm", "name":
			case "network":
				sf.Network, sf.NetworkSet = f.Value.String(), true
				ok = ok && session.ValidTicketNetwork(sf.Network)
			default:
				ok = false
			}
		})
	}
	if !ok {
		return nil
	}
	return sf
}

// onlyName reports whether fl (nil: no flags) sets no flag but --name: a
// command line the fast join can run (session.FastJoin).
func onlyName(fl *pflag.FlagSet) bool {
	only := true
	if fl != nil {
		fl.Visit(func(f *pflag.Flag) { only = only && f.Name == "name" })
	}
	return only
}
