// Package imagestore is devbox's image store as devbox-engine reaches it:
// the store's configuration (StoreConfig) for the image commands, exports
// and image resolution on the client side, and, in an image sandbox's
// supervisor, the sandbox's writable layer (Roots, installed with
// supervisor.UseImages). It runs in devbox-engine only, the one binary that
// links containers/storage: a host-view sandbox's supervisor is
// devbox-supervisor, which does not link this package.
package imagestore

import (
	"errors"
	"fmt"
	"os"

	"github.com/devbox-dev/devbox/internal/asroot"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/supervisor"
	"github.com/devbox-dev/devbox/storage"
)

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

// Roots is the store's supervisor.ImageRoots.
func Roots(spec *proto.Spec) supervisor.ImageRoot { return &root{spec: spec} }

// root is one image sandbox's layer, as its supervisor holds it.
type root struct {
	spec *proto.Spec
	// throwaway is a --rm sandbox's layer outside the store's records.
	throwaway *storage.Ephemeral
}

// Prepare finds or makes the sandbox's writable layer and records the
// layer dirs in the Spec. A persistent sandbox's layer is created at its
// first start in the store and kept until `devbox rm`; a throwaway one on
// native overlay gets a plain directory instead (no helper).
func (r *root) Prepare(warn func(string)) error {
	img := r.spec.Image
	cfg, err := StoreConfig()
	if err != nil {
		return err
	}
	if r.spec.Ephemeral {
		if done, err := r.prepareThrowaway(cfg, img); done || err != nil {
			return err
		}
	}
	l, err := r.containerLayer(cfg, img.ImageID)
	if err != nil {
		return fmt.Errorf("prepare image root: %w", err)
	}
	img.Driver, img.Lower, img.Upper, img.Work = l.Driver, l.Lower, l.Upper, l.Work
	if l.ImageID != img.ImageID {
		name := r.spec.Name
		warn(fmt.Sprintf("sandbox %s keeps its layer on image %.12s, not %.12s; run 'devbox rm %s' to start from the new image", name, l.ImageID, img.ImageID, name))
		img.ImageID = l.ImageID
	}
	return nil
}

// prepareThrowaway makes a --rm sandbox's layer outside the store's
// records; done is false when it cannot (another driver, or the image's
// layers vanished since the client looked it up) and the store's own
// path must serve.
func (r *root) prepareThrowaway(cfg storage.Config, img *proto.ImageRoot) (done bool, err error) {
	lk := storage.Lookup{ImageRef: storage.ImageRef{ID: img.ImageID}, Found: true, Driver: img.Driver, Lower: img.Lower}
	if !storage.CanEphemeral(lk) {
		return false, nil
	}
	storage.StaleEphemeral(cfg, supervisor.RemoveTree)
	e, err := storage.NewEphemeral(cfg, r.spec.Name, lk)
	if errors.Is(err, storage.ErrLayersGone) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("prepare image root: %w", err)
	}
	r.throwaway = e
	img.Upper, img.Work = e.Upper, e.Work
	return true, nil
}

// containerLayer returns the sandbox's container layer in the store,
// from the sandbox's cache when the dirs are still there.
func (r *root) containerLayer(cfg storage.Config, imageID string) (storage.Rootfs, error) {
	name := r.spec.Name
	dir, err := state.SandboxData(name)
	if err != nil {
		return storage.Rootfs{}, err
	}
	if l, ok := storage.CachedLayer(dir); ok && !r.spec.Ephemeral {
		return l, nil
	}
	l, err := storage.PrepareContainer(cfg, name, imageID, os.Stderr)
	if err == nil && !r.spec.Ephemeral {
		storage.CacheLayer(dir, l)
	}
	return l, err
}

// Free removes the container record in the store of a --rm sandbox that
// has one (not native overlay), whose init has exited. A throwaway layer
// goes after Stopped: Remove.
func (r *root) Free() {
	if r.throwaway == nil && r.spec.Ephemeral {
		RemoveImageLayer(r.spec.Name)
	}
}

// Remove lets go of a throwaway layer's image, then deletes the layer's
// dir, after Stopped and once the mount namespace is released (no mount
// uses either): no one waits for it, and its files of the sandbox's other
// ids (the /etc it copied up, what a session wrote) take a helper in a
// user namespace. The layer's lock keeps the next start's sweep off it
// meanwhile, and a supervisor killed before it is done leaves it to that
// sweep; image rm meanwhile waits for the image's lock.
func (r *root) Remove() {
	e := r.throwaway
	if e == nil {
		return
	}
	e.ReleaseImage()
	if supervisor.RemoveTree(e.Dir) == nil {
		e.Release()
	}
}
