package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The functions below run on the host: each runs one operation inside the
// user namespace (see Ops) through cfg.AsRoot.

// PullOptions tune Pull.
type PullOptions struct {
	TLSVerify bool
	Quiet     bool
	Progress  io.Writer // where progress goes (stderr)
	// NoPin resolves without writing anything: no devbox.lock pin, no
	// cached resolution (a throwaway --rm sandbox).
	NoPin bool
}

// Pull pulls ref (as typed: short names resolve to docker.io) into the
// store.
func Pull(cfg Config, ref string, o PullOptions) (ImageRef, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return ImageRef{}, err
	}
	var out ImageRef
	err = cfg.asRoot("image-pull", PullRequest{Config: cfg, Ref: r.String(), TLSVerify: o.TLSVerify, Quiet: o.Quiet}, o.Progress, &out)
	return out, err
}

// Import imports an archive or directory; name is required for a plain
// rootfs tarball and overrides the archive's own name.
func Import(cfg Config, path, name string, quiet bool, progress io.Writer) (ImageRef, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ImageRef{}, fmt.Errorf("import: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return ImageRef{}, fmt.Errorf("import: %w", err)
	}
	if name != "" {
		if _, err := LocalName(name); err != nil {
			return ImageRef{}, err
		}
	}
	var out ImageRef
	err = cfg.asRoot("image-import", ImportRequest{Config: cfg, Path: abs, Name: name, Quiet: quiet}, progress, &out)
	return out, err
}

// List lists the stored images and the driver in use.
func List(cfg Config) (Listing, error) {
	var out Listing
	err := cfg.asRoot("image-list", ListRequest{Config: cfg}, os.Stderr, &out)
	return out, err
}

// Find looks up a stored image by id, name or unambiguous short name.
func Find(cfg Config, ref string) (Lookup, error) {
	var out Lookup
	err := cfg.asRoot("image-lookup", LookupRequest{Config: cfg, Ref: ref}, os.Stderr, &out)
	return out, err
}

// Remove removes images; it refuses one a sandbox uses.
func Remove(cfg Config, refs []string) ([]string, error) {
	var out []string
	err := cfg.asRoot("image-remove", RemoveRequest{Config: cfg, Refs: refs}, os.Stderr, &out)
	return out, err
}

// ImageUsers names the sandboxes whose writable layers are on the images
// refs name (a throwaway --rm sandbox has none: image rm waits for it).
func ImageUsers(cfg Config, refs []string) ([]string, error) {
	var out []string
	err := cfg.asRoot("image-users", UsersRequest{Config: cfg, Refs: refs}, os.Stderr, &out)
	return out, err
}

// Prune removes unnamed images no sandbox uses.
func Prune(cfg Config) ([]string, error) {
	var out []string
	err := cfg.asRoot("image-prune", ListRequest{Config: cfg}, os.Stderr, &out)
	return out, err
}

// PrepareContainer returns the layer dirs of sandbox's writable layer on
// imageID, creating it at first use.
func PrepareContainer(cfg Config, sandbox, imageID string, stderr io.Writer) (Rootfs, error) {
	var out Rootfs
	err := cfg.asRoot("container-prepare", ContainerRequest{Config: cfg, Name: ContainerName(sandbox), ImageID: imageID}, stderr, &out)
	return out, err
}

// RemoveContainer frees sandbox's writable layer; it reports whether there
// was one.
func RemoveContainer(cfg Config, sandbox string) (bool, error) {
	var out bool
	err := cfg.asRoot("container-remove", ContainerRequest{Config: cfg, Name: ContainerName(sandbox)}, os.Stderr, &out)
	return out, err
}
