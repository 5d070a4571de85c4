package cli

import (
	"os"

	"github.com/devbox-dev/devbox/internal/front"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/spf13/cobra"
)

// App holds what commands share; tests build a fresh tree with their own.
// It is the front's (run and enter are served there, package front).
type App = front.App

// UsageError marks a bad command line.
type UsageError = front.UsageError

// Command makes one of the commands only the full binary links (image,
// export, kube: the image store and registries); cmd/devbox-engine passes
// them to Execute.
type Command func(*App) *cobra.Command

func newRootCmd(a *App, more ...Command) *cobra.Command {
	root := newRoot(a)
	root.AddCommand(newInitCmd(a), newRestartCmd(a), newTrustCmd(a))
	root.AddCommand(newRunCmd(a), newPortCmd(a), newNetCmd(a), newLogsCmd(a), newEnterCmd(a), newPsCmd(a), newStopCmd(a), newRmCmd(a), newDoctorCmd(a), newUpdateCmd(a), newStatsCmd(a))
	for _, c := range more {
		root.AddCommand(c(a))
	}
	root.AddCommand(newDiffCmd(a), newApplyCmd(a), newDiscardCmd(a), newSnapshotCmd(a))
	root.AddCommand(newVersionCmd(a), newConfigTopic())
	useHelpers(root)
	return root
}

// newRoot is the root command and its global flags, without subcommands.
func newRoot(a *App) *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:   "devbox",
		Short: "Rootless developer sandboxes",
		Long: `devbox gives each project a rootless sandbox: its own user, mount, PID, UTS,
IPC, network and cgroup namespaces, with the project directory bound at its own
path and a persistent home. No sudo needed.`,
		Example: `  devbox enter                 # a shell in this project's sandbox
  devbox run -- make test      # one command (CI), exit status passed through
  devbox ps                    # running sandboxes
  devbox stop                  # stop this project's sandbox`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				printVersion(a.Stdout)
				return nil
			}
			return cmd.Help()
		},
	}
	root.Flags().BoolVar(&showVersion, "version", false, "print the version (as devbox version)")
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{Err: err} })
	var traceFlag bool
	root.PersistentFlags().BoolVar(&traceFlag, "trace", false, "print how long each phase took, from start to exit, on stderr (also DEVBOX_TRACE=1)")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if traceFlag {
			trace.Enable()
		}
	}
	return root
}

// Execute runs the command line, with the commands more besides the light
// ones, and returns the process exit status.
func Execute(args []string, more ...Command) int {
	return execute(&App{Stdout: os.Stdout, Stderr: os.Stderr}, args, more)
}

func execute(a *App, args []string, more []Command) int {
	return executeRoot(a, newRootCmd(a, more...), args)
}

// executeRoot runs args on the tree root and prints the trace, if asked.
func executeRoot(a *App, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	return a.Finish(root.Execute())
}
