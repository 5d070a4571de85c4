package front

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/pflag"
)

// flagKeys maps command-line flags to the config keys they override. A
// prefix makes the flag one field of a table key ("--memory 1g" is limits
// "memory=1g"); a boolean flag with on and off sets a key's value
// ("--review" is project "review"). Flags not listed here are not config
// keys (--name, --rm).
var flagKeys = map[string]struct{ key, prefix, on, off string }{
	"image":               {key: "image"},
	"hostname":            {key: "hostname"},
	"network":             {key: "network"},
	"publish":             {key: "ports"},
	"allow-host-loopback": {key: "allow_host_loopback"},
	"idle-timeout":        {key: "idle_timeout"},
	"env":                 {key: "env"},
	"volume":              {key: "mounts"},
	"mount":               {key: "mounts"},
	"workdir":             {key: "workdir"},
	"memory":              {key: "limits", prefix: "memory="},
	"memory-swap":         {key: "limits", prefix: "memory_swap="},
	"pids":                {key: "limits", prefix: "pids="},
	"cpus":                {key: "limits", prefix: "cpus="},
	"cpu-weight":          {key: "limits", prefix: "cpu_weight="},
	"require-limits":      {key: "limits", prefix: "required="},
	"security":            {key: "security"},
	"allow":               {key: "egress", prefix: "allow="},
	"allow-local":         {key: "egress", prefix: "allow_local="},
	"require-network":     {key: "require_network"},
	"require-proc":        {key: "require_proc"},
	"require-strict":      {key: "require_strict"},
	"review":              {key: "project", on: config.ProjectReview, off: config.ProjectBind},
}

// ConfigContext is what a config of project dir is loaded with.
func ConfigContext(dir string) config.Context {
	return config.Context{Project: dir, Home: sandbox.HostHome(), LookupEnv: os.LookupEnv}
}

// FlagOverrides lists the config keys the user set with flags fl (nil:
// none). The variables of --env-file come first, so -e overrides them, as
// in docker run.
func FlagOverrides(fs *pflag.FlagSet) ([]config.Override, error) {
	if fs == nil {
		return nil, nil
	}
	over, err := envFileOverrides(fs)
	if err != nil {
		return nil, err
	}
	fs.Visit(func(fl *pflag.Flag) {
		fk, ok := flagKeys[fl.Name]
		if !ok {
			return
		}
		for _, v := range flagValues(fl) {
			if fk.on != "" {
				v = map[bool]string{true: fk.on, false: fk.off}[v == "true"]
			}
			over = append(over, config.Override{Flag: fl.Name, Key: fk.key, Value: fk.prefix + v})
		}
	})
	return over, nil
}

// envFileOverrides reads each --env-file into env overrides.
func envFileOverrides(fs *pflag.FlagSet) ([]config.Override, error) {
	fl := fs.Lookup("env-file")
	if fl == nil || !fl.Changed {
		return nil, nil
	}
	var over []config.Override
	for _, file := range flagValues(fl) {
		vars, err := config.ReadEnvFile(file, os.LookupEnv)
		if err != nil {
			return nil, err
		}
		for _, kv := range vars {
			over = append(over, config.Override{Flag: "env-file", Key: "env", Value: kv})
		}
	}
	return over, nil
}

// flagValues returns every value of a repeatable flag, or the one value.
func flagValues(fl *pflag.Flag) []string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return []string{fl.Value.String()}
}

// ConfigName is how devbox.toml is named in messages: relative to the
// current directory when it is below it, else absolute.
func ConfigName(dir string) string {
	p := filepath.Join(dir, config.FileName)
	if cwd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(cwd, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

// applyConfig loads the config into opts: the sandbox-level values the
// supervisor needs, and the whole Config for the session and setup.
func applyConfig(fl *pflag.FlagSet, opts *sandbox.Options) error {
	over, err := FlagOverrides(fl)
	if err != nil {
		return err
	}
	name, ctx := ConfigName(opts.Project), ConfigContext(opts.Project)
	// The file alone (validated key by key) and the keys flags set, so a
	// join tells a changed devbox.toml from flags it does not repeat.
	if opts.FileConfig, opts.FileDigest, opts.FileEnv, err = config.LoadFileRecorded(name, ctx); err != nil {
		return err
	}
	if opts.Config, err = effectiveConfig(opts.FileConfig, name, ctx, over); err != nil {
		return err
	}
	opts.FlagKeys = map[string]bool{}
	for _, o := range over {
		opts.FlagKeys[o.Key] = true
	}
	return nil
}

// effectiveConfig is file with the flags' overrides, validated. Without
// overrides it is file itself, checked, rather than a second read and parse
// of devbox.toml (the common join, 'devbox run -- CMD').
func effectiveConfig(file config.Config, name string, ctx config.Context, over []config.Override) (config.Config, error) {
	if len(over) == 0 {
		return file, file.Check()
	}
	return config.Load(name, ctx, over)
}
