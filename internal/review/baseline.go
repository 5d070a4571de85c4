package review

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// How apply tells that the real project changed under a change: the
// baseline is the identity of every entry of the real project, (type and
// mode, size, mtime, ctime, inode), recorded when the sandbox starts. An
// entry the sandbox has changed since (it has an entry in the upper layer,
// or lies under a deleted or opaque directory there) keeps the identity it
// had when the change began: the one recorded at the start before the
// change, since an overlay copies a file up from the real project as it is
// then. Every other entry is recorded afresh at each start.
//
// At apply, a changed path whose real entry no longer has its baseline
// identity (or that exists now and did not then) is a conflict. No write
// leaves ctime alone and ctime cannot be set, so an edit, a replacement or
// a chmod on the host is always caught; the cost is one walk of the
// project per start, and a false conflict (the host changed a file while
// the sandbox ran, before the sandbox first wrote it) is possible and safe:
// --force applies it. Directories are compared by type alone: their times
// change whenever an entry is added.

// Ident is one real entry's identity.
type Ident struct {
	Mode  uint32 `json:"m"`
	Size  int64  `json:"s"`
	Mtime int64  `json:"t"`
	Ctime int64  `json:"c"`
	Ino   uint64 `json:"i"`
}

// Baseline maps project-relative paths to identities.
type Baseline map[string]Ident

func identOf(st *unix.Stat_t) Ident {
	return Ident{Mode: st.Mode, Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(), Ino: st.Ino}
}

// Same reports whether the real entry still is the one recorded.
func (a Ident) Same(b Ident) bool {
	if a.Mode&unix.S_IFMT == unix.S_IFDIR {
		return b.Mode&unix.S_IFMT == unix.S_IFDIR
	}
	return a == b
}

// scanProject records the identity of every entry below root.
func scanProject(root string) (Baseline, error) {
	out := Baseline{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil // unreadable on the host: the overlay cannot read it either
			}
			return err
		}
		if p == root {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return &os.PathError{Op: "lstat", Path: p, Err: err}
		}
		out[filepath.ToSlash(p[len(root)+1:])] = identOf(&st)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record the project's baseline: %w", err)
	}
	return out, nil
}

// RefreshBaseline records the baseline at a sandbox's start: afresh,
// except for the entries the upper layer has changed (see above).
func RefreshBaseline(project string, l Layer) error {
	fresh, err := scanProject(project)
	if err != nil {
		return err
	}
	old, err := l.ReadBaseline()
	if err != nil {
		return err
	}
	nodes, err := scanUpper(l.Upper())
	if err != nil {
		return fmt.Errorf("read the review layer: %w", err)
	}
	keep := frozen(nodes)
	if old != nil {
		for p := range fresh {
			if keep(p) {
				delete(fresh, p)
			}
		}
		for p, id := range old {
			if keep(p) {
				fresh[p] = id
			}
		}
	}
	return l.writeBaseline(fresh)
}

// frozen returns whether a path's baseline must stay: it has an upper
// entry, or lies below a whiteout, an opaque directory or a directory the
// scan could not read.
func frozen(nodes []node) func(string) bool {
	exact, below := map[string]bool{}, map[string]bool{}
	for _, n := range nodes {
		exact[n.rel] = true
		if n.kind == nodeWhiteout || n.opaque || n.err != nil {
			below[n.rel] = true
		}
	}
	return func(p string) bool {
		if exact[p] {
			return true
		}
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			if below[d] {
				return true
			}
		}
		return false
	}
}

// ReadBaseline returns the recorded baseline; nil when there is none.
func (l Layer) ReadBaseline() (Baseline, error) {
	b, err := os.ReadFile(l.baseFile())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read review baseline: %w", err)
	}
	var out Baseline
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode review baseline %s: %w", l.baseFile(), err)
	}
	return out, nil
}

func (l Layer) writeBaseline(b Baseline) error {
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode review baseline: %w", err)
	}
	tmp := l.baseFile() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write review baseline: %w", err)
	}
	if err := os.Rename(tmp, l.baseFile()); err != nil {
		return fmt.Errorf("write review baseline: %w", err)
	}
	return nil
}

// under reports whether p is dir or below it (project-relative, slash).
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}
