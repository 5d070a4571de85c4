package review

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFrozen(t *testing.T) {
	nodes := []node{
		{rel: "a", kind: nodeFile},
		{rel: "gone", kind: nodeWhiteout},
		{rel: "dir", kind: nodeDir},
		{rel: "dir/x", kind: nodeFile},
		{rel: "op", kind: nodeDir, opaque: true},
		{rel: "locked", kind: nodeDir, err: os.ErrPermission},
	}
	keep := frozen(nodes)
	for p, want := range map[string]bool{
		"a": true, "b": false, "gone": true, "gone/deep/f": true, "dir": true, "dir/x": true,
		"dir/y": false, "op/any": true, "locked/f": true, "gonex": false, "a/b": false,
	} {
		if got := keep(p); got != want {
			t.Errorf("frozen(%q) = %v, want %v", p, got, want)
		}
	}
}

// A file the sandbox changed keeps the identity it had when the change
// began; every other file is recorded afresh.
func TestRefreshBaselineKeepsChanged(t *testing.T) {
	proj, l := t.TempDir(), For(t.TempDir())
	os.MkdirAll(l.Upper(), 0o755)
	os.WriteFile(filepath.Join(proj, "changed"), []byte("1"), 0o644)
	os.WriteFile(filepath.Join(proj, "other"), []byte("1"), 0o644)
	if err := RefreshBaseline(proj, l); err != nil {
		t.Fatal(err)
	}
	first, _ := l.ReadBaseline()
	os.WriteFile(filepath.Join(l.Upper(), "changed"), []byte("sandbox"), 0o644)
	os.WriteFile(filepath.Join(l.Upper(), "added"), []byte("sandbox"), 0o644)
	for _, n := range []string{"changed", "other", "added"} {
		os.WriteFile(filepath.Join(proj, n), []byte("host edit"), 0o644)
	}
	if err := RefreshBaseline(proj, l); err != nil {
		t.Fatal(err)
	}
	second, _ := l.ReadBaseline()
	if second["changed"] != first["changed"] {
		t.Errorf("changed file re-recorded: %+v -> %+v", first["changed"], second["changed"])
	}
	if second["other"] == first["other"] {
		t.Errorf("unchanged file not re-recorded")
	}
	if _, ok := second["added"]; ok {
		t.Errorf("a file the sandbox added, made on the host since, is in the baseline")
	}
	var st unix.Stat_t
	unix.Lstat(filepath.Join(proj, "other"), &st)
	if !identOf(&st).Same(second["other"]) {
		t.Errorf("fresh identity differs from the file's")
	}
}
