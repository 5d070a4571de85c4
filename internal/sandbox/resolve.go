package sandbox

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/devbox-dev/devbox/internal/state"
)

// ListAll returns the running sandboxes and the stopped ones that have
// data, each stopped one with DataSize, sorted by name.
func ListAll() ([]Info, error) { return listAll(true) }

// listAll is ListAll; without sizes it does not walk the stopped
// sandboxes' data dirs (a review layer, a home's caches), which commands
// that only look a sandbox up do not need.
func listAll(sizes bool) ([]Info, error) {
	running, err := List()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i := range running {
		seen[running[i].Name] = true
		running[i].State = "running"
	}
	stored, err := storedMetas()
	if err != nil {
		return nil, err
	}
	out := running
	for _, m := range stored {
		if !seen[m.Name] {
			info := Info{Name: m.Name, Project: m.Project, Created: m.Created, State: "stopped"}
			if sizes {
				info.DataSize = dataSize(m.Name)
			}
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// storedMetas reads the persistent record of every sandbox with data.
func storedMetas() ([]Meta, error) {
	root, err := state.SandboxesRoot()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list sandbox data: %w", err)
	}
	var out []Meta
	for _, e := range entries {
		m := Meta{Name: e.Name()}
		if b, err := os.ReadFile(filepath.Join(root, e.Name(), "sandbox.json")); err == nil {
			json.Unmarshal(b, &m)
		}
		if e.IsDir() {
			out = append(out, m)
		}
	}
	return out, nil
}

// dataSize sums the sizes of a sandbox's data: files its subordinate ids
// own inside may be unreadable, so errors leave them out.
func dataSize(name string) int64 {
	dir, err := state.SandboxData(name)
	if err != nil {
		return 0
	}
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// Resolve finds the sandbox a user means by arg: a name, the basename of
// a sandbox's project directory, or a unique prefix of a name. An
// ambiguous arg lists the candidates.
func Resolve(arg string) (string, error) {
	all, err := listAll(false)
	if err != nil {
		return "", err
	}
	return resolveIn(arg, all)
}

// ResolveInfo is Resolve returning the sandbox's Info (its Project among
// it), for commands that start it again from its project.
func ResolveInfo(arg string) (Info, error) {
	all, err := listAll(false)
	if err != nil {
		return Info{}, err
	}
	name, err := resolveIn(arg, all)
	if err != nil {
		return Info{}, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	return Info{}, fmt.Errorf("no sandbox %q (see 'devbox ps -a')", arg)
}

func resolveIn(arg string, all []Info) (string, error) {
	var byBase, byPrefix []string
	for _, s := range all {
		if s.Name == arg {
			return s.Name, nil
		}
		if s.Project != "" && filepath.Base(s.Project) == arg {
			byBase = append(byBase, s.Name)
		}
		if strings.HasPrefix(s.Name, arg) {
			byPrefix = append(byPrefix, s.Name)
		}
	}
	for _, c := range [][]string{byBase, byPrefix} {
		switch {
		case len(c) == 1:
			return c[0], nil
		case len(c) > 1:
			return "", fmt.Errorf("%q is ambiguous: it could be %s; give the full name", arg, strings.Join(c, ", "))
		}
	}
	return "", fmt.Errorf("no sandbox %q (see 'devbox ps -a')", arg)
}
