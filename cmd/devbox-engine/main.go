// Command devbox-engine is the full devbox: every command, and the host
// side of a sandbox (supervisor, helpers), dispatched in main before cobra.
// Users type devbox, the small front binary (cmd/devbox), which joins a
// running sandbox itself and execs this binary, installed next to it, for
// everything else. The sandbox side (child, init, strict sessions' first
// stage) is devbox-init. Keeping the image store and registries out of the
// front and the sandbox side out of both keeps each start (page faults,
// package init) small.
package main

import (
	"os"

	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/cli"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/sandbox"
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
	sandbox.UseEngine(engine{})
	os.Exit(cli.Execute(os.Args[1:], newImageCmd, newExportCmd, newKubeCmd))
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
