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
	for _, want := range []state.State{{}, {NetworkDown: "slirp4netns exited", SingleID: true}} {
		dir := t.TempDir()
		st := want
		st.Name, st.Project, st.Image = "app", "/p", &state.Image{Name: "alpine"}
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
// only when both the effective config and the file's are the recorded
// ones, and never in a record without the file's hash.
func TestUnchangedRecord(t *testing.T) {
	dir := t.TempDir()
	file := config.Defaults()
	file.Hostname = "box"
	c := file
	c.Network = "none"
	if err := recordConfig(dir, Options{Config: c, FileConfig: file}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		t.Fatal(err)
	}
	otherFile := file
	otherFile.Hostname = "other"
	otherCur := c
	otherCur.Network = "host"
	for _, tc := range []struct {
		name      string
		cur, file config.Config
		want      bool
	}{
		{"same", c, file, true},
		{"file changed", c, otherFile, false},
		{"flags changed", otherCur, file, false},
		{"swapped", file, c, false},
	} {
		if got := unchangedRecord(b, tc.cur, tc.file); got != tc.want {
			t.Errorf("%s: unchangedRecord = %v, want %v", tc.name, got, tc.want)
		}
	}
	old := config.NewRecord(c, file)
	old.FileHash = "" // a record from before file_hash
	ob, err := json.MarshalIndent(old, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if unchangedRecord(ob, c, file) {
		t.Error("unchangedRecord of a record without file_hash = true, want false")
	}
}
