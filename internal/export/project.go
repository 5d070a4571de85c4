package export

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/devbox-dev/devbox/storage"
)

// ProjectLayer writes the project tree at its own path into dir/project.tar:
// what .gitignore and .devboxignore leave, never .git, owned by owner
// (the image's user), its parent directories root's, every time the epoch.
func ProjectLayer(project, dir string, owner storage.Owner, epoch time.Time) (storage.LayerFile, error) {
	raw, err := os.CreateTemp(dir, "project-raw-")
	if err != nil {
		return storage.LayerFile{}, fmt.Errorf("create project layer: %w", err)
	}
	defer os.Remove(raw.Name())
	defer raw.Close()
	if err := writeProjectTar(raw, project, owner); err != nil {
		return storage.LayerFile{}, err
	}
	if _, err := raw.Seek(0, io.SeekStart); err != nil {
		return storage.LayerFile{}, err
	}
	spool, err := os.CreateTemp(dir, "spool-")
	if err != nil {
		return storage.LayerFile{}, fmt.Errorf("create project layer: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	o := storage.LayerOptions{Epoch: epoch}
	return storage.WriteHashed(filepath.Join(dir, "project.tar"), func(w io.Writer) error {
		return storage.WriteLayer(raw, w, spool, o)
	})
}

// writeProjectTar writes the tree in walk order; WriteLayer sorts it and
// fixes the times.
func writeProjectTar(w io.Writer, project string, owner storage.Owner) error {
	tw := tar.NewWriter(w)
	for _, p := range parentDirs(project) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755}); err != nil {
			return err
		}
	}
	walk := projectWalker{tw: tw, top: project, owner: owner}
	if err := filepath.WalkDir(project, walk.visit); err != nil {
		return fmt.Errorf("read project %s: %w", project, err)
	}
	return tw.Close()
}

// parentDirs lists /a, /a/b for /a/b/c, relative to the root.
func parentDirs(p string) []string {
	var out []string
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i := 1; i < len(parts); i++ {
		out = append(out, strings.Join(parts[:i], "/"))
	}
	return out
}

type projectWalker struct {
	tw    *tar.Writer
	top   string
	owner storage.Owner
	sets  []ignoreSet // of the directories on the current path
}

func (w *projectWalker) visit(p string, d fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(w.top, p)
	rel = filepath.ToSlash(rel)
	if rel == "." {
		rel = ""
	} else if d.Name() == ".git" || ignored(w.applying(rel), rel, d.IsDir()) {
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	}
	if d.IsDir() {
		if err := w.readIgnores(p, rel); err != nil {
			return err
		}
	}
	return w.add(p, d)
}

// applying keeps the ignore sets of rel's ancestors.
func (w *projectWalker) applying(rel string) []ignoreSet {
	kept := w.sets[:0]
	for _, s := range w.sets {
		if s.base == "" || strings.HasPrefix(rel, s.base+"/") {
			kept = append(kept, s)
		}
	}
	w.sets = kept
	return kept
}

func (w *projectWalker) readIgnores(dir, rel string) error {
	set := ignoreSet{base: rel}
	for _, name := range IgnoreFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		set.rules = append(set.rules, parseIgnore(b)...)
	}
	if len(set.rules) > 0 {
		w.sets = append(w.sets, set)
	}
	return nil
}

// add writes one entry; sockets, fifos and devices are left out.
func (w *projectWalker) add(p string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return err
	}
	h := &tar.Header{Name: strings.TrimPrefix(p, "/"), Mode: int64(fi.Mode().Perm()), Uid: w.owner.UID, Gid: w.owner.GID}
	switch {
	case fi.IsDir():
		h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
	case fi.Mode()&fs.ModeSymlink != 0:
		if h.Linkname, err = os.Readlink(p); err != nil {
			return err
		}
		h.Typeflag = tar.TypeSymlink
	case fi.Mode().IsRegular():
		h.Typeflag, h.Size = tar.TypeReg, fi.Size()
	default:
		return nil
	}
	if err := w.tw.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	return copyFile(w.tw, p, h.Size)
}

// copyFile copies exactly size bytes: a file that changes meanwhile is an
// error, not a corrupt layer.
func copyFile(w io.Writer, p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while it was read", path.Base(p))
	}
	return err
}
