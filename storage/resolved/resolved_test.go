package resolved

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/devbox-dev/devbox/storage/driver"
)

// fakeStore lays out what the caches read of a store: the driver record,
// containers/storage's two write tokens and an image's layer dirs.
func fakeStore(t *testing.T) (graph string, img Image) {
	t.Helper()
	graph = t.TempDir()
	write(t, filepath.Join(graph, driver.RecordFile), "overlay\n")
	token(t, graph, "overlay-images/images.lock", 'a')
	token(t, graph, "overlay-layers/layers.lock", 'b')
	lower := []string{filepath.Join(graph, "overlay", "l2", "diff"), filepath.Join(graph, "overlay", "l1", "diff")}
	for _, d := range lower {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return graph, Image{ID: "abc", Name: "reg/img:1", Found: true, Driver: driver.Overlay, Lower: lower,
		Config: Config{Env: []string{"A=1"}, WorkingDir: "/w"}}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// token writes a containers/storage write token (64 bytes) made of c.
func token(t *testing.T, graph, file string, c byte) {
	write(t, filepath.Join(graph, file), string(bytes.Repeat([]byte{c}, lastWriteSize)))
}

func TestStoreCacheFollowsTheStoreAndThePins(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, graph, project string, img Image)
		typed  string
		hit    bool
	}{
		{name: "unchanged", typed: "reg/img:1", hit: true},
		{name: "another reference", typed: "reg/img:2"},
		{name: "an image written", change: func(t *testing.T, graph, _ string, _ Image) { token(t, graph, "overlay-images/images.lock", 'c') }, typed: "reg/img:1"},
		{name: "a layer written", change: func(t *testing.T, graph, _ string, _ Image) { token(t, graph, "overlay-layers/layers.lock", 'c') }, typed: "reg/img:1"},
		{name: "pinned since", change: func(t *testing.T, _, project string, _ Image) {
			write(t, filepath.Join(project, "devbox.toml"), "")
			write(t, filepath.Join(project, PinsFile), `{"images":{}}`)
		}, typed: "reg/img:1"},
		{name: "a layer dir gone", change: func(t *testing.T, _, _ string, img Image) { os.RemoveAll(img.Lower[1]) }, typed: "reg/img:1"},
		{name: "the store gone", change: func(t *testing.T, graph, _ string, _ Image) { os.Remove(filepath.Join(graph, driver.RecordFile)) }, typed: "reg/img:1"},
		{name: "another driver forced", change: func(t *testing.T, _, _ string, _ Image) { t.Setenv(driver.Env, driver.VFS) }, typed: "reg/img:1"},
		{name: "the recorded driver forced", change: func(t *testing.T, _, _ string, _ Image) { t.Setenv(driver.Env, driver.Overlay) }, typed: "reg/img:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			graph, img := fakeStore(t)
			project, sandboxDir := t.TempDir(), t.TempDir()
			pins := PinsPath(project, sandboxDir)
			m, ok := Mark(graph, pins)
			if !ok {
				t.Fatal("Mark: the store's state is unreadable")
			}
			Remember(graph, m, pins, "reg/img:1", img)
			if tt.change != nil {
				tt.change(t, graph, project, img)
			}
			got, hit := Find(graph, project, sandboxDir, tt.typed)
			if hit != tt.hit {
				t.Fatalf("Find hit %v, want %v", hit, tt.hit)
			}
			if hit && (got.ID != img.ID || got.Config.WorkingDir != "/w" || len(got.Lower) != 2) {
				t.Errorf("Find: %+v, want %+v", got, img)
			}
		})
	}
}

// A store written during the lookup may or may not be in its result:
// nothing is cached then.
func TestRememberSkipsAStoreChangedDuringTheLookup(t *testing.T) {
	graph, img := fakeStore(t)
	project, sandboxDir := t.TempDir(), t.TempDir()
	pins := PinsPath(project, sandboxDir)
	m, _ := Mark(graph, pins)
	token(t, graph, "overlay-images/images.lock", 'z')
	Remember(graph, m, pins, "reg/img:1", img)
	if _, hit := Find(graph, project, sandboxDir, "reg/img:1"); hit {
		t.Error("Find used a resolution made while the store changed")
	}
	m, _ = Mark(graph, pins)
	write(t, pins, `{"images":{"reg/img:1":"sha256:00"}}`)
	Remember(graph, m, pins, "reg/img:1", img)
	if _, hit := Find(graph, project, sandboxDir, "reg/img:1"); hit {
		t.Error("Find used a resolution made while the pins changed")
	}
}

func TestMarkNeedsTheStoresTokens(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spoil func(graph string)
	}{
		{"no driver record", func(g string) { os.Remove(filepath.Join(g, driver.RecordFile)) }},
		{"unknown driver", func(g string) { os.WriteFile(filepath.Join(g, driver.RecordFile), []byte("btrfs\n"), 0o600) }},
		{"no images yet", func(g string) { os.WriteFile(filepath.Join(g, "overlay-images/images.lock"), nil, 0o600) }},
		{"no layers lock", func(g string) { os.Remove(filepath.Join(g, "overlay-layers/layers.lock")) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			graph, _ := fakeStore(t)
			tt.spoil(graph)
			if _, ok := Mark(graph, filepath.Join(t.TempDir(), PinsFile)); ok {
				t.Error("Mark succeeded")
			}
		})
	}
	graph, _ := fakeStore(t)
	os.WriteFile(filepath.Join(graph, driver.RecordFile), []byte("fuse-overlayfs\n"), 0o600)
	if _, ok := Mark(graph, filepath.Join(t.TempDir(), PinsFile)); !ok {
		t.Error("Mark: fuse-overlayfs keeps its images in the overlay driver's dirs")
	}
}

func TestSandboxCacheIsPerReference(t *testing.T) {
	_, img := fakeStore(t)
	dir := t.TempDir()
	KeepForSandbox(dir, "reg/img:1", img)
	if got, ok := Sandbox(dir, "reg/img:1"); !ok || got.ID != img.ID {
		t.Errorf("Sandbox: %+v %v", got, ok)
	}
	if _, ok := Sandbox(dir, "reg/img:2"); ok {
		t.Error("Sandbox: another reference hit")
	}
	// Find takes the sandbox's own resolution even when the store moved on.
	if got, ok := Find(t.TempDir(), t.TempDir(), dir, "reg/img:1"); !ok || got.ID != img.ID {
		t.Errorf("Find: %+v %v, want the sandbox's", got, ok)
	}
	ForgetForSandbox(dir)
	if _, ok := Sandbox(dir, "reg/img:1"); ok {
		t.Error("Sandbox after ForgetForSandbox: hit")
	}
}

// image.json written before this package kept storage.Lookup's fields,
// the image config among them in full: it still reads.
func TestSandboxCacheReadsTheOlderFormat(t *testing.T) {
	_, img := fakeStore(t)
	dir := t.TempDir()
	old := `{"typed":"reg/img:1","lookup":{"id":"abc","name":"reg/img:1","found":true,"config":{"Env":["A=1"],"User":"1000","WorkingDir":"/w"},"driver":"overlay","lower":["` +
		img.Lower[0] + `","` + img.Lower[1] + `"]}}`
	write(t, filepath.Join(dir, sandboxFile), old)
	got, ok := Sandbox(dir, "reg/img:1")
	if !ok || got.ID != "abc" || got.Config.WorkingDir != "/w" || len(got.Config.Env) != 1 {
		t.Errorf("Sandbox: %+v %v", got, ok)
	}
}

// An entry holds for the driver setting it was made under: the store opens
// with a forced driver, and the lookup names it.
func TestStoreCacheKeepsTheForcedDriverApart(t *testing.T) {
	graph, img := fakeStore(t)
	project, sandboxDir := t.TempDir(), t.TempDir()
	pins := PinsPath(project, sandboxDir)
	t.Setenv(driver.Env, driver.Fuse)
	m, _ := Mark(graph, pins)
	fuse := img
	fuse.Driver = driver.Fuse
	Remember(graph, m, pins, "reg/img:1", fuse)
	if got, hit := Find(graph, project, sandboxDir, "reg/img:1"); !hit || got.Driver != driver.Fuse {
		t.Errorf("forced fuse-overlayfs: Find %+v %v, want its own entry", got, hit)
	}
	t.Setenv(driver.Env, "")
	if _, hit := Find(graph, project, sandboxDir, "reg/img:1"); hit {
		t.Error("unforced: Find used the entry made with fuse-overlayfs forced")
	}
}
