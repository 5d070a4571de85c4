package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/shellinit"
	"github.com/spf13/cobra"
)

// runFlags are run's flags: the sandbox's, and its own.
type runFlags struct {
	sandboxFlags
	tty, rm bool
}

func newRunCmd(a *App) *cobra.Command {
	return newRunCmdFor(a, &runFlags{})
}

// newRunCmdFor is run's command, with its flags parsed into f.
func newRunCmdFor(a *App, f *runFlags) *cobra.Command {
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
			return a.runCommand(cmd, f, args)
		},
	}
	f.register(cmd)
	f.registerUser(cmd)
	cmd.Flags().BoolVarP(&f.tty, "tty", "t", false, "allocate a terminal inside the sandbox")
	cmd.Flags().BoolVar(&f.rm, "rm", false, "use a throwaway sandbox, destroyed afterwards")
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// runCommand runs args (at least one) as run's flags f say; cmd holds the
// flags the user set (config overrides), none for the front's plain run.
func (a *App) runCommand(cmd *cobra.Command, f *runFlags, args []string) error {
	f.throwaway = f.rm
	if f.rm && a.handoff != nil {
		a.prestart()
		defer sandbox.CancelPrestart() // a start that failed before taking it
	}
	opts, err := f.projectOptions(cmd, a)
	if err != nil {
		return err
	}
	tweak := func(req *proto.Spawn) { req.TTY = f.tty }
	var req func() proto.Spawn
	if opts.Config.Image == "" {
		// A host-view session needs nothing that the rest of the options
		// changes (the image, a strict config's network): its request is
		// built from here on, beside the trust check, not after it.
		req = sandbox.SessionLater(opts, args, tweak)
	}
	if opts, err = f.completeOptions(opts, a); err != nil {
		return err
	}
	if req == nil {
		req = sandbox.SessionLater(opts, args, tweak)
	}
	err = a.run(opts, req, f.rm)
	if installFailed(err, opts.Image == nil, args[0]) {
		fmt.Fprintln(a.Stderr, shellinit.InstallHint)
	}
	return err
}

// prestart starts, in the front binary, the supervisor of the throwaway
// sandbox that run --rm always starts, before its config is loaded
// (sandbox.PrestartSupervisor); the hand-off to devbox-engine, for an
// image sandbox, drops it first.
func (a *App) prestart() {
	sandbox.PrestartSupervisor()
	handoff := a.handoff
	a.handoff = func() error {
		sandbox.CancelPrestart()
		return handoff()
	}
}

// installFailed reports whether a host-view run of a package installer
// (apt, apt-get, dpkg, pip) failed on its own, which the host's read-only
// /usr explains: devbox run then says so, as an interactive shell's
// wrappers do.
func installFailed(err error, hostView bool, cmd string) bool {
	var ee *sandbox.ExitError
	if !hostView || !errors.As(err, &ee) || ee.Code == 0 || ee.Code >= 125 {
		return false
	}
	name := filepath.Base(cmd)
	return name == "apt-get" || slices.Contains(shellinit.InstallTools, name)
}
