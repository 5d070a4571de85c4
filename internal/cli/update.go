package cli

import (
	"errors"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/front"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

func newUpdateCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update [flags] [NAME]",
		Short: "Change the resource limits of a running sandbox",
		Long: `Change a running sandbox's cgroup v2 limits. They apply at once, to every
process in the sandbox, until it stops; the next start uses the limits given then.`,
		Example:           "  devbox update --memory 4g\n  devbox update --cpus 2 --pids max myapp-1a2b3c",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeRunning,
		RunE: func(cmd *cobra.Command, args []string) error {
			over, err := front.FlagOverrides(cmd.Flags())
			if err != nil {
				return err
			}
			cl, err := config.LimitsFrom(over)
			if err != nil {
				return err
			}
			lim := cl.Limits
			if lim.IsZero() {
				return UsageError{Err: errors.New("no limit given: use --memory, --memory-swap, --pids, --cpus or --cpu-weight")}
			}
			name, err := nameOrCurrent(args)
			if err != nil {
				return err
			}
			return sandbox.UpdateLimits(name, lim)
		},
	}
	front.RegisterLimits(cmd.Flags())
	return cmd
}

// nameOrCurrent is args[0], or the current project's sandbox.
func nameOrCurrent(args []string) (string, error) {
	if len(args) == 1 {
		return sandbox.Resolve(args[0])
	}
	return currentName()
}
