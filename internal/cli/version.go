package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/spf13/cobra"
)

// version and commit are set at build time:
//
//	go build -ldflags "-X github.com/devbox-dev/devbox/internal/cli.version=1.2.0 -X github.com/devbox-dev/devbox/internal/cli.commit=$(git rev-parse --short HEAD)"
//
// Without them, the commit comes from the build's VCS stamp when Go
// recorded one.
var (
	version = "dev"
	commit  = ""
)

func newVersionCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print devbox's version, commit, Go version and the host features found",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			printVersion(a.Stdout)
			return nil
		},
	}
}

// printVersion prints the build and what this host offers, one doctor
// check a line (devbox doctor has the fixes).
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "devbox %s\ncommit: %s\ngo: %s %s/%s\n", version, buildCommit(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, "host features (devbox doctor for fixes):")
	for _, c := range preflight.Run() {
		fmt.Fprintf(w, "  %-4s %s: %s\n", c.Status, c.Name, c.Detail)
	}
}

// buildCommit is -X .../internal/cli.commit, else the VCS revision Go stamped into
// the binary, else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (modified)"
			}
		}
	}
	if rev == "" {
		return "unknown (built without VCS information; set -ldflags -X github.com/devbox-dev/devbox/internal/cli.commit=...)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return rev + dirty
}
