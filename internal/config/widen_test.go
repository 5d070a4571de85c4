package config

import (
	"slices"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
)

func TestWidening(t *testing.T) {
	def := Defaults()
	with := func(f func(*Config)) Config {
		c := Defaults()
		c.Env = map[string]string{}
		f(&c)
		return c
	}
	swap := func(v int64) *int64 { return &v }
	limited := with(func(c *Config) {
		c.Limits = Limits{Limits: cgroupv2.Limits{Memory: 1 << 30, Pids: 100, CPUs: 2, CPUWeight: 50, MemorySwap: swap(0)}, Required: true}
	})
	tests := []struct {
		name     string
		old, cur Config
		want     []string // keys of the changes, in order
	}{
		{"same", def, def, nil},
		{"new mount", def, with(func(c *Config) { c.Mounts = []Mount{{Source: "/", Target: "/host"}} }), []string{"mounts"}},
		{"mount ro to rw", with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d", ReadOnly: true}} }),
			with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d"}} }), []string{"mounts"}},
		{"mount rw to ro narrows", with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d"}} }),
			with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d", ReadOnly: true}} }), nil},
		{"mount below an old one", with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d"}} }),
			with(func(c *Config) { c.Mounts = []Mount{{Source: "/data/sub", Target: "/elsewhere"}} }), nil},
		{"mount above an old one", with(func(c *Config) { c.Mounts = []Mount{{Source: "/data/sub", Target: "/d"}} }),
			with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d"}} }), []string{"mounts"}},
		{"sibling with a shared prefix", with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d"}} }),
			with(func(c *Config) { c.Mounts = []Mount{{Source: "/data2", Target: "/d"}} }), []string{"mounts"}},
		{"mount removed", with(func(c *Config) { c.Mounts = []Mount{{Source: "/data", Target: "/d"}} }), def, nil},
		{"home host", def, with(func(c *Config) { c.Home = HomeHost }), []string{"home"}},
		{"home ro", def, with(func(c *Config) { c.Home = HomeRO }), []string{"home"}},
		{"home ro to host", with(func(c *Config) { c.Home = HomeRO }), with(func(c *Config) { c.Home = HomeHost }), []string{"home"}},
		{"home host to private", with(func(c *Config) { c.Home = HomeHost }), def, nil},
		{"gui", def, with(func(c *Config) { c.GUI = true }), []string{"gui"}},
		{"gui off", with(func(c *Config) { c.GUI = true }), def, nil},
		{"ssh agent", def, with(func(c *Config) { c.ForwardSSHAgent = true }), []string{"forward_ssh_agent"}},
		{"network host", def, with(func(c *Config) { c.Network = "host" }), []string{"network"}},
		{"network none to default", with(func(c *Config) { c.Network = "none" }), def, []string{"network"}},
		{"network none to pasta", with(func(c *Config) { c.Network = "none" }), with(func(c *Config) { c.Network = "pasta" }), []string{"network"}},
		{"network slirp4netns to pasta", with(func(c *Config) { c.Network = "slirp4netns" }), with(func(c *Config) { c.Network = "pasta" }), nil},
		{"network default to none", def, with(func(c *Config) { c.Network = "none" }), nil},
		{"network host to default", with(func(c *Config) { c.Network = "host" }), def, nil},
		{"host loopback", def, with(func(c *Config) { c.AllowHostLoopback = true }), []string{"allow_host_loopback"}},
		{"loopback port", def, with(func(c *Config) { c.Ports = []string{"8080", "127.0.0.1:5432:5432", "[::1]:80:80"} }), nil},
		{"port on all addresses", def, with(func(c *Config) { c.Ports = []string{"0.0.0.0:8080:80", "[::]:81:81/udp"} }), []string{"ports", "ports"}},
		{"public port kept", with(func(c *Config) { c.Ports = []string{"0.0.0.0:8080:80"} }),
			with(func(c *Config) { c.Ports = []string{"0.0.0.0:8080:8080"} }), nil},
		{"limits added", def, limited, nil},
		{"review to bind", with(func(c *Config) { c.Project = ProjectReview }), def, []string{"project"}},
		{"review to explicit bind", with(func(c *Config) { c.Project = ProjectReview }), with(func(c *Config) { c.Project = ProjectBind }), []string{"project"}},
		{"bind to review narrows", def, with(func(c *Config) { c.Project = ProjectReview }), nil},
		{"limits removed", limited, def, []string{"limits.memory", "limits.pids", "limits.cpus", "limits.cpu_weight", "limits.memory_swap", "limits.required"}},
		{"memory raised", limited, with(func(c *Config) { c.Limits = limited.Limits; c.Limits.Memory = 2 << 30 }), []string{"limits.memory"}},
		{"memory lowered", limited, with(func(c *Config) { c.Limits = limited.Limits; c.Limits.Memory = 1 << 20 }), nil},
		{"swap raised", limited, with(func(c *Config) { c.Limits = limited.Limits; c.Limits.MemorySwap = swap(1) }), []string{"limits.memory_swap"}},
		{"image to host view", with(func(c *Config) { c.Image = "debian:12" }), def, []string{"image"}},
		{"host view to image", def, with(func(c *Config) { c.Image = "debian:12" }), nil},
		{"image changed", with(func(c *Config) { c.Image = "debian:12" }), with(func(c *Config) { c.Image = "alpine" }), nil},
		{"LD_PRELOAD", def, with(func(c *Config) { c.Env["LD_PRELOAD"] = "/x.so" }), []string{"env.LD_PRELOAD"}},
		{"loader vars changed", with(func(c *Config) { c.Env["LD_LIBRARY_PATH"] = "/a"; c.Env["NODE_OPTIONS"] = "" }),
			with(func(c *Config) {
				c.Env["LD_LIBRARY_PATH"] = "/b"
				c.Env["NODE_OPTIONS"] = "--require /x.js"
				c.Env["BASH_ENV"] = "/x"
				c.Env["PYTHONSTARTUP"] = "/x.py"
			}),
			[]string{"env.BASH_ENV", "env.LD_LIBRARY_PATH", "env.NODE_OPTIONS", "env.PYTHONSTARTUP"}},
		{"loader var unchanged or removed", with(func(c *Config) { c.Env["LD_PRELOAD"] = "/x.so"; c.Env["PATH"] = "/bin" }),
			with(func(c *Config) { c.Env["LD_PRELOAD"] = "/x.so" }), nil},
		{"security lowered", def, with(func(c *Config) { c.Security = SecurityUnconfined }), []string{"security"}},
		{"security raised", with(func(c *Config) { c.Security = SecurityUnconfined }), def, nil},
		{"strict lowered to default", with(func(c *Config) { c.Security = SecurityStrict }), def, []string{"security"}},
		{"require_strict off", with(func(c *Config) { c.RequireStrict = true }), def, []string{"require_strict"}},
		{"require_strict on", def, with(func(c *Config) { c.RequireStrict = true }), nil},
		{"protect entry removed", with(func(c *Config) { c.Protect = []string{"a", "b"} }), with(func(c *Config) { c.Protect = []string{"b", "c"} }), []string{"protect"}},
		{"protect entry added", def, with(func(c *Config) { c.Protect = []string{"a"} }), nil},
		{"protect_defaults off", def, with(func(c *Config) { c.ProtectDefaults = false }), []string{"protect_defaults"}},
		{"protect_defaults on", with(func(c *Config) { c.ProtectDefaults = false }), def, nil},
		{"git_writes on", def, with(func(c *Config) { c.GitWrites = true }), []string{"git_writes"}},
		{"git_writes off", with(func(c *Config) { c.GitWrites = true }), def, nil},
		{"deny_read entry removed", with(func(c *Config) { c.DenyRead = []string{"/etc/ssh"} }), def, []string{"deny_read"}},
		{"deny_read entry added", def, with(func(c *Config) { c.DenyRead = []string{"/etc/ssh"} }), nil},
		{"default raised to strict", def, with(func(c *Config) { c.Security = SecurityStrict }), nil},
		{"egress allow added", with(func(c *Config) { c.Security = SecurityStrict }),
			with(func(c *Config) { c.Security = SecurityStrict; c.Egress.Allow = []string{"example.com"} }), []string{"egress.allow"}},
		{"egress allow_local added", with(func(c *Config) { c.Security = SecurityStrict }),
			with(func(c *Config) { c.Security = SecurityStrict; c.Egress.AllowLocal = []string{"localhost:8080"} }), []string{"egress.allow_local"}},
		{"egress deny removed", with(func(c *Config) { c.Security = SecurityStrict; c.Egress.Deny = []string{"evil.test"} }),
			with(func(c *Config) { c.Security = SecurityStrict }), []string{"egress.deny"}},
		{"strict with an allow list over the defaults", def,
			with(func(c *Config) { c.Security = SecurityStrict; c.Egress.Allow = []string{"example.com"} }), nil},
		{"egress narrowed", with(func(c *Config) { c.Security = SecurityStrict; c.Egress.Allow = []string{"a.test", "b.test"} }),
			with(func(c *Config) {
				c.Security = SecurityStrict
				c.Egress.Allow = []string{"a.test"}
				c.Egress.Deny = []string{"c.test"}
			}), nil},
		{"plain env", def, with(func(c *Config) { c.Env["GOFLAGS"] = "-mod=mod"; c.Env["RUST_LOG"] = "debug" }), nil},
		{"keys that act inside only", def, with(func(c *Config) {
			c.Hostname, c.Shell, c.Workdir, c.User = "h", "/bin/zsh", "/w", UserSelf
			c.Setup, c.IdleTimeout = []string{"make"}, 0
		}), nil},
		{"everything at once", def, with(func(c *Config) {
			c.Mounts = []Mount{{Source: "/", Target: "/host"}}
			c.Home, c.GUI, c.ForwardSSHAgent, c.Network, c.AllowHostLoopback = HomeHost, true, true, "host", true
			c.Env["LD_PRELOAD"] = "/x.so"
		}), []string{"mounts", "home", "gui", "forward_ssh_agent", "network", "allow_host_loopback", "env.LD_PRELOAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Widening(tt.old, tt.cur)
			var keys []string
			for _, c := range got {
				keys = append(keys, c.Key)
				if c.Desc == "" {
					t.Errorf("change %s has no description", c.Key)
				}
			}
			if !slices.Equal(keys, tt.want) {
				t.Errorf("Widening = %v, want keys %v", got, tt.want)
			}
		})
	}
}

func TestIsInjectionVar(t *testing.T) {
	for name, want := range map[string]bool{
		"LD_PRELOAD": true, "LD_AUDIT": true, "LD_LIBRARY_PATH": true, "GIT_CONFIG_COUNT": true, "GIT_CONFIG_GLOBAL": true,
		"NODE_OPTIONS": true, "PATH": true, "BASH_ENV": true,
		"GOFLAGS": false, "HOME_DIR": false, "LD": false, "OLD_PRELOAD": false,
	} {
		if got := IsInjectionVar(name); got != want {
			t.Errorf("IsInjectionVar(%q) = %v, want %v", name, got, want)
		}
	}
}
