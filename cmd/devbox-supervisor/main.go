// Command devbox-supervisor is the host side of a host-view sandbox: its
// supervisor (internal/supervisor), the helpers it re-execs as (internal/asroot's
// operations in a user namespace, the network helper's watcher), and nothing
// else. The client (devbox, or devbox-engine) starts it next to itself for
// every sandbox without an image; an image sandbox's supervisor is
// devbox-engine, the one binary that links the image store. Without the
// store and the registries' libraries this binary is a third of
// devbox-engine's size, and a cold start pays that much less for the
// supervisor's exec and package init (docs/architecture.md).
package main

import (
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/asroot"
	_ "github.com/devbox-dev/devbox/internal/prefault" // a cheaper start where page faults are dear
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/supervisor"
	"github.com/devbox-dev/devbox/slirpnet"
)

func main() {
	if asroot.IsHelper() {
		os.Exit(asroot.Main(asroot.Merge(supervisor.Ops(), review.Ops())))
	}
	if slirpnet.IsWatcher() {
		os.Exit(slirpnet.WatchMain())
	}
	if supervisor.IsSupervisor() {
		os.Exit(supervisor.SuperviseMain())
	}
	fmt.Fprintln(os.Stderr, "devbox-supervisor is the sandbox supervisor that devbox starts; run 'devbox run' or 'devbox enter' instead")
	os.Exit(125)
}
