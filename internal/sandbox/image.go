package sandbox

import (
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/storage"
)

// imageRoot is the Spec's image root for opts, filled in on the host by the
// supervisor's prepareImage step; nil for the host view.
func imageRoot(opts Options) *proto.ImageRoot {
	if opts.Image == "" {
		return nil
	}
	return &proto.ImageRoot{Ref: opts.Image, ImageID: opts.ImageID}
}

// prepareImage creates the sandbox's writable layer at its first start (it
// persists across stop and start) and records the layer dirs in the Spec.
func (s *supervisor) prepareImage() error {
	img := s.cfg.Spec.Image
	if img == nil {
		return nil
	}
	cfg, err := storage.DefaultConfig()
	if err != nil {
		return err
	}
	r, err := storage.PrepareContainer(cfg, s.cfg.Spec.Name, img.ImageID, os.Stderr)
	if err != nil {
		return fmt.Errorf("prepare image root: %w", err)
	}
	img.Driver, img.Lower, img.Upper, img.Work = r.Driver, r.Lower, r.Upper, r.Work
	if r.ImageID != img.ImageID {
		s.warn(fmt.Sprintf("sandbox %s keeps its layer on image %.12s, not %.12s; run 'devbox rm %s' to start from the new image", s.cfg.Spec.Name, r.ImageID, img.ImageID, s.cfg.Spec.Name))
		img.ImageID = r.ImageID
	}
	return nil
}

func (s *supervisor) warn(msg string) { proto.Encode(s.ready, proto.Warning{Msg: msg}) }

// removeEphemeralImage frees the writable layer of a --rm sandbox.
func (s *supervisor) removeEphemeralImage() {
	if s.cfg.Ephemeral && s.cfg.Spec.Image != nil {
		removeImageLayer(s.cfg.Spec.Name)
	}
}

// removeImageLayer frees a sandbox's writable layer, if it has one.
func removeImageLayer(name string) error {
	storage.ForgetResolved(name)
	cfg, err := storage.DefaultConfig()
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.GraphRoot); err != nil {
		return nil // no store: no layer
	}
	_, err = storage.RemoveContainer(cfg, name)
	return err
}
