package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/shellinit"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagKeys maps command-line flags to the config keys they override. A
// prefix makes the flag one field of a table key ("--memory 1g" is limits
// "memory=1g"). Flags not listed here are not config keys (--name, --rm).
var flagKeys = map[string]struct{ key, prefix string }{
	"image":               {"image", ""},
	"hostname":            {"hostname", ""},
	"network":             {"network", ""},
	"publish":             {"ports", ""},
	"allow-host-loopback": {"allow_host_loopback", ""},
	"idle-timeout":        {"idle_timeout", ""},
	"env":                 {"env", ""},
	"workdir":             {"workdir", ""},
	"memory":              {"limits", "memory="},
	"memory-swap":         {"limits", "memory_swap="},
	"pids":                {"limits", "pids="},
	"cpus":                {"limits", "cpus="},
	"cpu-weight":          {"limits", "cpu_weight="},
	"require-limits":      {"limits", "required="},
}

// loadConfig builds the one validated Config: defaults, then the project's
// devbox.toml, then the flags the user set.
func loadConfig(cmd *cobra.Command, dir string) (config.Config, error) {
	return config.Load(configName(dir), configContext(dir), flagOverrides(cmd))
}

func configContext(dir string) config.Context {
	return config.Context{Project: dir, Home: hostHome()}
}

// flagOverrides lists the config keys the user set with flags.
func flagOverrides(cmd *cobra.Command) []config.Override {
	var over []config.Override
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		fk, ok := flagKeys[fl.Name]
		if !ok {
			return
		}
		for _, v := range flagValues(fl) {
			over = append(over, config.Override{Flag: fl.Name, Key: fk.key, Value: fk.prefix + v})
		}
	})
	return over
}

// flagValues returns every value of a repeatable flag, or the one value.
func flagValues(fl *pflag.Flag) []string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return []string{fl.Value.String()}
}

// configName is how devbox.toml is named in messages: relative to the
// current directory when it is below it, else absolute.
func configName(dir string) string {
	p := filepath.Join(dir, config.FileName)
	if cwd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(cwd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

// hostHome is the invoking user's home directory on the host.
func hostHome() string {
	if u, err := user.Current(); err == nil && u.HomeDir != "" && u.HomeDir != "/" {
		return u.HomeDir
	}
	return os.Getenv("HOME")
}

// applyConfig loads the config into opts: the sandbox-level values the
// supervisor needs, and the whole Config for the session and setup.
func applyConfig(cmd *cobra.Command, opts *sandbox.Options) error {
	c, err := loadConfig(cmd, opts.Project)
	if err != nil {
		return err
	}
	opts.Config = c
	// The file alone (already validated above) and the keys flags set, so a
	// join tells a changed devbox.toml from flags it does not repeat.
	if opts.FileConfig, err = config.Load(configName(opts.Project), configContext(opts.Project), nil); err != nil {
		return err
	}
	opts.FlagKeys = map[string]bool{}
	for _, o := range flagOverrides(cmd) {
		opts.FlagKeys[o.Key] = true
	}
	return nil
}

// sessionRequest builds a session: environment (pass-through, devbox's own,
// the rc hooks, agent and display sockets, then the config's env last) and
// working directory (workdir, else the current directory, which the project
// bind makes valid).
func sessionRequest(opts sandbox.Options, argv []string) proto.Spawn {
	c := opts.Config
	shell := os.Getenv("SHELL")
	if c.Shell != "" {
		shell = c.Shell
	}
	cwd, _ := os.Getwd()
	if c.Workdir != "" {
		cwd = c.Workdir
	}
	extra := shellinit.RCEnv()
	if c.ForwardSSHAgent {
		extra = append(extra, "SSH_AUTH_SOCK="+sandbox.SSHAgentSocket)
	}
	if c.GUI {
		extra = append(extra, sandbox.GUIEnv(os.Getenv)...)
	}
	var keep *proto.KeepID
	if c.User == config.UserSelf {
		keep = &proto.KeepID{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
		if u, err := user.Current(); err == nil {
			extra = append(extra, "USER="+u.Username, "LOGNAME="+u.Username)
		}
	}
	for k, v := range c.Env {
		extra = append(extra, k+"="+v)
	}
	s := shellinit.Session{Name: opts.Name, Project: opts.Project, Home: hostHome(), Shell: shell}
	env := shellinit.Env(os.Environ(), s, extra)
	return proto.Spawn{Argv: argv, Env: env, Cwd: cwd, ShellHint: shell, KeepID: keep}
}

// welcome prints the one-line welcome of an interactive shell, on stderr.
func welcome(a *app, opts sandbox.Options) {
	fmt.Fprintln(a.stderr, shellinit.Welcome(opts.Name, opts.Project))
}
