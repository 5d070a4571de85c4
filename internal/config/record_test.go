package config

import (
	"slices"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
)

func TestJoinChanges(t *testing.T) {
	started := Config{Network: "pasta", Hostname: "a", Limits: Limits{Limits: cgroupv2.Limits{Memory: 64 << 20}}}
	file := Config{Network: "pasta", Hostname: "a"}
	rec := NewRecord(started, file)
	tests := []struct {
		name      string
		cur, file Config
		flags     map[string]bool
		want      []string
	}{
		{"flag not repeated", file, file, nil, nil},
		{"flag repeated equal", started, file, map[string]bool{"limits": true}, nil},
		{"flag differs", Config{Network: "pasta", Hostname: "a", Limits: Limits{Limits: cgroupv2.Limits{Memory: 32 << 20}}}, file,
			map[string]bool{"limits": true}, []string{"limits"}},
		{"file changed", Config{Network: "pasta", Hostname: "b"}, Config{Network: "pasta", Hostname: "b"}, nil, []string{"hostname"}},
		{"image flag on a host-view sandbox", Config{Network: "pasta", Hostname: "a", Image: "alpine:3"}, file,
			map[string]bool{"image": true}, []string{"image"}},
		{"--review on a bind sandbox", Config{Network: "pasta", Hostname: "a", Project: ProjectReview}, file,
			map[string]bool{"project": true}, []string{"project"}},
		{"project = review in the file", Config{Network: "pasta", Hostname: "a", Project: ProjectReview},
			Config{Network: "pasta", Hostname: "a", Project: ProjectReview}, nil, []string{"project"}},
		{"explicit bind is the default", Config{Network: "pasta", Hostname: "a", Project: ProjectBind},
			Config{Network: "pasta", Hostname: "a", Project: ProjectBind}, nil, nil},
	}
	for _, tt := range tests {
		if got := rec.JoinChanges(tt.cur, tt.file, tt.flags); !slices.Equal(got, tt.want) {
			t.Errorf("%s: JoinChanges = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// After 'devbox update', a join that asks for the limits now in effect is
// not a config change; one asking for the limits started with is.
func TestRecordWithLimits(t *testing.T) {
	started := Config{Limits: Limits{Limits: cgroupv2.Limits{Memory: 64 << 20, Pids: 50}}}
	rec := NewRecord(started, Config{})
	old := rec.Values
	rec = rec.WithLimits(cgroupv2.Limits{Memory: 128 << 20, CPUs: 0.5})

	now := Config{Limits: Limits{Limits: cgroupv2.Limits{Memory: 128 << 20, Pids: 50, CPUs: 0.5}}}
	flags := map[string]bool{"limits": true}
	if keys := rec.JoinChanges(now, Config{}, flags); len(keys) != 0 {
		t.Errorf("join with the updated limits: changed %v, want none", keys)
	}
	if keys := rec.JoinChanges(started, Config{}, flags); !slices.Equal(keys, []string{"limits"}) {
		t.Errorf("join with the limits started with: changed %v, want [limits]", keys)
	}
	if rec.Hash != Hash(now.SandboxValues()) {
		t.Errorf("hash not recomputed")
	}
	if old["limits"] == rec.Values["limits"] {
		t.Errorf("the record shares the old values map")
	}
}
