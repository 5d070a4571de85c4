package front

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/pflag"
)

// Every flag flagKeys maps exists on `run` and `enter` and names a config
// key, so no flag silently stops reaching the config.
func TestFlagKeysAreFlagsAndKeys(t *testing.T) {
	run := pflag.NewFlagSet("run", pflag.ContinueOnError)
	new(RunFlags).RegisterRun(run)
	for name, fk := range flagKeys {
		if !slices.Contains(config.Keys(), fk.key) {
			t.Errorf("flag --%s maps to %q, which is not a config key", name, fk.key)
		}
		if run.Lookup(name) == nil {
			t.Errorf("flag --%s is in flagKeys but not a flag of run", name)
		}
	}
}

func TestFlagValues(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.StringArrayP("publish", "p", nil, "")
	fs.String("image", "", "")
	if err := fs.Parse([]string{"-p", "8080:80", "--image", "debian", "-p", "[::1]:9:9"}); err != nil {
		t.Fatal(err)
	}
	if got := flagValues(fs.Lookup("publish")); !slices.Equal(got, []string{"8080:80", "[::1]:9:9"}) {
		t.Errorf("repeated flag: %q", got)
	}
	if got := flagValues(fs.Lookup("image")); !slices.Equal(got, []string{"debian"}) {
		t.Errorf("single flag: %q", got)
	}
}

func TestConfigName(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	tests := []struct{ dir, want string }{
		{cwd, config.FileName},
		{filepath.Join(cwd, "sub"), filepath.Join("sub", config.FileName)},
		{"/elsewhere/proj", "/elsewhere/proj/" + config.FileName},
		{filepath.Dir(cwd), filepath.Join(filepath.Dir(cwd), config.FileName)},
	}
	for _, tt := range tests {
		if got := ConfigName(tt.dir); got != tt.want {
			t.Errorf("ConfigName(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

func TestReport(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     int
		out      []string // lines of stderr, in order
		notUsage bool
	}{
		{name: "success", err: nil, code: 0},
		{name: "session status", err: &sandbox.ExitError{Code: 3}, code: 3},
		{name: "session status with message", err: &sandbox.ExitError{Code: 137, Msg: "killed: out of memory"}, code: 137, out: []string{"killed: out of memory"}},
		{name: "devbox error", err: errors.New("start sandbox: boom"), code: ExitDevbox, out: []string{"Error: start sandbox: boom"}, notUsage: true},
		{name: "hint", err: fmt.Errorf("start: %w", hint.Wrap(errors.New("no newuidmap"), "sudo apt-get install uidmap")), code: ExitDevbox,
			out: []string{"Error: start: no newuidmap", "Hint: sudo apt-get install uidmap"}, notUsage: true},
		{name: "usage", err: UsageError{Err: errors.New("give a NAME or --all, not both")}, code: ExitDevbox,
			out: []string{"Error: give a NAME or --all, not both", "Run 'devbox --help' for usage."}},
		{name: "cobra usage", err: errors.New(`unknown flag: --bogus`), code: ExitDevbox,
			out: []string{"Error: unknown flag: --bogus", "Run 'devbox --help' for usage."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			a := &App{Stdout: io.Discard, Stderr: &stderr}
			if code := a.Report(tt.err); code != tt.code {
				t.Errorf("report = %d, want %d", code, tt.code)
			}
			got := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(tt.out) == 0 && stderr.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", stderr.String())
			}
			if len(tt.out) > 0 && !slices.Equal(got, tt.out) {
				t.Errorf("stderr = %q, want %q", got, tt.out)
			}
		})
	}
}

func TestIsCobraUsage(t *testing.T) {
	for msg, want := range map[string]bool{
		`unknown command "frob" for "devbox"`:         true,
		"accepts at most 1 arg(s), received 2":        true,
		"requires at least 1 arg(s), only received 0": true,
		"unknown flag: --x":                           true,
		"unknown shorthand flag: 'z' in -z":           true,
		"start sandbox: permission denied":            false,
	} {
		if got := isCobraUsage(errors.New(msg)); got != want {
			t.Errorf("isCobraUsage(%q) = %v, want %v", msg, got, want)
		}
	}
}

func TestInstallFailed(t *testing.T) {
	exit := func(code int) error { return &sandbox.ExitError{Code: code} }
	tests := []struct {
		err      error
		hostView bool
		cmd      string
		want     bool
	}{
		{exit(100), true, "apt-get", true},
		{exit(1), true, "/usr/bin/pip3", true},
		{exit(2), true, "dpkg", true},
		{exit(100), false, "apt-get", false}, // an image sandbox has its own /usr
		{exit(127), true, "pip", false},      // not found: nothing to explain
		{exit(125), true, "apt", false},      // devbox's own failure
		{nil, true, "apt", false},
		{exit(1), true, "make", false},
		{errors.New("start sandbox: boom"), true, "apt", false},
	}
	for _, tt := range tests {
		if got := installFailed(tt.err, tt.hostView, tt.cmd); got != tt.want {
			t.Errorf("installFailed(%v, %v, %q) = %v, want %v", tt.err, tt.hostView, tt.cmd, got, tt.want)
		}
	}
}
