package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/storage/resolved"
)

// Resolve turns the image a sandbox asks for into a stored image: the
// digest pinned in the lock when there is one, else the tag, pulled when
// missing and then pinned. sandboxDir is the sandbox's data dir, where the
// resolution is cached (unless o.NoPin); the store's cache (package
// resolved) records it too. Progress of a pull goes to o.Progress.
func Resolve(cfg Config, project, sandboxDir, typed string, o PullOptions) (Lookup, error) {
	if img, ok := resolved.Find(cfg.GraphRoot, project, sandboxDir, typed); ok {
		return lookupOf(img), nil
	}
	pins := LockPath(project, sandboxDir)
	mark, marked := resolved.Mark(cfg.GraphRoot, pins)
	lk, err := resolveUncached(cfg, project, sandboxDir, typed, o)
	if err != nil {
		return lk, err
	}
	if marked {
		resolved.Remember(cfg.GraphRoot, mark, pins, typed, imageOf(lk))
	}
	if !o.NoPin {
		resolved.KeepForSandbox(sandboxDir, typed, imageOf(lk))
	}
	return lk, nil
}

// imageOf is the part of a lookup the resolution caches keep.
func imageOf(lk Lookup) resolved.Image {
	return resolved.Image{ID: lk.ID, Name: lk.Name, Digest: lk.Digest, Found: lk.Found, Driver: lk.Driver, Lower: lk.Lower,
		Config: resolved.Config{Env: lk.Config.Env, Cmd: lk.Config.Cmd, WorkingDir: lk.Config.WorkingDir}}
}

// lookupOf is a cached resolution as a Lookup.
func lookupOf(img resolved.Image) Lookup {
	lk := Lookup{ImageRef: ImageRef{ID: img.ID, Name: img.Name, Digest: img.Digest}, Found: img.Found, Driver: img.Driver, Lower: img.Lower}
	lk.Config.Env, lk.Config.Cmd, lk.Config.WorkingDir = img.Config.Env, img.Config.Cmd, img.Config.WorkingDir
	return lk
}

// ForgetResolved drops the cached resolution and layer dirs in a sandbox's
// data dir (image update, rm).
func ForgetResolved(sandboxDir string) {
	resolved.ForgetForSandbox(sandboxDir)
	os.Remove(filepath.Join(sandboxDir, layerFile))
}

// layerFile caches a persistent sandbox's layer dirs beside its home: the
// container record does not change until `devbox rm`, so later starts
// mount it without opening the store.
const layerFile = "layer.json"

// CachedLayer returns the layer dirs PrepareContainer last returned for the
// sandbox whose data dir is sandboxDir, if every dir is still there.
func CachedLayer(sandboxDir string) (Rootfs, bool) {
	var r Rootfs
	b, err := os.ReadFile(filepath.Join(sandboxDir, layerFile))
	if err != nil || json.Unmarshal(b, &r) != nil || r.Upper == "" {
		return r, false
	}
	return r, layersExist(append([]string{r.Upper}, r.Lower...))
}

// CacheLayer records a sandbox's layer dirs in its data dir for
// CachedLayer.
func CacheLayer(sandboxDir string, r Rootfs) {
	b, _ := json.Marshal(r)
	if err := os.MkdirAll(sandboxDir, 0o700); err == nil {
		writeFileAtomic(filepath.Join(sandboxDir, layerFile), b, 0o600)
	}
}

// layersExist reports whether every layer dir is still there: an image
// removed since the lookup was cached has lost them.
func layersExist(dirs []string) bool { return resolved.DirsExist(dirs) }

func resolveUncached(cfg Config, project, sandboxDir, typed string, o PullOptions) (Lookup, error) {
	ref, err := ParseRef(typed)
	if err != nil {
		return Lookup{}, err
	}
	lockPath := LockPath(project, sandboxDir)
	lock, err := ReadLock(lockPath)
	if err != nil {
		return Lookup{}, err
	}
	want := typed
	if d, ok := lock.Images[ref.String()]; ok && ref.Digest == "" {
		want = ref.Pinned(d).Typed()
	}
	lk, err := findOrPull(cfg, want, o)
	if err != nil {
		return lk, err
	}
	if !o.NoPin && ref.Digest == "" && lk.Digest != "" && lock.Images[ref.String()] != lk.Digest {
		lock.Images[ref.String()] = lk.Digest
		if err := WriteLock(lockPath, lock); err != nil {
			return lk, err
		}
	}
	return lk, nil
}

// findOrPull finds ref in the store, pulling it when absent and it names a
// registry image.
func findOrPull(cfg Config, ref string, o PullOptions) (Lookup, error) {
	lk, err := Find(cfg, ref)
	if err != nil || lk.Found {
		return lk, err
	}
	r, _ := ParseRef(ref)
	if r.Registry() == "localhost" {
		return lk, fmt.Errorf("image %s not found: import it first ('devbox image import')", ref)
	}
	pulled, err := Pull(cfg, ref, o)
	if err != nil {
		return lk, err
	}
	return Find(cfg, pulled.ID)
}

// Change is what Update did to one pinned reference.
type Change struct {
	Ref      string `json:"ref"`
	Old, New string
}

// Update re-resolves the lock's references (or only refs) against their
// registries, pulls what changed and rewrites the lock. sandboxDir is the
// sandbox's data dir.
func Update(cfg Config, project, sandboxDir string, refs []string, o PullOptions) ([]Change, error) {
	lockPath := LockPath(project, sandboxDir)
	lock, err := ReadLock(lockPath)
	if err != nil {
		return nil, err
	}
	targets, err := updateTargets(lock, refs)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, r := range targets {
		pulled, err := Pull(cfg, r, o)
		if err != nil {
			return out, err
		}
		out = append(out, Change{Ref: r, Old: lock.Images[r], New: pulled.Digest})
		lock.Images[r] = pulled.Digest
	}
	ForgetResolved(sandboxDir)
	return out, WriteLock(lockPath, lock)
}

func updateTargets(lock Lock, refs []string) ([]string, error) {
	if len(refs) == 0 {
		for r := range lock.Images {
			refs = append(refs, r)
		}
		if len(refs) == 0 {
			return nil, errors.New("update images: nothing is pinned yet; run the sandbox with --image first")
		}
		return refs, nil
	}
	var out []string
	for _, t := range refs {
		r, err := ParseRef(t)
		if err != nil {
			return nil, err
		}
		out = append(out, r.String())
	}
	return out, nil
}
