package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/snapshot"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newSnapshotCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save and restore a sandbox's whole writable state",
		Long: `Save and restore a sandbox's writable state: the review layer of its project
(review mode), its private home and an image sandbox's writable layer. A
snapshot shares the files an earlier one has unchanged (hard links) and uses
reflinks where the file system has them; 'snapshot ls' shows the bytes each
adds. Snapshots live in the sandbox's data dir and go with 'devbox rm'.`,
		Example: "  devbox snapshot save before-agent\n  devbox snapshot ls\n  devbox stop && devbox snapshot restore before-agent",
	}
	cmd.AddCommand(newSnapshotSaveCmd(a), newSnapshotLsCmd(a), newSnapshotRestoreCmd(a), newSnapshotRmCmd(a))
	return cmd
}

// snapshotTarget splits [NAME] SNAPSHOT: with two arguments the first is
// the sandbox; with one it is the snapshot of the current project's
// sandbox.
func snapshotTarget(args []string) (name, snap string, err error) {
	switch len(args) {
	case 2:
		name, err = sandbox.Resolve(args[0])
		return name, args[1], err
	case 1:
		snap = args[0]
	}
	name, err = currentName()
	return name, snap, err
}

// asRootIfNeeded runs fn, and op through asroot when fn met files only
// the sandbox's root may touch.
func asRootIfNeeded(a *App, fn func() error, op string, s snapshot.State, snap string) error {
	err := fn()
	if snapshot.NeedsRoot(err) {
		arg := struct {
			State snapshot.State `json:"state"`
			Name  string         `json:"name"`
		}{s, snap}
		err = asroot.Run(op, arg, a.Stderr, nil)
	}
	return err
}

func newSnapshotSaveCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "save [NAME] [SNAPSHOT]",
		Short: "Save the sandbox's writable state (SNAPSHOT defaults to the time)",
		Args:  cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, snap, err := snapshotTarget(args)
			if err != nil {
				return err
			}
			if snap == "" {
				snap = time.Now().UTC().Format("20060102-150405")
			}
			s, err := sandbox.SnapshotState(name)
			if err != nil {
				return err
			}
			unlock, lerr := sandbox.LockStopped(name, "devbox snapshot save")
			if lerr != nil {
				fmt.Fprintf(a.Stderr, "devbox: warning: sandbox %s is running: a file it writes meanwhile may be saved half-written ('devbox stop %s' first for a consistent snapshot)\n", name, name)
			} else {
				defer unlock()
			}
			if err := asRootIfNeeded(a, func() error { return snapshot.Save(s, snap) }, "snapshot-save", s, snap); err != nil {
				return err
			}
			fmt.Fprintln(a.Stdout, snap)
			return nil
		},
	}
}

func newSnapshotLsCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "ls [NAME]",
		Short: "List the sandbox's snapshots, with the bytes each adds",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := currentName()
			if len(args) == 1 {
				name, err = sandbox.Resolve(args[0])
			}
			if err != nil {
				return err
			}
			s, err := sandbox.SnapshotState(name)
			if err != nil {
				return err
			}
			list, err := snapshot.List(s.Root)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SNAPSHOT\tCREATED\tSIZE\tCONTENTS")
			for _, i := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%v\n", i.Name, i.Created.Local().Format(time.DateTime), cgroupv2.FormatBytes(i.Size), i.Parts)
			}
			return w.Flush()
		},
	}
}

func newSnapshotRestoreCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "restore [NAME] SNAPSHOT",
		Short: "Put a sandbox's writable state back as SNAPSHOT saved it (stopping it after asking)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, snap, err := snapshotTarget(args)
			if err != nil {
				return err
			}
			if err := snapshot.CheckName(snap); err != nil {
				return UsageError{Err: err}
			}
			s, err := sandbox.SnapshotState(name)
			if err != nil {
				return err
			}
			unlock, err := sandbox.LockStopped(name, "devbox snapshot restore")
			if err != nil && askStop(a, name) {
				if serr := sandbox.Stop(name, 10*time.Second); serr != nil {
					return serr
				}
				unlock, err = sandbox.LockStopped(name, "devbox snapshot restore")
			}
			if err != nil {
				return err
			}
			defer unlock()
			return asRootIfNeeded(a, func() error { return snapshot.Restore(s, snap) }, "snapshot-restore", s, snap)
		},
	}
}

func newSnapshotRmCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "rm [NAME] SNAPSHOT",
		Short: "Delete a snapshot",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, snap, err := snapshotTarget(args)
			if err != nil {
				return err
			}
			s, err := sandbox.SnapshotState(name)
			if err != nil {
				return err
			}
			return asRootIfNeeded(a, func() error { return snapshot.Remove(s.Root, snap) }, "snapshot-rm", s, snap)
		},
	}
}

// askStop asks, on a terminal, whether to stop the running sandbox name
// for a restore; elsewhere the answer is no and the restore is refused.
func askStop(a *App, name string) bool {
	if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stderr.Fd())) || !sandbox.IsRunning(name) {
		return false
	}
	fmt.Fprintf(a.Stderr, "devbox: sandbox %s is running; restoring needs it stopped, which ends its sessions. Stop it? [y/N] ", name)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
