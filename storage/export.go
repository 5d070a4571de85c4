package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// ExportRequest is the argument of the image-export operation: write the
// layers of image ImageID, and the changes in the sandbox container
// Container (when set), as uncompressed tarballs into Dir.
type ExportRequest struct {
	Config    Config   `json:"config"`
	ImageID   string   `json:"image_id"`
	Container string   `json:"container,omitempty"`
	Exclude   []string `json:"exclude,omitempty"`
	Dir       string   `json:"dir"`
	Epoch     int64    `json:"epoch"`
}

// LayerFile is one layer tarball written by image-export.
type LayerFile struct {
	Path   string `json:"path"`
	DiffID string `json:"diff_id"` // sha256 of the tarball
	Size   int64  `json:"size"`
	// Original is the base image's diff id when the stored layer differs
	// from the one pulled.
	Original string `json:"original,omitempty"`
}

// Exported is image-export's result: the image's layers bottom first, its
// stored config and manifest digest, and the container's changes.
type Exported struct {
	Layers []LayerFile     `json:"layers"`
	Config json.RawMessage `json:"config"`
	Digest string          `json:"digest,omitempty"`
	Name   string          `json:"name,omitempty"`
	Setup  *LayerFile      `json:"setup,omitempty"`
}

// ExportLayers writes the image's layers and the container's changes into
// req.Dir (created by the caller, on the host).
func ExportLayers(req ExportRequest) (Exported, error) {
	var out Exported
	err := req.Config.asRoot("image-export", req, os.Stderr, &out)
	return out, err
}

func exportInNS(req ExportRequest) (Exported, error) {
	var out Exported
	err := withStore(req.Config, func(s cstorage.Store, _ string) error {
		img, err := s.Image(req.ImageID)
		if err != nil {
			return fmt.Errorf("find image %.12s: %w", req.ImageID, err)
		}
		out.Digest, out.Name = string(img.Digest), primaryName(img.Names)
		if out.Config, err = s.ImageBigData(img.ID, keyConfig); err != nil {
			return fmt.Errorf("read image config: %w", err)
		}
		if out.Layers, err = exportImageLayers(s, img.TopLayer, req.Dir); err != nil {
			return err
		}
		if req.Container == "" {
			return nil
		}
		setup, err := exportContainer(s, req)
		out.Setup = &setup
		return err
	})
	return out, err
}

// exportImageLayers writes each layer of the chain ending at top as the
// tarball it was stored from (containers/storage keeps tar-split data, so
// the bytes and their digest are the original ones), bottom first.
func exportImageLayers(s cstorage.Store, top, dir string) ([]LayerFile, error) {
	var chain []cstorage.Layer
	for id := top; id != ""; {
		l, err := s.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("read layer chain: %w", err)
		}
		chain = append([]cstorage.Layer{*l}, chain...)
		id = l.Parent
	}
	out := make([]LayerFile, 0, len(chain))
	for i, l := range chain {
		f, err := diffToFile(s, l.ID, filepath.Join(dir, fmt.Sprintf("base-%03d.tar", i)))
		if err != nil {
			return nil, err
		}
		if l.UncompressedDigest != "" && string(l.UncompressedDigest) != f.DiffID {
			// The pull stored it rewritten: hard links into lower layers
			// became copies (see links.go), so the bytes are new.
			f.Original = string(l.UncompressedDigest)
			fmt.Fprintf(os.Stderr, "devbox: warning: base layer %s was stored with its hard links into lower layers copied; it is exported as stored, as %s\n", short(f.Original), short(f.DiffID))
		}
		out = append(out, f)
	}
	return out, nil
}

// diffToFile writes layer id's uncompressed diff to path.
func diffToFile(s cstorage.Store, id, path string) (LayerFile, error) {
	plain := archive.Uncompressed
	rc, err := s.Diff("", id, &cstorage.DiffOptions{Compression: &plain})
	if err != nil {
		return LayerFile{}, fmt.Errorf("read layer %.12s: %w", id, err)
	}
	defer rc.Close()
	return WriteHashed(path, func(w io.Writer) error {
		_, err := io.Copy(w, rc)
		return err
	})
}

// WriteHashed creates path with what fill writes and returns its digest.
func WriteHashed(path string, fill func(io.Writer) error) (LayerFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return LayerFile{}, fmt.Errorf("create layer file: %w", err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = fill(cw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return LayerFile{}, fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return LayerFile{Path: path, DiffID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: cw.n}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// exportContainer writes the container's changes over its image as a
// reproducible layer (see WriteLayer).
func exportContainer(s cstorage.Store, req ExportRequest) (LayerFile, error) {
	c, err := s.Container(req.Container)
	if errors.Is(err, cstorage.ErrContainerUnknown) {
		return LayerFile{}, fmt.Errorf("export setup layer: sandbox layer %s is gone", req.Container)
	}
	if err != nil {
		return LayerFile{}, fmt.Errorf("export setup layer: %w", err)
	}
	if c.ImageID != req.ImageID {
		return LayerFile{}, fmt.Errorf("export setup layer: sandbox layer %s is on image %.12s, not %.12s", req.Container, c.ImageID, req.ImageID)
	}
	plain := archive.Uncompressed
	rc, err := s.Diff("", c.LayerID, &cstorage.DiffOptions{Compression: &plain})
	if err != nil {
		return LayerFile{}, fmt.Errorf("read setup layer: %w", err)
	}
	defer rc.Close()
	spool, err := os.CreateTemp(req.Dir, "spool-")
	if err != nil {
		return LayerFile{}, fmt.Errorf("create spool file: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	o := LayerOptions{Epoch: time.Unix(req.Epoch, 0), Exclude: req.Exclude}
	return WriteHashed(filepath.Join(req.Dir, "setup.tar"), func(w io.Writer) error {
		return WriteLayer(rc, w, spool, o)
	})
}
