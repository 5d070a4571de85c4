package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/devbox-dev/devbox/slirpnet"
)

// Change is one way a config gives the sandbox more access to the host than
// another: Key is the config key, Desc says what widened in words a user
// can check against the file.
type Change struct {
	Key  string
	Desc string
}

func (c Change) String() string { return c.Key + ": " + c.Desc }

// Widening lists what cur allows that old does not: the changes 'devbox
// trust' must approve before a devbox.toml runs. A change that only narrows
// access (a mount removed, a limit lowered, gui turned off) is not listed.
// The order is the order of widenRules, then of the file.
func Widening(old, cur Config) []Change {
	var out []Change
	for _, rule := range widenRules {
		out = append(out, rule(old, cur)...)
	}
	return out
}

// widenRule reports the widening changes of one key.
type widenRule func(old, cur Config) []Change

// widenRules are the keys that give access to the host. Keys that only
// shape the sandbox from inside (hostname, shell, workdir, setup,
// idle_timeout, user) are not here: code in the sandbox can change those
// effects itself.
var widenRules = []widenRule{
	mountsWider,
	ranked("home", func(c Config) string { return c.Home }, order(HomePrivate, HomeRO, HomeHost),
		map[string]string{HomeRO: "the host's home is visible (read-only)", HomeHost: "the host's home is writable"}),
	switchedOn("gui", func(c Config) bool { return c.GUI }, "the host's X11 and Wayland displays are reachable"),
	switchedOn("forward_ssh_agent", func(c Config) bool { return c.ForwardSSHAgent }, "the host's ssh-agent signs for the sandbox"),
	ranked("network", networkName, networkRank, map[string]string{
		"default": "the sandbox reaches the network", slirpnet.Slirp4netns.Name(): "the sandbox reaches the network", slirpnet.Pasta.Name(): "the sandbox reaches the network",
		slirpnet.Host.Name(): "the sandbox shares the host's network, including its loopback services",
	}),
	switchedOn("allow_host_loopback", func(c Config) bool { return c.AllowHostLoopback }, "the sandbox reaches services on the host's 127.0.0.1"),
	portsWider,
	limitsWider,
	imageWider,
	envWider,
	ranked("security", func(c Config) string { return c.Security }, order(SecurityStrict, SecurityDefault, SecurityUnconfined),
		map[string]string{
			SecurityDefault:    "strict's proxy-only network, no_new_privs and stricter filter are lifted",
			SecurityUnconfined: "no seccomp filter, all capabilities in the sandbox's user namespace",
		}),
	egressWider,
	ranked("project", projectMode, order(ProjectReview, ProjectBind),
		map[string]string{ProjectBind: "the sandbox writes the real project directly, not a layer you review first"}),
	switchedOff("require_strict", func(c Config) bool { return c.RequireStrict }, "the strict sandbox may start where the kernel cannot enforce all of its Landlock rules"),
	removed("protect", func(c Config) []string { return c.Protect }, "no longer protected: the sandbox may write or create it"),
	switchedOff("protect_defaults", func(c Config) bool { return c.ProtectDefaults }, "the sandbox may write .git, devbox.toml, .envrc, .vscode and the other default protected paths"),
	switchedOn("git_writes", func(c Config) bool { return c.GitWrites }, "the sandbox may write .git, but for git's hooks and configuration"),
	removed("deny_read", func(c Config) []string { return c.DenyRead }, "no longer hidden: the sandbox may read it"),
}

// removed lists each entry of a list that guards something (a path
// protected or hidden) that cur no longer has.
func removed(key string, get func(Config) []string, why string) widenRule {
	return func(old, cur Config) []Change {
		var out []Change
		for _, p := range get(old) {
			if !slices.Contains(get(cur), p) {
				out = append(out, Change{Key: key, Desc: fmt.Sprintf("%q removed (%s)", p, why)})
			}
		}
		return out
	}
}

// switchedOff reports a key that guarded something turned off.
func switchedOff(key string, get func(Config) bool, why string) widenRule {
	return func(old, cur Config) []Change {
		if get(old) && !get(cur) {
			return []Change{{Key: key, Desc: "true -> false (" + why + ")"}}
		}
		return nil
	}
}

// projectMode names the default project mode "bind".
func projectMode(c Config) string {
	if c.Project == ProjectReview {
		return ProjectReview
	}
	return ProjectBind
}

// egressWider lists hosts a strict sandbox may newly reach: entries added
// to [egress] allow or allow_local, and entries taken out of deny. Only
// against a strict record: any list is narrower than another profile's
// open network, and leaving strict is the security rule's change.
func egressWider(old, cur Config) []Change {
	if old.Security != SecurityStrict || cur.Security != SecurityStrict {
		return nil
	}
	var out []Change
	for _, h := range cur.Egress.Allow {
		if !slices.Contains(old.Egress.Allow, h) {
			out = append(out, Change{Key: "egress.allow", Desc: fmt.Sprintf("%q added (the sandbox may reach it through the proxy)", h)})
		}
	}
	for _, h := range cur.Egress.AllowLocal {
		if !slices.Contains(old.Egress.AllowLocal, h) {
			out = append(out, Change{Key: "egress.allow_local", Desc: fmt.Sprintf("%q added (the sandbox may reach it on this machine or its private network)", h)})
		}
	}
	for _, h := range old.Egress.Deny {
		if !slices.Contains(cur.Egress.Deny, h) {
			out = append(out, Change{Key: "egress.deny", Desc: fmt.Sprintf("%q removed (no longer refused)", h)})
		}
	}
	return out
}

// ranked compares a key whose values rank gives an order from least to
// most access; why explains the values that give access.
func ranked(key string, get func(Config) string, rank func(string) int, why map[string]string) widenRule {
	return func(old, cur Config) []Change {
		if rank(get(cur)) <= rank(get(old)) {
			return nil
		}
		desc := fmt.Sprintf("%q -> %q", get(old), get(cur))
		if w := why[get(cur)]; w != "" {
			desc += " (" + w + ")"
		}
		return []Change{{Key: key, Desc: desc}}
	}
}

// order ranks values by their position in values, least access first.
func order(values ...string) func(string) int {
	return func(v string) int { return slices.Index(values, v) }
}

// networkName shows the default driver as "default".
func networkName(c Config) string {
	if c.Network == "" {
		return "default"
	}
	return c.Network
}

// networkRank ranks a driver by what it reaches, from the driver's own
// answers: the host's network (no namespace of its own) is the most; the
// default driver and the user-mode drivers (a helper attaches) give the
// same access; a namespace with nothing attached (none) is the least.
func networkRank(name string) int {
	d, err := slirpnet.ParseDriver(name)
	switch {
	case err != nil || d.IsZero() || d.Attaches():
		return 1 // "default", or a user-mode driver
	case !d.NetNS():
		return 2
	}
	return 0
}

func switchedOn(key string, get func(Config) bool, why string) widenRule {
	return func(old, cur Config) []Change {
		if get(cur) && !get(old) {
			return []Change{{Key: key, Desc: "false -> true (" + why + ")"}}
		}
		return nil
	}
}

// mountsWider lists each mount of cur that no mount of old covers: same or
// a parent source, and writable only where old was writable. Targets do not
// matter: they are inside the sandbox.
func mountsWider(old, cur Config) []Change {
	var out []Change
	for _, m := range cur.Mounts {
		if !mountCovered(m, old.Mounts) {
			mode := "read-write"
			if m.ReadOnly {
				mode = "read-only"
			}
			out = append(out, Change{Key: "mounts", Desc: fmt.Sprintf("%s -> %s (%s, new)", m.Source, m.Target, mode)})
		}
	}
	return out
}

func mountCovered(m Mount, old []Mount) bool {
	for _, o := range old {
		if within(m.Source, o.Source) && (m.ReadOnly || !o.ReadOnly) {
			return true
		}
	}
	return false
}

// within reports whether path p is dir or below it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// portsWider lists ports of cur that listen on a host address other than
// loopback and that old did not publish on the same address and port.
func portsWider(old, cur Config) []Change {
	had := map[string]bool{}
	for _, p := range old.Ports {
		if s, err := slirpnet.ParsePortSpec(p); err == nil {
			had[fmt.Sprintf("%s:%d/%s", s.HostIP, s.HostPort, s.Proto)] = true
		}
	}
	var out []Change
	for _, p := range cur.Ports {
		s, err := slirpnet.ParsePortSpec(p)
		if err != nil || s.HostIP.IsLoopback() || had[fmt.Sprintf("%s:%d/%s", s.HostIP, s.HostPort, s.Proto)] {
			continue
		}
		out = append(out, Change{Key: "ports", Desc: fmt.Sprintf("%q listens on %s, beyond this machine's loopback", p, s.HostIP)})
	}
	return out
}

// limitsWider lists each limit removed or raised, and required turned off.
func limitsWider(old, cur Config) []Change {
	o, c := old.Limits, cur.Limits
	var out []Change
	add := func(name string, oldV, curV float64, show func(float64) string) {
		if oldV == 0 || (curV != 0 && curV <= oldV) {
			return
		}
		desc := fmt.Sprintf("%s -> %s (raised)", show(oldV), show(curV))
		if curV == 0 {
			desc = fmt.Sprintf("%s -> no limit (removed)", show(oldV))
		}
		out = append(out, Change{Key: "limits." + name, Desc: desc})
	}
	num := func(v float64) string { return fmt.Sprintf("%g", v) }
	add("memory", float64(o.Memory), float64(c.Memory), func(v float64) string { return fmt.Sprintf("%d bytes", int64(v)) })
	add("pids", float64(o.Pids), float64(c.Pids), num)
	add("cpus", o.CPUs, c.CPUs, num)
	add("cpu_weight", float64(o.CPUWeight), float64(c.CPUWeight), num)
	if o.MemorySwap != nil && (c.MemorySwap == nil || *c.MemorySwap > *o.MemorySwap) {
		desc := "no limit (removed)"
		if c.MemorySwap != nil {
			desc = fmt.Sprintf("%d bytes (raised)", *c.MemorySwap)
		}
		out = append(out, Change{Key: "limits.memory_swap", Desc: fmt.Sprintf("%d bytes -> %s", *o.MemorySwap, desc)})
	}
	if o.Required && !c.Required {
		out = append(out, Change{Key: "limits.required", Desc: "true -> false (the sandbox may start without its limits)"})
	}
	return out
}

// imageWider reports a change from an image to the host view, which shows
// the host's own system directories (read-only) inside.
func imageWider(old, cur Config) []Change {
	if old.Image != "" && cur.Image == "" {
		return []Change{{Key: "image", Desc: fmt.Sprintf("%q -> none (the sandbox sees the host's /usr, /etc and /opt, read-only)", old.Image)}}
	}
	return nil
}

// injectionPrefixes and injectionVars are environment variables that make
// the dynamic loader, a shell or an interpreter load code that the command
// run did not ask for: set in devbox.toml, they reach every session,
// including the ones the user types into.
var (
	injectionPrefixes = []string{"LD_", "GIT_CONFIG", "DYLD_"}
	injectionVars     = []string{
		"PATH", "GCONV_PATH", "LOCPATH", "HOSTALIASES", "MALLOC_CONF",
		"BASH_ENV", "ENV", "PROMPT_COMMAND", "PS4", "SHELLOPTS", "BASHOPTS", "ZDOTDIR",
		"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE",
		"PERL5LIB", "PERLLIB", "PERL5OPT", "RUBYLIB", "RUBYOPT",
		"NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
		"GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_EDITOR", "GIT_ASKPASS",
		"EDITOR", "VISUAL", "PAGER", "SSH_ASKPASS", "SSH_AUTH_SOCK",
	}
)

// IsInjectionVar reports whether name is a loader, shell or interpreter
// injection variable.
func IsInjectionVar(name string) bool {
	if slices.Contains(injectionVars, name) {
		return true
	}
	for _, p := range injectionPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// envWider lists injection variables that cur sets or changes.
func envWider(old, cur Config) []Change {
	var names []string
	for k, v := range cur.Env {
		if ov, ok := old.Env[k]; IsInjectionVar(k) && (!ok || ov != v) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make([]Change, 0, len(names))
	for _, k := range names {
		out = append(out, Change{Key: "env." + k, Desc: fmt.Sprintf("set to %q (makes programs in every session load other code)", cur.Env[k])})
	}
	return out
}
