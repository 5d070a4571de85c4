// Command devbox opens rootless developer sandboxes. main dispatches before
// cobra: the same binary is the client, the supervisor (host side) and the
// sandbox child (inside the namespaces).
package main

import (
	"os"

	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/supervisor"
	"github.com/devbox-dev/devbox/storage"
	"go.podman.io/storage/pkg/reexec"

	"github.com/devbox-dev/devbox/internal/child"
	"github.com/devbox-dev/devbox/internal/fds"
	"github.com/devbox-dev/devbox/internal/strict"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/slirpnet"
)

func main() {
	if strict.IsSession() { // a strict session's first stage, inside
		os.Exit(strict.SessionMain())
	}
	if reexec.Init() { // containers/storage's own re-execs (storage-untar ...)
		return
	}
	if asroot.IsHelper() {
		os.Exit(asroot.Main(mergeOps(storage.Ops(), supervisor.Ops())))
	}
	if child.IsChild() {
		os.Exit(child.Main())
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
