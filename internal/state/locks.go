package state

// A sandbox name's lock file (NAME.lock, NAME.setup.lock) is removed by
// the holder that unlocks it (Lock). A client killed while it holds one,
// a `run --rm` ended by a signal before its sandbox was ready say, leaves
// the file behind, unlocked, though its sandbox's own teardown leaves
// nothing else. SweepLocks removes those, as devbox ps sweeps the runtime
// dirs of dead sandboxes (client side).

import (
	"os"
	"path/filepath"
	"strings"
)

// lockSuffixes end the names of the lock files in a runtime root; the
// name before them is the sandbox's.
var lockSuffixes = []string{".setup.lock", ".lock"}

// SweepLocks removes the lock files in root that nobody holds and whose
// sandbox has no runtime dir. A lock taken meanwhile is not lost: Lock
// takes a file again when the one it locked is no longer at its path.
func SweepLocks(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		name, ok := lockedName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if _, err := os.Lstat(filepath.Join(root, name)); err == nil {
			continue // the runtime dir's sweep (or its sandbox) has it
		}
		sweepLock(filepath.Join(root, e.Name()))
	}
}

// lockedName is the sandbox name of a lock file's name.
func lockedName(file string) (string, bool) {
	for _, s := range lockSuffixes {
		if name, ok := strings.CutSuffix(file, s); ok && name != "" {
			return name, true
		}
	}
	return "", false
}

// sweepLock removes the lock file at path unless someone holds it.
func sweepLock(path string) {
	f, ok := unheld(path)
	if !ok {
		return
	}
	defer f.Close()
	if sameFile(f, path) {
		os.Remove(path)
	}
}
