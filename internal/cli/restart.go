package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/devbox-dev/devbox/internal/front"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

func newRestartCmd(a *App) *cobra.Command {
	var f front.SandboxFlags
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "restart [NAME] [flags]",
		Short: "Stop a sandbox and start it again with the current config",
		Long: `Stop the sandbox (its sessions get SIGTERM, then SIGKILL after the grace
period) and start it again from its project's current devbox.toml and flags,
running setup steps that changed. Use it after editing devbox.toml.

Without NAME, the sandbox of the project in the current directory. NAME is a
sandbox name, its project's basename or a unique prefix of a name, as for
'devbox stop'; the sandbox starts again in its own project.`,
		Example:           "  devbox restart\n  devbox restart --time 2s\n  devbox restart myapp",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeAll,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if err := target(cmd, &f, args[0]); err != nil {
					return err
				}
			}
			opts, err := f.Options(cmd.Flags(), a)
			if err != nil {
				return err
			}
			if err := sandbox.Restart(opts, grace, a.Stderr); err != nil {
				return err
			}
			fmt.Fprintln(a.Stdout, opts.Name)
			return nil
		},
	}
	f.Register(cmd.Flags())
	completeSandboxFlags(cmd)
	cmd.Flags().DurationVarP(&grace, "time", "t", 10*time.Second, "grace period before SIGKILL")
	return cmd
}

// target points f at the sandbox arg names (name, project basename or
// unique prefix): its name and its project, which --name and --project
// would contradict.
func target(cmd *cobra.Command, f *front.SandboxFlags, arg string) error {
	for _, fl := range []string{"name", "project"} {
		if cmd.Flags().Changed(fl) {
			return UsageError{Err: fmt.Errorf("give NAME or --%s, not both: NAME already picks the sandbox and its project", fl)}
		}
	}
	info, err := sandbox.ResolveInfo(arg)
	if err != nil {
		return err
	}
	if info.Project == "" {
		return fmt.Errorf("restart %s: its project directory is not recorded; run 'devbox restart' in the project", info.Name)
	}
	if fi, err := os.Stat(info.Project); err != nil || !fi.IsDir() {
		return fmt.Errorf("restart %s: its project %s is gone; remove the sandbox with 'devbox rm %s'", info.Name, info.Project, info.Name)
	}
	f.Pick(info.Name, info.Project)
	return nil
}
