package sandbox

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/state"
)

// TestReadJoinRecord: the join check's slim read of the config record has
// the values a full read has.
func TestReadJoinRecord(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := readJoinRecord(dir); ok || err != nil {
		t.Fatalf("readJoinRecord without a record = %v, %v; want not ok, no error", ok, err)
	}
	file := config.Defaults()
	file.Hostname = "box"
	c := file
	c.Network = "none"
	c.User = config.UserRoot
	if err := recordConfig(dir, Options{Config: c, FileConfig: file}); err != nil {
		t.Fatal(err)
	}
	full, _, err := readRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := readJoinRecord(dir)
	if err != nil || !ok {
		t.Fatalf("readJoinRecord = %v, %v", ok, err)
	}
	if !maps.Equal(got.Values, full.Values) || !maps.Equal(got.FileValues, full.FileValues) {
		t.Errorf("readJoinRecord = %v / %v, want %v / %v", got.Values, got.FileValues, full.Values, full.FileValues)
	}
	if got.UserMode() != config.UserRoot {
		t.Errorf("UserMode = %q, want root", got.UserMode())
	}
}

// TestReadJoinState: the join's slim read of state.json finds the fields
// it warns about, as state.Write wrote them.
func TestReadJoinState(t *testing.T) {
	for i, want := range []state.State{{}, {NetworkDown: "slirp4netns exited", SingleID: true}, {SingleID: true}, {}} {
		dir := t.TempDir()
		st := want
		st.Name, st.Project, st.Image = "app", "/p", &state.Image{Name: "alpine"}
		if i == 3 { // the keys' names inside a value: decoded in full, still zero
			st.Project = `/p/"network_down"/"single_id"`
		}
		if err := state.Write(dir, st); err != nil {
			t.Fatal(err)
		}
		got, err := readJoinState(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.NetworkDown != want.NetworkDown || got.SingleID != want.SingleID {
			t.Errorf("readJoinState = %+v, want network_down %q, single_id %v", got, want.NetworkDown, want.SingleID)
		}
	}
}

// TestUnchangedRecord: the join check's shortcut finds a record unchanged
// only when no flag sets a config key, the file's config is the recorded
// one and the sessions' user is the same; never in a record without those
// lines. A start resolves the default network into the effective config,
// which a join does not: that alone is no change.
func TestUnchangedRecord(t *testing.T) {
	dir := t.TempDir()
	file := config.Defaults()
	file.Hostname = "box"
	started := file
	started.Network = "slirp4netns"
	if err := recordConfig(dir, Options{Config: started, FileConfig: file}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		t.Fatal(err)
	}
	otherFile := file
	otherFile.Hostname = "other"
	root := file
	root.User = config.UserRoot
	for _, tc := range []struct {
		name string
		opts Options
		want bool
	}{
		{"same", Options{Config: file, FileConfig: file}, true},
		{"file changed", Options{Config: otherFile, FileConfig: otherFile}, false},
		{"a flag", Options{Config: file, FileConfig: file, FlagKeys: map[string]bool{"network": true}}, false},
		{"another user", Options{Config: root, FileConfig: file}, false},
	} {
		if got := unchangedRecord(b, tc.opts); got != tc.want {
			t.Errorf("%s: unchangedRecord = %v, want %v", tc.name, got, tc.want)
		}
	}
	old := config.NewRecord(started, file)
	old.FileHash, old.SessionUser = "", "" // a record from before them
	ob, err := json.MarshalIndent(old, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if unchangedRecord(ob, Options{Config: file, FileConfig: file}) {
		t.Error("unchangedRecord of a record without file_hash = true, want false")
	}
}
