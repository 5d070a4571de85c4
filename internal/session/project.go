package session

import (
	"fmt"
	"io"
	"os"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/state"
)

// FindProject returns the project directory: explicit when the user chose
// one (resolved by project.Explicit), else the one found from the current
// directory. Either is refused, with the reason, when it is or holds the
// user's home or devbox's own dirs, or is a shared temporary directory; an
// explicit choice may still be the home itself. warn is told when a marker
// at home or above was ignored.
func FindProject(explicit string, warn io.Writer) (string, error) {
	dir, ignored, err := findProject(explicit, HostHome())
	if ignored != "" && warn != nil {
		fmt.Fprintf(warn, "devbox: %s is your home directory or above it, so it is not the project; using the current directory %s (pass --project DIR to choose another)\n", ignored, dir)
	}
	return dir, err
}

// findProject is FindProject for the user whose home is home, reporting
// the marker it ignored rather than warning of it.
func findProject(explicit, home string) (dir, ignored string, err error) {
	dir = explicit
	if dir == "" {
		cwd, err := os.Getwd()
		if err != nil {
			return "", "", fmt.Errorf("read current directory: %w", err)
		}
		if dir, ignored, err = project.Find(cwd, home); err != nil {
			return "", "", err
		}
	}
	g := project.Guard{Home: home}
	if g.Runtime, err = state.RuntimeRoot(); err != nil {
		return "", "", err
	}
	if g.Data, err = state.DataRoot(); err != nil {
		return "", "", err
	}
	return dir, ignored, g.Check(dir, explicit != "")
}
