// Command devbox-front is the front of devbox: devbox, the binary users
// type, hands it every command line it does not join with itself (the fast
// join, internal/session). It serves `devbox run` and `devbox enter` itself
// (joins, and starts of host-view sandboxes, whose supervisor is
// devbox-supervisor), and replaces itself with
// devbox-engine, the full devbox installed next to it, for everything
// else: image sandboxes' starts, images, every other command, and a run or
// enter it cannot parse as the engine's cobra commands would (help, a bad
// flag). It links neither the image store nor the registries' libraries
// nor cobra (internal/front parses run and enter with pflag alone), so it
// starts in a fraction of the full binary's time (docs/architecture.md).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/fds"
	"github.com/devbox-dev/devbox/internal/front"
	"github.com/devbox-dev/devbox/internal/prefault"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
)

func main() {
	prefault.Heap() // the front lives for one command: see prefault.Heap
	trace.Started()
	sandbox.AdoptEarlySupervisor() // one devbox started for a run --rm
	if !front.Handles(os.Args[1:]) {
		sandbox.CancelPrestart()
		os.Exit(front.ReportHandoff(handoff()))
	}
	fds.CloseOnExecFrom(3) // the client passes on only what it means to
	os.Exit(front.Execute(os.Args[1:], handoff))
}

// handoff replaces this process with devbox-engine, same arguments and
// environment; it returns only when that fails.
func handoff() error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the devbox binary: %w", err)
	}
	engine := state.Sibling(self, state.EngineName)
	err = syscall.Exec(engine, os.Args, os.Environ())
	return hint.Wrap(fmt.Errorf("run %s: %w", engine, err), state.InstallHint(filepath.Dir(self)))
}
