// Package resolved caches what an image reference resolves to: the stored
// image, its layer directories and the part of its config sessions use,
// where the host reads it without opening the image store. It runs in the
// client, in both binaries: devbox-engine writes the cache after a lookup
// in the store (storage.Resolve), and devbox, the front, which links
// neither containers/storage nor a registry client, reads it to start an
// image sandbox itself, with no exec of devbox-engine and no helper in a
// user namespace on the way.
//
// Two caches:
//
//   - a sandbox's own, image.json in its data dir: the image it resolved
//     and keeps using until `devbox image update` or `devbox rm`;
//   - the store's, GRAPH/devbox-resolved.json: for each reference and
//     state of its pins (the project's devbox.lock, or the sandbox's), the
//     image a lookup in the store found, valid while the store is as it was
//     then. containers/storage writes a new random token into
//     overlay-images/images.lock and overlay-layers/layers.lock (vfs-*
//     for vfs) at every change of its images or layers; the entries hold
//     both tokens, so a pull, a tag moved, an image removed or a layer
//     written makes them stale.
//
// A stale layer list cannot mount the wrong files: the supervisor locks the
// image in use and checks its layer dirs before a throwaway sandbox mounts
// them (storage.NewEphemeral), and image rm takes that lock before it
// deletes layers.
//
// The package imports nothing of devbox's but the store's driver names and
// regfile.
package resolved

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/regfile"
	"github.com/devbox-dev/devbox/storage/driver"
)

// Image is a reference's resolution. Its JSON is the part of
// storage.Lookup's that devbox reads back.
type Image struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Digest string `json:"digest,omitempty"`
	Found  bool   `json:"found"`
	Config Config `json:"config"`
	// Driver is the store's driver, and Lower the image's layer dirs, top
	// first.
	Driver string   `json:"driver,omitempty"`
	Lower  []string `json:"lower,omitempty"`
}

// Config is the image config's part that sessions use, with the OCI
// config's JSON names.
type Config struct {
	Env        []string `json:"Env,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
}

// GraphRoot is the image store's dir under devbox's data dir.
func GraphRoot(dataRoot string) string { return filepath.Join(dataRoot, "storage") }

// PinsFile is the name of the digest lock beside a project's devbox.toml.
const PinsFile = "devbox.lock"

// MaxPinsSize bounds devbox.lock: it holds one line per image.
const MaxPinsSize = 1 << 20

// PinsPath returns where a project's pins live: devbox.lock next to
// devbox.toml, or in sandboxDir (the sandbox's data dir) when the project
// has no config.
func PinsPath(project, sandboxDir string) string {
	if fi, err := os.Stat(filepath.Join(project, "devbox.toml")); err == nil && fi.Mode().IsRegular() {
		return filepath.Join(project, PinsFile)
	}
	return filepath.Join(sandboxDir, PinsFile)
}

// Find returns typed's resolution for the sandbox whose data dir is
// sandboxDir in the project: the sandbox's own, else the store's while it
// is current. Either needs every layer dir still there.
func Find(graphRoot, project, sandboxDir, typed string) (Image, bool) {
	if img, ok := Sandbox(sandboxDir, typed); ok {
		return img, true
	}
	m, ok := Mark(graphRoot, PinsPath(project, sandboxDir))
	if !ok {
		return Image{}, false
	}
	c, ok := readStore(graphRoot)
	if !ok || c.Stamp != m.stamp {
		return Image{}, false
	}
	img, ok := c.Entries[m.key(typed)]
	if !ok || !usable(img) {
		return Image{}, false
	}
	return img, true
}

// sandboxFile caches a sandbox's resolved image in its data dir.
const sandboxFile = "image.json"

type sandboxEntry struct {
	Typed string `json:"typed"`
	Image Image  `json:"lookup"`
}

// Sandbox returns the image the sandbox whose data dir is sandboxDir
// resolved typed to, if its layer dirs are still there.
func Sandbox(sandboxDir, typed string) (Image, bool) {
	var e sandboxEntry
	b, err := os.ReadFile(filepath.Join(sandboxDir, sandboxFile))
	if err != nil || json.Unmarshal(b, &e) != nil || e.Typed != typed || !usable(e.Image) {
		return Image{}, false
	}
	return e.Image, true
}

// KeepForSandbox records img as typed's resolution for the sandbox whose
// data dir is sandboxDir.
func KeepForSandbox(sandboxDir, typed string, img Image) {
	b, _ := json.Marshal(sandboxEntry{Typed: typed, Image: img})
	if err := os.MkdirAll(sandboxDir, 0o700); err == nil {
		writeAtomic(filepath.Join(sandboxDir, sandboxFile), b)
	}
}

// ForgetForSandbox drops the sandbox's resolution (image update, rm).
func ForgetForSandbox(sandboxDir string) {
	os.Remove(filepath.Join(sandboxDir, sandboxFile))
}

func usable(img Image) bool {
	return img.Found && img.Driver != "" && len(img.Lower) > 0 && DirsExist(img.Lower)
}

// DirsExist reports whether every dir is still there: an image removed
// since it was resolved has lost its layer dirs.
func DirsExist(dirs []string) bool {
	for _, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			return false
		}
	}
	return true
}

// A Marker is the state a resolution depends on, read before a lookup in
// the store: the store's write tokens, the pins, and the driver forced by
// DEVBOX_STORAGE_DRIVER (the store opens with it, and the lookup names it).
type Marker struct {
	stamp  string
	pins   string
	forced string
}

func (m Marker) key(typed string) string { return typed + "\n" + m.pins + "\n" + m.forced }

// storeFile, in the graph root, is the store's cache.
const storeFile = "devbox-resolved.json"

type storeCache struct {
	Stamp   string           `json:"stamp"`
	Entries map[string]Image `json:"entries"`
}

// Mark reads the store's write tokens, the pins at pinsPath and the forced
// driver; false when they cannot be read (no store yet, no driver
// recorded, an unreadable or oversized pins file, an invalid forced
// driver), and then nothing is cached.
func Mark(graphRoot, pinsPath string) (Marker, bool) {
	stamp, ok := storeStamp(graphRoot)
	if !ok {
		return Marker{}, false
	}
	pins := "none"
	b, err := regfile.Read(pinsPath, MaxPinsSize)
	switch {
	case err == nil:
		sum := sha256.Sum256(b)
		pins = hex.EncodeToString(sum[:])
	case !errors.Is(err, os.ErrNotExist):
		return Marker{}, false
	}
	forced, err := driver.Forced()
	if err != nil {
		return Marker{}, false
	}
	return Marker{stamp: stamp, pins: pins, forced: forced}, true
}

// lastWriteSize is the length of containers/storage's write token.
const lastWriteSize = 64

// storeStamp is the driver the store was created with and the tokens in
// its images' and layers' lock files.
func storeStamp(graphRoot string) (string, bool) {
	d := driver.Recorded(graphRoot)
	dir := d // containers/storage's own driver name prefixes its dirs
	switch d {
	case driver.Overlay, driver.VFS:
	case driver.Fuse:
		dir = driver.Overlay
	default:
		return "", false
	}
	stamp := d
	for _, f := range []string{dir + "-images/images.lock", dir + "-layers/layers.lock"} {
		b, err := os.ReadFile(filepath.Join(graphRoot, f))
		if err != nil || len(b) != lastWriteSize {
			return "", false
		}
		stamp += "/" + hex.EncodeToString(b)
	}
	return stamp, true
}

// Remember records img as typed's resolution under the state m read before
// the lookup, if the store and the pins are still in that state: a change
// during the lookup may or may not be in img.
func Remember(graphRoot string, m Marker, pinsPath, typed string, img Image) {
	if !usable(img) {
		return
	}
	now, ok := Mark(graphRoot, pinsPath)
	if !ok || now != m {
		return
	}
	c, ok := readStore(graphRoot)
	if !ok || c.Stamp != m.stamp {
		c = storeCache{Stamp: m.stamp, Entries: map[string]Image{}}
	}
	c.Entries[m.key(typed)] = img
	if b, err := json.Marshal(c); err == nil {
		writeAtomic(filepath.Join(graphRoot, storeFile), b)
	}
}

// maxStoreCache bounds the store's cache file.
const maxStoreCache = 4 << 20

func readStore(graphRoot string) (storeCache, bool) {
	var c storeCache
	b, err := regfile.Read(filepath.Join(graphRoot, storeFile), maxStoreCache)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Entries == nil {
		return c, false
	}
	return c, true
}

// writeAtomic writes data through a temp file and a rename, so a reader
// never sees half a file; a failure leaves the cache as it was.
func writeAtomic(path string, data []byte) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		os.Remove(f.Name())
	}
}
