package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/review"
	"github.com/devbox-dev/devbox/internal/snapshot"
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
	all, err := listAll(false)
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

// SnapshotState is what a snapshot of sandbox name covers: its review
// layer (and that layer's records), its private home and its image's
// writable layer, where it has them.
func SnapshotState(name string) (snapshot.State, error) {
	data, err := state.SandboxData(name)
	if err != nil {
		return snapshot.State{}, err
	}
	if _, err := os.Stat(data); err != nil {
		return snapshot.State{}, fmt.Errorf("no sandbox %s with persistent state (see 'devbox ps --all')", name)
	}
	s := snapshot.State{Root: filepath.Join(data, "snapshots")}
	if l := review.For(data); l.Exists() {
		s.Parts = append(s.Parts, snapshot.Part{Name: "project", Dir: l.Upper()})
		for n, p := range l.Records() {
			s.Files = append(s.Files, snapshot.File{Name: n, Dir: p})
		}
		sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Name < s.Files[j].Name })
	}
	if fi, err := os.Stat(filepath.Join(data, "home")); err == nil && fi.IsDir() {
		s.Parts = append(s.Parts, snapshot.Part{Name: "home", Dir: filepath.Join(data, "home")})
	}
	e, err := needEngine()
	if err != nil {
		return snapshot.State{}, err
	}
	if upper, ok := e.WritableLayer(data); ok {
		s.Parts = append(s.Parts, snapshot.Part{Name: "root", Dir: upper})
	}
	return s, nil
}

// checkReviewLeft refuses to start a sandbox with the project bound
// read-write while its review layer still holds changes: the real project
// would take the sandbox's next writes, and the held changes would show
// again only in a later review start, over a project that moved on.
func checkReviewLeft(name string, c config.Config) error {
	data, err := state.SandboxData(name)
	if err != nil || c.Review() {
		return nil
	}
	if l := review.For(data); l.Exists() && !l.Empty() {
		return hint.Wrap(fmt.Errorf("sandbox %s holds review changes not yet applied or discarded, and this start asks for the project bound read-write (no --review, no project = \"review\")", name),
			"start it in review mode again ('devbox run --review ...', or project = \"review\" in devbox.toml), or first 'devbox apply' or 'devbox discard' the changes ('devbox diff' shows them)")
	}
	return nil
}

// RunningImage is the image sandbox name runs, as its state records it;
// false for a host-view sandbox or one started before devbox recorded it.
func RunningImage(name string) (*Image, bool) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return nil, false
	}
	st, err := state.Read(filepath.Join(root, name))
	if err != nil || st.Image == nil {
		return nil, false
	}
	return &Image{Name: st.Image.Name, ID: st.Image.ID, Config: st.Image.Config}, true
}

// IsRunning reports whether sandbox name answers on its socket.
func IsRunning(name string) bool {
	root, err := state.RuntimeRoot()
	return err == nil && probe(filepath.Join(root, name, state.SocketFile))
}
