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

// Prepare makes the layer (the upper root with the project's mode),
// records the forced driver and the baseline, and keeps the driver while
// the layer holds changes.
func TestPrepare(t *testing.T) {
	proj, l := t.TempDir(), For(t.TempDir())
	os.Chmod(proj, 0o750)
	os.WriteFile(filepath.Join(proj, "f"), []byte("x"), 0o644)
	t.Setenv("DEVBOX_STORAGE_DRIVER", "fuse-overlayfs")
	r, err := Prepare(proj, l, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(l.Upper()); err != nil || fi.Mode().Perm() != 0o750 || r.Upper != l.Upper() || r.Driver != "fuse-overlayfs" {
		t.Fatalf("layer %+v, upper %v %v", r, fi.Mode(), err)
	}
	if b, _ := l.ReadBaseline(); len(b) != 1 {
		t.Errorf("baseline %v", b)
	}
	os.WriteFile(filepath.Join(l.Upper(), "f"), []byte("changed"), 0o644)
	t.Setenv("DEVBOX_STORAGE_DRIVER", "overlay")
	if _, err := Prepare(proj, l, func(string) {}); err == nil {
		t.Error("a forced driver switch over held changes was accepted")
	}
	t.Setenv("DEVBOX_STORAGE_DRIVER", "")
	if r, err := Prepare(proj, l, func(string) {}); err != nil || r.Driver != "fuse-overlayfs" {
		t.Errorf("held changes: driver %q, %v; want the recorded fuse-overlayfs", r.Driver, err)
	}
}
