package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/spf13/cobra"
)

// exitDevbox is devbox's own failure status, as Podman uses it.
const exitDevbox = 125

// app holds what commands share; tests build a fresh tree with their own.
type app struct {
	stdout, stderr io.Writer
}

// usageError marks a bad command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func newRootCmd(a *app) *cobra.Command {
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
				printVersion(a.stdout)
				return nil
			}
			return cmd.Help()
		},
	}
	root.Flags().BoolVar(&showVersion, "version", false, "print the version (as devbox version)")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	var traceFlag bool
	root.PersistentFlags().BoolVar(&traceFlag, "trace", false, "print how long each phase took, from start to exit, on stderr (also DEVBOX_TRACE=1)")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if traceFlag {
			trace.Enable()
		}
	}
	root.AddCommand(newInitCmd(a), newRestartCmd(a), newTrustCmd(a))
	root.AddCommand(newRunCmd(a), newPortCmd(a), newNetCmd(a), newLogsCmd(a), newEnterCmd(a), newPsCmd(a), newStopCmd(a), newRmCmd(a), newDoctorCmd(a), newUpdateCmd(a), newStatsCmd(a), newImageCmd(a), newExportCmd(a), newKubeCmd(a))
	root.AddCommand(newDiffCmd(a), newApplyCmd(a), newDiscardCmd(a), newSnapshotCmd(a))
	root.AddCommand(newVersionCmd(a), newConfigTopic())
	useHelpers(root)
	return root
}

// execute runs the command line and returns the process exit status.
func execute(args []string) int {
	a := &app{stdout: os.Stdout, stderr: os.Stderr}
	root := newRootCmd(a)
	root.SetArgs(args)
	code := a.report(root.Execute())
	if trace.Requested() {
		trace.Format(a.stderr, trace.Take())
	}
	return code
}

// report prints err once and maps it to an exit status: the session's own,
// 126/127 for a command that cannot run, 125 for devbox's own failures.
func (a *app) report(err error) int {
	if err == nil {
		return 0
	}
	var exit *sandbox.ExitError
	if errors.As(err, &exit) {
		if exit.Msg != "" {
			fmt.Fprintln(a.stderr, exit.Msg)
		}
		return exit.Code
	}
	fmt.Fprintf(a.stderr, "Error: %v\n", err)
	if fix := hint.Of(err); fix != "" {
		fmt.Fprintf(a.stderr, "Hint: %s\n", fix)
	}
	var ue usageError
	var ce *config.Error
	if errors.As(err, &ue) || isCobraUsage(err) || (errors.As(err, &ce) && ce.Flag != "") {
		fmt.Fprintln(a.stderr, "Run 'devbox --help' for usage.")
	}
	return exitDevbox
}

// isCobraUsage recognises cobra's own argument errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
