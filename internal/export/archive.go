package export

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Archive formats.
const (
	FormatOCIArchive    = "oci-archive"
	FormatDockerArchive = "docker-archive"
	FormatOCIDir        = "oci-dir"
)

// Formats lists the valid --format values.
var Formats = []string{FormatOCIArchive, FormatDockerArchive, FormatOCIDir}

// refNameAnnotation names the image in an OCI layout's index.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// Write writes img as format at out, naming it tag. Files appear whole:
// they are written beside out and renamed.
func Write(img v1.Image, format, out, tag string) error {
	switch format {
	case FormatOCIDir:
		return writeOCIDir(img, out, tag)
	case FormatOCIArchive:
		return writeFileAtomic(out, func(f *os.File) error { return writeOCIArchive(img, f, tag) })
	case FormatDockerArchive:
		ref, err := name.NewTag(tag)
		if err != nil {
			return fmt.Errorf("parse --tag %q: %w", tag, err)
		}
		return writeFileAtomic(out, func(f *os.File) error { return tarball.Write(ref, img, f) })
	}
	return fmt.Errorf("unknown format %q", format)
}

func writeFileAtomic(out string, fill func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	defer os.Remove(f.Name())
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// layoutFile is one file of an OCI layout: its path and how to read it.
type layoutFile struct {
	path string
	size int64
	open func() (io.ReadCloser, error)
}

// layoutFiles lists an OCI image layout holding img, sorted by path.
func layoutFiles(img v1.Image, tag string) ([]layoutFile, error) {
	manifest, err := img.RawManifest()
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	index, err := json.Marshal(v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: types.OCIManifestSchema1, Size: int64(len(manifest)), Digest: digest,
			Annotations: map[string]string{refNameAnnotation: tag},
		}},
	})
	if err != nil {
		return nil, err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	files := []layoutFile{
		bytesFile("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)),
		bytesFile("index.json", index),
		bytesFile(blobPath(digest), manifest),
		bytesFile(blobPath(cfgName), config),
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		size, err := l.Size()
		if err != nil {
			return nil, err
		}
		files = append(files, layoutFile{path: blobPath(d), size: size, open: l.Compressed})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return dedupe(files), nil
}

// dedupe drops a second copy of one blob (two identical layers).
func dedupe(files []layoutFile) []layoutFile {
	out := files[:0]
	for i, f := range files {
		if i == 0 || f.path != files[i-1].path {
			out = append(out, f)
		}
	}
	return out
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

func bytesFile(p string, b []byte) layoutFile {
	return layoutFile{path: p, size: int64(len(b)), open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

// writeOCIArchive writes the layout as a tarball: sorted, fixed times,
// root-owned, so equal images give equal archives.
func writeOCIArchive(img v1.Image, w io.Writer, tag string) error {
	files, err := layoutFiles(img, tag)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0).UTC()
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: 0o644, Size: f.size, ModTime: epoch}); err != nil {
			return err
		}
		if err := copyOpened(tw, f); err != nil {
			return err
		}
	}
	return tw.Close()
}

func copyOpened(w io.Writer, f layoutFile) error {
	rc, err := f.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, rc)
	if err == nil && n != f.size {
		err = fmt.Errorf("blob %s: %d bytes, want %d", f.path, n, f.size)
	}
	return err
}

// writeOCIDir writes the layout into dir, which must not exist yet or be
// empty.
func writeOCIDir(img v1.Image, dir, tag string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("write %s: the directory is not empty; remove it or pick another -o", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	files, err := layoutFiles(img, tag)
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		if err := writeFileAtomic(p, func(out *os.File) error { return copyOpened(out, f) }); err != nil {
			return err
		}
	}
	return nil
}
