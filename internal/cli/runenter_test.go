package cli

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/front"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFrontFlagsAreEngines: the front's run and enter (package front, no
// cobra) have the flags of the engine's cobra commands: names, shorthands,
// types, defaults and usages, and the global --trace.
func TestFrontFlagsAreEngines(t *testing.T) {
	root := newRootCmd(&App{Stdout: io.Discard, Stderr: io.Discard})
	for _, name := range []string{"run", "enter"} {
		fl, _, ok := front.Parse([]string{name, "--", "true"})
		if !ok {
			t.Fatalf("front does not parse %s -- true", name)
		}
		c, _, err := root.Find([]string{name})
		if err != nil || c.Name() != name {
			t.Fatalf("engine has no %s: %v", name, err)
		}
		global := c.InheritedFlags()
		var want []string
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { want = append(want, flagLine(f, true)) })
		global.VisitAll(func(f *pflag.Flag) { want = append(want, flagLine(f, false)) })
		var got []string
		fl.VisitAll(func(f *pflag.Flag) { got = append(got, flagLine(f, global.Lookup(f.Name) == nil)) })
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("front %s flags =\n%s\nengine's =\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// flagLine describes a flag, with its usage unless it is a global one.
func flagLine(f *pflag.Flag, usage bool) string {
	s := f.Name + "/" + f.Shorthand + " " + f.Value.Type() + "=" + f.DefValue + " nooptdef=" + f.NoOptDefVal
	if usage {
		s += " " + f.Usage
	}
	return s
}

// engineParse runs args through the engine's whole cobra tree, its run and
// enter stopped where they would run: the flags they parsed and their
// arguments, or nil flags and cobra's error when the command is not
// reached (its help printed instead, or a usage error).
func engineParse(args []string) (*pflag.FlagSet, []string, error) {
	root := newRootCmd(&App{Stdout: io.Discard, Stderr: io.Discard})
	var fl *pflag.FlagSet
	var argv []string
	for _, c := range root.Commands() {
		if c.Name() == "run" || c.Name() == "enter" {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				fl, argv = cmd.Flags(), args
				return nil
			}
		}
	}
	root.SetArgs(args)
	err := root.Execute()
	return fl, argv, err
}

// checkFrontParse checks that the front parses args as the engine does, or
// hands them off; it reports whether the front parsed them.
func checkFrontParse(t *testing.T, args []string) bool {
	t.Helper()
	fl, argv, ok := front.Parse(args)
	efl, eargv, err := engineParse(args)
	if !ok {
		if efl != nil && !slices.ContainsFunc(args, helpOff) {
			t.Errorf("front hands off %q, which the engine runs as %q", args, eargv)
		}
		return false
	}
	if efl == nil {
		t.Fatalf("front parses %q, which the engine does not run (%v)", args, err)
	}
	if !slices.Equal(argv, eargv) {
		t.Errorf("%q: front's arguments %q, the engine's %q", args, argv, eargv)
	}
	fl.VisitAll(func(f *pflag.Flag) {
		ef := efl.Lookup(f.Name)
		if ef == nil || f.Changed != ef.Changed || f.Value.String() != ef.Value.String() {
			t.Errorf("%q: front's --%s = %q (set %v), the engine's %+v", args, f.Name, f.Value, f.Changed, ef)
		}
	})
	over, ferr := front.FlagOverrides(fl)
	eover, eerr := front.FlagOverrides(efl)
	if !slices.Equal(over, eover) || (ferr == nil) != (eerr == nil) {
		t.Errorf("%q: front's overrides %v (%v), the engine's %v (%v)", args, over, ferr, eover, eerr)
	}
	return true
}

// helpOff reports whether arg sets cobra's --help (or -h) to false: the
// engine runs the command then, and the front, which has no --help, hands
// it off.
func helpOff(arg string) bool {
	return strings.HasPrefix(arg, "--help=") || (!strings.HasPrefix(arg, "--") && strings.Contains(arg, "h="))
}

// TestFrontParsesAsFull: a command line with flags means the same to the
// front as to the engine's cobra parse, and the common ones do not need
// the engine.
func TestFrontParsesAsFull(t *testing.T) {
	tests := []struct {
		args  string
		front bool // parsed by the front, not handed off
	}{
		{"run -- true", true},
		{"run true", true},
		{"run --rm -t -e A=1 -e B -- make test", true},
		{"run --name x -u root -- make", true},
		{"run --name=x --project . make --name y", true},
		{"run -p 8080 -p 127.0.0.1:9:9/udp -v /tmp:/mnt:ro -w src -- sh -c 'x'", true},
		{"run --memory 1g --cpus 1.5 --require-limits --pids max -- true", true},
		{"run --idle-timeout=5m --tls-verify=false --review --image debian:12 -- true", true},
		{"run --security strict --allow *.npmjs.org --allow-local localhost:8080 -- npm ci", true},
		{"run --network none --require-network --require-proc --require-strict -- true", true},
		{"run --trace -- true", true},
		{"run -te A=1 -- top", true},
		{"run -eh -- env", true}, // -e h, not help
		{"enter", true},
		{"enter --review", true},
		{"enter -u self -- htop -d 5", true},
		{"enter htop", true},
		{"run --", false},
		{"run --rm", false},
		{"run --bogus -- true", false},
		{"run -x -- true", false},
		{"run --name", false},
		{"run --idle-timeout soon -- true", false},
		{"run --tls-verify=maybe -- true", false},
		{"run --help=false -- true", false},
		{"run -th -- true", false},
		{"enter --version", false},
		{"enter --tty", false},
	}
	for _, tt := range tests {
		if got := checkFrontParse(t, strings.Fields(tt.args)); got != tt.front {
			t.Errorf("front parses %q: %v, want %v", tt.args, got, tt.front)
		}
	}
}

// FuzzFrontParsesAsFull: whatever run's or enter's arguments, the front
// parses them as the engine's cobra commands do, or hands them off.
func FuzzFrontParsesAsFull(f *testing.F) {
	for _, seed := range []string{
		"-- true", "--rm -t -- make", "-e A=1 --env=B -- env", "--name x true", "-te A -- x",
		"--idle-timeout 1m --memory=1g -p 80 --", "--tls-verify=false --image x -- y", "--bogus",
		"-u", "--help=false -- x", "--trace --review", "-- --rm -h", "-vw /a:/b src x", "--=x", "-",
	} {
		f.Add(false, seed)
		f.Add(true, seed)
	}
	f.Fuzz(func(t *testing.T, enter bool, line string) {
		args := append([]string{"run"}, strings.Split(line, " ")...)
		if enter {
			args[0] = "enter"
		}
		if front.Handles(args) {
			checkFrontParse(t, args)
		}
	})
}
