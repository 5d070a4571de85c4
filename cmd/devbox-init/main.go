// Command devbox-init is the sandbox side of devbox alone: the child that
// builds the sandbox inside the new namespaces and then serves as its PID 1
// (packages child and initproc). The supervisor runs it when it is installed
// next to devbox; it links none of devbox's client, image or config code, so
// it starts faster and an idle sandbox's init holds less memory. Without it
// devbox runs itself as the init.
package main

import (
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/child"
	"github.com/devbox-dev/devbox/internal/strict"
)

func main() {
	if strict.IsSession() {
		os.Exit(strict.SessionMain())
	}
	if child.IsChild() {
		os.Exit(child.Main())
	}
	fmt.Fprintln(os.Stderr, "devbox-init is the sandbox init that devbox starts; run 'devbox enter' or 'devbox run' instead")
	os.Exit(125)
}
