package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/front"
	"github.com/spf13/cobra"
)

func runCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errb}
	root := newRootCmd(a)
	root.SetArgs(args)
	code := a.Report(root.Execute())
	return out.String(), errb.String(), code
}

func TestHelpShowsBooleanFlagsPlain(t *testing.T) {
	out, _, code := runCLI("run", "--help")
	if code != 0 || strings.Contains(out, "[=true|false]") || strings.Contains(out, "[=true]") {
		t.Errorf("devbox run --help (exit %d) shows a value on boolean flags:\n%s", code, out)
	}
	for _, want := range []string{"  -h, --help ", "      --rm ", "  -v, --volume stringArray", "      --tls-verify ", "(default true)"} {
		if !strings.Contains(out, want) {
			t.Errorf("devbox run --help lacks %q:\n%s", want, out)
		}
	}
}

// TestUsageIsCobrasTemplate checks usage against what it replaces: cobra's
// default usage template with flagUsages for the flag lists, executed for
// every command (the test binary may link text/template).
func TestUsageIsCobrasTemplate(t *testing.T) {
	cobra.AddTemplateFunc("flagUsages", flagUsages)
	tmplRoot := newRootCmd(&App{})
	tmpl := strings.ReplaceAll(tmplRoot.UsageTemplate(), ".LocalFlags.FlagUsages", "flagUsages .LocalFlags")
	tmpl = strings.ReplaceAll(tmpl, ".InheritedFlags.FlagUsages", "flagUsages .InheritedFlags")
	tmplRoot.SetUsageFunc(nil)
	tmplRoot.SetUsageTemplate(tmpl)
	want := map[string]string{}
	walk(tmplRoot, func(c *cobra.Command) { want[c.CommandPath()] = c.UsageString() })
	n := 0
	walk(newRootCmd(&App{}), func(c *cobra.Command) {
		n++
		if got := c.UsageString(); got != want[c.CommandPath()] {
			t.Errorf("%s: usage\n%s\nwant (cobra's template)\n%s", c.CommandPath(), got, want[c.CommandPath()])
		}
	})
	if n < 10 {
		t.Errorf("walked %d commands, want the whole tree", n)
	}
}

func TestArgumentErrorsSayWhatToType(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "Error: devbox run needs a command: devbox run -- CMD [ARG...]\n"},
		{[]string{"stop", "a", "b"}, "Error: devbox stop: accepts at most 1 arg(s), received 2: devbox stop [NAME|--all]\n"},
		{[]string{"port", "rm"}, "Error: devbox port rm needs one port ID (see devbox port ls): devbox port rm ID\n"},
	}
	for _, tt := range tests {
		_, errOut, code := runCLI(tt.args...)
		if code != front.ExitDevbox || !strings.HasPrefix(errOut, tt.want) || !strings.Contains(errOut, "Run 'devbox --help'") {
			t.Errorf("devbox %s: exit %d, stderr %q; want 125 and %q", strings.Join(tt.args, " "), code, errOut, tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, _, code := runCLI(args...)
		if code != 0 || !strings.HasPrefix(out, "devbox "+version+"\ncommit: ") || !strings.Contains(out, "go: go") || !strings.Contains(out, "user namespaces") {
			t.Errorf("devbox %s: exit %d\n%s", args[0], code, out)
		}
	}
}

func TestHelpConfigIsTheReference(t *testing.T) {
	out, _, code := runCLI("help", "config")
	if code != 0 || !strings.Contains(out, "# devbox.toml") || !strings.Contains(out, "home_files") {
		t.Errorf("devbox help config: exit %d, want the config reference:\n%.300s", code, out)
	}
	if out, _, _ := runCLI("help"); !strings.Contains(out, "config") {
		t.Errorf("devbox help does not list the config topic:\n%s", out)
	}
}
