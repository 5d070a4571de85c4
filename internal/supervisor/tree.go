package supervisor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/asroot"
)

// RemoveTree deletes dir, first making read-only directories writable (tools
// like the Go module cache leave them so). Files owned by subordinate ids
// (apt's _apt, a database's data dir) can only be removed by the user's own
// root inside a user namespace, so a failure is retried there.
func RemoveTree(dir string) error {
	makeWritable(dir)
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	if uerr := asroot.Run("remove-tree", dir, os.Stderr, nil); uerr != nil {
		return fmt.Errorf("%w (and in a user namespace: %v)", err, uerr)
	}
	return nil
}

func makeWritable(dir string) {
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() && fi.Mode().Perm()&0o200 == 0 {
			os.Chmod(p, fi.Mode().Perm()|0o700)
		}
		return nil
	})
}

// Ops are the operations this package runs inside a user namespace (see
// internal/asroot): there, the user's root owns every mapped id.
func Ops() map[string]asroot.Op {
	return map[string]asroot.Op{"remove-tree": removeTreeInNS, "fuse-overlayfs": fuseOverlayInNS}
}

func removeTreeInNS(arg json.RawMessage) (any, error) {
	var dir string
	if err := json.Unmarshal(arg, &dir); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	makeWritable(dir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	return nil, nil
}
