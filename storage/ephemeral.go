package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/devbox-dev/devbox/storage/driver"
	cstorage "go.podman.io/storage"
	"golang.org/x/sys/unix"
)

// A throwaway (--rm) sandbox on native overlay needs no container record
// in the store: its writable layer is a plain directory pair beside the
// store, GRAPH/devbox-ephemeral/NAME/{diff,work}, made and removed on the
// host without a user-namespace helper. Two kinds of lock keep this as safe
// as a container record, each an flock held by the sandbox's supervisor
// for its lifetime (the kernel drops them when it dies):
//
//   - GRAPH/devbox-inuse/IMAGEID.lock, shared: image rm and prune take it
//     exclusively before they delete an image's layers, so they wait for
//     (or refuse) a running throwaway sandbox on it;
//   - GRAPH/devbox-ephemeral/NAME.lock, exclusive: a layer whose lock
//     nobody holds was left by a killed supervisor, and the next throwaway
//     start sweeps it away.
const (
	ephemeralDir = "devbox-ephemeral"
	inUseDir     = "devbox-inuse"
)

// Ephemeral is a throwaway sandbox's writable layer and the locks that
// keep it and its image in place.
type Ephemeral struct {
	Rootfs
	// Dir holds the layer; the caller removes it (its files may belong to
	// subordinate ids) and then calls Release.
	Dir string
	// imageLock is the image's in-use lock, layerLock the layer's own.
	imageLock, layerLock *os.File
}

// CanEphemeral reports whether lk's image can back a throwaway sandbox
// without a container record: native overlay, with its layers known.
func CanEphemeral(lk Lookup) bool {
	forced, _ := driver.Forced()
	return lk.Driver == DriverOverlay && len(lk.Lower) > 0 && (forced == "" || forced == DriverOverlay)
}

// NewEphemeral makes sandbox's throwaway layer on the image lk names. It
// fails with ErrLayersGone when the image's layers vanished since lk was
// looked up (the caller then takes the store's own path).
func NewEphemeral(cfg Config, sandbox string, lk Lookup) (*Ephemeral, error) {
	e := &Ephemeral{Dir: filepath.Join(cfg.GraphRoot, ephemeralDir, sandbox)}
	e.Rootfs = Rootfs{Driver: DriverOverlay, ImageID: lk.ID, Lower: lk.Lower,
		Upper: filepath.Join(e.Dir, "diff"), Work: filepath.Join(e.Dir, "work")}
	if err := e.lockImage(cfg, lk); err != nil {
		e.Release()
		return nil, err
	}
	if err := e.create(); err != nil {
		e.Release()
		return nil, err
	}
	return e, nil
}

// ErrLayersGone means an image's layer dirs are no longer in the store.
var ErrLayersGone = errors.New("the image's layers are gone from the store")

// lockImage holds the image's in-use lock shared. A lock file that image
// rm unlinked while this waited for it means the image is gone.
func (e *Ephemeral) lockImage(cfg Config, lk Lookup) error {
	f, err := openLock(filepath.Join(cfg.GraphRoot, inUseDir), lk.ID+".lock")
	if err != nil {
		return err
	}
	e.imageLock = f
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		return fmt.Errorf("lock image %.12s: %w", lk.ID, err)
	}
	if !stillLinked(f) || !layersExist(lk.Lower) {
		return ErrLayersGone
	}
	return nil
}

func stillLinked(f *os.File) bool {
	var held, now unix.Stat_t
	if unix.Fstat(int(f.Fd()), &held) != nil || unix.Stat(f.Name(), &now) != nil {
		return false
	}
	return held.Ino == now.Ino && held.Dev == now.Dev
}

func (e *Ephemeral) create() error {
	f, err := openLock(filepath.Dir(e.Dir), filepath.Base(e.Dir)+".lock")
	if err != nil {
		return err
	}
	e.layerLock = f
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("lock throwaway layer %s: %w", e.Dir, err)
	}
	for _, d := range []string{e.Upper, e.Work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create throwaway layer: %w", err)
		}
	}
	return e.copyRootMode()
}

// copyRootMode gives the upper dir the image root's mode: overlay shows
// the upper dir's own attributes as the sandbox's /, and a 0700 root would
// shut every user but root out (apt's _apt, measured).
func (e *Ephemeral) copyRootMode() error {
	fi, err := os.Stat(e.Lower[0])
	if err != nil {
		return fmt.Errorf("read image root: %w", err)
	}
	if err := os.Chmod(e.Upper, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("create throwaway layer: %w", err)
	}
	return nil
}

// ReleaseImage drops the image's in-use lock, once no mount uses the
// layer (the sandbox's init has exited and its mount namespace with it):
// image rm may then delete the image while the layer dir, still locked
// against the sweep, is being removed.
func (e *Ephemeral) ReleaseImage() {
	if e.imageLock != nil {
		e.imageLock.Close()
		e.imageLock = nil
	}
}

// Release drops the locks; the layer dir must be gone by then.
func (e *Ephemeral) Release() {
	e.ReleaseImage()
	if e.layerLock != nil {
		e.layerLock.Close()
		e.layerLock = nil
		os.Remove(e.Dir + ".lock")
	}
}

func openLock(dir, name string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	return f, nil
}

// StaleEphemeral finds throwaway layers whose supervisor died without
// removing them and calls remove on each while holding its lock.
func StaleEphemeral(cfg Config, remove func(dir string) error) {
	root := filepath.Join(cfg.GraphRoot, ephemeralDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		sweepOne(root, ent.Name(), remove)
	}
}

func sweepOne(root, name string, remove func(dir string) error) {
	f, err := os.OpenFile(filepath.Join(root, name+".lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return // its sandbox is running
	}
	if remove(filepath.Join(root, name)) == nil {
		os.Remove(f.Name())
	}
}

// lockImageForDelete takes id's in-use lock exclusively, waiting up to
// wait for throwaway sandboxes that are finishing; closing the file drops
// it. An image still in use after that is an error.
func lockImageForDelete(graphRoot, id string, wait time.Duration) (*os.File, error) {
	f, err := openLock(filepath.Join(graphRoot, inUseDir), id+".lock")
	if err != nil {
		return nil, err
	}
	if !flockWithin(f, wait) {
		f.Close()
		return nil, fmt.Errorf("image %.12s: a running throwaway sandbox (devbox run --rm) uses it; wait for it to end or stop it ('devbox ls', 'devbox stop NAME')", id)
	}
	return f, nil
}

func flockWithin(f *os.File, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deleteImage deletes an image once no throwaway sandbox uses it, and its
// in-use lock with it (a start that then gets the unlinked lock sees that
// and takes the store's path, which reports the image missing).
func deleteImage(s cstorage.Store, id string) error {
	lock, err := lockImageForDelete(s.GraphRoot(), id, 2*time.Second)
	if err != nil {
		return err
	}
	defer lock.Close()
	os.Remove(lock.Name())
	_, err = s.DeleteImage(id, true)
	return err
}
