package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

// reviewArgs resolves [NAME] [PATHS...]: the first argument is a sandbox
// when it is exactly the name of one that has a review layer (write
// ./NAME for a path of that name; no prefixes, so a path is never taken
// for another sandbox), else the sandbox is the current project's. PATHS
// become project-relative.
func reviewArgs(args []string) (sandbox.Review, []string, error) {
	var name string
	if len(args) > 0 && project.ValidateName(args[0]) == nil && sandbox.HasReview(args[0]) {
		name, args = args[0], args[1:]
	}
	if name == "" {
		var err error
		if name, err = currentName(); err != nil {
			return sandbox.Review{}, nil, err
		}
	}
	r, err := sandbox.FindReview(name)
	if err != nil {
		return r, nil, err
	}
	paths, err := projectPaths(r.Project, args)
	return r, paths, err
}

// projectPaths makes each path relative to the project: from the current
// directory when that is inside the project or the path is absolute, else
// as given.
func projectPaths(proj string, args []string) ([]string, error) {
	cwd, _ := os.Getwd()
	var out []string
	for _, a := range args {
		p := a
		if !filepath.IsAbs(p) && project.Within(cwd, proj) {
			p = filepath.Join(cwd, p)
		}
		if filepath.IsAbs(p) {
			rel, err := filepath.Rel(proj, p)
			if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				return nil, UsageError{Err: fmt.Errorf("invalid path %q: it is outside the project %s", a, proj)}
			}
			p = rel
		}
		p = filepath.ToSlash(filepath.Clean(p))
		if p == ".." || strings.HasPrefix(p, "../") {
			return nil, UsageError{Err: fmt.Errorf("invalid path %q: it is outside the project %s", a, proj)}
		}
		out = append(out, p)
	}
	return out, nil
}

func newDiffCmd(a *App) *cobra.Command {
	var stat, asJSON bool
	cmd := &cobra.Command{
		Use:   "diff [NAME] [PATHS...]",
		Short: "Show what a review-mode sandbox changed in its project",
		Long: `Show what a sandbox in review mode (--review, project = "review") changed
against the real project: added, modified and deleted files, replaced
directories, mode, owner and symlink changes. Text files get a unified
diff, binaries one line. Owners are the host's uid:gid: the sandbox's uid
1000 shows as the subordinate id it maps to. Only the sandbox's own layer is walked, so the project's
size does not matter, and it needs no git. It works while the sandbox runs
(a file being written shows as it is now).`,
		Example: "  devbox diff\n  devbox diff --stat\n  devbox diff src/ README.md\n  devbox diff myproj --json | jq -r '.changes[].path'",
		RunE: func(cmd *cobra.Command, args []string) error {
			if stat && asJSON {
				return UsageError{Err: errors.New("give --stat or --json, not both")}
			}
			r, paths, err := reviewArgs(args)
			if err != nil {
				return err
			}
			o := review.DiffOptions{Sandbox: r.Name, Project: r.Project, Layer: r.Layer, Paths: paths}
			if stat {
				o.Format = "stat"
			}
			if asJSON {
				o.Format = "json"
			}
			var out bytes.Buffer
			err = review.Diff(&out, o)
			if errors.Is(err, fs.ErrPermission) {
				var text string
				err = asroot.Run("review-diff", o, a.Stderr, &text)
				out.Reset()
				out.WriteString(text)
			}
			if err != nil {
				return err
			}
			_, err = a.Stdout.Write(out.Bytes())
			return err
		},
	}
	cmd.Flags().BoolVar(&stat, "stat", false, "one line per change and a summary")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the changes as JSON")
	return cmd
}

func newApplyCmd(a *App) *cobra.Command {
	var o review.ApplyOptions
	cmd := &cobra.Command{
		Use:   "apply [NAME] [PATHS...]",
		Short: "Write a review-mode sandbox's changes into the real project",
		Long: `Write what a sandbox in review mode changed (see 'devbox diff') into the
real project, and take it out of the sandbox's layer.

Each file is written beside the old one and renamed over it, with the owner,
mode and modification time it has in the sandbox, so a killed apply leaves
every file old or new; the next apply removes the temporary files a killed
one left. Deletions are real deletions. A file the sandbox gave another owner
(a chown inside) gets that owner, one of your subordinate ids, which your own
account cannot then chown or chmod: apply says so for each.

A change whose real file changed since the sandbox first copied it (or that
the host created meanwhile) is a conflict: it is listed with both versions'
sha256, and nothing is applied (all or nothing per invocation) unless
--partial applies the rest or --force applies the sandbox's versions over
the host's. Paths the strict profile protects (.git, devbox.toml and the
other config files, .envrc, .vscode, .idea) are skipped, and listed, unless
--include-protected.

The sandbox must be stopped ('devbox stop'): the kernel does not allow
changes to the layers of a mounted overlay.`,
		Example: "  devbox stop && devbox apply\n  devbox apply src/main.go\n  devbox apply --partial",
		RunE: func(cmd *cobra.Command, args []string) error {
			r, paths, err := reviewArgs(args)
			if err != nil {
				return err
			}
			unlock, err := sandbox.LockStopped(r.Name, "devbox apply")
			if err != nil {
				return err
			}
			defer unlock()
			o.Project, o.Layer, o.Paths = r.Project, r.Layer, paths
			res, err := review.Apply(o)
			if errors.Is(err, review.ErrNeedsRoot) {
				res, err = review.ApplyResult{}, asroot.Run("review-apply", o, a.Stderr, &res)
				if err == nil && len(res.Conflicts) > 0 {
					err = review.ErrConflicts
				}
			}
			printApply(a, res)
			if errors.Is(err, review.ErrConflicts) {
				return conflictError(o, res)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "apply conflicting changes too: the sandbox's version replaces the host's")
	cmd.Flags().BoolVar(&o.Partial, "partial", false, "apply the changes that do not conflict, and list the rest")
	cmd.Flags().BoolVar(&o.IncludeProtected, "include-protected", false, "apply changes to protected paths too (.git, devbox.toml, .envrc, .vscode, ...)")
	return cmd
}

func printApply(a *App, res review.ApplyResult) {
	for _, p := range res.Applied {
		fmt.Fprintf(a.Stdout, "applied %s\n", p)
		if o, ok := res.Owned[p]; ok {
			fmt.Fprintf(a.Stderr, "devbox: %s now belongs to %s, one of your subordinate ids, as it did in the sandbox: your own account cannot change its mode or owner; 'devbox run --user root -- chown 0:0 %s' in a sandbox that binds the project makes it yours again\n", p, o, p)
		}
	}
	for _, p := range res.Protected {
		fmt.Fprintf(a.Stderr, "devbox: skipped %s: a protected path (it can run code or configure tools on the host); 'devbox apply --include-protected %s' applies it after you read 'devbox diff %s'\n", p, p, p)
	}
	for _, p := range res.Unapplied {
		fmt.Fprintf(a.Stderr, "devbox: skipped %s: devbox apply writes files, directories and symlinks, not devices, fifos or sockets\n", p)
	}
	for _, c := range res.Conflicts {
		fmt.Fprintf(a.Stderr, "devbox: conflict %s: %s\n  real:    %s\n  sandbox: %s\n", c.Path, c.Why, c.Real, c.Sandbox)
	}
}

func conflictError(o review.ApplyOptions, res review.ApplyResult) error {
	what := "nothing was applied"
	if o.Partial {
		what = fmt.Sprintf("%d changes were applied, the conflicting ones were not", len(res.Applied))
	}
	return hint.Wrap(fmt.Errorf("%d conflicts: %w; %s", len(res.Conflicts), review.ErrConflicts, what),
		"compare with 'devbox diff PATH'; 'devbox apply --force' writes the sandbox's versions over the host's, 'devbox apply --partial' applies the rest, 'devbox discard PATH' drops the sandbox's version")
}

func newDiscardCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "discard [NAME] [PATHS...]",
		Short: "Drop a review-mode sandbox's changes",
		Long: `Drop what a sandbox in review mode changed (all of it, or the changes below
PATHS) from its layer, so that it sees the real project there again. A change
inside a directory the sandbox emptied and refilled goes with that whole
directory, which is listed. The sandbox must be stopped ('devbox stop').`,
		Example: "  devbox stop && devbox discard\n  devbox discard build/",
		RunE: func(cmd *cobra.Command, args []string) error {
			r, paths, err := reviewArgs(args)
			if err != nil {
				return err
			}
			unlock, err := sandbox.LockStopped(r.Name, "devbox discard")
			if err != nil {
				return err
			}
			defer unlock()
			o := review.DiscardOptions{Project: r.Project, Layer: r.Layer, Paths: paths}
			dropped, err := review.Discard(o)
			if errors.Is(err, fs.ErrPermission) {
				dropped, err = nil, asroot.Run("review-discard", o, a.Stderr, &dropped)
			}
			for _, p := range dropped {
				fmt.Fprintf(a.Stdout, "discarded %s\n", p)
			}
			return err
		},
	}
}
