// Command devbox opens rootless developer sandboxes. main dispatches before
// cobra: the same binary is the client, the supervisor (host side) and the
// sandbox child (inside the namespaces).
package main

import (
	"os"

	"github.com/devbox-dev/devbox/internal/child"
	"github.com/devbox-dev/devbox/internal/sandbox"
)

func main() {
	if child.IsChild() {
		os.Exit(child.Main())
	}
	if sandbox.IsSupervisor() {
		os.Exit(sandbox.SuperviseMain())
	}
	os.Exit(execute(os.Args[1:]))
}
