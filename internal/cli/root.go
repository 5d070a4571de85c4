package cli

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

// App holds what commands share; tests build a fresh tree with their own.
type App struct {
	Stdout, Stderr io.Writer
	// handoff, in the front binary, replaces this process with
	// devbox-engine for what the front does not do itself (front.go).
	handoff func() error
}

// Command makes one of the commands only the full binary links (image,
// export, kube: the image store and registries); cmd/devbox-engine passes
// them to Execute.
type Command func(*App) *cobra.Command

// UsageError marks a bad command line.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

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

// newFrontRoot is the front binary's tree for one command line: the root
// and the one command FrontHandles let it run (run or enter, args[0]),
// which is all a join parses, instead of every command's flags built on
// every run.
func newFrontRoot(a *App, name string) *cobra.Command {
	root := newRoot(a)
	if name == "enter" {
		root.AddCommand(newEnterCmd(a))
	} else {
		root.AddCommand(newRunCmd(a))
	}
	// 'devbox completion' goes to devbox-engine (FrontHandles): no need
	// to build its commands here on every run.
	root.CompletionOptions.DisableDefaultCmd = true
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
	return a.finish(root.Execute())
}

// finish reports a command's error, prints the trace if asked, and returns
// the exit status.
func (a *App) finish(err error) int {
	code := a.report(err)
	if trace.Requested() {
		trace.Format(a.Stderr, trace.Take())
	}
	return code
}

// report prints err once and maps it to an exit status: the session's own,
// 126/127 for a command that cannot run, 125 for devbox's own failures.
func (a *App) report(err error) int {
	if err == nil {
		return 0
	}
	var exit *sandbox.ExitError
	if errors.As(err, &exit) {
		if exit.Msg != "" {
			fmt.Fprintln(a.Stderr, exit.Msg)
		}
		return exit.Code
	}
	fmt.Fprintf(a.Stderr, "Error: %v\n", err)
	if fix := hint.Of(err); fix != "" {
		fmt.Fprintf(a.Stderr, "Hint: %s\n", fix)
	}
	var ue UsageError
	var ce *config.Error
	if errors.As(err, &ue) || isCobraUsage(err) || (errors.As(err, &ce) && ce.Flag != "") {
		fmt.Fprintln(a.Stderr, "Run 'devbox --help' for usage.")
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
