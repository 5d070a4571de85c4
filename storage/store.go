package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/devbox-dev/devbox/storage/driver"
	"github.com/devbox-dev/devbox/storage/resolved"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/types"
)

// Drivers, in order of preference (see package driver).
const (
	DriverOverlay = driver.Overlay
	DriverFuse    = driver.Fuse
	DriverVFS     = driver.VFS
)

// EnvDriver forces a driver (overlay, fuse-overlayfs or vfs).
const EnvDriver = driver.Env

// Config locates the store. The host computes it (the paths depend on the
// host uid and environment) and passes it to every namespace operation.
type Config struct {
	GraphRoot string `json:"graph_root"`
	RunRoot   string `json:"run_root"`
	// AsRoot runs one of Ops by name as root in a fresh user namespace
	// with the caller's full id mapping, decoding its result into out. The
	// host sets it (internal/asroot.Run); the namespace side, which gets
	// Config as JSON, has none and needs none.
	AsRoot Runner `json:"-"`
}

// Runner runs the operation op of Ops with arg, its stderr going to
// stderr, and decodes its result into out (may be nil).
type Runner func(op string, arg any, stderr io.Writer, out any) error

// NewConfig is the store in dataRoot/storage, with its run root beside
// runtimeRoot, reached through asRoot.
func NewConfig(dataRoot, runtimeRoot string, asRoot Runner) (Config, error) {
	cfg := Config{GraphRoot: resolved.GraphRoot(dataRoot), RunRoot: runtimeRoot + "-storage", AsRoot: asRoot}
	_, err := driver.Forced() // checked here, applied by openStore
	return cfg, err
}

func (c Config) asRoot(op string, arg any, stderr io.Writer, out any) error {
	if c.AsRoot == nil {
		return fmt.Errorf("run %s: the store has no way into a user namespace (storage.Config.AsRoot unset)", op)
	}
	return c.AsRoot(op, arg, stderr, out)
}

// openStore opens the store inside the user namespace with the forced,
// recorded or first working driver, in driver.Choose's order.
func openStore(cfg Config) (cstorage.Store, string, error) {
	if err := os.MkdirAll(cfg.GraphRoot, 0o700); err != nil {
		return nil, "", fmt.Errorf("create image store: %w", err)
	}
	choice, err := driver.Choose(cfg.GraphRoot)
	if err != nil {
		return nil, "", err
	}
	created := driver.Recorded(cfg.GraphRoot) == ""
	var errs []error
	for _, d := range driver.Order(choice, cfg.GraphRoot) {
		s, err := openWith(cfg, d)
		if err == nil && d == DriverOverlay && driver.MountProgramLayers(cfg.GraphRoot) {
			// Its probe failed where devbox's passed: kernel overlay would
			// show the layers' .wh. whiteouts as plain files.
			s.Shutdown(false)
			s, err = nil, errors.New("containers/storage fell back to fuse-overlayfs for its layers: its own probe of native overlay failed on this file system")
		}
		if err == nil {
			os.WriteFile(filepath.Join(cfg.GraphRoot, driver.RecordFile), []byte(d+"\n"), 0o600)
			if created {
				if n := vfsNotice(d, choice); n != "" {
					fmt.Fprintln(os.Stderr, n)
				}
			}
			return s, d, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", d, err))
	}
	return nil, "", fmt.Errorf("open image store %s: %w", cfg.GraphRoot, errors.Join(errs...))
}

// vfsNotice is the one warning line of a store created with vfs as a
// fallback (not forced): every sandbox then gets a full copy of its image.
func vfsNotice(d string, c driver.Choice) string {
	if d != DriverVFS {
		return ""
	}
	if f, _ := driver.Forced(); f != "" {
		return ""
	}
	return "devbox: warning: the image store uses vfs, a full copy of an image per sandbox (" + c.Why + "); native overlay (kernel 5.13+) or fuse-overlayfs with /dev/fuse would share the layers"
}

func openWith(cfg Config, name string) (cstorage.Store, error) {
	opts := types.StoreOptions{GraphRoot: cfg.GraphRoot, RunRoot: cfg.RunRoot, GraphDriverName: name}
	if name == DriverFuse {
		if err := driver.FuseUsable(); err != nil {
			return nil, err
		}
		prog, _ := exec.LookPath("fuse-overlayfs")
		opts.GraphDriverName = DriverOverlay
		opts.GraphDriverOptions = []string{"overlay.mount_program=" + prog}
	}
	return cstorage.GetStore(opts)
}

// withStore runs fn on an open store and shuts it down.
func withStore(cfg Config, fn func(s cstorage.Store, driver string) error) error {
	s, driver, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer s.Shutdown(false)
	return fn(s, driver)
}
