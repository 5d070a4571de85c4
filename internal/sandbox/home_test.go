package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMkdirAllAt: nested dirs are made below the fd with mode 0755 (as
// the child makes them), made ones are fine, and a dir removed meanwhile
// (a failed start's home) is not made again.
func TestMkdirAllAt(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	os.Mkdir(home, 0o700)
	f, err := os.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, rel := range []string{"go/pkg/mod", ".cache/go-build", ".cache/pip", "go/pkg/mod"} {
		mkdirAllAt(int(f.Fd()), rel, 0o755)
		fi, err := os.Stat(filepath.Join(home, rel))
		if err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v, want a dir", rel, err)
		}
		if want := os.FileMode(0o755) &^ umask(t); fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", rel, fi.Mode().Perm(), want)
		}
	}
	if err := os.RemoveAll(home); err != nil {
		t.Fatal(err)
	}
	mkdirAllAt(int(f.Fd()), ".npm", 0o755)
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Fatalf("a removed home was made again: %v", err)
	}
}

// umask is the process's umask, read back from a dir made with 0777.
func umask(t *testing.T) os.FileMode {
	p := filepath.Join(t.TempDir(), "probe")
	os.Mkdir(p, 0o777)
	fi, _ := os.Stat(p)
	return 0o777 &^ fi.Mode().Perm()
}
