package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/state"
	"golang.org/x/sys/unix"
)

// Engine is the part of the client that only the full binary links: the
// image store (containers/storage) and the removal of what a sandbox's
// subordinate ids own (a helper in the user namespace). The full binary,
// devbox-engine, installs it with UseEngine. The front binary, devbox,
// joins running sandboxes without it, so a join pays neither library's
// start-up, and hands every other command to devbox-engine
// (docs/architecture.md).
type Engine interface {
	// ResolveImage looks ref up in the image store for a sandbox whose
	// pins are kept in dataDir, pulling it when it is missing.
	ResolveImage(projectDir, dataDir, ref string, o ImageOptions) (*Image, error)
	// RemoveImageLayer frees sandbox name's writable image layer, if it
	// has one.
	RemoveImageLayer(name string) error
	// RemoveTree deletes dir, files of the sandbox's subordinate ids
	// included.
	RemoveTree(dir string) error
	// WritableLayer is the writable layer's directory of the image sandbox
	// whose data dir is dataDir.
	WritableLayer(dataDir string) (string, bool)
}

// ImageOptions are a pull's options: --tls-verify, where progress goes,
// and NoPin for a throwaway sandbox, which pins nothing.
type ImageOptions struct {
	TLSVerify bool
	Progress  io.Writer
	NoPin     bool
}

// Image is the image a sandbox's root comes from: its identity and layer
// directories for the supervisor, its config for sessions.
type Image struct {
	Name, ID string
	// Driver is the store's driver, and Lower the image's layer
	// directories, top first.
	Driver string
	Lower  []string
	// Config is the image config's part that sessions use.
	Config state.ImageConfig
}

// ErrNeedsEngine is what a path that needs the image store or the removal
// helper returns in a binary without them.
var ErrNeedsEngine = errors.New("this needs devbox-engine, the full devbox binary")

var engine Engine

// engineBinary is devbox-engine: this binary when it is that one, else
// the one next to it.
func engineBinary() (string, error) {
	return besideSelf(state.EngineName, "runs the supervisor of an image sandbox")
}

// supervisorBinary is a sandbox's supervisor: devbox-engine for an image
// sandbox, the one binary with the image store, and devbox-supervisor,
// without it, for the host view (the front starts those itself, with no
// exec of the full binary on the way; docs/architecture.md).
func supervisorBinary(image bool) (string, error) {
	if image {
		return engineBinary()
	}
	return besideSelf(state.SupervisorName, "runs the supervisor of a sandbox without an image")
}

// besideSelf is the devbox binary name in this binary's directory (this
// one when it is that one), or an error naming what it is for and the fix.
func besideSelf(name, role string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the devbox binary: %w", err)
	}
	if filepath.Base(self) == name {
		return self, nil
	}
	p := filepath.Join(filepath.Dir(self), name)
	if err := unix.Access(p, unix.X_OK); err != nil {
		return "", hint.Wrap(fmt.Errorf("find %s, which %s: %w", p, role, err), installHint)
	}
	return p, nil
}

// installHint is the fix for a missing binary.
const installHint = "install devbox, devbox-engine, devbox-supervisor and devbox-init together: ./install.sh"

// UseEngine installs the full binary's Engine.
func UseEngine(e Engine) { engine = e }

// needEngine is the Engine, or ErrNeedsEngine with the install hint.
func needEngine() (Engine, error) {
	if engine == nil {
		return nil, hint.Wrap(ErrNeedsEngine, installHint)
	}
	return engine, nil
}
