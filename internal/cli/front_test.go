package cli

import (
	"io"
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
