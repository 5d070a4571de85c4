package cli

// The cobra commands run and enter, for devbox-engine: their flags,
// parse and code are the front's (package front), which serves both in
// the front binary without cobra; here they get cobra's help, argument
// errors and completions.

import (
	"github.com/devbox-dev/devbox/internal/front"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/slirpnet"
	"github.com/spf13/cobra"
)

func newRunCmd(a *App) *cobra.Command {
	return newRunCmdFor(a, &front.RunFlags{})
}

// newRunCmdFor is run's command, with its flags parsed into f.
func newRunCmdFor(a *App, f *front.RunFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run [flags] -- CMD [ARG...]",
		Short: "Run a command in the project's sandbox",
		Long: `Run CMD in the project's sandbox, starting the sandbox if it is not running.
stdin, stdout and stderr pass through, and so does the exit status: the
command's own code, 128+N when signal N killed it, 126 when it cannot be
executed, 127 when it is not found, and 125 when devbox itself fails.

Files, pipes and sockets are handed to CMD as they are. A terminal never is:
CMD gets a terminal of the sandbox's own (so colours, columns and the window
size still work) that devbox relays while CMD runs; your terminal keeps its
line editing, ^C, ^D and job control. Use -t for full-screen programs.`,
		Example: `  devbox run -- make test
  devbox run -t -- top                  # with a terminal
  devbox run --rm --network none -- go test ./...   # throwaway sandbox (CI)`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: Needs("needs a command"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.RunCommand(cmd.Flags(), f, args)
		},
	}
	f.RegisterRun(cmd.Flags())
	completeSandboxFlags(cmd)
	return cmd
}

func newEnterCmd(a *App) *cobra.Command {
	return newEnterCmdFor(a, &front.SandboxFlags{})
}

// newEnterCmdFor is enter's command, with its flags parsed into f.
func newEnterCmdFor(a *App, f *front.SandboxFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enter [flags] [-- CMD [ARG...]]",
		Short: "Open a shell in the project's sandbox",
		Long: `Open an interactive login shell on a terminal in the project's sandbox, or run
CMD on a terminal. The sandbox starts if it is not running, or is joined when
it is. The shell is your $SHELL if the sandbox has it, else bash, else sh.`,
		Example: `  devbox enter
  devbox enter --name scratch
  devbox enter -- htop`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.EnterCommand(cmd.Flags(), f, args)
		},
	}
	f.RegisterEnter(cmd.Flags())
	completeSandboxFlags(cmd)
	return cmd
}

// completeSandboxFlags adds the completions of the flags run and enter
// share.
func completeSandboxFlags(cmd *cobra.Command) {
	cmd.RegisterFlagCompletionFunc("network", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, d := range slirpnet.Drivers() {
			out = append(out, d.Name()+"\t"+d.About())
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.RegisterFlagCompletionFunc("security", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"default\tseccomp filter and cut capabilities", "unconfined\tno filter, every capability in the sandbox's namespaces", "strict\tno capabilities, egress allowlist, protected files"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// SandboxOptions are the options of sandbox name (the project's own when
// name is empty) for cmd, a command of its own (front.SandboxOptions).
func SandboxOptions(cmd *cobra.Command, a *App, name string, tlsVerify bool) (sandbox.Options, error) {
	return front.SandboxOptions(cmd.Flags(), a, name, tlsVerify)
}

// ProjectOptions is SandboxOptions without resolving the image.
func ProjectOptions(cmd *cobra.Command, a *App, name string) (sandbox.Options, error) {
	return front.ProjectOptions(cmd.Flags(), a, name)
}
