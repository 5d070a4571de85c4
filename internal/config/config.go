package config

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
)

// FileName is the per-project configuration file.
const FileName = "devbox.toml"

// Config is the effective, validated configuration of one sandbox.
type Config struct {
	// Image is the OCI image of the root filesystem; empty means the host
	// view (the host's own root, read-only).
	Image    string
	Hostname string
	// Network, Ports and AllowHostLoopback are parsed and checked here; the
	// network drivers interpret them. Network is one of slirpnet.Names(), or
	// empty for the default driver, which the client picks (slirpnet.Default).
	Network           string
	Ports             []string
	AllowHostLoopback bool
	// Env is applied last in every session, over devbox's own variables.
	Env map[string]string
	// EnvPass are glob patterns of host variables passed through to every
	// session, beside the default list (shellinit): [env] pass = [...].
	EnvPass []string
	Mounts  []Mount
	// Home is "private" (a persistent per-sandbox home), "host" (the real
	// home bound read-write) or "ro" (the real home read-only).
	Home   string
	Limits Limits
	// Shell is the login shell inside; empty picks $SHELL, bash, then sh.
	Shell string
	// Workdir is the session's directory inside; empty is the current one.
	Workdir     string
	IdleTimeout time.Duration
	// Setup commands run once, in order, as root inside (sh -c).
	Setup           []string
	ForwardSSHAgent bool
	GUI             bool
	// User is "root" (the invoking user is uid 0 inside), "self" (the
	// invoking user keeps their uid and name inside), or empty: the
	// default, self, which a running sandbox started with another user
	// keeps until 'devbox restart' (see UserMode and JoinChanges).
	User string
	// Security is the kernel-facing profile: "default" (seccomp filter,
	// cut capabilities), "unconfined" or "strict" (docs/security.md).
	Security string
	// HomeFiles are files and directories of the user's home bound into a
	// private home at the same place (home_files), read-only unless
	// marked ":rw"; missing ones are skipped.
	HomeFiles []HomeFile
	// Cache shares one devbox-wide package cache per user (Go, npm, pip,
	// cargo) into a private home; nil is the default, on except under the
	// strict security profile: a cache shared between sandboxes is a
	// channel between them (docs/security.md). See CacheOn.
	Cache *bool
	// Egress is the [egress] table: the strict profile's network allowlist.
	Egress Egress
	// RequireNetwork makes the fallback to network none (no helper, or no
	// usable /dev/net/tun, when no network is named) an error; RequireProc
	// makes the fallback for a /proc the kernel refuses to mount (a masked
	// /proc in a container) an error. Both fallbacks warn otherwise.
	RequireNetwork bool
	RequireProc    bool
	// Project is how the sandbox sees the project: "bind" (the default,
	// also when empty: the real directory, read-write) or "review" (an
	// overlay whose writes land in the sandbox's own layer until 'devbox
	// apply'; internal/review).
	Project string
	// RequireStrict makes a kernel that cannot enforce all of the strict
	// profile's Landlock rules (ABI 6) an error; it warns otherwise.
	RequireStrict bool
	// Protect are project-relative paths a strict sandbox may not write
	// or create, beside internal/protect's defaults unless ProtectDefaults
	// is false; GitWrites lets it commit (only git's control files stay
	// protected instead of the whole .git).
	Protect         []string
	ProtectDefaults bool
	GitWrites       bool
	// DenyRead are absolute paths of the sandbox's view hidden from it
	// (an empty, unreadable directory or file in their place).
	DenyRead []string
}

// HomeFile is one entry of home_files: Path is relative to the home.
type HomeFile struct {
	Path     string
	Writable bool
}

// Egress is the [egress] table; each list holds patterns of package
// egress. An empty Allow and AllowLocal mean no network at all.
type Egress struct {
	Allow      []string
	Deny       []string
	AllowLocal []string
}

// Empty reports whether the table says nothing.
func (e Egress) Empty() bool {
	return len(e.Allow)+len(e.Deny)+len(e.AllowLocal) == 0
}

// Mount is an extra bind mount; Source is an absolute host path.
type Mount struct {
	Source   string
	Target   string
	ReadOnly bool
}

// Limits is the [limits] table: the cgroup limits (zero is no limit) and
// whether they must be enforced.
type Limits struct {
	cgroupv2.Limits
	// Required makes a host that cannot enforce the limits an error rather
	// than a warning.
	Required bool
}

// Home modes and user modes.
const (
	HomePrivate = "private"
	HomeHost    = "host"
	HomeRO      = "ro"
	UserRoot    = "root"
	UserSelf    = "self"
)

// Project modes: the values of project.
const (
	ProjectBind   = "bind"
	ProjectReview = "review"
)

// Review reports whether the sandbox sees the project through a review
// overlay.
func (c Config) Review() bool { return c.Project == ProjectReview }

// Security profiles: the values of security.
const (
	SecurityDefault    = "default"
	SecurityUnconfined = "unconfined"
	SecurityStrict     = "strict"
)

// Securities are the valid values of security.
var Securities = []string{SecurityDefault, SecurityUnconfined, SecurityStrict}

// DefaultIdleTimeout stops an unused sandbox after this long.
const DefaultIdleTimeout = 15 * time.Minute

// Defaults returns the configuration used where neither the file nor a flag
// says otherwise.
func Defaults() Config {
	return Config{
		Home:            HomePrivate,
		Security:        SecurityDefault,
		ProtectDefaults: true,
		IdleTimeout:     DefaultIdleTimeout,
		Env:             map[string]string{},
	}
}

// CacheOn reports whether the sandbox gets the shared package cache:
// cache as set, else on for every profile but strict.
func (c Config) CacheOn() bool {
	if c.Cache == nil {
		return c.Security != SecurityStrict
	}
	return *c.Cache
}

// UserMode is the user sessions run as: User, or self by default.
func (c Config) UserMode() string {
	if c.User == "" {
		return UserSelf
	}
	return c.User
}

// sessionKeys take effect in each new session (setup re-runs by itself when
// its steps change), so a running sandbox never needs a restart for them.
var sessionKeys = map[string]bool{"env": true, "shell": true, "workdir": true, "setup": true}

// SandboxValues returns the canonical value of every key that shapes the
// sandbox when it starts (not the per-session ones), for recording in the
// sandbox's state and comparing on join.
func (c Config) SandboxValues() map[string]string {
	all := c.values()
	for k := range sessionKeys {
		delete(all, k)
	}
	return all
}

func (c Config) values() map[string]string {
	var mounts []string
	for _, m := range c.Mounts {
		s := m.Source + ":" + m.Target
		if m.ReadOnly {
			s += ":ro"
		}
		mounts = append(mounts, s)
	}
	var env []string
	for k, v := range c.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	if len(c.EnvPass) > 0 {
		env = append(env, "pass="+strings.Join(c.EnvPass, ","))
	}
	return map[string]string{
		"image":               c.Image,
		"hostname":            c.Hostname,
		"network":             c.Network,
		"ports":               strings.Join(c.Ports, ","),
		"allow_host_loopback": strconv.FormatBool(c.AllowHostLoopback),
		"env":                 strings.Join(env, " "),
		"mounts":              strings.Join(mounts, ","),
		"home":                c.Home,
		"limits":              limitsValue(c.Limits),
		"shell":               c.Shell,
		"workdir":             c.Workdir,
		"idle_timeout":        c.IdleTimeout.String(),
		"setup":               strings.Join(c.Setup, "\n"),
		"forward_ssh_agent":   strconv.FormatBool(c.ForwardSSHAgent),
		"gui":                 strconv.FormatBool(c.GUI),
		"user":                c.User,
		"security":            c.Security,
		"home_files":          homeFilesValue(c.HomeFiles),
		"cache":               strconv.FormatBool(c.CacheOn()),
		"egress":              egressValue(c.Egress),
		"require_network":     strconv.FormatBool(c.RequireNetwork),
		"require_proc":        strconv.FormatBool(c.RequireProc),
		"project":             projectValue(c.Project),
		"require_strict":      strconv.FormatBool(c.RequireStrict),
		"protect":             strings.Join(c.Protect, ","),
		"protect_defaults":    strconv.FormatBool(c.ProtectDefaults),
		"git_writes":          strconv.FormatBool(c.GitWrites),
		"deny_read":           strings.Join(c.DenyRead, ","),
	}
}

// Hash is a short digest of canonical key values.
func Hash(values map[string]string) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := make([]byte, 0, 1024)
	for _, k := range keys {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, values[k])
		b = append(b, '\n')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Changed lists the keys whose values differ between two SandboxValues
// maps, sorted.
func Changed(old, cur map[string]string) []string {
	var out []string
	for k, v := range cur {
		if old[k] != v {
			out = append(out, k)
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// projectValue is "review" or "": the default mode records as nothing, so
// a sandbox started before the key existed is not changed by it.
func projectValue(p string) string {
	if p == ProjectReview {
		return p
	}
	return ""
}

func limitsValue(l Limits) string {
	swap := "unset"
	if l.MemorySwap != nil {
		swap = strconv.FormatInt(*l.MemorySwap, 10)
	}
	// fmt's %d, %g and %t, without fmt: every join hashes these values.
	return "memory=" + strconv.FormatInt(l.Memory, 10) + " memory_swap=" + swap + " pids=" + strconv.FormatInt(l.Pids, 10) +
		" cpus=" + strconv.FormatFloat(l.CPUs, 'g', -1, 64) + " cpu_weight=" + strconv.FormatUint(l.CPUWeight, 10) + " required=" + strconv.FormatBool(l.Required)
}

func homeFilesValue(files []HomeFile) string {
	var out []string
	for _, f := range files {
		s := "~/" + f.Path
		if f.Writable {
			s += ":rw"
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func egressValue(e Egress) string {
	if e.Empty() {
		return ""
	}
	return "allow=" + strings.Join(e.Allow, ",") + " deny=" + strings.Join(e.Deny, ",") + " allow_local=" + strings.Join(e.AllowLocal, ",")
}
