package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/spf13/cobra"
)

func newLogsCmd(a *App) *cobra.Command {
	var denials, asJSON bool
	cmd := &cobra.Command{
		Use:   "logs [NAME]",
		Short: "Show a sandbox's supervisor log, or with --denials what its strict profile blocked",
		Example: `  devbox logs
  devbox logs --denials
  devbox logs --denials --json web-1a2b3c`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && !denials {
				return UsageError{Err: fmt.Errorf("--json needs --denials")}
			}
			name := ""
			if len(args) > 0 {
				name = args[0]
			} else {
				var err error
				if name, err = currentName(); err != nil {
					return err
				}
			}
			if denials {
				return printDenials(a, name, asJSON)
			}
			return printLog(a, name)
		},
	}
	cmd.Flags().BoolVar(&denials, "denials", false, "list the network attempts the strict profile refused: time, session, kind, target, rule")
	cmd.Flags().BoolVar(&asJSON, "json", false, "with --denials: one JSON object per line")
	return cmd
}

func printDenials(a *App, name string, asJSON bool) error {
	path, err := sandbox.DenialsPath(name)
	if err != nil {
		return err
	}
	list, err := state.AllDenials(path)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(a.Stdout)
		for _, d := range list {
			if err := enc.Encode(d); err != nil {
				return err
			}
		}
		return nil
	}
	w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tSESSION\tKIND\tTARGET\tRULE")
	for _, d := range list {
		rule := d.Rule
		if rule == "" {
			rule = "-"
		}
		sess := d.Session
		if sess == "" {
			sess = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", d.Time.Local().Format("2006-01-02 15:04:05"), sess, d.Kind, d.Target, rule)
	}
	return w.Flush()
}

func printLog(a *App, name string) error {
	path, err := sandbox.LogPath(name)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sandbox %s has no log here (it runs only while the sandbox runs; see 'devbox ps'): %w", name, err)
	}
	defer f.Close()
	_, err = io.Copy(a.Stdout, f)
	return err
}
