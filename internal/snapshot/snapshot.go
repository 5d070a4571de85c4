// Package snapshot saves and restores a sandbox's whole writable state:
// the review layer of its project (with the baseline apply checks
// against), its private home, and an image sandbox's writable layer.
//
// It runs on the host, in the client (devbox snapshot), or, where the
// state holds files of the sandbox's other ids, in an internal/asroot
// helper (Ops) that owns every id the sandbox has.
package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Part is one tree of a sandbox's writable state: Name is how a snapshot
// stores it, Dir the live tree.
type Part struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
}

// Files are single files saved and restored beside the parts (the review
// layer's baseline and driver record).
type File = Part

// State is what a snapshot of one sandbox covers.
type State struct {
	Parts []Part `json:"parts"`
	Files []File `json:"files,omitempty"`
	// Root is the sandbox's snapshots dir, DATA/sandboxes/NAME/snapshots.
	Root string `json:"root"`
}

// Info is one snapshot for devbox snapshot ls. Size is the bytes of the
// data it holds that no earlier snapshot shares (hard links count once,
// in the first snapshot that has them).
type Info struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Parts   []string  `json:"parts"`
	Size    int64     `json:"size"`
}

type meta struct {
	Created time.Time `json:"created"`
	Parts   []string  `json:"parts"`
}

// validName reports whether name is 1-63 letters, digits, '.', '_' or '-',
// starting with a letter or digit. (A regexp with {0,62} compiled to 62
// copies of its class at package init: 0.4 ms of every devbox start.)
func validName(name string) bool {
	if len(name) < 1 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// CheckName refuses a snapshot name that is not a plain file name.
func CheckName(name string) error {
	if !validName(name) {
		return fmt.Errorf("invalid snapshot name %q: use letters, digits, '.', '_' and '-' (up to 63, starting with a letter or digit)", name)
	}
	return nil
}

// Save copies the state into snapshot name, which must not exist.
func Save(s State, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	dst := filepath.Join(s.Root, name)
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("snapshot %s exists: remove it with 'devbox snapshot rm' or choose another name", name)
	}
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return fmt.Errorf("create snapshots dir: %w", err)
	}
	tmp := dst + ".saving"
	removeAll(tmp)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	prev := latest(s.Root)
	m := meta{Created: time.Now().UTC()}
	for _, p := range s.Parts {
		if _, err := os.Lstat(p.Dir); err != nil {
			continue
		}
		c := copier{link: prev != ""}
		if prev != "" {
			c.prev = filepath.Join(s.Root, prev, p.Name)
		}
		if err := c.copyTree(p.Dir, filepath.Join(tmp, p.Name)); err != nil {
			removeAll(tmp)
			return fmt.Errorf("save %s: %w", p.Name, err)
		}
		m.Parts = append(m.Parts, p.Name)
	}
	for _, f := range s.Files {
		if err := copyFile(f.Dir, filepath.Join(tmp, f.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			removeAll(tmp)
			return fmt.Errorf("save %s: %w", f.Name, err)
		}
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(tmp, "snapshot.json"), b, 0o600); err != nil {
		removeAll(tmp)
		return fmt.Errorf("save snapshot: %w", err)
	}
	return os.Rename(tmp, dst)
}

// latest is the newest snapshot's name, or "".
func latest(root string) string {
	list, _ := List(root)
	if len(list) == 0 {
		return ""
	}
	return list[len(list)-1].Name
}

// List returns the snapshots in root, oldest first, with their sizes.
func List(root string) ([]Info, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	var out []Info
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(root, e.Name(), "snapshot.json"))
		var m meta
		if err != nil || json.Unmarshal(b, &m) != nil {
			continue // being saved, or not a snapshot
		}
		out = append(out, Info{Name: e.Name(), Created: m.Created, Parts: m.Parts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	seen := map[uint64]bool{}
	for i := range out {
		out[i].Size = usage(filepath.Join(root, out[i].Name), seen)
	}
	return out, nil
}

// usage sums the blocks of the inodes below dir not in seen.
func usage(dir string, seen map[uint64]bool) int64 {
	var total int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		var st unix.Stat_t
		if err != nil || unix.Lstat(p, &st) != nil || seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		total += st.Blocks * 512
		return nil
	})
	return total
}

// Restore replaces the live state with snapshot name's: each saved part
// is emptied and copied back (reflinks where the file system has them,
// never hard links: the live trees are written in place). A part the
// snapshot lacks is emptied too. The sandbox must be stopped.
func Restore(s State, name string) error {
	src := filepath.Join(s.Root, name)
	b, err := os.ReadFile(filepath.Join(src, "snapshot.json"))
	if err != nil {
		return fmt.Errorf("no snapshot %s (see 'devbox snapshot ls'): %w", name, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode snapshot %s: %w", name, err)
	}
	for _, p := range s.Parts {
		if err := emptyDir(p.Dir); err != nil {
			return fmt.Errorf("restore %s: %w", p.Name, err)
		}
		from := filepath.Join(src, p.Name)
		if _, err := os.Lstat(from); err != nil {
			continue
		}
		if err := restoreInto(from, p.Dir); err != nil {
			return fmt.Errorf("restore %s: %w", p.Name, err)
		}
	}
	for _, f := range s.Files {
		os.Remove(f.Dir)
		if err := copyFile(filepath.Join(src, f.Name), f.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore %s: %w", f.Name, err)
		}
	}
	return nil
}

// restoreInto copies the entries of from into the existing, empty dir.
func restoreInto(from, dir string) error {
	names, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range names {
		if err := (copier{}).copyTree(filepath.Join(from, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(from, &st); err != nil {
		return err
	}
	return setMeta(from, dir, &st)
}

// emptyDir removes everything in dir (creating it when missing).
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := removeAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes snapshot name.
func Remove(root, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	p := filepath.Join(root, name)
	if _, err := os.Stat(filepath.Join(p, "snapshot.json")); err != nil {
		return fmt.Errorf("no snapshot %s (see 'devbox snapshot ls')", name)
	}
	return removeAll(p)
}

func removeAll(p string) error {
	filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// Ops are the operations run as the sandbox's root in a user namespace
// (internal/asroot), for state holding files of the sandbox's other ids.
func Ops() map[string]func(json.RawMessage) (any, error) {
	type arg struct {
		State State  `json:"state"`
		Name  string `json:"name"`
	}
	decode := func(raw json.RawMessage) (arg, error) {
		var a arg
		if err := json.Unmarshal(raw, &a); err != nil {
			return a, fmt.Errorf("decode arguments: %w", err)
		}
		return a, nil
	}
	return map[string]func(json.RawMessage) (any, error){
		"snapshot-save": func(raw json.RawMessage) (any, error) {
			a, err := decode(raw)
			if err != nil {
				return nil, err
			}
			return nil, Save(a.State, a.Name)
		},
		"snapshot-restore": func(raw json.RawMessage) (any, error) {
			a, err := decode(raw)
			if err != nil {
				return nil, err
			}
			return nil, Restore(a.State, a.Name)
		},
		"snapshot-rm": func(raw json.RawMessage) (any, error) {
			a, err := decode(raw)
			if err != nil {
				return nil, err
			}
			return nil, Remove(a.State.Root, a.Name)
		},
	}
}

// NeedsRoot reports whether err came from ids or files only the
// sandbox's root may touch.
func NeedsRoot(err error) bool {
	return errors.Is(err, fs.ErrPermission)
}
