package front

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/pflag"
)

// loadFor parses args as `devbox run` flags and loads the config of a
// project whose devbox.toml is file ("" for none): the one path from the
// command line and the file to a Config.
func loadFor(t *testing.T, args []string, file string) (config.Config, error) {
	t.Helper()
	opts, err := optionsFor(t, t.TempDir(), args, file)
	return opts.Config, err
}

// optionsFor is loadFor in project dir, with the file's own config and
// the keys the flags set, as a join compares them.
func optionsFor(t *testing.T, dir string, args []string, file string) (sandbox.Options, error) {
	t.Helper()
	if file != "" {
		if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fl := pflag.NewFlagSet("run", pflag.ContinueOnError)
	new(RunFlags).RegisterRun(fl)
	if err := fl.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	opts := sandbox.Options{Project: dir}
	err := applyConfig(fl, &opts)
	return opts, err
}

// Flags and devbox.toml become one Config through one setter per key, so
// the same value means the same from either, and the same bad value is
// refused from either with the same message.
func TestFlagsAndFileToConfig(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		file  string
		check func(config.Config) bool
		err   string // substring of the error; "" for none
	}{
		{name: "defaults", check: func(c config.Config) bool {
			return c.Network == "" && c.IdleTimeout == config.DefaultIdleTimeout && c.Image == "" && c.Security == config.SecurityDefault
		}},
		{name: "IPv6 port as flag", args: []string{"-p", "[::1]:8080:80"},
			check: func(c config.Config) bool { return slices.Equal(c.Ports, []string{"[::1]:8080:80"}) }},
		{name: "IPv6 port in file", file: "ports = [\"[::1]:8080:80/udp\"]\n",
			check: func(c config.Config) bool { return slices.Equal(c.Ports, []string{"[::1]:8080:80/udp"}) }},
		{name: "bad port as flag", args: []string{"-p", "1:2:3:4"}, err: `--publish: invalid port "1:2:3:4"`},
		{name: "bad port in file", file: "ports = [\"1:2:3:4\"]\n", err: `ports: invalid port "1:2:3:4"`},
		{name: "memory 0 as flag", args: []string{"--memory", "0"}, err: "--memory: a limit of 0 bytes leaves nothing to run"},
		{name: "memory 0 in file", file: "[limits]\nmemory = 0\n", err: "limits.memory: a limit of 0 bytes leaves nothing to run"},
		{name: "memory max as flag", args: []string{"--memory", "max"},
			check: func(c config.Config) bool { return c.Limits.Memory == cgroupv2.Unlimited }},
		{name: "memory flag over file", args: []string{"--memory", "1g"}, file: "[limits]\nmemory = \"2g\"\npids = 10\n",
			check: func(c config.Config) bool { return c.Limits.Memory == 1<<30 && c.Limits.Pids == 10 }},
		{name: "image flag over file", args: []string{"--image", "alpine:3"}, file: "image = \"debian:12\"\n",
			check: func(c config.Config) bool { return c.Image == "alpine:3" }},
		{name: "image in file", file: "image = \"debian:12\"\n",
			check: func(c config.Config) bool { return c.Image == "debian:12" }},
		{name: "bad network flag", args: []string{"--network", "hots"}, err: `--network: invalid value "hots"`},
		{name: "ports with network none", args: []string{"--network", "none", "-p", "8080"},
			err: "published ports need network slirp4netns or pasta, not none"},
		{name: "file ports, flag network host", args: []string{"--network", "host"}, file: "ports = [\"8080\"]\n",
			err: "published ports need network slirp4netns or pasta, not host"},
		{name: "file ports with network host, flag network pasta", args: []string{"--network", "pasta"}, file: "network = \"host\"\nports = [\"8080\"]\n",
			check: func(c config.Config) bool { return c.Network == "pasta" && slices.Equal(c.Ports, []string{"8080"}) }},
		{name: "bad hostname flag", args: []string{"--hostname", "-x"}, err: "--hostname: "},
		{name: "env flag over file", args: []string{"-e", "B=flag"}, file: "[env]\nA = \"file\"\nB = \"file\"\n",
			check: func(c config.Config) bool { return c.Env["A"] == "file" && c.Env["B"] == "flag" }},
		{name: "bad env flag", args: []string{"-e", "=x"}, err: `--env: invalid value "=x": want NAME=VALUE, or NAME for the host's value`},
		{name: "env flag takes the host value", args: []string{"-e", "HOME"},
			check: func(c config.Config) bool { return c.Env["HOME"] == os.Getenv("HOME") }},
		{name: "idle timeout flag", args: []string{"--idle-timeout", "0"}, file: "idle_timeout = \"1h\"\n",
			check: func(c config.Config) bool { return c.IdleTimeout == 0 }},
		{name: "negative idle timeout flag", args: []string{"--idle-timeout", "-1s"}, err: `--idle-timeout: invalid duration "-1s"`},
		{name: "network flag", args: []string{"--network", "pasta"},
			check: func(c config.Config) bool { return c.Network == "pasta" }},
		{name: "require limits", args: []string{"--require-limits", "--cpus", "1.5"},
			check: func(c config.Config) bool { return c.Limits.Required && c.Limits.CPUs == 1.5 }},
		{name: "workdir flag relative to project", args: []string{"-w", "src"},
			check: func(c config.Config) bool { return filepath.Base(c.Workdir) == "src" && filepath.IsAbs(c.Workdir) }},
		{name: "security flag over file", args: []string{"--security", "unconfined"}, file: "security = \"default\"\n",
			check: func(c config.Config) bool { return c.Security == config.SecurityUnconfined }},
		{name: "strict sessions are self by default", args: []string{"--security", "strict"},
			check: func(c config.Config) bool { return c.UserMode() == config.UserSelf && c.SandboxValues()["user"] == "" }},
		{name: "strict keeps an explicit user", args: []string{"--security", "strict"}, file: "user = \"root\"\n",
			check: func(c config.Config) bool { return c.UserMode() == config.UserRoot }},
		{name: "egress table and flags", args: []string{"--security", "strict", "--allow", "*.npmjs.org", "--allow-local", "localhost:8080"},
			file: "[egress]\nallow = [\"github.com\"]\ndeny = [\"gist.github.com\"]\n",
			check: func(c config.Config) bool {
				return strings.Join(c.Egress.Allow, " ") == "github.com *.npmjs.org" && c.Egress.Deny[0] == "gist.github.com" && c.Egress.AllowLocal[0] == "localhost:8080"
			}},
		{name: "bad allow pattern", args: []string{"--security", "strict", "--allow", "ex*ample.com"}, err: `--allow: pattern "ex*ample.com": a wildcard is allowed only as a leading "*."`},
		{name: "bad egress pattern in file", file: "security = \"strict\"\n[egress]\nallow = [\"example.com:99999\"]\n", err: `egress.allow: pattern "example.com:99999": invalid port "99999"`},
		{name: "unknown egress field", file: "security = \"strict\"\n[egress]\nalow = []\n", err: `unknown key "alow": did you mean "allow"?`},
		{name: "egress without strict", args: []string{"--allow", "github.com"}, err: `[egress] and --allow apply to security = "strict" only`},
		{name: "strict with slirp4netns", args: []string{"--security", "strict", "--network", "slirp4netns"}, err: `security = "strict" has its own network`},
		{name: "strict with ports", args: []string{"--security", "strict", "-p", "8080"}, err: `security = "strict" publishes no ports`},
		{name: "bad security flag", args: []string{"--security", "unconfned"}, err: `--security: invalid value "unconfned": valid choices are default, unconfined, strict (did you mean "unconfined"?)`},
		{name: "bad security in file", file: "security = \"unconfned\"\n", err: `security: invalid value "unconfned": valid choices are default, unconfined, strict (did you mean "unconfined"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadFor(t, tt.args, tt.file)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

// A flag error is a usage error: the report names --help.
func TestFlagConfigErrorIsUsage(t *testing.T) {
	_, err := loadFor(t, []string{"--memory", "0"}, "")
	var out strings.Builder
	a := &App{Stdout: io.Discard, Stderr: &out}
	if code := a.Report(err); code != ExitDevbox || !strings.Contains(out.String(), "Run 'devbox --help' for usage.") {
		t.Errorf("report = %d, %q", code, out.String())
	}
}

// A command joining a running sandbox is checked against the config the
// sandbox was started with: a flag asking for another value, or a changed
// file, is a change; a flag given at the start and not repeated is not.
func TestJoinCheckFromFlagsAndFiles(t *testing.T) {
	tests := []struct {
		name                 string
		startArgs, startFile string
		joinArgs, joinFile   string
		want                 []string
	}{
		{name: "same command", startArgs: "--image debian:12", joinArgs: "--image debian:12"},
		{name: "changed --image on a running sandbox", startArgs: "--image debian:12", joinArgs: "--image alpine:3", want: []string{"image"}},
		{name: "--image on a host-view sandbox", joinArgs: "--image alpine:3", want: []string{"image"}},
		{name: "--image not repeated", startArgs: "--image debian:12"},
		{name: "--image over the same file image", startFile: "image = \"debian:12\"\n", joinArgs: "--image debian:12", joinFile: "image = \"debian:12\"\n"},
		{name: "file image changed", startFile: "image = \"debian:12\"\n", joinFile: "image = \"debian:13\"\n", want: []string{"image"}},
		{name: "memory flag differs", startArgs: "--memory 1g", joinArgs: "--memory 2g", want: []string{"limits"}},
		{name: "hostname and network flags", startArgs: "--hostname a", joinArgs: "--hostname b --network none", want: []string{"hostname", "network"}},
		{name: "IPv6 port repeated", startArgs: "-p [::1]:8080:80", joinArgs: "-p [::1]:8080:80"},
		{name: "changed --security on a running sandbox", joinArgs: "--security unconfined", want: []string{"security"}},
		{name: "--security not repeated", startArgs: "--security unconfined"},
		{name: "--security strict on a default sandbox", joinArgs: "--security strict", want: []string{"security"}},
		{name: "file security changed", startFile: "security = \"unconfined\"\n", want: []string{"security"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			started, err := optionsFor(t, dir, strings.Fields(tt.startArgs), tt.startFile)
			if err != nil {
				t.Fatal(err)
			}
			rec := config.NewRecord(started.Config, started.FileConfig)
			os.Remove(filepath.Join(dir, config.FileName))
			join, err := optionsFor(t, dir, strings.Fields(tt.joinArgs), tt.joinFile)
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.JoinChanges(join.Config, join.FileConfig, join.FlagKeys); !slices.Equal(got, tt.want) {
				t.Errorf("changed keys = %v, want %v", got, tt.want)
			}
		})
	}
}
