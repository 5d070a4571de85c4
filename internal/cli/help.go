package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// argsNote is the annotation naming what a command's arguments must be
// ("needs a command"), for argument errors.
const argsNote = "devbox/args"

// useHelpers sets what every command's help and argument errors share:
// flag usages without pflag's "[=true|false]" on boolean flags, and
// argument errors that say what to type.
func useHelpers(root *cobra.Command) {
	cobra.AddTemplateFunc("flagUsages", flagUsages)
	tmpl := strings.ReplaceAll(root.UsageTemplate(), ".LocalFlags.FlagUsages", "flagUsages .LocalFlags")
	tmpl = strings.ReplaceAll(tmpl, ".InheritedFlags.FlagUsages", "flagUsages .InheritedFlags")
	root.SetUsageTemplate(tmpl)
	walk(root, func(c *cobra.Command) {
		if c.Args != nil {
			c.Args = explainArgs(c.Args)
		}
	})
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// explainArgs makes an argument error name the command and its usage
// line: "devbox run needs a command: devbox run -- CMD [ARG...]".
func explainArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		if err == nil {
			return nil
		}
		use := strings.Replace(cmd.UseLine(), " [flags]", "", 1)
		if note := cmd.Annotations[argsNote]; note != "" {
			return UsageError{Err: fmt.Errorf("%s %s: %s", cmd.CommandPath(), note, use)}
		}
		return UsageError{Err: fmt.Errorf("%s: %v: %s", cmd.CommandPath(), err, use)}
	}
}

// Needs annotates a command with what its arguments must be.
func Needs(what string) map[string]string {
	return map[string]string{argsNote: what}
}

// flagUsages is FlagUsages with boolean flags shown as "--rm", not
// "--rm[=true|false]" (pflag 1.1 prints that for every boolean).
func flagUsages(fs *pflag.FlagSet) string {
	out := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.VisitAll(func(f *pflag.Flag) {
		cp := *f
		out.AddFlag(&cp)
		if f.Value.Type() == "bool" {
			// AddFlag sets NoOptDefVal "true" on boolean values itself.
			cp.Value, cp.NoOptDefVal = quietBool{f.Value}, ""
		}
	})
	return strings.TrimRight(out.FlagUsages(), " \t\n")
}

// quietBool is a boolean flag's value under another type name, so the
// usage line shows no value.
type quietBool struct{ pflag.Value }

func (quietBool) Type() string     { return "switch" }
func (quietBool) IsBoolFlag() bool { return true }
