package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/spf13/cobra"
)

// reviewArgs resolves [NAME] [PATHS...]: the first argument is a sandbox
// when it names one that has a review layer (write ./NAME for a path of
// that name), else the sandbox is the current project's. PATHS become
// project-relative.
func reviewArgs(args []string) (sandbox.Review, []string, error) {
	var name string
	if len(args) > 0 {
		if n, err := sandbox.Resolve(args[0]); err == nil && sandbox.HasReview(n) {
			name, args = n, args[1:]
		}
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
				return nil, usageError{fmt.Errorf("invalid path %q: it is outside the project %s", a, proj)}
			}
			p = rel
		}
		p = filepath.ToSlash(filepath.Clean(p))
		if p == ".." || strings.HasPrefix(p, "../") {
			return nil, usageError{fmt.Errorf("invalid path %q: it is outside the project %s", a, proj)}
		}
		out = append(out, p)
	}
	return out, nil
}

// reviewChanges lists the sandbox's changes below paths, protected ones
// marked.
func reviewChanges(r sandbox.Review, paths []string) ([]review.Change, error) {
	changes, err := review.Changes(r.Project, r.Layer.Upper())
	if err != nil {
		return nil, err
	}
	return review.MarkProtected(review.Select(changes, paths)), nil
}

func newDiffCmd(a *app) *cobra.Command {
	var stat, asJSON bool
	cmd := &cobra.Command{
		Use:   "diff [NAME] [PATHS...]",
		Short: "Show what a review-mode sandbox changed in its project",
		Long: `Show what a sandbox in review mode (--review, project = "review") changed
against the real project: added, modified and deleted files, replaced
directories, mode and symlink changes. Text files get a unified diff,
binaries one line. Only the sandbox's own layer is walked, so the project's
size does not matter, and it needs no git. It works while the sandbox runs
(a file being written shows as it is now).`,
		Example: "  devbox diff\n  devbox diff --stat\n  devbox diff src/ README.md\n  devbox diff myproj --json | jq -r '.changes[].path'",
		RunE: func(cmd *cobra.Command, args []string) error {
			if stat && asJSON {
				return usageError{errors.New("give --stat or --json, not both")}
			}
			r, paths, err := reviewArgs(args)
			if err != nil {
				return err
			}
			changes, err := reviewChanges(r, paths)
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				return review.WriteJSON(a.stdout, review.Report{Sandbox: r.Name, Project: r.Project, Changes: changes})
			case stat:
				review.WriteStat(a.stdout, changes)
				return nil
			}
			return review.WriteDiff(a.stdout, r.Project, r.Layer.Upper(), changes)
		},
	}
	cmd.Flags().BoolVar(&stat, "stat", false, "one line per change and a summary")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the changes as JSON")
	return cmd
}
