package state

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRetireFreesTheNameAndRemoves(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "box")
	if err := os.MkdirAll(filepath.Join(dir, "home", ".cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, StateFile), []byte("{}"), 0o600)
	r, err := Retire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("after Retire the name still exists: %v", err)
	}
	if filepath.Dir(r.Path) != root || !IsRetired(filepath.Base(r.Path)) {
		t.Fatalf("retired to %s, want a retired name in %s", r.Path, root)
	}
	// A new sandbox of the same name can start while the old dir goes.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("the name is not free: %v", err)
	}
	SweepRetired(root, os.RemoveAll) // held: left to its holder
	if _, err := os.Stat(r.Path); err != nil {
		t.Fatalf("SweepRetired removed a dir its holder is deleting: %v", err)
	}
	if err := r.Remove(os.RemoveAll); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(r.Path); !os.IsNotExist(err) {
		t.Fatalf("after Remove: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("Remove touched the new dir of the same name: %v", err)
	}
}

func TestSweepRetiredRemovesOnlyUnheldRetiredDirs(t *testing.T) {
	root := t.TempDir()
	orphan := filepath.Join(root, retiredPrefix+"box-1")
	held := filepath.Join(root, retiredPrefix+"box-2")
	live := filepath.Join(root, "box")
	for _, d := range []string{orphan, held, live} {
		if err := os.MkdirAll(filepath.Join(d, "etc"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(held)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	SweepRetired(root, os.RemoveAll)
	for d, want := range map[string]bool{orphan: false, held: true, live: true} {
		_, err := os.Stat(d)
		if got := err == nil; got != want {
			t.Errorf("%s exists %v after the sweep, want %v", filepath.Base(d), got, want)
		}
	}
}

func TestIsRetired(t *testing.T) {
	for name, want := range map[string]bool{".retired-box-ab12": true, "box": false, "box.retired-": false, ".lock": false} {
		if got := IsRetired(name); got != want {
			t.Errorf("IsRetired(%q) = %v, want %v", name, got, want)
		}
	}
}
