package storage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	cstorage "go.podman.io/storage"
)

// Archive kinds devbox imports.
const (
	KindOCILayout  = "oci-layout"     // a directory with an oci-layout file
	KindOCIArchive = "oci-archive"    // a tarball of such a directory
	KindDocker     = "docker-archive" // docker save / podman save output
	KindRootfs     = "rootfs"         // a plain root file system tarball
)

// ImportRequest is the argument of the image-import operation.
type ImportRequest struct {
	Config Config `json:"config"`
	Path   string `json:"path"` // absolute
	Name   string `json:"name,omitempty"`
	Quiet  bool   `json:"quiet,omitempty"`
}

// importInNS imports req.Path into the store.
func importInNS(req ImportRequest) (ImageRef, error) {
	kind, err := DetectKind(req.Path)
	if err != nil {
		return ImageRef{}, err
	}
	img, tagged, cleanup, err := openArchive(req, kind)
	if err != nil {
		return ImageRef{}, err
	}
	defer cleanup()
	names, err := importNames(req.Name, tagged, kind)
	if err != nil {
		return ImageRef{}, err
	}
	var id string
	err = withStore(req.Config, func(s cstorage.Store, driver string) error {
		id, err = writeImage(s, driver, img, names, readUncompressed, newProgress(os.Stderr, req.Quiet))
		return err
	})
	if err != nil {
		return ImageRef{}, fmt.Errorf("import %s (%s): %w", req.Path, kind, err)
	}
	d, _ := img.Digest()
	return ImageRef{ID: id, Name: names[len(names)-1], Digest: d.String()}, nil
}

func importNames(flagName, tagged, kind string) ([]string, error) {
	n := flagName
	if n == "" {
		n = tagged
	}
	if n == "" {
		return nil, fmt.Errorf("import %s: the archive names no image: pass --name NAME", kind)
	}
	r, err := LocalName(n)
	if err != nil {
		return nil, err
	}
	return []string{r.String()}, nil
}

// DetectKind tells the archive kind of path from its content.
func DetectKind(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "oci-layout")); err != nil {
			return "", fmt.Errorf("import %s: a directory must be an OCI layout (no oci-layout file)", path)
		}
		return KindOCILayout, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	return kindOfTar(f)
}

// kindOfTar reads tar entry names: oci-layout marks an OCI archive,
// manifest.json a docker archive; anything else is a root file system.
func kindOfTar(r io.Reader) (string, error) {
	r, err := maybeGunzip(r)
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(r)
	seen := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if seen == 0 {
				return "", fmt.Errorf("import: not a tar archive: %w", err)
			}
			return "", fmt.Errorf("import: corrupt tar archive: %w", err)
		}
		seen++
		switch strings.TrimPrefix(h.Name, "./") {
		case "oci-layout":
			return KindOCIArchive, nil
		case "manifest.json":
			return KindDocker, nil
		}
	}
	if seen == 0 {
		return "", errors.New("import: empty archive")
	}
	return KindRootfs, nil
}

func maybeGunzip(r io.Reader) (io.Reader, error) {
	var magic [2]byte
	n, _ := io.ReadFull(r, magic[:])
	r = io.MultiReader(bytes.NewReader(magic[:n]), r)
	if n == 2 && magic == [2]byte{0x1f, 0x8b} {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("import: corrupt gzip stream: %w", err)
		}
		return zr, nil
	}
	return r, nil
}

// openArchive returns the image, the name recorded in the archive (if
// any), and a cleanup for temporary files.
func openArchive(req ImportRequest, kind string) (v1.Image, string, func(), error) {
	nop := func() {}
	switch kind {
	case KindOCILayout:
		img, tag, err := fromLayout(req.Path)
		return img, tag, nop, err
	case KindOCIArchive:
		return fromOCIArchive(req)
	case KindDocker:
		img, tag, err := fromDockerArchive(req.Path)
		return img, tag, nop, err
	}
	if req.Name == "" {
		return nil, "", nop, fmt.Errorf("import %s: a plain root file system tarball needs --name NAME", req.Path)
	}
	img, err := fromRootfs(req.Path)
	return img, "", nop, err
}

func fromLayout(dir string) (v1.Image, string, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, "", fmt.Errorf("read OCI layout %s: %w", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, "", fmt.Errorf("read OCI layout %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("read OCI layout index: %w", err)
	}
	if len(m.Manifests) == 0 {
		return nil, "", fmt.Errorf("read OCI layout %s: the index lists no image", dir)
	}
	desc := m.Manifests[0]
	img, err := idx.Image(desc.Digest)
	if err != nil {
		return nil, "", fmt.Errorf("read OCI layout image: %w", err)
	}
	return img, desc.Annotations["org.opencontainers.image.ref.name"], nil
}

// fromOCIArchive unpacks the archive next to the store (same file system,
// private to the user) and reads it as a layout.
func fromOCIArchive(req ImportRequest) (v1.Image, string, func(), error) {
	tmp, err := os.MkdirTemp(req.Config.GraphRoot, "import-")
	if err != nil {
		return nil, "", func() {}, fmt.Errorf("create import dir: %w", err)
	}
	cleanup := func() { os.RemoveAll(tmp) }
	if err := untarPlain(req.Path, tmp); err != nil {
		cleanup()
		return nil, "", func() {}, err
	}
	img, tag, err := fromLayout(tmp)
	if err != nil {
		cleanup()
		return nil, "", func() {}, err
	}
	return img, tag, cleanup, nil
}

// untarPlain extracts regular files and directories (an OCI layout has
// nothing else) under dir, refusing paths that leave it.
func untarPlain(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	r, err := maybeGunzip(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("import: corrupt OCI archive: %w", err)
		}
		if err := extractEntry(tr, h, dir); err != nil {
			return err
		}
	}
}

func extractEntry(tr *tar.Reader, h *tar.Header, dir string) error {
	target := filepath.Join(dir, filepath.Clean("/"+h.Name))
	switch h.Typeflag {
	case tar.TypeDir:
		return os.MkdirAll(target, 0o700)
	case tar.TypeReg:
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("import: extract %s: %w", h.Name, err)
		}
	}
	return nil
}

func fromDockerArchive(path string) (v1.Image, string, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, "", fmt.Errorf("read docker archive %s: %w", path, err)
	}
	if len(m) == 0 {
		return nil, "", fmt.Errorf("read docker archive %s: no image in manifest.json", path)
	}
	img, err := tarball.Image(opener, nil)
	if err != nil {
		return nil, "", fmt.Errorf("read docker archive %s: %w", path, err)
	}
	tag := ""
	if len(m[0].RepoTags) > 0 {
		tag = m[0].RepoTags[0]
	}
	return img, tag, nil
}

// fromRootfs makes a one-layer image of a root file system tarball.
func fromRootfs(path string) (v1.Image, error) {
	if _, err := kindOfTarFile(path); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rootfs tarball %s: %w", path, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("make image from %s: %w", path, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cf.Config.Cmd = []string{"/bin/sh"}
	return mutate.ConfigFile(img, cf)
}

// kindOfTarFile checks that the whole file reads as a tar archive, so a
// truncated tarball fails before anything is stored.
func kindOfTarFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r, err := maybeGunzip(f)
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(r)
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return KindRootfs, nil
		}
		if err != nil {
			return "", fmt.Errorf("import %s: corrupt tar archive: %w", path, err)
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return "", fmt.Errorf("import %s: corrupt tar archive: %w", path, err)
		}
	}
}
