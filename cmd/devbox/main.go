// Command devbox opens rootless developer sandboxes. main dispatches before
// cobra: the same binary is the client and the host side (supervisor,
// helpers). The sandbox side (child, init, strict sessions' first stage) is
// devbox-init, installed next to it: keeping those packages out of this
// binary keeps every command's start (page faults, package init) small.
package main

import (
	"os"

	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/snapshot"
	"github.com/devbox-dev/devbox/internal/supervisor"
	"github.com/devbox-dev/devbox/storage"
	"go.podman.io/storage/pkg/reexec"

	"github.com/devbox-dev/devbox/internal/fds"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/slirpnet"
)

func main() {
	if reexec.Init() { // containers/storage's own re-execs (storage-untar ...)
		return
	}
	if asroot.IsHelper() {
		os.Exit(asroot.Main(mergeOps(storage.Ops(), supervisor.Ops(), review.Ops(), snapshot.Ops())))
	}
	if slirpnet.IsWatcher() {
		os.Exit(slirpnet.WatchMain())
	}
	if supervisor.IsSupervisor() {
		os.Exit(supervisor.SuperviseMain())
	}
	trace.Started()
	fds.CloseOnExecFrom(3) // the client passes on only what it means to
	os.Exit(execute(os.Args[1:]))
}

// mergeOps joins the operations packages run inside a user namespace.
func mergeOps(sets ...map[string]asroot.Op) map[string]asroot.Op {
	all := map[string]asroot.Op{}
	for _, s := range sets {
		for k, v := range s {
			all[k] = v
		}
	}
	return all
}
