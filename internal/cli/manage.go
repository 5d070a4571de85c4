package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

func newPsCmd(a *App) *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:     "ps",
		Aliases: []string{"ls", "list"},
		Short:   "List running sandboxes",
		Example: "  devbox ps\n  devbox ps --json | jq -r '.[].name'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := sandbox.List()
			if all {
				list, err = sandbox.ListAll()
			}
			if err != nil {
				return err
			}
			if asJSON {
				if list == nil {
					list = []sandbox.Info{}
				}
				enc := json.NewEncoder(a.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			return printPs(a, list, all)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "list stopped sandboxes too, with the size of their data")
	return cmd
}

func printPs(a *App, list []sandbox.Info, all bool) error {
	w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	if all {
		fmt.Fprintln(w, "NAME\tPROJECT\tSTATE\tSESSIONS\tNETWORK\tUPTIME\tDATA")
	} else {
		fmt.Fprintln(w, "NAME\tPROJECT\tINIT PID\tSESSIONS\tNETWORK\tUPTIME")
	}
	var down []string
	for _, s := range list {
		network := s.Network
		if s.Review != "" {
			s.Project += " (review)"
		}
		if s.NetworkDown != "" {
			network += " (down)"
			down = append(down, s.Name)
		}
		if !all {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\n", s.Name, s.Project, s.InitPID, s.Sessions, network, s.Uptime)
			continue
		}
		size, up := "-", s.Uptime
		if s.State == "stopped" {
			size, up, network = cgroupv2.FormatBytes(s.DataSize), "-", "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Name, s.Project, s.State, s.Sessions, network, up, size)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, name := range down {
		fmt.Fprintf(a.Stderr, "devbox: %s has no network: its network helper died; 'devbox restart' in its project brings it back\n", name)
	}
	return nil
}

// resolveNames turns what the user typed (name, project basename or
// unique prefix) into sandbox names.
func resolveNames(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		n, err := sandbox.Resolve(a)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// currentName is the sandbox name of the project in the current directory.
func currentName() (string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	dir, _, err := project.Find(cwd, sandbox.HostHome())
	if err != nil {
		return "", err
	}
	return project.Name(dir), nil
}

// completeAll completes names of running and stopped sandboxes.
func completeAll(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	list, _ := sandbox.ListAll()
	var names []string
	for _, s := range list {
		names = append(names, s.Name+"\t"+s.State+" "+s.Project)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeRunning completes names of running sandboxes.
func completeRunning(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	list, _ := sandbox.List()
	var names []string
	for _, s := range list {
		names = append(names, s.Name+"\t"+s.Project)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func newStopCmd(a *App) *cobra.Command {
	var all bool
	var grace time.Duration
	cmd := &cobra.Command{
		Use:               "stop [NAME|--all]",
		Short:             "Stop a sandbox",
		Long:              "Send SIGTERM to the sandbox's processes, and SIGKILL after the grace period.",
		Example:           "  devbox stop            # this project's sandbox\n  devbox stop --all --time 2s",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeRunning,
		RunE: func(cmd *cobra.Command, args []string) error {
			if grace < 0 {
				return UsageError{Err: fmt.Errorf("invalid --time %s: must be 0 or more", grace)}
			}
			names, err := stopTargets(args, all)
			if err != nil {
				return err
			}
			var errs []error
			for _, n := range names {
				if err := sandbox.Stop(n, grace); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(a.Stdout, n)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "stop every running sandbox")
	cmd.Flags().DurationVarP(&grace, "time", "t", 10*time.Second, "grace period before SIGKILL")
	return cmd
}

func stopTargets(args []string, all bool) ([]string, error) {
	if all && len(args) > 0 {
		return nil, UsageError{Err: errors.New("give a NAME or --all, not both")}
	}
	if all {
		list, err := sandbox.List()
		var names []string
		for _, s := range list {
			names = append(names, s.Name)
		}
		return names, err
	}
	if len(args) == 1 {
		return resolveNames(args)
	}
	n, err := currentName()
	return []string{n}, err
}

func newRmCmd(a *App) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:               "rm [NAME...]",
		Short:             "Delete a stopped sandbox's persistent data (its home)",
		Example:           "  devbox rm              # this project's sandbox\n  devbox rm -f myapp-1a2b3c",
		ValidArgsFunction: completeAll,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if len(args) == 0 {
				n, err := currentName()
				if err != nil {
					return err
				}
				args = []string{n}
			} else if args, err = resolveNames(args); err != nil {
				return err
			}
			var errs []error
			for _, n := range args {
				if force {
					sandbox.Stop(n, 0)
				}
				if err := sandbox.Remove(n); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(a.Stdout, n)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "stop the sandbox first if it is running")
	return cmd
}

func newDoctorCmd(a *App) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "doctor",
		Short:   "Check the host for what devbox needs, with a fix for each problem",
		Example: "  devbox doctor\n  devbox doctor --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			checks := append(preflight.Run(), sandboxChecks()...)
			if asJSON {
				enc := json.NewEncoder(a.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(checks); err != nil {
					return err
				}
			} else {
				preflight.Format(a.Stdout, checks)
			}
			if preflight.Failed(checks) {
				return &sandbox.ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// sandboxChecks are doctor's checks of running sandboxes: one still on the
// single-id map after the user gained subordinate ids.
func sandboxChecks() []preflight.Check {
	names, _ := sandbox.StaleSingleID()
	var out []preflight.Check
	for _, n := range names {
		out = append(out, preflight.Check{Name: "sandbox " + n, Status: preflight.StatusWarn,
			Detail: "started with a single-id map (only your own id): you now have subordinate ids, which it gets only when it starts again",
			Fix:    "devbox restart " + n + "   (or devbox stop " + n + "; this ends its running sessions)"})
	}
	return out
}
