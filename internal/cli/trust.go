package cli

import (
	"fmt"
	"io"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/front"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/spf13/cobra"
)

func newTrustCmd(a *App) *cobra.Command {
	var show bool
	cmd := &cobra.Command{
		Use:   "trust [--show] [DIR]",
		Short: "Approve the access the project's devbox.toml asks for",
		Long: `Code in a sandbox can write the project, so devbox does not take devbox.toml's
word alone. It keeps, outside every sandbox, the config each project last ran
with. A devbox.toml that asks for more access to this machine (a new or
writable mount, home = "host" or "ro", gui, forward_ssh_agent, network =
"host", allow_host_loopback, a port on a non-loopback address, a removed or
raised limit, security = "unconfined", loader variables such as LD_PRELOAD)
is refused with exit 125 until you approve it here; on a terminal, run and
enter ask instead. Asking for the same or less needs no approval.

trust approves the file as it is now and lists what that adds. In CI, run
'devbox trust' in the job's script after the checkout, before 'devbox run'.
--show lists what is approved and what is pending, and approves nothing.`,
		Example: "  devbox trust --show\n  devbox trust\n  devbox trust ../other-project",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var dir string
			if len(args) == 1 {
				var err error
				if dir, err = project.Explicit(args[0]); err != nil {
					return UsageError{Err: fmt.Errorf("invalid project %q: %w", args[0], err)}
				}
			}
			dir, err := session.FindProject(dir, a.Stderr)
			if err != nil {
				return err
			}
			file, err := config.LoadFile(front.ConfigName(dir), front.ConfigContext(dir))
			if err != nil {
				return err
			}
			if show {
				return showTrust(a.Stdout, dir, file)
			}
			changes, err := sandbox.Trust(dir, file)
			if err != nil {
				return err
			}
			if len(changes) == 0 {
				fmt.Fprintf(a.Stdout, "%s asks for nothing beyond what is approved for %s; recorded as approved.\n", front.ConfigName(dir), dir)
				return nil
			}
			fmt.Fprintf(a.Stdout, "approved for %s:\n", dir)
			front.PrintChanges(a.Stdout, changes)
			return nil
		},
	}
	cmd.Flags().BoolVar(&show, "show", false, "list what is approved and what is pending; approve nothing")
	return cmd
}

// showTrust prints the record's access beyond the defaults, then what the
// file asks for beyond the record.
func showTrust(w io.Writer, dir string, file config.Config) error {
	pending, rec, ok, err := sandbox.Pending(dir, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "project: %s\n", dir)
	if ok {
		fmt.Fprintf(w, "approved: %s (%s)\n", rec.Time.Local().Format("2006-01-02 15:04:05"), rec.By)
	} else {
		fmt.Fprintln(w, "approved: nothing yet, so the defaults")
	}
	if beyond := config.Widening(config.Defaults(), rec.Config); len(beyond) > 0 {
		fmt.Fprintln(w, "access approved beyond the defaults:")
		front.PrintChanges(w, beyond)
	} else {
		fmt.Fprintln(w, "access approved beyond the defaults: none")
	}
	if len(pending) == 0 {
		fmt.Fprintf(w, "pending: none (%s asks for nothing more)\n", config.FileName)
		return nil
	}
	fmt.Fprintf(w, "pending (%s asks for more; approve with 'devbox trust'):\n", config.FileName)
	front.PrintChanges(w, pending)
	return nil
}
