package config

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/slirpnet"
)

// Context is what resolving values needs: the project directory (relative
// paths), the invoking user's home (~) and, for -e NAME, the host's
// environment (nil: no host values).
type Context struct {
	Project   string
	Home      string
	LookupEnv func(string) (string, bool)
}

// key is one configuration key: how a value (from TOML or a flag string)
// becomes part of a Config. Errors are problems with the value; the caller
// adds the position.
type key struct {
	name string
	set  func(c *Config, v any, ctx Context) error
}

// keys is every top-level key, in documentation order.
var keys = []key{
	{"image", func(c *Config, v any, _ Context) error { return setString(&c.Image, v, nonEmpty) }},
	{"hostname", func(c *Config, v any, _ Context) error { return setString(&c.Hostname, v, project.ValidateHostname) }},
	{"network", func(c *Config, v any, _ Context) error { return setString(&c.Network, v, oneOf(slirpnet.Names())) }},
	{"ports", setPorts},
	{"allow_host_loopback", func(c *Config, v any, _ Context) error { return setBool(&c.AllowHostLoopback, v) }},
	{"env", setEnv},
	{"mounts", setMounts},
	{"home", func(c *Config, v any, _ Context) error {
		return setString(&c.Home, v, oneOf([]string{HomePrivate, HomeHost, HomeRO}))
	}},
	{"limits", setLimits},
	{"shell", func(c *Config, v any, _ Context) error { return setString(&c.Shell, v, absolute) }},
	{"workdir", setWorkdir},
	{"idle_timeout", setIdleTimeout},
	{"setup", setSetup},
	{"forward_ssh_agent", func(c *Config, v any, _ Context) error { return setBool(&c.ForwardSSHAgent, v) }},
	{"gui", func(c *Config, v any, _ Context) error { return setBool(&c.GUI, v) }},
	{"user", func(c *Config, v any, _ Context) error {
		return setString(&c.User, v, oneOf([]string{UserRoot, UserSelf}))
	}},
	{"home_files", setHomeFiles},
	{"cache", func(c *Config, v any, _ Context) error {
		c.Cache = new(bool)
		return setBool(c.Cache, v)
	}},
	{"security", func(c *Config, v any, _ Context) error {
		return setString(&c.Security, v, oneOf(Securities))
	}},
	{"egress", setEgress},
	{"require_network", func(c *Config, v any, _ Context) error { return setBool(&c.RequireNetwork, v) }},
	{"require_proc", func(c *Config, v any, _ Context) error { return setBool(&c.RequireProc, v) }},
	{"project", func(c *Config, v any, _ Context) error {
		return setString(&c.Project, v, oneOf([]string{ProjectBind, ProjectReview}))
	}},
	{"require_strict", func(c *Config, v any, _ Context) error { return setBool(&c.RequireStrict, v) }},
	{"protect", setProtect},
	{"protect_defaults", func(c *Config, v any, _ Context) error { return setBool(&c.ProtectDefaults, v) }},
	{"git_writes", func(c *Config, v any, _ Context) error { return setBool(&c.GitWrites, v) }},
	{"deny_read", setDenyRead},
}

// Keys returns the valid top-level key names.
func Keys() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.name
	}
	return out
}

func lookupKey(name string) (key, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}

// typeName names a decoded TOML value's type for messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

func wrongType(want string, v any) error {
	return fmt.Errorf("want %s, got %s", want, typeName(v))
}

// flagValue is a value typed on the command line. Keys that take a table in
// the file (env, mounts, limits) take one entry of it as a flag string.
type flagValue string

// plain unwraps a flag value into the string a TOML file would give.
func plain(v any) any {
	if f, ok := v.(flagValue); ok {
		return string(f)
	}
	return v
}

func setString(dst *string, v any, check func(string) error) error {
	s, ok := plain(v).(string)
	if !ok {
		return wrongType("a string", v)
	}
	if err := check(s); err != nil {
		return err
	}
	*dst = s
	return nil
}

// setBool takes a TOML boolean, or "true"/"false" from a flag.
func setBool(dst *bool, v any) error {
	switch b := plain(v).(type) {
	case bool:
		*dst = b
		return nil
	case string:
		p, err := strconv.ParseBool(b)
		if err != nil {
			return fmt.Errorf("invalid value %q: valid choices are true, false", b)
		}
		*dst = p
		return nil
	}
	return wrongType("a boolean (true or false)", v)
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func absolute(s string) error {
	if !filepath.IsAbs(s) {
		return fmt.Errorf("invalid value %q: want an absolute path", s)
	}
	return nil
}

func oneOf(choices []string) func(string) error {
	return func(s string) error {
		if slices.Contains(choices, s) {
			return nil
		}
		msg := fmt.Sprintf("invalid value %q: valid choices are %s", s, strings.Join(choices, ", "))
		if best := closest(s, choices); best != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", best)
		}
		return errors.New(msg)
	}
}

// stringList returns a TOML array of strings (or a single flag string).
func stringList(v any, what string) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		if s, ok := v.(flagValue); ok {
			return []string{string(s)}, nil
		}
		return nil, wrongType("an array of "+what, v)
	}
	out := make([]string, 0, len(arr))
	for i, x := range arr {
		s, ok := x.(string)
		if !ok {
			if n, isInt := x.(int64); isInt && what == "port specs" {
				s = strconv.FormatInt(n, 10)
			} else {
				return nil, fmt.Errorf("element %d: %w", i+1, wrongType("a string", x))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// portUsage follows a bad port spec, from the file or -p alike.
const portUsage = `want [[HOST_IP:]HOST_PORT:]PORT[/tcp|/udp], e.g. "8080", "8080:80", "127.0.0.1:5432:5432/tcp" or "[::1]:8080:80"`

// setPorts checks each spec with the parser the network drivers use, so a
// spec is accepted here exactly when it can be published.
func setPorts(c *Config, v any, _ Context) error {
	ports, err := stringList(v, "port specs")
	if err != nil {
		return err
	}
	for _, p := range ports {
		if _, err := slirpnet.ParsePortSpec(p); err != nil {
			return fmt.Errorf("%w; %s", err, portUsage)
		}
	}
	c.Ports = ports
	return nil
}

// setEnv merges a table (file) or a KEY=VALUE string (flag) into Env. A
// flag NAME without "=" takes the host's value, as docker run -e does, and
// sets nothing when the host has none. In the table, pass = [...] (an
// array, where a variable's value is a string) adds glob patterns of host
// variables to pass through.
func setEnv(c *Config, v any, ctx Context) error {
	if c.Env == nil {
		c.Env = map[string]string{}
	}
	if s, ok := v.(flagValue); ok {
		return setEnvFlag(c, string(s), ctx)
	}
	t, ok := v.(map[string]any)
	if !ok {
		return wrongType("a table of NAME = \"value\"", v)
	}
	for _, k := range sortedKeys(t) {
		if err := checkEnvName(k); err != nil {
			return err
		}
		switch x := t[k].(type) {
		case string:
			c.Env[k] = x
		case int64, float64, bool:
			c.Env[k] = fmt.Sprint(x)
		case []any:
			if k != "pass" {
				return fmt.Errorf("%s: %w", k, wrongType("a string", x))
			}
			if err := setEnvPass(c, x); err != nil {
				return &fieldError{field: k, err: err}
			}
		default:
			return fmt.Errorf("%s: %w", k, wrongType("a string", x))
		}
	}
	return nil
}

func setEnvFlag(c *Config, s string, ctx Context) error {
	k, val, found := strings.Cut(s, "=")
	if err := checkEnvName(k); err != nil {
		return fmt.Errorf("invalid value %q: want NAME=VALUE, or NAME for the host's value", s)
	}
	if !found {
		if ctx.LookupEnv == nil {
			return nil
		}
		if val, found = ctx.LookupEnv(k); !found {
			return nil
		}
	}
	c.Env[k] = val
	return nil
}

func checkEnvName(k string) error {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return fmt.Errorf("invalid variable name %q", k)
	}
	return nil
}

// setEnvPass checks the pass-through patterns (path.Match globs).
func setEnvPass(c *Config, arr []any) error {
	pats, err := stringList(arr, "variable names or patterns")
	if err != nil {
		return err
	}
	for _, p := range pats {
		if _, err := path.Match(p, ""); err != nil || p == "" || strings.ContainsAny(p, "=\x00") {
			return fmt.Errorf("invalid pattern %q: want a variable name or a glob such as \"AWS_REGION\" or \"MY_*\"", p)
		}
	}
	c.EnvPass = append(c.EnvPass, pats...)
	return nil
}

func setWorkdir(c *Config, v any, ctx Context) error {
	var s string
	if err := setString(&s, v, nonEmpty); err != nil {
		return err
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(ctx.Project, s)
	}
	c.Workdir = filepath.Clean(s)
	return nil
}

func setIdleTimeout(c *Config, v any, _ Context) error {
	var s string
	if err := setString(&s, v, nonEmpty); err != nil {
		return fmt.Errorf("%w (a duration such as \"15m\", \"1h\" or \"0\")", err)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("invalid duration %q: want a duration of 0 or more such as \"15m\", \"1h30m\" or \"0\" (stop with the last session)", s)
	}
	c.IdleTimeout = d
	return nil
}

func setSetup(c *Config, v any, _ Context) error {
	steps, err := stringList(v, "commands")
	if err != nil {
		return err
	}
	for i, s := range steps {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("step %d is empty", i+1)
		}
	}
	c.Setup = steps
	return nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// setHomeFiles takes paths in the user's home ("~/.vimrc", ".config/nvim"),
// each read-only unless it ends in ":rw".
func setHomeFiles(c *Config, v any, _ Context) error {
	list, err := stringList(v, "paths in your home")
	if err != nil {
		return err
	}
	var out []HomeFile
	for _, s := range list {
		f, err := parseHomeFile(s)
		if err != nil {
			return err
		}
		out = append(out, f)
	}
	c.HomeFiles = out
	return nil
}

func parseHomeFile(s string) (HomeFile, error) {
	var f HomeFile
	p, mode, hasMode := strings.Cut(s, ":")
	switch {
	case !hasMode:
	case mode == "rw":
		f.Writable = true
	case mode == "ro":
	default:
		return f, fmt.Errorf("invalid value %q: the mode after ':' is ro or rw", s)
	}
	p = strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/")
	clean := filepath.Clean(p)
	if strings.HasPrefix(strings.TrimPrefix(s, "~"), "/") && !strings.HasPrefix(s, "~/") || p == "" || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return f, fmt.Errorf("invalid value %q: want a path in your home, such as \"~/.vimrc\" or \".config/nvim\"", s)
	}
	f.Path = clean
	return f, nil
}
