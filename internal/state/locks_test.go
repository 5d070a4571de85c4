package state

import (
	"os"
	"path/filepath"
	"testing"
)

// SweepLocks removes an unheld lock file of a name without a runtime dir,
// and keeps one that is held, one whose sandbox has its dir, and files
// that are not lock files.
func TestSweepLocks(t *testing.T) {
	root := t.TempDir()
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(root, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("gone-rm-1234.lock")
	write("gone.setup.lock")
	write("running.lock")
	if err := os.Mkdir(filepath.Join(root, "running"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("p-e65544.start-ticket")
	write(".lock")
	unlock, err := Lock(filepath.Join(root, "starting.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	SweepLocks(root)
	for name, want := range map[string]bool{
		"gone-rm-1234.lock": false, "gone.setup.lock": false, "running.lock": true,
		"p-e65544.start-ticket": true, ".lock": true, "starting.lock": true,
	} {
		_, err := os.Stat(filepath.Join(root, name))
		if got := err == nil; got != want {
			t.Errorf("%s after the sweep: present %v, want %v", name, got, want)
		}
	}
}

func TestLockedName(t *testing.T) {
	for file, want := range map[string]string{
		"a.lock": "a", "a.setup.lock": "a", "a-rm-1.lock": "a-rm-1", ".lock": "", "a.start-ticket": "", "lock": "",
	} {
		got, ok := lockedName(file)
		if got != want || ok != (want != "") {
			t.Errorf("lockedName(%q) = %q, %v; want %q", file, got, ok, want)
		}
	}
}
