package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// argsNote is the annotation naming what a command's arguments must be
// ("needs a command"), for argument errors.
const argsNote = "devbox/args"

// useHelpers sets what every command's help and argument errors share:
// flag usages without pflag's "[=true|false]" on boolean flags, and
// argument errors that say what to type. The usage text is a function, not
// cobra's template with flagUsages swapped in: a template's execution
// calls methods by name, and with that reachable the linker keeps every
// exported method of every type in the binary (2.7 MB of devbox-engine,
// 1.2 MB of the front, measured stripped).
func useHelpers(root *cobra.Command) {
	root.SetUsageFunc(usage)
	walk(root, func(c *cobra.Command) {
		if c.Args != nil {
			c.Args = explainArgs(c.Args)
		}
	})
}

// usage writes cobra's default usage text (its defaultUsageTemplate, as
// of cobra 1.10) with flagUsages for the flag lists.
func usage(c *cobra.Command) error {
	c.LocalFlags() // merges the persistent flags in, as cobra does first: UseLine's "[flags]" counts them
	w := c.OutOrStderr()
	fmt.Fprint(w, "Usage:")
	if c.Runnable() {
		fmt.Fprintf(w, "\n  %s", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n  %s [command]", c.CommandPath())
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(w, "\n\nAliases:\n  %s", c.NameAndAliases())
	}
	if c.HasExample() {
		fmt.Fprintf(w, "\n\nExamples:\n%s", c.Example)
	}
	if c.HasAvailableSubCommands() {
		usageCommands(w, c)
	}
	if c.HasAvailableLocalFlags() {
		fmt.Fprintf(w, "\n\nFlags:\n%s", flagUsages(c.LocalFlags()))
	}
	if c.HasAvailableInheritedFlags() {
		fmt.Fprintf(w, "\n\nGlobal Flags:\n%s", flagUsages(c.InheritedFlags()))
	}
	if c.HasHelpSubCommands() {
		fmt.Fprint(w, "\n\nAdditional help topics:")
		for _, sub := range c.Commands() {
			if sub.IsAdditionalHelpTopicCommand() {
				fmt.Fprintf(w, "\n  %-*s %s", sub.CommandPathPadding(), sub.CommandPath(), sub.Short)
			}
		}
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\n\nUse \"%s [command] --help\" for more information about a command.", c.CommandPath())
	}
	fmt.Fprintln(w)
	return nil
}

// usageCommands lists c's subcommands, by group when it has groups.
func usageCommands(w io.Writer, c *cobra.Command) {
	list := func(group string, all bool) {
		for _, sub := range c.Commands() {
			if (all || sub.GroupID == group) && (sub.IsAvailableCommand() || sub.Name() == "help") {
				fmt.Fprintf(w, "\n  %-*s %s", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	if len(c.Groups()) == 0 {
		fmt.Fprint(w, "\n\nAvailable Commands:")
		list("", true)
		return
	}
	for _, g := range c.Groups() {
		fmt.Fprintf(w, "\n\n%s", g.Title)
		list(g.ID, false)
	}
	if !c.AllChildCommandsHaveGroup() {
		fmt.Fprint(w, "\n\nAdditional Commands:")
		list("", false)
	}
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
