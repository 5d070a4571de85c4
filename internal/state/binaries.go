package state

import "path/filepath"

// The host binaries devbox installs in one directory, which find each
// other there (docs/architecture.md): the client users type, which joins a
// running sandbox itself (the fast join) and hands every other command
// line to the front; the front, which runs and enters host-view sandboxes;
// the full binary the front hands other commands to, which is also an
// image sandbox's supervisor; and the supervisor of a host-view sandbox,
// which links no image store.
const (
	ClientName     = "devbox"
	FrontName      = "devbox-front"
	EngineName     = "devbox-engine"
	SupervisorName = "devbox-supervisor"
)

// InstallHint says how to install the binaries together into dir, the
// directory of one of them.
func InstallHint(dir string) string {
	return "install devbox, devbox-front, devbox-engine, devbox-supervisor and devbox-init together: ./install.sh, or go build -o " + dir +
		"/ ./cmd/devbox ./cmd/devbox-front ./cmd/devbox-engine ./cmd/devbox-supervisor ./cmd/devbox-init"
}

// Sibling is the binary name in the directory of the running one.
func Sibling(self, name string) string { return filepath.Join(filepath.Dir(self), name) }
