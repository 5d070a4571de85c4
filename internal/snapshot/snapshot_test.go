package snapshot

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// treeOf is every entry below root: type, mode, content or target, device
// number and user attributes.
func treeOf(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		var st unix.Stat_t
		unix.Lstat(p, &st)
		v := fi.Mode().String()
		switch {
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			v += " -> " + l
		case fi.Mode()&os.ModeDevice != 0:
			v += " dev " + string(rune('0'+st.Rdev))
		}
		buf := make([]byte, 8)
		if n, err := unix.Lgetxattr(p, "user.overlay.opaque", buf); err == nil {
			v += " opaque=" + string(buf[:n])
		}
		v += " mtime " + fi.ModTime().String()
		out[rel] = v
		return nil
	})
	return out
}

func TestSaveRestoreRoundTrip(t *testing.T) {
	live, home := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(live, "a"), []byte("one"), 0o640)
	os.MkdirAll(filepath.Join(live, "d/e"), 0o750)
	os.WriteFile(filepath.Join(live, "d/e/f"), []byte("deep"), 0o600)
	os.Symlink("a", filepath.Join(live, "l"))
	if err := unix.Mknod(filepath.Join(live, "gone"), unix.S_IFCHR|0o600, 0); err != nil {
		t.Skipf("no whiteout devices for this user here: %v", err)
	}
	if err := unix.Setxattr(filepath.Join(live, "d"), "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("no user attributes here: %v", err)
	}
	os.WriteFile(filepath.Join(home, ".bashrc"), []byte("rc"), 0o644)
	record := filepath.Join(t.TempDir(), "base.json")
	os.WriteFile(record, []byte("{}"), 0o600)
	s := State{Root: filepath.Join(t.TempDir(), "snapshots"),
		Parts: []Part{{Name: "project", Dir: live}, {Name: "home", Dir: home}}, Files: []File{{Name: "base", Dir: record}}}
	want, wantHome := treeOf(t, live), treeOf(t, home)
	if err := Save(s, "one"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(live, "a"), []byte("two"), 0o640)
	os.RemoveAll(filepath.Join(live, "d"))
	os.WriteFile(filepath.Join(live, "new"), []byte("n"), 0o644)
	os.WriteFile(filepath.Join(home, ".bashrc"), []byte("changed"), 0o644)
	os.WriteFile(record, []byte("changed"), 0o600)
	if err := Save(s, "two"); err != nil {
		t.Fatal(err)
	}
	if err := Restore(s, "one"); err != nil {
		t.Fatal(err)
	}
	if got := treeOf(t, live); !reflect.DeepEqual(got, want) {
		t.Errorf("restored project:\n%v\nwant\n%v", got, want)
	}
	if got := treeOf(t, home); !reflect.DeepEqual(got, wantHome) {
		t.Errorf("restored home:\n%v\nwant\n%v", got, wantHome)
	}
	if b, _ := os.ReadFile(record); string(b) != "{}" {
		t.Errorf("restored record: %q", b)
	}
	list, err := List(s.Root)
	if err != nil || len(list) != 2 || list[0].Name != "one" || list[1].Name != "two" || list[0].Size == 0 {
		t.Fatalf("List: %+v, %v", list, err)
	}
	// Hard links go to the latest snapshot only: "two" has no d/e/f, so
	// "three" copies it, and "four" links to "three"'s.
	if err := Save(s, "three"); err != nil {
		t.Fatal(err)
	}
	var st1, st3 unix.Stat_t
	unix.Lstat(filepath.Join(s.Root, "one/project/d/e/f"), &st1)
	unix.Lstat(filepath.Join(s.Root, "three/project/d/e/f"), &st3)
	if st1.Ino == st3.Ino {
		t.Errorf("an unchanged file is linked to a snapshot that is not the latest")
	}
	if err := Save(s, "four"); err != nil {
		t.Fatal(err)
	}
	var st4 unix.Stat_t
	unix.Lstat(filepath.Join(s.Root, "four/project/d/e/f"), &st4)
	if st3.Ino != st4.Ino {
		t.Errorf("an unchanged file was copied, not linked to the previous snapshot")
	}
	if err := Remove(s.Root, "two"); err != nil {
		t.Fatal(err)
	}
	if err := Restore(s, "two"); err == nil {
		t.Error("restored a removed snapshot")
	}
	if err := Save(s, "../x"); err == nil {
		t.Error("saved a snapshot named ../x")
	}
}

func TestCheckName(t *testing.T) {
	long := strings.Repeat("a", 63)
	for name, ok := range map[string]bool{
		"a": true, "before-upgrade": true, "v1.2_x": true, "9": true, long: true,
		"": false, long + "a": false, ".hidden": false, "-x": false, "_x": false,
		"a/b": false, "..": false, "a b": false, "é": false, "a\x00": false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}
