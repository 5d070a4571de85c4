package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
)

func testContext(t *testing.T) Context {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "cache"), 0o755)
	os.Mkdir(filepath.Join(dir, "home"), 0o755)
	os.WriteFile(filepath.Join(dir, "home", ".gitconfig"), nil, 0o644)
	return Context{Project: dir, Home: filepath.Join(dir, "home")}
}

func TestParseValid(t *testing.T) {
	ctx := testContext(t)
	src := `
image = "docker.io/library/golang:1.23"
hostname = "api"
network = "host"
ports = ["8080", "127.0.0.1:5432:5432/tcp", 9000]
allow_host_loopback = true
home = "ro"
home_files = ["~/.vimrc", ".config/nvim:rw"]
cache = false
shell = "/bin/zsh"
workdir = "src"
idle_timeout = "1h"
setup = ["apt-get update", "make deps"]
forward_ssh_agent = true
gui = true
user = "self"
security = "unconfined"
require_network = true
require_proc = true
project = "review"
protect = ["./secrets/", ".github/workflows"]
git_writes = true
deny_read = ["/etc/ssh/"]

[env]
GOFLAGS = "-mod=mod"
DEBUG = 1

[limits]
memory = "2g"
memory_swap = 1073741824
pids = 512
cpus = 1.5
cpu_weight = 200
required = true

[[mounts]]
source = "cache"
target = "/var/cache/app"

[[mounts]]
source = "~/.gitconfig"
target = "~/.gitconfig"
read_only = true
`
	got, err := Parse([]byte(src), "devbox.toml", ctx)
	if err != nil {
		t.Fatal(err)
	}
	swap := int64(1 << 30)
	cacheOff := false
	want := Config{
		Image: "docker.io/library/golang:1.23", Hostname: "api", Network: "host",
		Ports: []string{"8080", "127.0.0.1:5432:5432/tcp", "9000"}, AllowHostLoopback: true,
		Env: map[string]string{"GOFLAGS": "-mod=mod", "DEBUG": "1"},
		Mounts: []Mount{
			{Source: filepath.Join(ctx.Project, "cache"), Target: "/var/cache/app"},
			{Source: filepath.Join(ctx.Home, ".gitconfig"), Target: filepath.Join(ctx.Home, ".gitconfig"), ReadOnly: true},
		},
		Home:   "ro",
		Limits: Limits{Limits: cgroupv2.Limits{Memory: 2 << 30, MemorySwap: &swap, Pids: 512, CPUs: 1.5, CPUWeight: 200}, Required: true},
		Shell:  "/bin/zsh", Workdir: filepath.Join(ctx.Project, "src"), IdleTimeout: time.Hour,
		Setup: []string{"apt-get update", "make deps"}, ForwardSSHAgent: true, GUI: true, User: "self", Security: "unconfined",
		HomeFiles: []HomeFile{{Path: ".vimrc"}, {Path: ".config/nvim", Writable: true}},
		Cache:     &cacheOff, RequireNetwork: true, RequireProc: true, Project: "review",
		Protect: []string{"secrets", ".github/workflows"}, ProtectDefaults: true, GitWrites: true, DenyRead: []string{"/etc/ssh"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseEmptyIsDefaults(t *testing.T) {
	got, err := Parse(nil, "devbox.toml", testContext(t))
	if err != nil || !reflect.DeepEqual(got, Defaults()) {
		t.Errorf("Parse(empty) = %+v, %v; want defaults", got, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown key with suggestion", "netwrk = \"host\"\n",
			`devbox.toml:1:10: unknown key "netwrk": did you mean "network"? (valid keys: image, hostname, network, ports, allow_host_loopback, env, mounts, home, limits, shell, workdir, idle_timeout, setup, forward_ssh_agent, gui, user, home_files, cache, security, egress, require_network, require_proc, project, require_strict, protect, protect_defaults, git_writes, deny_read)`},
		{"unknown key without suggestion", "\n\nzzzzzzzzzz = 1\n",
			`devbox.toml:3:14: unknown key "zzzzzzzzzz" (valid keys: image, hostname, network, ports, allow_host_loopback, env, mounts, home, limits, shell, workdir, idle_timeout, setup, forward_ssh_agent, gui, user, home_files, cache, security, egress, require_network, require_proc, project, require_strict, protect, protect_defaults, git_writes, deny_read)`},
		{"bad choice", "network = \"hots\"\n",
			`devbox.toml:1:11: network: invalid value "hots": valid choices are slirp4netns, pasta, host, none (did you mean "host"?)`},
		{"wrong type", "hostname = 3\n", `devbox.toml:1:12: hostname: want a string, got an integer`},
		{"bad hostname", "hostname = \"a_b\"\n", `devbox.toml:1:12: hostname: invalid hostname "a_b": use letters, digits and '-' in dot-separated labels of at most 63 characters`},
		{"bad port", "ports = [\"8080\", \"abc\"]\n",
			`devbox.toml:1:9: ports: invalid port "abc": host port: "abc" is not a port number (1-65535); want [[HOST_IP:]HOST_PORT:]PORT[/tcp|/udp], e.g. "8080", "8080:80", "127.0.0.1:5432:5432/tcp" or "[::1]:8080:80"`},
		{"bad port protocol", "ports = [\"80/sctp\"]\n",
			`devbox.toml:1:9: ports: invalid port "80/sctp": protocol "sctp" is not tcp or udp; want [[HOST_IP:]HOST_PORT:]PORT[/tcp|/udp], e.g. "8080", "8080:80", "127.0.0.1:5432:5432/tcp" or "[::1]:8080:80"`},
		{"ports not array", "ports = 8080\n", `devbox.toml:1:9: ports: want an array of port specs, got an integer`},
		{"bad size", "[limits]\nmemory = \"12x\"\n",
			`devbox.toml:2:10: limits.memory: invalid size "12x": want a number of bytes with an optional suffix k, m, g or t (512m, 2g), or max`},
		{"limit typo", "[limits]\nmemroy = \"1g\"\n",
			`devbox.toml:2:10: limits.memroy: unknown key "memroy": did you mean "memory"? (valid keys: memory, memory_swap, pids, cpus, cpu_weight, required)`},
		{"limit range", "[limits]\ncpu_weight = 0\n", `devbox.toml:2:14: limits.cpu_weight: invalid CPU weight "0": want 1 to 10000 (the default is 100)`},
		{"limits not table", "limits = 3\n", `devbox.toml:1:10: limits: want a table [limits], got an integer`},
		{"missing mount source", "[[mounts]]\nsource = \"/\"\ntarget = \"/x\"\n\n[[mounts]]\nsource = \"/nonexistent-devbox\"\ntarget = \"/y\"\n",
			`devbox.toml:6:10: mounts[2].source: mount source /nonexistent-devbox does not exist on the host`},
		{"inline mount", "mounts = [{source = \"/nonexistent-devbox\", target = \"/y\"}]\n",
			`devbox.toml:1:10: mounts[1].source: mount source /nonexistent-devbox does not exist on the host`},
		{"mount without target", "[[mounts]]\nsource = \"/\"\n", `devbox.toml:1:1: mounts[1]: missing "target" (a mount needs source and target)`},
		{"mount key typo", "[[mounts]]\nsource = \"/\"\ntarget = \"/x\"\nreadonly = true\n",
			`devbox.toml:4:12: mounts[1].readonly: unknown key "readonly": did you mean "read_only"? (valid keys: source, target, read_only)`},
		{"mount relative target", "[[mounts]]\nsource = \"/\"\ntarget = \"x\"\n", `devbox.toml:3:10: mounts[1].target: invalid target "x": want an absolute path inside, or ~/...`},
		{"syntax", "x = \n", `devbox.toml:1:5: invalid TOML: expected value but found '\n' instead (after key "x")`},
		{"bad duration", "idle_timeout = \"5 min\"\n",
			`devbox.toml:1:16: idle_timeout: invalid duration "5 min": want a duration of 0 or more such as "15m", "1h30m" or "0" (stop with the last session)`},
		{"bad bool", "gui = \"yes\"\n", `devbox.toml:1:7: gui: invalid value "yes": valid choices are true, false`},
		{"bad user", "user = \"me\"\n", `devbox.toml:1:8: user: invalid value "me": valid choices are root, self`},
		{"bad home", "home = \"privat\"\n", `devbox.toml:1:8: home: invalid value "privat": valid choices are private, host, ro (did you mean "private"?)`},
		{"relative shell", "shell = \"zsh\"\n", `devbox.toml:1:9: shell: invalid value "zsh": want an absolute path`},
		{"empty setup step", "setup = [\"make\", \" \"]\n", `devbox.toml:1:9: setup: step 2 is empty`},
		{"env not table", "env = \"A=1\"\n", `devbox.toml:1:7: env: want a table of NAME = "value", got a string`},
		{"env array value", "[env]\nA = [1]\n", `devbox.toml:1:1: env: A: want a string, got an array`},
		{"two errors", "network = \"x\"\nuser = \"y\"\n",
			"devbox.toml:1:11: network: invalid value \"x\": valid choices are slirp4netns, pasta, host, none\ndevbox.toml:2:8: user: invalid value \"y\": valid choices are root, self"},
	}
	ctx := testContext(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "devbox.toml", ctx)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want %q", tt.src, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.src, err, tt.want)
			}
		})
	}
}

func TestLoadFlagsOverrideFile(t *testing.T) {
	ctx := testContext(t)
	os.WriteFile(filepath.Join(ctx.Project, FileName), []byte("network = \"host\"\nidle_timeout = \"1h\"\n[env]\nA = \"file\"\nB = \"file\"\n"), 0o644)
	c, err := Load("devbox.toml", ctx, []Override{
		{Flag: "network", Key: "network", Value: "none"},
		{Flag: "env", Key: "env", Value: "B=flag"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Network != "none" || c.IdleTimeout != time.Hour || c.Env["A"] != "file" || c.Env["B"] != "flag" {
		t.Errorf("Load = %+v; want network none (flag), idle 1h (file), A=file, B=flag", c)
	}
	_, err = Load("devbox.toml", ctx, []Override{{Flag: "network", Key: "network", Value: "bogus"}})
	if err == nil || err.Error() != `--network: invalid value "bogus": valid choices are slirp4netns, pasta, host, none` {
		t.Errorf("bad flag error = %v", err)
	}
}

func TestLoadWithoutFile(t *testing.T) {
	c, err := Load("devbox.toml", testContext(t), nil)
	if err != nil || !reflect.DeepEqual(c, Defaults()) {
		t.Errorf("Load without a file = %+v, %v; want defaults", c, err)
	}
}

func TestClosest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"netwrk", "network"}, {"hostnme", "hostname"}, {"Image", "image"}, {"setpu", "setup"},
		{"forward_agent", "forward_ssh_agent"}, {"zzzzzzzz", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.in, Keys()); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestChangedAndHash(t *testing.T) {
	a := Defaults()
	b := Defaults()
	b.Network = "host"
	b.Env["X"] = "1" // session key: not a sandbox change
	got := Changed(a.SandboxValues(), b.SandboxValues())
	if !reflect.DeepEqual(got, []string{"network"}) {
		t.Errorf("Changed = %v, want [network]", got)
	}
	if Hash(a.SandboxValues()) == Hash(b.SandboxValues()) || Hash(a.SandboxValues()) != Hash(Defaults().SandboxValues()) {
		t.Error("Hash does not follow the values")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "network = \"host\"\n", "[limits]\nmemory = \"1g\"\n", "[[mounts]]\nsource = \"/\"\ntarget = \"/x\"\n",
		"x = \n", "[env]\nA = 1\n", "ports = [\"1:2:3:4\"]\n", "a.b.c = 1\n", "[[mounts]]\n[[mounts]]\nsource = 1\n"} {
		f.Add(s)
	}
	ctx := Context{Project: "/", Home: "/"}
	f.Fuzz(func(t *testing.T, src string) {
		_, err := Parse([]byte(src), "devbox.toml", ctx)
		if err == nil {
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "devbox.toml:") {
				t.Fatalf("error line without position prefix: %q", line)
			}
		}
	})
}

// The --require-network and --require-proc flags go through the keys'
// setters, as the file does.
func TestLoadRequireFlags(t *testing.T) {
	ctx := testContext(t)
	os.WriteFile(filepath.Join(ctx.Project, FileName), []byte("require_network = false\n"), 0o644)
	c, err := Load("devbox.toml", ctx, []Override{
		{Flag: "require-network", Key: "require_network", Value: "true"},
		{Flag: "require-proc", Key: "require_proc", Value: "true"},
	})
	if err != nil || !c.RequireNetwork || !c.RequireProc {
		t.Errorf("Load = %+v, %v; want both required", c, err)
	}
	_, err = Load("devbox.toml", ctx, []Override{{Flag: "require-proc", Key: "require_proc", Value: "maybe"}})
	if err == nil || !strings.Contains(err.Error(), `--require-proc: invalid value "maybe"`) {
		t.Errorf("bad flag error = %v", err)
	}
	os.WriteFile(filepath.Join(ctx.Project, FileName), []byte("require_network = \"yes\"\n"), 0o644)
	if _, err := Load("devbox.toml", ctx, nil); err == nil || !strings.Contains(err.Error(), "require_network") {
		t.Errorf("string value error = %v", err)
	}
}
