package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/spf13/cobra"
)

func newPortCmd(a *App) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "port",
		Short: "Publish, unpublish and list ports of a running sandbox",
		Example: `  devbox port add 8080:80          # host 127.0.0.1:8080 -> sandbox port 80
  devbox port add 0.0.0.0:5353:53/udp --name web-1a2b3c
  devbox port ls
  devbox port rm 2`,
	}
	cmd.PersistentFlags().StringVar(&name, "name", "", "sandbox name (default: this project's sandbox)")
	cmd.RegisterFlagCompletionFunc("name", completeRunning)
	target := func() (string, error) {
		if name != "" {
			return name, nil
		}
		return currentName()
	}
	cmd.AddCommand(&cobra.Command{
		Use:         "add [[HOSTIP:]HOSTPORT:]PORT[/tcp|/udp]",
		Annotations: Needs("needs one port spec"),
		Short:       "Publish a port on a running sandbox",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := slirpnet.ParsePortSpec(args[0]); err != nil {
				return UsageError{Err: err}
			}
			return portRequest(a, target, proto.PortAdd{Spec: args[0]})
		},
	}, &cobra.Command{
		Use:         "rm ID",
		Annotations: Needs("needs one port ID (see devbox port ls)"),
		Short:       "Stop publishing a port (IDs from 'devbox port ls')",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.Atoi(args[0])
			if err != nil {
				return UsageError{Err: fmt.Errorf("invalid port id %q: see 'devbox port ls'", args[0])}
			}
			return portRequest(a, target, proto.PortRemove{ID: id})
		},
	}, &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List published ports",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return portRequest(a, target, proto.PortList{})
		},
	})
	return cmd
}

// portRequest sends req to the sandbox and prints the resulting port table.
func portRequest(a *App, target func() (string, error), req proto.Message) error {
	n, err := target()
	if err != nil {
		return err
	}
	ports, err := sandbox.Ports(n, req)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPORT")
	for _, p := range ports {
		fmt.Fprintf(w, "%d\t%s\n", p.ID, p.Spec)
	}
	return w.Flush()
}
