// Command devbox is the binary users type. It runs `devbox run [--name N]
// [--] CMD` itself when the sandbox is running and its join ticket holds
// (the fast join, internal/session), starts a throwaway sandbox for `devbox
// run --rm [--name N] [--network NET] [--] CMD` itself when its start
// ticket holds (the fast start), and replaces itself with devbox-front,
// installed next to it, for every other command line, after starting the
// supervisor of a `run --rm` (session.HandOnEarly). It links neither
// devbox.toml's parser nor the flags' nor the protocol beyond the session
// messages (internal/wire), so a join starts in a fraction of the front's
// time (docs/architecture.md).
//
// It runs on the host, as the invoking user.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/devbox-dev/devbox/internal/fds"
	_ "github.com/devbox-dev/devbox/internal/onep" // one P from the start
	"github.com/devbox-dev/devbox/internal/prefault"
	"github.com/devbox-dev/devbox/internal/session"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/trace"
)

func main() {
	trace.Started()        // with --trace or DEVBOX_TRACE: this process's exec and init
	fds.CloseOnExecFrom(3) // the client passes on only what it means to
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "run" {
		prefault.Heap() // a fast join or start allocates most of its heap ahead
	}
	if code, ok := session.FastJoin(args); ok {
		os.Exit(code)
	}
	if session.ThrowawayRun(args) {
		if code, ok := session.FastStart(args); ok {
			os.Exit(code)
		}
		session.HandOnEarly() // its start overlaps devbox-front's
	}
	err := front()
	fmt.Fprintf(os.Stderr, "Error: %v\nHint: %s\n", err, state.InstallHint(installDir()))
	os.Exit(125)
}

// front replaces this process with devbox-front, same arguments and
// environment; it returns only when that fails.
func front() error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the devbox binary: %w", err)
	}
	p := state.Sibling(self, state.FrontName)
	return fmt.Errorf("run %s: %w", p, syscall.Exec(p, os.Args, os.Environ()))
}

// installDir is the directory devbox runs from, for the hint.
func installDir() string {
	self, err := os.Executable()
	if err != nil {
		return "DIR"
	}
	return filepath.Dir(self)
}
