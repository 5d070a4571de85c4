// Command devbox-engine is the full devbox: every command, an image
// sandbox's supervisor and the helpers, dispatched in main before cobra.
// Users type devbox, the small front binary (cmd/devbox), which joins a
// running sandbox itself and execs this binary, installed next to it, for
// everything else. A host-view sandbox's supervisor is devbox-supervisor
// (cmd/devbox-supervisor), the same supervisor without the image store.
// The sandbox side (child, init, strict sessions' first stage) is
// devbox-init. Keeping the image store and registries out of the front and
// the host-view supervisor, and the sandbox side out of all three, keeps
// each start (page faults, package init) small.
package main

import (
	"os"

	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/cli"
	"github.com/devbox-dev/devbox/internal/imagestore"
	_ "github.com/devbox-dev/devbox/internal/prefault" // a cheaper start where page faults are dear
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
		os.Exit(asroot.Main(asroot.Merge(storage.Ops(), supervisor.Ops(), review.Ops(), snapshot.Ops())))
	}
	if slirpnet.IsWatcher() {
		os.Exit(slirpnet.WatchMain())
	}
	if supervisor.IsSupervisor() {
		supervisor.UseImages(imagestore.Roots)
		os.Exit(supervisor.SuperviseMain())
	}
	trace.Started()
	fds.CloseOnExecFrom(3) // the client passes on only what it means to
	sandbox.UseEngine(engine{})
	os.Exit(cli.Execute(os.Args[1:], newImageCmd, newExportCmd, newKubeCmd))
}
