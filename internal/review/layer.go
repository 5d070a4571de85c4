// Package review is devbox's review mode on the host: a sandbox in review
// mode sees its project through an overlay whose lower layer is the real
// project and whose upper layer lies in the sandbox's data dir
// (internal/child mounts it). This package owns that layer's layout, the
// baseline that tells apply whether the real project changed under a
// change, and the diff, apply and discard of the layer's changes.
//
// It runs on the host side of the fork: the supervisor prepares the layer
// and records the baseline at each start (Prepare); the client diffs,
// applies and discards, in its own process or, where files of the layer
// belong to the sandbox's subordinate ids, in an internal/asroot helper
// (Ops) that owns every id the sandbox has.
package review

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/storage/driver"
)

// Layer is a sandbox's review layer: Dir is DATA/sandboxes/NAME/review.
type Layer struct{ Dir string }

// For is the review layer in a sandbox's data dir.
func For(dataDir string) Layer { return Layer{Dir: filepath.Join(dataDir, "review")} }

// Upper is the overlay's upper dir: every change the sandbox made.
func (l Layer) Upper() string { return filepath.Join(l.Dir, "upper") }

// Work is the overlay's work dir, beside Upper on the same file system.
func (l Layer) Work() string { return filepath.Join(l.Dir, "work") }

func (l Layer) baseFile() string   { return filepath.Join(l.Dir, "base.json") }
func (l Layer) driverFile() string { return filepath.Join(l.Dir, "driver") }

// Records are the layer's own files beside the upper dir (the baseline
// and the driver), which a snapshot keeps with it.
func (l Layer) Records() map[string]string {
	return map[string]string{"review-base.json": l.baseFile(), "review-driver": l.driverFile()}
}

// Exists reports whether the sandbox has a review layer.
func (l Layer) Exists() bool {
	fi, err := os.Stat(l.Upper())
	return err == nil && fi.IsDir()
}

// Empty reports whether the upper layer holds nothing.
func (l Layer) Empty() bool { return emptyDir(l.Upper()) }

// Driver is the driver recorded when the layer was last mounted, or "".
func (l Layer) Driver() string {
	b, _ := os.ReadFile(l.driverFile())
	return strings.TrimSpace(string(b))
}

// Prepare makes the layer's dirs, picks the driver (the one recorded while
// the upper layer holds changes written with it, else storage's choice for
// this project and this data dir) and records the baseline of the real
// project. warn gets one line when native overlay was passed over. The
// sandbox must not be running: the supervisor calls it before the child
// mounts the overlay.
func Prepare(project string, l Layer, warn func(string)) (proto.ReviewLayer, error) {
	if err := l.create(project); err != nil {
		return proto.ReviewLayer{}, fmt.Errorf("create review layer: %w", err)
	}
	d, err := l.chooseDriver(project, warn)
	if err != nil {
		return proto.ReviewLayer{}, err
	}
	if err := os.WriteFile(l.driverFile(), []byte(d+"\n"), 0o600); err != nil {
		return proto.ReviewLayer{}, fmt.Errorf("record review driver: %w", err)
	}
	if err := RefreshBaseline(project, l); err != nil {
		return proto.ReviewLayer{}, err
	}
	return proto.ReviewLayer{Driver: d, Upper: l.Upper(), Work: l.Work()}, nil
}

// create makes the layer's dirs. A new upper dir takes the project
// dir's mode: the overlay's root shows the upper root's.
func (l Layer) create(project string) error {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll(l.Work(), 0o700); err != nil {
		return err
	}
	if _, err := os.Lstat(l.Upper()); err == nil {
		return nil
	}
	fi, err := os.Stat(project)
	if err != nil {
		return err
	}
	if err := os.Mkdir(l.Upper(), 0o700); err != nil {
		return err
	}
	return os.Chmod(l.Upper(), fi.Mode().Perm())
}

// chooseDriver keeps the recorded driver while the upper layer is not
// empty: the two write deletions differently where fuse-overlayfs cannot
// make whiteout devices.
func (l Layer) chooseDriver(project string, warn func(string)) (string, error) {
	if rec := l.Driver(); rec != "" && !emptyDir(l.Upper()) {
		if forced, _ := driver.Forced(); forced != "" && forced != rec {
			return "", fmt.Errorf("the review layer of this sandbox holds changes written with %s, and %s asks for %s: apply or discard them first ('devbox diff', 'devbox apply', 'devbox discard'), or unset %s", rec, driver.Env, forced, driver.Env)
		}
		return rec, nil
	}
	c, err := driver.ChooseOverlay(project, l.Dir)
	if err != nil {
		return "", fmt.Errorf("mount the review overlay: %w", err)
	}
	if c.Fallback && warn != nil && !strings.HasPrefix(c.Why, "forced") {
		warn("review mode uses fuse-overlayfs (slower than native overlay): " + c.Why)
	}
	return c.Driver, nil
}

func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return true
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return errors.Is(err, io.EOF)
}
