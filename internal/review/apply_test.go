package review

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// applyFixture records the baseline of the fixture's project as a start
// would, with an empty upper layer.
func applyFixture(t *testing.T) (*layerFixture, Layer) {
	f := newFixture(t)
	l := For(t.TempDir())
	os.MkdirAll(l.Dir, 0o700)
	f.upper = l.Upper()
	os.MkdirAll(f.upper, 0o755)
	return f, l
}

func tree(t *testing.T, root string) []string {
	var out []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != root {
			rel, _ := filepath.Rel(root, p)
			if fi.Mode().IsRegular() {
				b, _ := os.ReadFile(p)
				rel += "=" + string(b)
			}
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// A replaced directory applies as a whole: its hidden entries deleted,
// its own written, and the layer left empty.
func TestApplyReplacedDir(t *testing.T) {
	f, l := applyFixture(t)
	f.file(f.project, "op/x", "x", 0o644)
	f.file(f.project, "op/y", "y", 0o644)
	if err := RefreshBaseline(f.project, l); err != nil {
		t.Fatal(err)
	}
	f.opaque("op")
	os.Chmod(filepath.Join(f.upper, "op"), 0o755)
	f.file(f.upper, "op/y", "y2", 0o644)
	f.file(f.upper, "op/z", "z", 0o644)
	res, err := Apply(ApplyOptions{Project: f.project, Layer: l})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"op", "op/y", "op/z"}; !reflect.DeepEqual(tree(t, f.project), []string{"op", "op/y=y2", "op/z=z"}) {
		t.Errorf("project %v after applying %v (want %v)", tree(t, f.project), res.Applied, want)
	}
	if left := tree(t, f.upper); len(left) != 0 {
		t.Errorf("upper layer keeps %v", left)
	}
}

// With --partial, a conflict inside a replaced directory keeps the
// directory's mark and the entries it needs: the sandbox's view stays.
func TestApplyPartialKeepsOpaque(t *testing.T) {
	f, l := applyFixture(t)
	f.file(f.project, "op/x", "x", 0o644)
	f.file(f.project, "op/y", "y", 0o644)
	RefreshBaseline(f.project, l)
	f.opaque("op")
	os.Chmod(filepath.Join(f.upper, "op"), 0o755)
	f.file(f.upper, "op/y", "y2", 0o644)
	f.file(f.upper, "op/z", "z", 0o644)
	f.file(f.project, "op/y", "host", 0o644)
	res, err := Apply(ApplyOptions{Project: f.project, Layer: l, Partial: true})
	if !errors.Is(err, ErrConflicts) || len(res.Conflicts) != 1 || res.Conflicts[0].Path != "op/y" {
		t.Fatalf("partial apply: %+v, %v", res, err)
	}
	if got := tree(t, f.project); !reflect.DeepEqual(got, []string{"op", "op/y=host", "op/z=z"}) {
		t.Errorf("project %v", got)
	}
	if !hasOpaqueMark(t, filepath.Join(f.upper, "op")) {
		t.Errorf("the opaque mark went with a conflict left in the directory")
	}
	if got := tree(t, f.upper); !reflect.DeepEqual(got, []string{"op", "op/y=y2", "op/z=z"}) {
		t.Errorf("upper %v: the sandbox's view changed", got)
	}
}

func hasOpaqueMark(t *testing.T, p string) bool {
	n, err := statNode(filepath.Dir(p), filepath.Base(p))
	if err != nil {
		t.Fatal(err)
	}
	return n.opaque
}

// Without --partial a conflict stops everything; a file the host added
// inside a directory the sandbox deleted is a conflict; protected paths
// are skipped.
func TestApplyAllOrNothing(t *testing.T) {
	f, l := applyFixture(t)
	f.file(f.project, "a", "a", 0o644)
	f.file(f.project, "dir/x", "x", 0o644)
	RefreshBaseline(f.project, l)
	f.file(f.upper, "a", "a2", 0o644)
	f.whiteout("dir")
	f.file(f.upper, ".envrc", "evil", 0o644)
	f.file(f.project, "dir/new", "host", 0o644)
	before := tree(t, f.project)
	res, err := Apply(ApplyOptions{Project: f.project, Layer: l})
	if !errors.Is(err, ErrConflicts) || len(res.Conflicts) != 1 || res.Conflicts[0].Path != "dir" || len(res.Applied) != 0 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	if !reflect.DeepEqual(res.Protected, []string{".envrc"}) {
		t.Errorf("protected: %v", res.Protected)
	}
	if got := tree(t, f.project); !reflect.DeepEqual(got, before) {
		t.Errorf("a refused apply changed %v to %v", before, got)
	}
	res, err = Apply(ApplyOptions{Project: f.project, Layer: l, Force: true, IncludeProtected: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(t, f.project); !reflect.DeepEqual(got, []string{".envrc=evil", "a=a2"}) {
		t.Errorf("forced apply: %v", got)
	}
}

// What an apply killed partway leaves: a change already in the real
// project (its identity no longer the baseline's) and a temporary file
// beside it. The next apply takes neither for the host's work: no
// conflict, the temporary file gone, every change applied.
func TestApplyAfterKilledApply(t *testing.T) {
	f, l := applyFixture(t)
	f.file(f.project, "d/done", "old", 0o644)
	f.file(f.project, "d/todo", "old", 0o644)
	f.file(f.project, "gone", "old", 0o644)
	f.file(f.project, "host", "old", 0o644)
	if err := RefreshBaseline(f.project, l); err != nil {
		t.Fatal(err)
	}
	f.file(f.upper, "d/done", "new", 0o644)
	f.file(f.upper, "d/todo", "new", 0o644)
	f.file(f.upper, "host", "new", 0o644)
	f.whiteout("gone")
	// The killed apply: d/done renamed into place, gone deleted, a temp
	// file left in d.
	os.Remove(filepath.Join(f.project, "d/done"))
	f.file(f.project, "d/done", "new", 0o644)
	os.Remove(filepath.Join(f.project, "gone"))
	f.file(f.project, "d/.devbox-apply-123", "ne", 0o600)
	// The host's own edit stays a conflict.
	os.Remove(filepath.Join(f.project, "host"))
	f.file(f.project, "host", "host", 0o644)
	res, err := Apply(ApplyOptions{Project: f.project, Layer: l})
	if !errors.Is(err, ErrConflicts) || len(res.Conflicts) != 1 || res.Conflicts[0].Path != "host" {
		t.Fatalf("apply: %v, conflicts %+v: want only host's", err, res.Conflicts)
	}
	if _, err := os.Lstat(filepath.Join(f.project, "d/.devbox-apply-123")); err == nil {
		t.Error("the killed apply's temporary file is still there")
	}
	res, err = Apply(ApplyOptions{Project: f.project, Layer: l, Partial: true})
	if !errors.Is(err, ErrConflicts) || !reflect.DeepEqual(res.Applied, []string{"d/todo"}) {
		t.Fatalf("partial apply: %v, applied %v", err, res.Applied)
	}
	if got, want := tree(t, f.project), []string{"d", "d/done=new", "d/todo=new", "host=host"}; !reflect.DeepEqual(got, want) {
		t.Errorf("project %v, want %v", got, want)
	}
	// The entries the killed apply had applied leave the layer too: only
	// the conflict is left.
	if got, want := tree(t, f.upper), []string{"host=new"}; !reflect.DeepEqual(got, want) {
		t.Errorf("upper layer %v, want %v", got, want)
	}
}

// A metacopy upper file (data in the lower layer, no blocks of its own)
// is refused; a file with data of its own is read without a look at its
// attributes.
func TestStatNodeMetacopy(t *testing.T) {
	dir := t.TempDir()
	sparse, full := filepath.Join(dir, "sparse"), filepath.Join(dir, "full")
	if err := os.WriteFile(full, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sparse, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, 4096); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lsetxattr(sparse, xattrUser+"metacopy", nil, 0); err != nil {
		t.Fatalf("set a user xattr in %s (the test needs a file system with user xattrs): %v", dir, err)
	}
	if _, err := statNode(dir, "sparse"); err == nil || !strings.Contains(err.Error(), "metacopy") {
		t.Errorf("statNode of a metacopy file: %v, want a refusal", err)
	}
	if n, err := statNode(dir, "full"); err != nil || n.kind != nodeFile {
		t.Errorf("statNode of a plain file: %+v, %v", n, err)
	}
}
