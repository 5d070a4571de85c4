package state

// A stopped sandbox's runtime dir leaves its name in one rename, and is
// deleted after that: deleting takes a few milliseconds (far more on a disk
// mounted with discard), and the name must be free for the next start the
// moment the sandbox counts as stopped. The supervisor holds a lock on the
// retired dir while it deletes it; a retired dir nobody holds (its
// supervisor was killed while deleting) is swept by SweepRetired.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// retiredPrefix starts a retired runtime dir's name. Sandbox names cannot
// start with a dot, so no sandbox has such a dir.
const retiredPrefix = ".retired-"

// IsRetired reports whether a runtime root entry is a retired dir.
func IsRetired(name string) bool { return strings.HasPrefix(name, retiredPrefix) }

// Retired is a runtime dir renamed aside, locked by its holder until it
// is deleted.
type Retired struct {
	Path string
	lock *os.File
}

// Retire locks the runtime dir and renames it aside, in its root, under a
// name no sandbox can have. The dir's old name is free when it returns.
func Retire(dir string) (*Retired, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open runtime dir: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock runtime dir: %w", err)
	}
	var b [6]byte
	rand.Read(b[:])
	to := filepath.Join(filepath.Dir(dir), retiredPrefix+filepath.Base(dir)+"-"+hex.EncodeToString(b[:]))
	if err := os.Rename(dir, to); err != nil {
		f.Close()
		return nil, fmt.Errorf("rename runtime dir aside: %w", err)
	}
	return &Retired{Path: to, lock: f}, nil
}

// Remove deletes the retired dir with remove (os.RemoveAll, or one that
// also deletes files of the sandbox's other ids) and then drops the lock.
func (r *Retired) Remove(remove func(string) error) error {
	defer r.lock.Close()
	return remove(r.Path)
}

// SweepRetired deletes, with remove, the retired dirs in root that no
// process holds. What it cannot delete stays for the next sweep.
func SweepRetired(root string, remove func(string) error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && IsRetired(e.Name()) {
			sweep(filepath.Join(root, e.Name()), remove)
		}
	}
}

func sweep(path string, remove func(string) error) {
	f, ok := unheld(path)
	if !ok {
		return // its supervisor is deleting it
	}
	defer f.Close()
	remove(path)
}

// unheld opens path and locks it at once, unless another process holds
// its lock: the caller removes what nobody holds, and closes f.
func unheld(path string) (f *os.File, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		f.Close()
		return nil, false
	}
	return f, true
}
