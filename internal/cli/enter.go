package cli

import (
	"errors"
	"fmt"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

func newEnterCmd(a *App) *cobra.Command {
	return newEnterCmdFor(a, &sandboxFlags{})
}

// newEnterCmdFor is enter's command, with its flags parsed into f.
func newEnterCmdFor(a *App, f *sandboxFlags) *cobra.Command {
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
			return a.enterCommand(cmd, f, args)
		},
	}
	f.register(cmd)
	f.registerUser(cmd)
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// enterCommand opens a login shell, or runs args, on a terminal as enter's
// flags f say; cmd holds the flags the user set (config overrides), none
// for the front's plain enter.
func (a *App) enterCommand(cmd *cobra.Command, f *sandboxFlags, args []string) error {
	if !sandbox.StdinIsTerminal() {
		return errors.New("enter needs a terminal; use devbox run (devbox run -- CMD, or devbox run -t -- CMD for a terminal inside)")
	}
	opts, err := f.options(cmd, a)
	if err != nil {
		return err
	}
	req := sandbox.SessionLater(opts, args, func(req *proto.Spawn) {
		req.TTY = true
		req.Shell, req.Login = len(args) == 0, len(args) == 0
	})
	if len(args) == 0 {
		fmt.Fprintln(a.Stderr, sandbox.Welcome(opts))
	}
	return a.run(opts, req, false)
}
