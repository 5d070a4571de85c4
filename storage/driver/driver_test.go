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

// A store recorded as overlay whose layers containers/storage wrote for
// fuse-overlayfs (.wh. whiteouts) must not be mounted with kernel overlay.
func TestChooseMountProgramLayers(t *testing.T) {
	root := t.TempDir()
	t.Setenv(Env, "")
	os.WriteFile(filepath.Join(root, RecordFile), []byte("overlay\n"), 0o600)
	if c, _ := Choose(root); c.Driver != Overlay {
		t.Fatalf("recorded overlay: %+v", c)
	}
	os.MkdirAll(filepath.Join(root, Overlay), 0o700)
	os.WriteFile(filepath.Join(root, Overlay, mountProgramFlag), []byte("true"), 0o600)
	if c, _ := Choose(root); c.Driver != Fuse || !c.Fallback || !reflect.DeepEqual(Order(c, root), []string{Fuse}) {
		t.Errorf("overlay layers written for a mount program: %+v", c)
	}
}

func TestProbeMarkersLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	err := probeMarkers(dir, 0)
	t.Logf("probe of %s: %v", dir, err)
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("probe left %v", ents)
	}
}

func TestChooseOverlay(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	for _, forced := range []string{Overlay, Fuse} {
		t.Setenv(Env, forced)
		if c, err := ChooseOverlay(lower, upper); err != nil || c.Driver != forced {
			t.Errorf("forced %s: %+v, %v", forced, c, err)
		}
	}
	t.Setenv(Env, VFS)
	if _, err := ChooseOverlay(lower, upper); err == nil {
		t.Error("forced vfs accepted for a review overlay")
	}
	t.Setenv(Env, "")
	c, err := ChooseOverlay(lower, upper)
	if err != nil {
		if FuseUsable() == nil || NativeOverlay(upper) == nil {
			t.Fatalf("no overlay although one is usable: %v", err)
		}
		t.Skipf("neither overlay works here: %v", err)
	}
	if (c.Driver == Overlay) != (nativeOverLower(lower, upper) == nil) {
		t.Errorf("choice %+v, native overlay error %v", c, nativeOverLower(lower, upper))
	}
	if _, err := ChooseOverlay(filepath.Join(lower, "missing"), upper); err == nil && FuseUsable() != nil {
		t.Error("a missing project chose native overlay")
	}
}

func TestStackedLowerFS(t *testing.T) {
	for _, tc := range []struct {
		magic int64
		want  string
	}{
		{0x794c7630, "overlayfs"},
		{0x6969, "NFS"},
		{0x65735546, "FUSE"},
		{0xff534d42, "CIFS"},
		{0xfe534d42, "SMB2"},
		{0xf15f, "eCryptfs"},
		{0xef53, ""},     // ext4
		{0x58465342, ""}, // xfs
		{0x9123683e, ""}, // btrfs
		{0x01021994, ""}, // tmpfs
		{0x2fc12fc1, ""}, // zfs
	} {
		if got := StackedLowerFS(tc.magic); got != tc.want {
			t.Errorf("StackedLowerFS(%#x) = %q, want %q", tc.magic, got, tc.want)
		}
	}
}
