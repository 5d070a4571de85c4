package sandbox

// The sandbox's cgroup, client side: the group of a supervisor killed with -9
// is removed by the next devbox command, and a running sandbox's group is
// read for OOM reports, `devbox stats` and `devbox update`. The supervisor
// makes and removes it (internal/supervisor).

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/supervisor"
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
		return nil, preflight.Hint(fmt.Errorf("%s: %w", name, ErrNoCgroup), supervisor.DelegateHint)
	}
	return cgroupv2.Open(st.Cgroup)
}

// oomError says that the OOM killer ended a session, with the limit.
func oomError(e proto.Exit) error {
	msg := "devbox: killed: out of memory"
	if e.MemoryMax > 0 {
		msg += " (limit " + cgroupv2.FormatBytes(e.MemoryMax) + ")"
	}
	return &ExitError{Code: e.Code, Msg: msg}
}

// RecordLimits records in the running sandbox name's config record that
// 'devbox update' changed its limits to those of upd, so a later join that
// asks for the limits now in effect is not refused as a config change.
func RecordLimits(name string, upd cgroupv2.Limits) error {
	root, err := state.RuntimeRoot()
	if err != nil {
		return err
	}
	path := filepath.Join(root, name, configFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // started by a devbox without config records
	}
	if err != nil {
		return fmt.Errorf("read %s config record: %w", name, err)
	}
	var rec configRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("decode %s config record: %w", name, err)
	}
	rec = updateLimits(rec, upd)
	out, _ := json.MarshalIndent(rec, "", "  ")
	return state.WriteFileAtomic(path, out, 0o600)
}

// updateLimits merges upd into rec's limits and recomputes the recorded
// "limits" value and the hash from them.
func updateLimits(rec configRecord, upd cgroupv2.Limits) configRecord {
	rec.Limits.Limits = rec.Limits.Limits.Merge(upd)
	key := "limits"
	v := maps.Clone(rec.Values)
	if v == nil {
		v = map[string]string{}
	}
	v[key] = config.Config{Limits: rec.Limits}.SandboxValues()[key]
	rec.Values, rec.Hash = v, config.Hash(v)
	return rec
}
