package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	cstorage "go.podman.io/storage"
)

// Ops are the operations that run inside the user namespace; main passes
// them to internal/asroot's Main, and Config.AsRoot runs them by name.
func Ops() map[string]func(json.RawMessage) (any, error) {
	return map[string]func(json.RawMessage) (any, error){
		"image-pull":        op(pullInNS),
		"image-import":      op(importInNS),
		"image-export":      op(exportInNS),
		"image-list":        op(listInNS),
		"image-lookup":      op(lookupInNS),
		"image-remove":      op(removeInNS),
		"image-prune":       op(pruneInNS),
		"image-users":       op(usersInNS),
		"container-prepare": op(prepareInNS),
		"container-remove":  op(removeContainerInNS),
	}
}

func op[A, R any](fn func(A) (R, error)) func(json.RawMessage) (any, error) {
	return func(raw json.RawMessage) (any, error) {
		var a A
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("decode arguments: %w", err)
		}
		configureStorageEnv(strconv.Itoa(hostUIDOf0()))
		return fn(a)
	}
}

// containers/storage reads these: configured means "already in the user
// namespace, do not re-exec into another one"; the rootless uid is the
// host uid it runs for.
const (
	envUsernsConfigured = "_CONTAINERS_USERNS_CONFIGURED"
	envRootlessUID      = "_CONTAINERS_ROOTLESS_UID"
)

// configureStorageEnv tells containers/storage that this process already
// is in the user namespace it needs, so it never re-execs into a second
// one. hostUID is the uid outside.
func configureStorageEnv(hostUID string) {
	os.Setenv(envUsernsConfigured, "done")
	os.Setenv(envRootlessUID, hostUID)
}

// hostUIDOf0 returns the host uid that uid 0 of this user namespace maps
// to, from /proc/self/uid_map; 0 when it cannot tell.
func hostUIDOf0() int {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return 0
	}
	return parseHostOf0(string(b))
}

func parseHostOf0(uidMap string) int {
	var inside, host, count int
	if n, _ := fmt.Sscan(uidMap, &inside, &host, &count); n == 3 && inside == 0 {
		return host
	}
	return 0
}

// Image is one stored image, as `devbox image ls` shows it.
type Image struct {
	ID      string    `json:"id"`
	Names   []string  `json:"names"`
	Digest  string    `json:"digest,omitempty"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

// ListRequest is the argument of image-list.
type ListRequest struct {
	Config Config `json:"config"`
}

// Listing is image-list's result.
type Listing struct {
	Driver string  `json:"driver"`
	Images []Image `json:"images"`
}

func listInNS(req ListRequest) (Listing, error) {
	var out Listing
	err := withStore(req.Config, func(s cstorage.Store, driver string) error {
		out.Driver = driver
		imgs, err := s.Images()
		if err != nil {
			return fmt.Errorf("list images: %w", err)
		}
		for _, img := range imgs {
			size, _ := s.ImageSize(img.ID)
			out.Images = append(out.Images, Image{ID: img.ID, Names: img.Names, Digest: string(img.Digest), Size: size, Created: img.Created})
		}
		return nil
	})
	sort.Slice(out.Images, func(i, j int) bool { return out.Images[i].Created.After(out.Images[j].Created) })
	return out, err
}

// LookupRequest is the argument of image-lookup.
type LookupRequest struct {
	Config Config `json:"config"`
	Ref    string `json:"ref"` // as the user typed it
}

// Lookup is image-lookup's result: the image, its config, and its layer
// directories (top first) under the driver that stores them, which let a
// throwaway sandbox mount the image without a container in the store.
type Lookup struct {
	ImageRef
	Found  bool      `json:"found"`
	Config v1.Config `json:"config"`
	Driver string    `json:"driver,omitempty"`
	Lower  []string  `json:"lower,omitempty"`
}

func lookupInNS(req LookupRequest) (Lookup, error) {
	var out Lookup
	err := withStore(req.Config, func(s cstorage.Store, driver string) error {
		img, err := findImage(s, req.Ref)
		if errors.Is(err, cstorage.ErrImageUnknown) {
			return nil
		}
		if err != nil {
			return err
		}
		out.Found, out.ID, out.Digest = true, img.ID, string(img.Digest)
		out.Name = primaryName(img.Names)
		if out.Config, err = imageConfig(s, img.ID); err != nil {
			return err
		}
		out.Driver = driver
		out.Lower, err = layerChain(s, driver, img.TopLayer)
		return err
	})
	return out, err
}

func primaryName(names []string) string {
	for _, n := range names {
		if !strings.Contains(n, "@") {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// findImage resolves what the user typed: an id (or its prefix), a full
// name, or a short name matching exactly one stored repository.
func findImage(s cstorage.Store, typed string) (*cstorage.Image, error) {
	if img, err := s.Image(typed); err == nil {
		return img, nil
	}
	ref, err := ParseRef(typed)
	if err != nil {
		return nil, err
	}
	if img, err := s.Image(ref.String()); err == nil {
		return img, nil
	}
	if img := findByDigest(s, ref); img != nil {
		return img, nil
	}
	if !ref.Short {
		return nil, fmt.Errorf("%s: %w", ref, cstorage.ErrImageUnknown)
	}
	return findShort(s, typed, ref)
}

// findByDigest finds repo@digest among images stored under another name of
// the same repository (an import names its image by tag only); a short
// repo matches as short names do (a pinned "bb" is localhost/bb's digest).
func findByDigest(s cstorage.Store, ref Ref) *cstorage.Image {
	if ref.Digest == "" {
		return nil
	}
	d, err := digest.Parse(ref.Digest)
	if err != nil {
		return nil
	}
	imgs, _ := s.ImagesByDigest(d)
	for _, img := range imgs {
		for _, n := range img.Names {
			r, err := ParseRef(n)
			if err == nil && (r.Repo == ref.Repo || ref.Short && MatchShort(Ref{Repo: ref.Repo}, r)) {
				return img
			}
		}
	}
	return nil
}

// findShort finds the images a short name could mean; more than one
// repository is ambiguous, as in Podman's short-name mode.
func findShort(s cstorage.Store, typed string, ref Ref) (*cstorage.Image, error) {
	imgs, err := s.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var hits []*cstorage.Image
	var names []string
	for i := range imgs {
		for _, n := range imgs[i].Names {
			r, err := ParseRef(n)
			if err == nil && MatchShort(ref, r) {
				hits = append(hits, &imgs[i])
				names = append(names, n)
				break
			}
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("%s: %w", ref, cstorage.ErrImageUnknown)
	case 1:
		return hits[0], nil
	}
	return nil, fmt.Errorf("short name %q is ambiguous: it matches %s; use a fully qualified name", typed, strings.Join(names, ", "))
}

// RemoveRequest is the argument of image-remove.
type RemoveRequest struct {
	Config Config   `json:"config"`
	Refs   []string `json:"refs"`
}

func removeInNS(req RemoveRequest) ([]string, error) {
	var removed []string
	err := withStore(req.Config, func(s cstorage.Store, _ string) error {
		return eachImageUsers(s, req.Refs, func(r string, img *cstorage.Image, users []string) error {
			if len(users) > 0 {
				return InUseError(r, users)
			}
			if err := deleteImage(s, img.ID); err != nil {
				return fmt.Errorf("remove image %s: %w", r, err)
			}
			removed = append(removed, img.ID)
			return nil
		})
	})
	return removed, err
}

// eachImageUsers calls f, in order, with each of refs, the image it names
// and the sandboxes whose writable layers are on that image.
func eachImageUsers(s cstorage.Store, refs []string, f func(ref string, img *cstorage.Image, users []string) error) error {
	for _, r := range refs {
		img, err := findImage(s, r)
		if err != nil {
			return fmt.Errorf("remove image %s: %w", r, err)
		}
		users, err := sandboxesUsing(s, img.ID)
		if err != nil {
			return err
		}
		if err := f(r, img, users); err != nil {
			return err
		}
	}
	return nil
}

// InUseError is image rm's refusal of an image that sandboxes use, named
// as Podman names the containers of an image in use.
func InUseError(ref string, sandboxes []string) error {
	return fmt.Errorf("remove image %s: image is in use by sandboxes: %s; remove them first ('devbox rm --force %s', which deletes their homes), or drop their writable layers and keep their homes with 'devbox image rm --force %s': %w",
		ref, strings.Join(sandboxes, ", "), strings.Join(sandboxes, " "), ref, cstorage.ErrImageUsedByContainer)
}

// sandboxesUsing names the sandboxes whose writable layer (container
// record) is on image id, sorted; a container devbox did not name is
// listed by its store name.
func sandboxesUsing(s cstorage.Store, id string) ([]string, error) {
	cs, err := s.Containers()
	if err != nil {
		return nil, fmt.Errorf("list sandbox layers: %w", err)
	}
	var out []string
	for _, c := range cs {
		if c.ImageID == id {
			out = append(out, sandboxOfContainer(c))
		}
	}
	sort.Strings(out)
	return out, nil
}

func sandboxOfContainer(c cstorage.Container) string {
	for _, n := range c.Names {
		if name, ok := strings.CutPrefix(n, containerPrefix); ok {
			return name
		}
	}
	if len(c.Names) > 0 {
		return c.Names[0]
	}
	return c.ID
}

// UsersRequest is the argument of image-users.
type UsersRequest struct {
	Config Config   `json:"config"`
	Refs   []string `json:"refs"`
}

// usersInNS names the sandboxes whose writable layers are on the images
// refs name, each once, sorted.
func usersInNS(req UsersRequest) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	err := withStore(req.Config, func(s cstorage.Store, _ string) error {
		return eachImageUsers(s, req.Refs, func(_ string, _ *cstorage.Image, users []string) error {
			for _, u := range users {
				if !seen[u] {
					seen[u] = true
					out = append(out, u)
				}
			}
			return nil
		})
	})
	sort.Strings(out)
	return out, err
}

// tagged reports whether names hold a name other than a digest pin: an
// image whose tag moved on keeps only repo@digest and is prunable, as
// Podman's dangling images are.
func tagged(names []string) bool {
	for _, n := range names {
		if !strings.Contains(n, "@") {
			return true
		}
	}
	return false
}

// pruneInNS removes images that have no tag and no sandbox.
func pruneInNS(req ListRequest) ([]string, error) {
	var removed []string
	err := withStore(req.Config, func(s cstorage.Store, _ string) error {
		imgs, err := s.Images()
		if err != nil {
			return fmt.Errorf("list images: %w", err)
		}
		used, err := usedImages(s)
		if err != nil {
			return err
		}
		for _, img := range imgs {
			if tagged(img.Names) || used[img.ID] {
				continue
			}
			if err := deleteImage(s, img.ID); err != nil {
				return fmt.Errorf("prune image %s: %w", img.ID, err)
			}
			removed = append(removed, img.ID)
		}
		return nil
	})
	return removed, err
}

func usedImages(s cstorage.Store) (map[string]bool, error) {
	cs, err := s.Containers()
	if err != nil {
		return nil, fmt.Errorf("list sandbox layers: %w", err)
	}
	used := map[string]bool{}
	for _, c := range cs {
		used[c.ImageID] = true
	}
	return used, nil
}

// ContainerRequest is the argument of container-prepare and
// container-remove: Name is the sandbox's container, ImageID its image.
type ContainerRequest struct {
	Config  Config `json:"config"`
	Name    string `json:"name"`
	ImageID string `json:"image_id,omitempty"`
}

// Rootfs is what the sandbox child needs to mount an image root: the
// layer directories, read-only ones top first.
type Rootfs struct {
	Driver  string   `json:"driver"`
	ImageID string   `json:"image_id"`
	Lower   []string `json:"lower"`
	Upper   string   `json:"upper"`
	Work    string   `json:"work,omitempty"`
}

// ContainerName is the store name of a sandbox's writable layer.
func ContainerName(sandbox string) string { return containerPrefix + sandbox }

const containerPrefix = "devbox-"

// prepareInNS returns the sandbox's container, creating it on the image at
// first start; it persists until the sandbox is removed.
func prepareInNS(req ContainerRequest) (Rootfs, error) {
	var out Rootfs
	err := withStore(req.Config, func(s cstorage.Store, driver string) error {
		c, err := s.Container(req.Name)
		if errors.Is(err, cstorage.ErrContainerUnknown) {
			c, err = s.CreateContainer(randomID(), []string{req.Name}, req.ImageID, "", "", nil)
		}
		if err != nil {
			return fmt.Errorf("create sandbox layer: %w", err)
		}
		out, err = layerDirs(s, driver, c)
		return err
	})
	return out, err
}

// layerDirs lists the container's layer directories as the drivers keep
// them: overlay in GRAPH/overlay/ID/{diff,work}, vfs in GRAPH/vfs/dir/ID.
func layerDirs(s cstorage.Store, driver string, c *cstorage.Container) (Rootfs, error) {
	out := Rootfs{Driver: driver, ImageID: c.ImageID}
	root := s.GraphRoot()
	if driver == DriverVFS {
		out.Upper = filepath.Join(root, "vfs", "dir", c.LayerID)
		return out, nil
	}
	dir := filepath.Join(root, "overlay")
	out.Upper = filepath.Join(dir, c.LayerID, "diff")
	out.Work = filepath.Join(dir, c.LayerID, "work")
	l, err := s.Layer(c.LayerID)
	if err != nil {
		return out, fmt.Errorf("read layer chain: %w", err)
	}
	out.Lower, err = layerChain(s, driver, l.Parent)
	return out, err
}

// layerChain lists the overlay diff dirs of top and its parents, top
// first; nil for the vfs driver, whose layers are full copies.
func layerChain(s cstorage.Store, driver, top string) ([]string, error) {
	if driver == DriverVFS {
		return nil, nil
	}
	dir := filepath.Join(s.GraphRoot(), "overlay")
	var out []string
	for id := top; id != ""; {
		l, err := s.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("read layer chain: %w", err)
		}
		out = append(out, filepath.Join(dir, l.ID, "diff"))
		id = l.Parent
	}
	return out, nil
}

func removeContainerInNS(req ContainerRequest) (bool, error) {
	removed := false
	err := withStore(req.Config, func(s cstorage.Store, _ string) error {
		c, err := s.Container(req.Name)
		if errors.Is(err, cstorage.ErrContainerUnknown) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.DeleteContainer(c.ID); err != nil {
			return fmt.Errorf("remove sandbox layer: %w", err)
		}
		removed = true
		return nil
	})
	return removed, err
}
