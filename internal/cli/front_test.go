package cli

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func TestFrontHandles(t *testing.T) {
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
		if got := FrontHandles(strings.Fields(tt.args)); got != tt.want {
			t.Errorf("FrontHandles(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

// TestFrontRootParsesAsFull: the front's tree has run and enter with the
// same flags as the full tree's, so a command line the front accepts means
// the same in both binaries.
func TestFrontRootParsesAsFull(t *testing.T) {
	a := &App{Stdout: io.Discard, Stderr: io.Discard}
	full := newRootCmd(a)
	for _, name := range []string{"run", "enter"} {
		front := newFrontRoot(a, name)
		fc, _, err := front.Find([]string{name})
		if err != nil || fc.Name() != name {
			t.Fatalf("front tree has no %s: %v", name, err)
		}
		uc, _, _ := full.Find([]string{name})
		if got, want := flagNames(fc), flagNames(uc); !slices.Equal(got, want) {
			t.Errorf("front %s flags = %v, want %v", name, got, want)
		}
	}
}

func flagNames(c *cobra.Command) []string {
	var out []string
	c.Flags().VisitAll(func(f *pflag.Flag) { out = append(out, f.Name+"/"+f.Shorthand+"="+f.DefValue) })
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) { out = append(out, "inherited:"+f.Name) })
	return out
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
	a := &App{Stdout: io.Discard, Stderr: io.Discard}
	var parsed runFlags
	cmd := newRunCmdFor(a, &parsed)
	if err := cmd.ParseFlags([]string{"--", "true"}); err != nil {
		t.Fatal(err)
	}
	plain := runFlags{sandboxFlags: defaultSandboxFlags()}
	if !reflect.DeepEqual(parsed, plain) {
		t.Errorf("run's parsed defaults = %+v, the plain run's = %+v", parsed, plain)
	}
	var entered sandboxFlags
	if err := newEnterCmdFor(a, &entered).ParseFlags([]string{"--"}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(entered, defaultSandboxFlags()) {
		t.Errorf("enter's parsed defaults = %+v, the plain enter's = %+v", entered, defaultSandboxFlags())
	}
	over, err := flagOverrides(&cobra.Command{})
	if err != nil || len(over) != 0 {
		t.Errorf("flagOverrides of no flags = %v, %v; want none", over, err)
	}
}
