package supervisor

import (
	"errors"
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/storage"
)

// prepareImage finds or makes the sandbox's writable layer and records
// the layer dirs in the Spec. A persistent sandbox's layer is created at
// its first start in the store and kept until `devbox rm`; a throwaway
// one on native overlay gets a plain directory instead (no helper).
func (s *supervisor) prepareImage() error {
	img := s.spec.Image
	if img == nil {
		return nil
	}
	cfg, err := StoreConfig()
	if err != nil {
		return err
	}
	if s.spec.Ephemeral {
		if done, err := s.prepareThrowaway(cfg, img); done || err != nil {
			return err
		}
	}
	r, err := s.containerLayer(cfg, img.ImageID)
	if err != nil {
		return fmt.Errorf("prepare image root: %w", err)
	}
	img.Driver, img.Lower, img.Upper, img.Work = r.Driver, r.Lower, r.Upper, r.Work
	if r.ImageID != img.ImageID {
		s.warn(fmt.Sprintf("sandbox %s keeps its layer on image %.12s, not %.12s; run 'devbox rm %s' to start from the new image", s.spec.Name, r.ImageID, img.ImageID, s.spec.Name))
		img.ImageID = r.ImageID
	}
	return nil
}

// prepareThrowaway makes a --rm sandbox's layer outside the store's
// records; done is false when it cannot (another driver, or the image's
// layers vanished since the client looked it up) and the store's own
// path must serve.
func (s *supervisor) prepareThrowaway(cfg storage.Config, img *proto.ImageRoot) (done bool, err error) {
	lk := storage.Lookup{ImageRef: storage.ImageRef{ID: img.ImageID}, Found: true, Driver: img.Driver, Lower: img.Lower}
	if !storage.CanEphemeral(lk) {
		return false, nil
	}
	storage.StaleEphemeral(cfg, RemoveTree)
	e, err := storage.NewEphemeral(cfg, s.spec.Name, lk)
	if errors.Is(err, storage.ErrLayersGone) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("prepare image root: %w", err)
	}
	s.throwaway = e
	img.Upper, img.Work = e.Upper, e.Work
	return true, nil
}

// containerLayer returns the sandbox's container layer in the store,
// from the sandbox's cache when the dirs are still there.
func (s *supervisor) containerLayer(cfg storage.Config, imageID string) (storage.Rootfs, error) {
	name := s.spec.Name
	dir, err := state.SandboxData(name)
	if err != nil {
		return storage.Rootfs{}, err
	}
	if r, ok := storage.CachedLayer(dir); ok && !s.spec.Ephemeral {
		return r, nil
	}
	r, err := storage.PrepareContainer(cfg, name, imageID, os.Stderr)
	if err == nil && !s.spec.Ephemeral {
		storage.CacheLayer(dir, r)
	}
	return r, err
}

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

// freeEphemeralImage removes the container record in the store of a --rm
// sandbox that has one (not native overlay), whose init has exited. A
// throwaway layer goes after Stopped: removeThrowawayLayer.
func (s *supervisor) freeEphemeralImage() {
	if s.throwaway == nil && s.spec.Ephemeral && s.spec.Image != nil {
		RemoveImageLayer(s.spec.Name)
	}
}

// removeThrowawayLayer lets go of a throwaway layer's image, then deletes
// the layer's dir, after Stopped and once the mount namespace is released
// (no mount uses either): no one waits for it, and its files of the
// sandbox's other ids (the /etc it copied up, what a session wrote) take
// a helper in a user namespace. The layer's lock keeps the next start's
// sweep off it meanwhile, and a supervisor killed before it is done leaves
// it to that sweep; image rm meanwhile waits for the image's lock.
func (s *supervisor) removeThrowawayLayer() {
	e := s.throwaway
	if e == nil {
		return
	}
	e.ReleaseImage()
	if RemoveTree(e.Dir) == nil {
		e.Release()
	}
}

// RemoveImageLayer frees a sandbox's writable layer, if it has one.
func RemoveImageLayer(name string) error {
	if dir, err := state.SandboxData(name); err == nil {
		storage.ForgetResolved(dir)
	}
	cfg, err := StoreConfig()
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.GraphRoot); err != nil {
		return nil // no store: no layer
	}
	_, err = storage.RemoveContainer(cfg, name)
	return err
}

// StoreConfig is the image store in devbox's data dir, its run root beside
// the runtime dir, reached through internal/asroot. The supervisor opens it
// to prepare a sandbox's layer; the client to resolve images and for
// `devbox image`.
func StoreConfig() (storage.Config, error) {
	data, err := state.DataRoot()
	if err != nil {
		return storage.Config{}, err
	}
	run, err := state.RuntimeRoot()
	if err != nil {
		return storage.Config{}, err
	}
	return storage.NewConfig(data, run, asroot.Run)
}
