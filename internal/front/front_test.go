package front

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestHandles(t *testing.T) {
	tests := []struct {
		args string
		want bool
	}{
		{"run -- true", true},
		{"run --name x -u root -- make", true},
		{"enter", true},
		{"enter --review", true},
		{"run --rm -- true", true},
		{"run --help", false},
		{"enter -h", false},
		{"run -- true --help", true}, // the command's own flag
		{"run -- true --rm", true},
		{"ps", false},
		{"--trace run -- true", false},
		{"", false},
		{"image ls", false},
	}
	for _, tt := range tests {
		if got := Handles(strings.Fields(tt.args)); got != tt.want {
			t.Errorf("Handles(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

func TestPlainArgs(t *testing.T) {
	tests := []struct {
		args string
		want []string // nil: not plain
	}{
		{"run -- true", []string{"true"}},
		{"run -- make test --rm", []string{"make", "test", "--rm"}},
		{"run -- --help", []string{"--help"}},
		{"run --", nil}, // cobra says a command is needed
		{"run --rm -- true", nil},
		{"run true", nil},
		{"run", nil},
		{"enter", []string{}},
		{"enter --", []string{}},
		{"enter -- htop -d 5", []string{"htop", "-d", "5"}},
		{"enter --review", nil},
		{"enter htop", nil},
	}
	for _, tt := range tests {
		got, ok := plainArgs(strings.Fields(tt.args))
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("plainArgs(%q) = %q, %v; want %q", tt.args, got, ok, tt.want)
		}
	}
}

// TestPlainFlagsAreDefaults: the flags the front's plain run and enter use
// are what their own parse gives without flags, so skipping the parse
// changes nothing.
func TestPlainFlagsAreDefaults(t *testing.T) {
	fl, f, _, ok := parse([]string{"run", "--", "true"})
	if !ok {
		t.Fatal("run -- true: not parsed")
	}
	plain := RunFlags{SandboxFlags: defaultSandboxFlags()}
	if !reflect.DeepEqual(*f, plain) {
		t.Errorf("run's parsed defaults = %+v, the plain run's = %+v", *f, plain)
	}
	if over, err := FlagOverrides(fl); err != nil || len(over) != 0 {
		t.Errorf("flagOverrides of no flags = %v, %v; want none", over, err)
	}
	_, f, _, ok = parse([]string{"enter", "--"})
	if !ok || !reflect.DeepEqual(f.SandboxFlags, defaultSandboxFlags()) {
		t.Errorf("enter's parsed defaults = %+v (%v), the plain enter's = %+v", f.SandboxFlags, ok, defaultSandboxFlags())
	}
	if over, err := FlagOverrides(nil); err != nil || len(over) != 0 {
		t.Errorf("FlagOverrides(nil) = %v, %v; want none", over, err)
	}
}

// TestParse: what the front parses itself and what it leaves to
// devbox-engine (internal/cli's tests hold the parse to cobra's).
func TestParse(t *testing.T) {
	tests := []struct {
		args string
		want []string // nil: handed off
	}{
		{"run -- true", []string{"true"}},
		{"run true", []string{"true"}},
		{"run --rm -t -e A=1 -- make test", []string{"make", "test"}},
		{"run --name x make --name y", []string{"make", "--name", "y"}},
		{"run --idle-timeout=5m --tls-verify=false -- true", []string{"true"}},
		{"run --trace -- true", []string{"true"}},
		{"enter", []string{}},
		{"enter --review", []string{}},
		{"enter -u root -- htop", []string{"htop"}},
		{"run --", nil},   // cobra: run needs a command
		{"run --rm", nil}, // likewise
		{"run --bogus -- true", nil},
		{"run -x -- true", nil},
		{"run --name", nil},
		{"run --idle-timeout soon -- true", nil},
		{"run --help=false -- true", nil},
		{"run -th -- true", nil},
		{"enter --version", nil},
	}
	for _, tt := range tests {
		_, argv, ok := Parse(strings.Fields(tt.args))
		if ok != (tt.want != nil) || !slices.Equal(argv, tt.want) {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.args, argv, ok, tt.want)
		}
	}
}

// BenchmarkParse is the front's parse of a run with a flag: the flags'
// registration and pflag's parse.
func BenchmarkParse(b *testing.B) {
	args := []string{"run", "-e", "A=1", "--", "true"}
	for b.Loop() {
		if _, _, _, ok := parse(args); !ok {
			b.Fatal("not parsed")
		}
	}
}
