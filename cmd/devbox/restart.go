package main

import (
	"fmt"
	"time"

	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

func newRestartCmd(a *app) *cobra.Command {
	var f sandboxFlags
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "restart [flags]",
		Short: "Stop the project's sandbox and start it again with the current config",
		Long: `Stop the project's sandbox (its sessions get SIGTERM, then SIGKILL after the
grace period) and start it again from the current devbox.toml and flags, running
setup steps that changed. Use it after editing devbox.toml.`,
		Example: "  devbox restart\n  devbox restart --time 2s",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(cmd, a)
			if err != nil {
				return err
			}
			if err := sandbox.Restart(opts, grace, a.stderr); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, opts.Name)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().DurationVarP(&grace, "time", "t", 10*time.Second, "grace period before SIGKILL")
	return cmd
}
