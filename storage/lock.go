package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/regfile"
	"github.com/devbox-dev/devbox/storage/resolved"
	"go.podman.io/storage/pkg/ioutils"
)

// LockFile is the name of the digest lock beside a project's devbox.toml.
const LockFile = resolved.PinsFile

// maxLockSize bounds devbox.lock: it holds one line per image.
const maxLockSize = resolved.MaxPinsSize

// Lock pins image references to manifest digests.
type Lock struct {
	Images map[string]string `json:"images"` // normalised ref -> sha256:...
}

// LockPath returns where a project's pins live: devbox.lock next to
// devbox.toml, or in sandboxDir (the sandbox's data dir) when the project
// has no config.
func LockPath(project, sandboxDir string) string { return resolved.PinsPath(project, sandboxDir) }

// ReadLock reads a lock file; a missing file is an empty lock.
func ReadLock(path string) (Lock, error) {
	l := Lock{Images: map[string]string{}}
	// A sandbox can create the project's lock file: a named pipe or a huge
	// file must not hang devbox.
	b, err := regfile.Read(path, maxLockSize)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("read %s: %w (delete it to re-resolve)", path, err)
	}
	if l.Images == nil {
		l.Images = map[string]string{}
	}
	return l, nil
}

// WriteLock writes l atomically.
func WriteLock(path string, l Lock) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	b, _ := json.MarshalIndent(l, "", "  ")
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// writeFileAtomic writes data to path through a temp file and rename, so a
// reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := ioutils.AtomicWriteFileWithOpts(path, data, mode, &ioutils.AtomicFileWriterOptions{NoSync: true}); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
