package cli

import (
	"fmt"
	"strings"

	"github.com/devbox-dev/devbox/internal/egress"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

func newNetCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "net",
		Short: "Change and list the egress lists of a running strict sandbox",
		Long: `Change and list what a running strict sandbox may reach through devbox's proxy.
A change lasts until the sandbox stops; to keep it, add it to [egress] in devbox.toml.`,
		Example: `  devbox net allow github.com
  devbox net allow '*.npmjs.org'
  devbox net allow --local localhost:5432
  devbox net deny gist.github.com
  devbox net ls`,
	}
	var local bool
	allow := &cobra.Command{
		Use:   "allow PATTERN [NAME]",
		Short: "Let the sandbox reach PATTERN (host, *.domain, either with :port)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netRequest(a, args[1:], args[0], proto.NetAllow{Pattern: args[0], Local: local})
		},
	}
	allow.Flags().BoolVar(&local, "local", false, "add to allow_local: PATTERN may resolve to a loopback, link-local or private address")
	cmd.AddCommand(allow, &cobra.Command{
		Use:   "deny PATTERN [NAME]",
		Short: "Refuse PATTERN (deny wins over allow)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netRequest(a, args[1:], args[0], proto.NetDeny{Pattern: args[0]})
		},
	}, &cobra.Command{
		Use:     "ls [NAME]",
		Aliases: []string{"list"},
		Short:   "List the egress lists in effect",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netRequest(a, args, "", proto.NetList{})
		},
	})
	return cmd
}

// netRequest sends req to the named sandbox (or this project's) and prints
// the lists in effect.
func netRequest(a *App, name []string, pattern string, req proto.Message) error {
	if pattern != "" {
		if _, err := egress.ParseRule(pattern); err != nil {
			return UsageError{Err: err}
		}
	}
	n := ""
	if len(name) > 0 {
		n = name[0]
	} else {
		var err error
		if n, err = currentName(); err != nil {
			return err
		}
	}
	e, err := sandbox.Net(n, req)
	if err != nil {
		return err
	}
	for _, l := range []struct {
		key  string
		list []string
	}{{"allow", e.Allow}, {"deny", e.Deny}, {"allow_local", e.AllowLocal}} {
		fmt.Fprintf(a.Stdout, "%-12s %s\n", l.key, strings.Join(quoteAll(l.list), " "))
	}
	return nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}
