package supervisor

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/state"
)

// ImageRoot is an image sandbox's writable layer: the image store's part
// of its supervisor. Only devbox-engine links the store
// (containers/storage, the registries' libraries); it installs its
// ImageRoots with UseImages. The client has an image sandbox supervised by
// devbox-engine and a host-view one by devbox-supervisor, which links no
// store and so starts in a fraction of the time (docs/architecture.md).
type ImageRoot interface {
	// Prepare finds or makes the layer and records its dirs in the
	// Spec's Image; warn sends the client a notice.
	Prepare(warn func(string)) error
	// Free runs once init has exited, before Stopped (a throwaway
	// sandbox's container record in the store), also after a failed
	// start.
	Free()
	// Remove runs after Stopped, once no mount uses the layer.
	Remove()
}

// ImageRoots makes the ImageRoot of the image sandbox spec describes; it
// may change spec.Image.
type ImageRoots func(spec *proto.Spec) ImageRoot

// imageRoots is the store's, nil in devbox-supervisor.
var imageRoots ImageRoots

// UseImages installs the image store's ImageRoots (devbox-engine).
func UseImages(f ImageRoots) { imageRoots = f }

// openImage makes s.image for an image sandbox, before the start, so that
// the teardown of a start that failed early frees what it has.
func (s *supervisor) openImage() {
	if s.spec.Image != nil && imageRoots != nil {
		s.image = imageRoots(&s.spec)
	}
}

// prepareImage finds or makes the sandbox's writable layer and records
// the layer dirs in the Spec (ImageRoot.Prepare).
func (s *supervisor) prepareImage() error {
	if s.spec.Image == nil {
		return nil
	}
	if s.image == nil {
		return hint.Wrap(fmt.Errorf("start image sandbox %s: this supervisor (%s) has no image store", s.spec.Name, selfName()),
			"an image sandbox's supervisor is "+state.EngineName+"; install devbox, "+state.EngineName+", "+state.SupervisorName+" and "+InitName+" together: ./install.sh")
	}
	return s.image.Prepare(s.warn)
}

// selfName is this binary's file name.
func selfName() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	return filepath.Base(exe)
}

// warn sends the client a notice.
func (s *supervisor) warn(msg string) { proto.Encode(s.ready, proto.Warning{Msg: msg}) }

// prepareReview makes the review layer in the sandbox's data dir, picks
// its driver and records the project's baseline (internal/review), and
// puts the layer in the Spec for the child to mount.
func (s *supervisor) prepareReview() error {
	if s.spec.Review == nil {
		return nil
	}
	dir, err := state.SandboxData(s.spec.Name)
	if err != nil {
		return err
	}
	r, err := review.Prepare(s.spec.ProjectDir, review.For(dir), s.warn)
	if err != nil {
		return err
	}
	*s.spec.Review = r
	return nil
}

// freeImage lets go of what the image store holds for the sandbox once
// its init has exited (ImageRoot.Free).
func (s *supervisor) freeImage() {
	if s.image != nil {
		s.image.Free()
	}
}

// removeImageLayer deletes a throwaway layer after Stopped
// (ImageRoot.Remove).
func (s *supervisor) removeImageLayer() {
	if s.image != nil {
		s.image.Remove()
	}
}
