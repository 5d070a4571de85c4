package review

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
)

// DiscardOptions are one devbox discard: the changes below Paths (all
// when empty).
type DiscardOptions struct {
	Project string   `json:"project"`
	Layer   Layer    `json:"layer"`
	Paths   []string `json:"paths,omitempty"`
}

// Discard drops changes from the upper layer, so the sandbox sees the
// real entries again; it returns the paths dropped. A change below an
// opaque directory (one the sandbox emptied and refilled) can only go with
// that directory's whole replacement: the directory is dropped and
// listed. The sandbox must be stopped.
func Discard(o DiscardOptions) ([]string, error) {
	if len(o.Paths) == 0 {
		return o.discardAll()
	}
	changes, err := Changes(o.Project, o.Layer.Upper())
	if err != nil {
		return nil, err
	}
	targets := map[string]bool{}
	for _, c := range Select(changes, o.Paths) {
		t := c.upper.phys
		if c.inOpaque || c.Path != c.upper.rel {
			t = o.opaqueRoot(c.Path)
		}
		targets[t] = true
	}
	var out []string
	for t := range targets {
		out = append(out, t)
	}
	sort.Strings(out)
	for _, t := range out {
		if covered(t, targets) {
			continue
		}
		if err := removeAll(filepath.Join(o.Layer.Upper(), t)); err != nil {
			return nil, fmt.Errorf("discard %s: %w", t, err)
		}
	}
	return out, pruneUpper(o.Project, o.Layer.Upper())
}

// covered reports whether an ancestor of p is also dropped.
func covered(p string, set map[string]bool) bool {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if set[d] {
			return true
		}
	}
	return false
}

// opaqueRoot is the outermost opaque directory of the upper layer above
// (or at) rel.

func (o DiscardOptions) opaqueRoot(rel string) string {
	root := rel
	for d := rel; d != "." && d != "/"; d = path.Dir(d) {
		if n, err := statNode(o.Layer.Upper(), d); err == nil && n.opaque {
			root = d
		}
	}
	return root
}

// discardAll empties the upper layer.
func (o DiscardOptions) discardAll() ([]string, error) {
	changes, err := Changes(o.Project, o.Layer.Upper())
	if err != nil && !errors.Is(err, fs.ErrPermission) {
		return nil, err
	}
	names, err := readNames(o.Layer.Upper())
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if err := removeAll(filepath.Join(o.Layer.Upper(), n)); err != nil {
			return nil, fmt.Errorf("discard %s: %w", n, err)
		}
	}
	var out []string
	for _, c := range changes {
		out = append(out, c.Path)
	}
	return out, nil
}

func discardInNS(arg json.RawMessage) (any, error) {
	var o DiscardOptions
	if err := json.Unmarshal(arg, &o); err != nil {
		return nil, fmt.Errorf("decode arguments: %w", err)
	}
	return Discard(o)
}
