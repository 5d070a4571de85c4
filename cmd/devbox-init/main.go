// Command devbox-init is the sandbox side of devbox alone: the child that
// builds the sandbox inside the new namespaces and then serves as its PID 1
// (packages child and initproc), and the first stage of strict sessions.
// The supervisor runs it from devbox's own directory; devbox does not link
// these packages, so every devbox command starts with less to load, and an
// idle sandbox's init holds less memory.
package main

import (
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/child"
	"github.com/devbox-dev/devbox/internal/initproc"
	"github.com/devbox-dev/devbox/internal/keepid"
	_ "github.com/devbox-dev/devbox/internal/prefault" // a cheaper start where page faults are dear
	"github.com/devbox-dev/devbox/internal/strict"
)

func main() {
	if initproc.IsSpawner() {
		os.Exit(initproc.SpawnerMain())
	}
	if strict.IsSession() {
		os.Exit(strict.SessionMain())
	}
	if keepid.IsStage() {
		os.Exit(keepid.Main())
	}
	if child.IsChild() {
		os.Exit(child.Main())
	}
	fmt.Fprintln(os.Stderr, "devbox-init is the sandbox init that devbox starts; run 'devbox enter' or 'devbox run' instead")
	os.Exit(125)
}
