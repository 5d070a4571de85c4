package sandbox

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/state"
)

// Review is a sandbox's review layer and the project it overlays.
type Review struct {
	Name    string
	Project string
	Layer   review.Layer
	Running bool
}

// HasReview reports whether sandbox name has a review layer.
func HasReview(name string) bool {
	data, err := state.SandboxData(name)
	return err == nil && review.For(data).Exists()
}

// FindReview returns sandbox name's review layer; a sandbox that never
// ran in review mode is an error that says how to start one.
func FindReview(name string) (Review, error) {
	all, err := ListAll()
	if err != nil {
		return Review{}, err
	}
	r := Review{Name: name}
	for _, s := range all {
		if s.Name == name {
			r.Project, r.Running = s.Project, s.State != "stopped"
		}
	}
	data, err := state.SandboxData(name)
	if err != nil {
		return r, err
	}
	r.Layer = review.For(data)
	if r.Project == "" || !r.Layer.Exists() {
		return r, hint.Wrap(fmt.Errorf("sandbox %s has no review layer: it was not started in review mode, so its changes went straight into the project", name),
			"start it in review mode: 'devbox restart' after setting project = \"review\" in devbox.toml, or 'devbox run --review -- CMD' for a new sandbox")
	}
	return r, nil
}

// LockStopped takes sandbox name's start lock, so it cannot start, and
// refuses a running sandbox: apply, discard and a snapshot's restore
// change its layer, which a mounted overlay does not allow.
func LockStopped(name, verb string) (unlock func(), err error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return nil, err
	}
	unlock, err = state.Lock(filepath.Join(root, name+".lock"))
	if err != nil {
		return nil, err
	}
	if probe(filepath.Join(root, name, state.SocketFile)) {
		unlock()
		return nil, hint.Wrap(errors.New(verb+" needs sandbox "+name+" stopped: its overlay is mounted, and the kernel does not allow changes to a mounted overlay's layers"),
			"run 'devbox stop "+name+"' first (this ends its sessions), then "+verb+" again")
	}
	return unlock, nil
}
