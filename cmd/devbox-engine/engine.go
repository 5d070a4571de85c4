package main

import (
	"github.com/devbox-dev/devbox/internal/imagestore"
	"github.com/devbox-dev/devbox/internal/sandbox"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/supervisor"
	"github.com/devbox-dev/devbox/storage"
)

// engine is the sandbox client's image store and removal helper
// (sandbox.Engine), which only this binary links.
type engine struct{}

// ResolveImage resolves ref through the pins in dataDir, pulling it when
// it is missing.
func (engine) ResolveImage(projectDir, dataDir, ref string, o sandbox.ImageOptions) (*sandbox.Image, error) {
	cfg, err := imagestore.StoreConfig()
	if err != nil {
		return nil, err
	}
	lk, err := storage.Resolve(cfg, projectDir, dataDir, ref, storage.PullOptions{TLSVerify: o.TLSVerify, Progress: o.Progress, NoPin: o.NoPin})
	if err != nil {
		return nil, err
	}
	return &sandbox.Image{Name: lk.Name, ID: lk.ID, Driver: lk.Driver, Lower: lk.Lower,
		Config: state.ImageConfig{Env: lk.Config.Env, WorkingDir: lk.Config.WorkingDir, Cmd: lk.Config.Cmd}}, nil
}

// RemoveImageLayer frees the sandbox's writable layer.
func (engine) RemoveImageLayer(name string) error { return imagestore.RemoveImageLayer(name) }

// RemoveTree deletes dir with the helper that has the sandbox's ids.
func (engine) RemoveTree(dir string) error { return supervisor.RemoveTree(dir) }

// WritableLayer is the upper dir recorded for the sandbox's layer.
func (engine) WritableLayer(dataDir string) (string, bool) {
	r, ok := storage.CachedLayer(dataDir)
	return r.Upper, ok
}

// updateImages re-resolves the images pinned for the sandbox name of
// project (all, or only refs) and pulls what changed (`devbox image
// update`).
func updateImages(project, name string, refs []string, o storage.PullOptions) ([]storage.Change, error) {
	cfg, err := imagestore.StoreConfig()
	if err != nil {
		return nil, err
	}
	dir, err := state.SandboxData(name)
	if err != nil {
		return nil, err
	}
	return storage.Update(cfg, project, dir, refs, o)
}
