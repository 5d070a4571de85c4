// Command gen writes internal/seccomp/prebuilt's filter table file for
// the running architecture from the profile in internal/seccomp. It runs
// at build time, on the developer's machine: `go generate ./internal/seccomp`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/seccomp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run writes the table file into prebuilt, beside the package directory go
// generate runs in (internal/seccomp).
func run() error {
	src, err := seccomp.Generate()
	if err != nil {
		return fmt.Errorf("generate the filter tables: %w", err)
	}
	if err := os.WriteFile(filepath.Join("prebuilt", seccomp.GeneratedFile()), src, 0o644); err != nil {
		return fmt.Errorf("write the filter tables: %w", err)
	}
	return nil
}
