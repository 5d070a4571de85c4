package review

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// layerFixture is a real project and an upper layer written the way the
// overlay drivers write one.
type layerFixture struct {
	t              *testing.T
	project, upper string
}

func newFixture(t *testing.T) *layerFixture {
	f := &layerFixture{t: t, project: t.TempDir(), upper: t.TempDir()}
	return f
}

func (f *layerFixture) file(root, rel, text string, mode os.FileMode) {
	f.t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		f.t.Fatal(err)
	}
	os.Chmod(p, mode)
}

func (f *layerFixture) whiteout(rel string) {
	f.t.Helper()
	p := filepath.Join(f.upper, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := unix.Mknod(p, unix.S_IFCHR|0o600, 0); err != nil {
		f.t.Skipf("this file system or kernel refuses whiteout devices to this user: %v", err)
	}
}

func (f *layerFixture) opaque(rel string) {
	f.t.Helper()
	p := filepath.Join(f.upper, rel)
	os.MkdirAll(p, 0o755)
	if err := unix.Setxattr(p, "user.overlay.opaque", []byte("y"), 0); err != nil {
		f.t.Skipf("this file system keeps no user extended attributes: %v", err)
	}
}

func (f *layerFixture) changes() []Change {
	f.t.Helper()
	cs, err := Changes(f.project, f.upper)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range cs {
		cs[i].upper, cs[i].inOpaque = node{}, false
	}
	return cs
}

func TestChanges(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *layerFixture)
		want  []Change
	}{
		{"modified text", func(f *layerFixture) {
			f.file(f.project, "a", "one\n", 0o644)
			f.file(f.upper, "a", "two\n", 0o644)
		}, []Change{{Path: "a", Kind: Modified, Type: TypeFile}}},
		{"copied up, unchanged", func(f *layerFixture) {
			f.file(f.project, "d/a", "same\n", 0o644)
			f.file(f.upper, "d/a", "same\n", 0o644)
		}, nil},
		{"whiteout device", func(f *layerFixture) {
			f.file(f.project, "gone", "x", 0o640)
			f.whiteout("gone")
		}, []Change{{Path: "gone", Kind: Deleted, Type: TypeFile, OldMode: "0640"}}},
		{"whiteout file of fuse-overlayfs", func(f *layerFixture) {
			f.file(f.project, "d/gone", "x", 0o644)
			f.file(f.upper, "d/.wh.gone", "", 0o644)
		}, []Change{{Path: "d/gone", Kind: Deleted, Type: TypeFile, OldMode: "0644"}}},
		{"whiteout of a path the host removed", func(f *layerFixture) {
			f.whiteout("never")
		}, nil},
		{"deleted dir", func(f *layerFixture) {
			f.file(f.project, "dir/x", "x", 0o644)
			os.Chmod(filepath.Join(f.project, "dir"), 0o755)
			f.whiteout("dir")
		}, []Change{{Path: "dir", Kind: Deleted, Type: TypeDir, OldMode: "0755"}}},
		{"chmod", func(f *layerFixture) {
			f.file(f.project, "run.sh", "#!/bin/sh\n", 0o644)
			f.file(f.upper, "run.sh", "#!/bin/sh\n", 0o755)
		}, []Change{{Path: "run.sh", Kind: ModeOnly, Type: TypeFile, Mode: "0755", OldMode: "0644"}}},
		{"file replaced by symlink", func(f *layerFixture) {
			f.file(f.project, "link", "data", 0o644)
			os.Symlink("target", filepath.Join(f.upper, "link"))
		}, []Change{{Path: "link", Kind: Modified, Type: TypeSymlink, OldType: TypeFile, Mode: "0777", OldMode: "0644", Target: "target"}}},
		{"symlink retargeted", func(f *layerFixture) {
			os.Symlink("old", filepath.Join(f.project, "l"))
			os.Symlink("new", filepath.Join(f.upper, "l"))
		}, []Change{{Path: "l", Kind: Modified, Type: TypeSymlink, Target: "new", OldTarget: "old"}}},
		{"added dir and file", func(f *layerFixture) {
			f.file(f.upper, "new/f", "n\n", 0o600)
			os.Chmod(filepath.Join(f.upper, "new"), 0o750)
		}, []Change{{Path: "new", Kind: Added, Type: TypeDir, Mode: "0750"}, {Path: "new/f", Kind: Added, Type: TypeFile, Mode: "0600"}}},
		{"binary", func(f *layerFixture) {
			f.file(f.project, "b.bin", "a\x00b", 0o644)
			f.file(f.upper, "b.bin", "a\x00c", 0o644)
		}, []Change{{Path: "b.bin", Kind: Modified, Type: TypeFile, Binary: true}}},
		{"opaque dir by attribute", func(f *layerFixture) {
			f.file(f.project, "op/x", "x", 0o644)
			f.file(f.project, "op/y", "y", 0o644)
			os.Chmod(filepath.Join(f.project, "op"), 0o755)
			f.opaque("op")
			f.file(f.upper, "op/y", "y2", 0o644)
		}, []Change{{Path: "op", Kind: Replaced, Type: TypeDir}, {Path: "op/x", Kind: Deleted, Type: TypeFile, OldMode: "0644"},
			{Path: "op/y", Kind: Modified, Type: TypeFile}}},
		{"opaque dir by .wh..wh..opq", func(f *layerFixture) {
			f.file(f.project, "op/x", "x", 0o644)
			os.Chmod(filepath.Join(f.project, "op"), 0o755)
			f.file(f.upper, "op/.wh..wh..opq", "", 0o644)
			os.Chmod(filepath.Join(f.upper, "op"), 0o755)
		}, []Change{{Path: "op", Kind: Replaced, Type: TypeDir}, {Path: "op/x", Kind: Deleted, Type: TypeFile, OldMode: "0644"}}},
		{"dir mode", func(f *layerFixture) {
			os.MkdirAll(filepath.Join(f.project, "d"), 0o755)
			os.Chmod(filepath.Join(f.project, "d"), 0o755)
			os.MkdirAll(filepath.Join(f.upper, "d"), 0o700)
			os.Chmod(filepath.Join(f.upper, "d"), 0o700)
		}, []Change{{Path: "d", Kind: ModeOnly, Type: TypeDir, Mode: "0700", OldMode: "0755"}}},
		{"protected hook", func(f *layerFixture) {
			os.MkdirAll(filepath.Join(f.project, ".git/hooks"), 0o755)
			os.MkdirAll(filepath.Join(f.upper, ".git/hooks"), 0o755)
			f.file(f.upper, ".git/hooks/pre-commit", "#!/bin/sh\n", 0o755)
		}, []Change{{Path: ".git/hooks/pre-commit", Kind: Added, Type: TypeFile, Mode: "0755", Protected: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f)
			got := MarkProtected(f.changes())
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Changes =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// The JSON never names a whiteout's own form: no .wh. name, no device.
func TestJSONHidesWhiteouts(t *testing.T) {
	f := newFixture(t)
	f.file(f.project, "d/gone", "x", 0o644)
	f.file(f.project, "gone2", "x", 0o644)
	f.file(f.upper, "d/.wh.gone", "", 0o644)
	f.whiteout("gone2")
	var b bytes.Buffer
	if err := WriteJSON(&b, Report{Changes: f.changes()}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), ".wh.") || strings.Contains(b.String(), TypeOther) {
		t.Errorf("JSON shows a whiteout's form:\n%s", b.String())
	}
	var r Report
	json.Unmarshal(b.Bytes(), &r)
	if len(r.Changes) != 2 || r.Changes[0].Kind != Deleted || r.Changes[1].Kind != Deleted {
		t.Errorf("want two deletions: %+v", r.Changes)
	}
}

func TestSelect(t *testing.T) {
	cs := []Change{{Path: "a", Type: TypeFile}, {Path: "dir", Kind: Deleted, Type: TypeDir}, {Path: "src/x", Type: TypeFile}, {Path: "srcx", Type: TypeFile}}
	for _, tt := range []struct {
		paths []string
		want  []string
	}{
		{nil, []string{"a", "dir", "src/x", "srcx"}},
		{[]string{"src"}, []string{"src/x"}},
		{[]string{"dir/sub/f"}, []string{"dir"}},
		{[]string{"."}, []string{"a", "dir", "src/x", "srcx"}},
		{[]string{"none"}, nil},
	} {
		var got []string
		for _, c := range Select(cs, tt.paths) {
			got = append(got, c.Path)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Select(%v) = %v, want %v", tt.paths, got, tt.want)
		}
	}
}

func TestPerm(t *testing.T) {
	for _, tc := range []struct {
		mode uint32
		want string
	}{
		{0, "0000"},
		{0o7, "0007"},
		{0o644, "0644"},
		{unix.S_IFREG | 0o755, "0755"},
		{unix.S_IFDIR | 0o1777, "1777"},
		{0o4755, "4755"},
		{0o7777, "7777"},
	} {
		if got := perm(tc.mode); got != tc.want {
			t.Errorf("perm(%o) = %q, want %q", tc.mode, got, tc.want)
		}
	}
}
