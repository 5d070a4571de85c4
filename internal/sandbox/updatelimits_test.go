package sandbox

import (
	"slices"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/config"
)

// After 'devbox update', a join that asks for the limits now in effect is
// not a config change; one asking for the limits started with is.
func TestUpdateLimitsRecord(t *testing.T) {
	started := config.Config{Limits: config.Limits{Limits: cgroupv2.Limits{Memory: 64 << 20, Pids: 50}}}
	v := started.SandboxValues()
	rec := configRecord{Hash: config.Hash(v), Values: v, FileValues: config.Config{}.SandboxValues(), Limits: started.Limits}
	rec = updateLimits(rec, cgroupv2.Limits{Memory: 128 << 20, CPUs: 0.5})

	now := config.Config{Limits: config.Limits{Limits: cgroupv2.Limits{Memory: 128 << 20, Pids: 50, CPUs: 0.5}}}
	before := started
	flags := map[string]bool{"limits": true}
	file := config.Config{}.SandboxValues()
	if keys := changedKeys(rec, file, now.SandboxValues(), flags); len(keys) != 0 {
		t.Errorf("join with the updated limits: changed %v, want none", keys)
	}
	if keys := changedKeys(rec, file, before.SandboxValues(), flags); !slices.Equal(keys, []string{"limits"}) {
		t.Errorf("join with the limits started with: changed %v, want [limits]", keys)
	}
	if rec.Hash != config.Hash(now.SandboxValues()) {
		t.Errorf("hash not recomputed")
	}
	if v["limits"] == rec.Values["limits"] {
		t.Errorf("the record shares the old values map")
	}
}
