package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// Some image builders write a hard link whose target lives in an earlier
// layer. The OCI layer spec allows extracting such a layer to fail, and
// containers/storage does fail (the target is not in the layer's own
// directory): "unpacking failed ... no such file or directory". devbox
// retries such a layer once with the target copied up into the layer just
// before the link, as overlayfs itself does when a lower file gets a new
// link: both names then share one inode in the layer.

// linkRetryable reports whether a failed PutLayer may be a cross-layer
// hard link.
func linkRetryable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such file or directory")
}

// parentDirs lists the directories holding the content of layer id and its
// parents, top first, as the drivers keep them.
func parentDirs(s cstorage.Store, driver, id string) ([]string, error) {
	if driver == DriverVFS { // a vfs layer holds the whole tree
		return []string{filepath.Join(s.GraphRoot(), "vfs", "dir", id)}, nil
	}
	var dirs []string
	for id != "" {
		l, err := s.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("read layer chain: %w", err)
		}
		dirs = append(dirs, filepath.Join(s.GraphRoot(), "overlay", l.ID, "diff"))
		id = l.Parent
	}
	return dirs, nil
}

// copyCrossLayerLinks returns the uncompressed layer r (compressed or not)
// with each hard link to a file not in the layer itself preceded by a copy
// of that file from dirs.
func copyCrossLayerLinks(r io.Reader, dirs []string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(rewriteLinks(r, pw, dirs)) }()
	return pr
}

func rewriteLinks(r io.Reader, w io.Writer, dirs []string) error {
	plain, err := archive.DecompressStream(r)
	if err != nil {
		return fmt.Errorf("decompress layer: %w", err)
	}
	defer plain.Close()
	tr, tw := tar.NewReader(plain), tar.NewWriter(w)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
		}
		if err != nil {
			return fmt.Errorf("read layer: %w", err)
		}
		if target := cleanName(h.Linkname); h.Typeflag == tar.TypeLink && !seen[target] {
			if err := copyUp(tw, target, dirs); err != nil {
				return err
			}
			seen[target] = true
		}
		seen[cleanName(h.Name)] = true
		if err := copyEntry(tw, h, tr); err != nil {
			return err
		}
	}
}

func copyEntry(tw *tar.Writer, h *tar.Header, body io.Reader) error {
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := io.Copy(tw, body)
	return err
}

// copyUp writes the file name from the first of dirs that has it as a
// regular file entry, with its owner, mode and times.
func copyUp(tw *tar.Writer, name string, dirs []string) error {
	f, fi, err := openBelow(dirs, name)
	if err != nil {
		return err
	}
	defer f.Close()
	h, err := tar.FileInfoHeader(fi, "")
	if err != nil {
		return fmt.Errorf("copy hard link target %s: %w", name, err)
	}
	h.Name, h.Uname, h.Gname = name, "", ""
	return copyEntry(tw, h, f)
}

func cleanName(n string) string { return strings.TrimPrefix(path.Clean("/"+n), "/") }

// openBelow opens the regular file name in the first of dirs that has it.
func openBelow(dirs []string, name string) (*os.File, os.FileInfo, error) {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if !fi.Mode().IsRegular() {
			break
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, fmt.Errorf("copy hard link target %s: %w", name, err)
		}
		return f, fi, nil
	}
	return nil, nil, fmt.Errorf("hard link to %s: no such file in this layer or below", name)
}
