package driver

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestChooseForcedRecordedOrder(t *testing.T) {
	root := t.TempDir()
	t.Setenv(Env, "")
	c, err := Choose(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := Order(c, root); got[0] != c.Driver || got[len(got)-1] != VFS {
		t.Errorf("order %v for choice %+v", got, c)
	}
	os.WriteFile(filepath.Join(root, RecordFile), []byte("vfs\n"), 0o600)
	if c, _ := Choose(root); c.Driver != VFS || !reflect.DeepEqual(Order(c, root), []string{VFS}) {
		t.Errorf("recorded vfs: %+v", c)
	}
	t.Setenv(Env, Fuse)
	if c, _ := Choose(root); c.Driver != Fuse || !c.Fallback || !reflect.DeepEqual(Order(c, root), []string{Fuse}) {
		t.Errorf("forced fuse-overlayfs: %+v", c)
	}
	t.Setenv(Env, "btrfs")
	if _, err := Choose(root); err == nil {
		t.Error("invalid forced driver accepted")
	}
}

func TestExistingAncestor(t *testing.T) {
	root := t.TempDir()
	if got := existingAncestor(filepath.Join(root, "a", "b")); got != root {
		t.Errorf("existingAncestor = %s, want %s", got, root)
	}
}
