package storage

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/state"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/types"
)

// Drivers, in order of preference. fuse-overlayfs is the overlay driver
// with fuse-overlayfs as its mount program.
const (
	DriverOverlay = "overlay"
	DriverFuse    = "fuse-overlayfs"
	DriverVFS     = "vfs"
)

// EnvDriver forces a driver (overlay, fuse-overlayfs or vfs), for a home on
// a file system where native overlay misbehaves, and for tests.
const EnvDriver = "DEVBOX_STORAGE_DRIVER"

// driverFile records the driver a store was created with: layers written by
// one driver are invisible to another, so a store keeps its first choice.
const driverFile = "devbox-driver"

// Config locates the store. The host computes it (the paths depend on the
// host uid and environment) and passes it to every namespace operation.
type Config struct {
	GraphRoot string `json:"graph_root"`
	RunRoot   string `json:"run_root"`
	Driver    string `json:"driver,omitempty"` // forced driver, or empty
}

// DefaultConfig is $XDG_DATA_HOME/devbox/storage with its run root beside
// the sandboxes' runtime dir.
func DefaultConfig() (Config, error) {
	data, err := state.DataRoot()
	if err != nil {
		return Config{}, err
	}
	run, err := state.RuntimeRoot()
	if err != nil {
		return Config{}, err
	}
	cfg := Config{GraphRoot: filepath.Join(data, "storage"), RunRoot: run + "-storage", Driver: os.Getenv(EnvDriver)}
	switch cfg.Driver {
	case "", DriverOverlay, DriverFuse, DriverVFS:
	default:
		return cfg, fmt.Errorf("invalid %s=%q: want overlay, fuse-overlayfs or vfs", EnvDriver, cfg.Driver)
	}
	return cfg, nil
}

// openStore opens the store inside the user namespace with the recorded,
// forced or first working driver.
func openStore(cfg Config) (cstorage.Store, string, error) {
	if err := os.MkdirAll(cfg.GraphRoot, 0o700); err != nil {
		return nil, "", fmt.Errorf("create image store: %w", err)
	}
	candidates := []string{DriverOverlay, DriverFuse, DriverVFS}
	recorded, _ := os.ReadFile(filepath.Join(cfg.GraphRoot, driverFile))
	if d := strings.TrimSpace(string(recorded)); d != "" {
		candidates = []string{d}
	}
	if cfg.Driver != "" {
		candidates = []string{cfg.Driver}
	}
	var errs []error
	for _, d := range candidates {
		s, err := openWith(cfg, d)
		if err == nil {
			os.WriteFile(filepath.Join(cfg.GraphRoot, driverFile), []byte(d+"\n"), 0o600)
			return s, d, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", d, err))
	}
	return nil, "", fmt.Errorf("open image store %s: %w", cfg.GraphRoot, errors.Join(errs...))
}

func openWith(cfg Config, driver string) (cstorage.Store, error) {
	opts := types.StoreOptions{GraphRoot: cfg.GraphRoot, RunRoot: cfg.RunRoot, GraphDriverName: driver}
	switch driver {
	case DriverFuse:
		prog, err := exec.LookPath("fuse-overlayfs")
		if err != nil {
			return nil, fmt.Errorf("fuse-overlayfs not found in PATH (install package fuse-overlayfs): %w", err)
		}
		if err := checkFuse(); err != nil {
			return nil, err
		}
		opts.GraphDriverName = DriverOverlay
		opts.GraphDriverOptions = []string{"overlay.mount_program=" + prog}
	case DriverOverlay:
		if os.Getenv(EnvDriver) == DriverFuse {
			return nil, errors.New("disabled by " + EnvDriver)
		}
	}
	return cstorage.GetStore(opts)
}

func checkFuse() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open /dev/fuse: %w", err)
	}
	return f.Close()
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
