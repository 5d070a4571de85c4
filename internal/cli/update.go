package cli

import (
	"errors"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// limitFlags are the resource limit flags of run, enter and update.
type limitFlags struct {
	memory, memorySwap, pids, cpus, cpuWeight string
	require                                   bool
}

func (f *limitFlags) register(fl *pflag.FlagSet, withRequire bool) {
	fl.StringVar(&f.memory, "memory", "", "memory limit (memory.max): 512m, 2g, or max")
	fl.StringVar(&f.memorySwap, "memory-swap", "", "swap limit (memory.swap.max): 0 for no swap, 1g, or max")
	fl.StringVar(&f.pids, "pids", "", "process limit (pids.max): 512, or max")
	fl.StringVar(&f.cpus, "cpus", "", "CPU quota (cpu.max) in CPUs: 1.5, or max")
	fl.StringVar(&f.cpuWeight, "cpu-weight", "", "CPU weight (cpu.weight): 1 to 10000, default 100")
	if withRequire {
		fl.BoolVar(&f.require, "require-limits", false, "fail (exit 125) instead of warning when limits cannot be enforced")
	}
}

func newUpdateCmd(a *App) *cobra.Command {
	var f limitFlags
	cmd := &cobra.Command{
		Use:   "update [flags] [NAME]",
		Short: "Change the resource limits of a running sandbox",
		Long: `Change a running sandbox's cgroup v2 limits. They apply at once, to every
process in the sandbox, until it stops; the next start uses the limits given then.`,
		Example:           "  devbox update --memory 4g\n  devbox update --cpus 2 --pids max myapp-1a2b3c",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeRunning,
		RunE: func(cmd *cobra.Command, args []string) error {
			over, err := flagOverrides(cmd)
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
	f.register(cmd.Flags(), false)
	return cmd
}

// nameOrCurrent is args[0], or the current project's sandbox.
func nameOrCurrent(args []string) (string, error) {
	if len(args) == 1 {
		return sandbox.Resolve(args[0])
	}
	return currentName()
}
