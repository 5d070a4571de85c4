package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEphemeral(t *testing.T) (Config, Lookup) {
	t.Helper()
	root := t.TempDir()
	lower := filepath.Join(root, "overlay", "abc", "diff")
	if err := os.MkdirAll(lower, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(lower, 0o555)
	return Config{GraphRoot: root}, Lookup{ImageRef: ImageRef{ID: "abc"}, Found: true, Driver: DriverOverlay, Lower: []string{lower}}
}

func TestEphemeralLayerLocksImageAndSweep(t *testing.T) {
	cfg, lk := testEphemeral(t)
	e, err := NewEphemeral(cfg, "sb-rm-1", lk)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(e.Upper); err != nil || fi.Mode().Perm() != 0o555 {
		t.Errorf("upper: %v, mode %v; want the image root's 0555", err, fi.Mode().Perm())
	}
	if _, err := lockImageForDelete(cfg.GraphRoot, lk.ID, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "throwaway sandbox") {
		t.Errorf("delete while in use: %v", err)
	}
	StaleEphemeral(cfg, os.RemoveAll)
	if _, err := os.Stat(e.Dir); err != nil {
		t.Fatalf("sweep removed a live layer: %v", err)
	}
	// Once the sandbox's init has exited, image rm may go ahead while the
	// supervisor still removes the layer, which the sweep leaves alone.
	e.ReleaseImage()
	f, err := lockImageForDelete(cfg.GraphRoot, lk.ID, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("delete once the layer is unmounted: %v", err)
	}
	f.Close()
	StaleEphemeral(cfg, os.RemoveAll)
	if _, err := os.Stat(e.Dir); err != nil {
		t.Fatalf("sweep removed a layer its supervisor is removing: %v", err)
	}
	// A dead supervisor's locks are gone but its layer stays: swept.
	e.layerLock.Close()
	StaleEphemeral(cfg, os.RemoveAll)
	if _, err := os.Stat(e.Dir); !os.IsNotExist(err) {
		t.Errorf("stale layer not swept: %v", err)
	}
	f, err = lockImageForDelete(cfg.GraphRoot, lk.ID, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("delete after the sandbox ended: %v", err)
	}
	f.Close()
}

func TestEphemeralSeesDeletedImage(t *testing.T) {
	cfg, lk := testEphemeral(t)
	os.RemoveAll(filepath.Dir(lk.Lower[0]))
	if _, err := NewEphemeral(cfg, "sb-rm-2", lk); err != ErrLayersGone {
		t.Errorf("layers gone: got %v, want ErrLayersGone", err)
	}
	if !CanEphemeral(lk) {
		t.Error("CanEphemeral: native overlay with layers should qualify")
	}
	lk.Driver = DriverVFS
	if CanEphemeral(lk) {
		t.Error("CanEphemeral: vfs should not qualify")
	}
}
