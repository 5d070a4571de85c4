package sandbox

// The sandbox's cgroup, client side: the group of a supervisor killed with -9
// is removed by the next devbox command, and a running sandbox's group is
// read for OOM reports, `devbox stats` and `devbox update`. The supervisor
// makes and removes it (internal/supervisor).

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/state"
)

// removeStaleCgroup removes the group of a sandbox whose supervisor is gone
// (kill -9), before its runtime dir goes.
func removeStaleCgroup(dir string) {
	st, err := state.Read(dir)
	if err != nil || st.Cgroup == "" || st.Alive() {
		return
	}
	if g, err := cgroupv2.Open(st.Cgroup); err == nil {
		g.Remove()
	}
}

// ErrNoCgroup means a running sandbox has no group of its own.
var ErrNoCgroup = errors.New("the sandbox has no cgroup: cgroup v2 was not delegated when it started, so no limits apply")

// Cgroup returns the running sandbox name's group.
func Cgroup(name string) (*cgroupv2.Group, error) {
	root, err := state.RuntimeRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, name)
	if !probe(filepath.Join(dir, state.SocketFile)) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRunning)
	}
	st, err := state.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s state: %w", name, err)
	}
	if st.Cgroup == "" {
		return nil, hint.Wrap(fmt.Errorf("%s: %w", name, ErrNoCgroup), cgroupv2.DelegateHint)
	}
	return cgroupv2.Open(st.Cgroup)
}

// recordLimits records in the running sandbox name's config record that
// 'devbox update' changed its limits to those of upd, so a later join that
// asks for the limits now in effect is not refused as a config change.
func recordLimits(name string, upd cgroupv2.Limits) error {
	root, err := state.RuntimeRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, name)
	rec, ok, err := readRecord(dir)
	if err != nil || !ok {
		return err
	}
	out, _ := json.MarshalIndent(rec.WithLimits(upd), "", "  ")
	return state.WriteFileAtomic(filepath.Join(dir, configFile), out, 0o600)
}
