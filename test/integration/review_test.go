//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// reviewDrivers are the two ways a review overlay is mounted, forced with
// the store's own knob.
var reviewDrivers = []string{"overlay", "fuse-overlayfs"}

// newReviewEnv is an env whose review overlays use driver, with a small
// project: a, b, dir/c.
func newReviewEnv(t *testing.T, driver string) *env {
	t.Helper()
	if driver == "fuse-overlayfs" {
		testutil.RequireBinary(t, "fuse-overlayfs")
		if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
			testutil.Skip(t, "fuse-overlayfs needs /dev/fuse read-write: %v", err)
		} else {
			f.Close()
		}
	}
	e := newEnv(t)
	e.extra = append(e.extra, "DEVBOX_STORAGE_DRIVER="+driver)
	// The overlay's work dir holds a dir of mode 0 that the test's own
	// TempDir cleanup cannot enter.
	t.Cleanup(func() {
		filepath.WalkDir(e.data, func(p string, d os.DirEntry, err error) error {
			if d != nil && d.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
	})
	writeTree(t, e.project, map[string]string{"a": "alpha\n", "b": "bravo\n", "dir/c": "charlie\n"})
	return e
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The sandbox writes into its own layer; the real project stays as it was;
// a join sees the same overlay; ps shows it; asking a running review
// sandbox for the plain bind is a config change.
func TestReviewOverlay(t *testing.T) {
	for _, driver := range reviewDrivers {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e := newReviewEnv(t, driver)
			e.must("run", "--review", "--", "sh", "-c", "echo changed > a && rm b && mkdir new && echo n > new/f")
			if got := readFile(t, filepath.Join(e.project, "a")); got != "alpha\n" {
				t.Errorf("real a = %q after the sandbox wrote it", got)
			}
			if _, err := os.Stat(filepath.Join(e.project, "b")); err != nil {
				t.Errorf("real b gone: %v", err)
			}
			if _, err := os.Stat(filepath.Join(e.project, "new")); err == nil {
				t.Error("real project got the sandbox's new dir")
			}
			out := e.must("run", "--", "sh", "-c", "cat a; ls")
			if out != "changed\na\ndir\nnew\n" {
				t.Errorf("join sees %q, want the overlay", out)
			}
			byName := e.diffJSON(e.only().Name)
			if here := e.diffJSON(); len(here) != 4 || !reflect.DeepEqual(byName, here) {
				t.Errorf("diff NAME %+v, diff in the project %+v: want the same 4 changes", byName, here)
			}
			st := e.readState(e.only().Name)
			if st.Review != driver {
				t.Errorf("state.json review = %q, want %q", st.Review, driver)
			}
			var list []struct {
				Review string `json:"review"`
			}
			json.Unmarshal([]byte(e.must("ps", "--json")), &list)
			if len(list) != 1 || list[0].Review != driver {
				t.Errorf("ps --json review: %+v", list)
			}
			if ps := e.must("ps"); !strings.Contains(ps, "(review)") {
				t.Errorf("ps does not show review mode:\n%s", ps)
			}
			r := e.run("run", "--review=false", "--", "true")
			if r.code != 125 || !strings.Contains(r.stderr, "project") || !strings.Contains(r.stderr, "devbox restart") {
				t.Errorf("a bind join on a review sandbox: %s", r)
			}
		})
	}
}

// review mode and --rm do not go together: the changes would go with the
// sandbox.
func TestReviewRefusesThrowaway(t *testing.T) {
	e := newEnv(t)
	r := e.run("run", "--rm", "--review", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "--rm") {
		t.Errorf("run --rm --review: %s", r)
	}
}

// reviewScript is the script: modify a file, delete one, rename a
// directory, create a hook, change a mode, replace a file with a symlink.
const reviewScript = `set -e
echo changed >> a
rm b
mv dir dir2
printf '#!/bin/sh\necho hook\n' > .git/hooks/post-checkout
chmod 0755 run.sh
rm link && ln -s a link`

// reviewProject is the project the script runs in.
func reviewProject(t *testing.T, e *env) {
	t.Helper()
	writeTree(t, e.project, map[string]string{"run.sh": "#!/bin/sh\n", "link": "plain file\n", ".git/hooks/README": "hooks\n"})
	os.Chmod(filepath.Join(e.project, "run.sh"), 0o644)
}

// diffChange is one element of devbox diff --json's changes.
type diffChange struct {
	Path      string `json:"path"`
	Kind      string `json:"kind"`
	Type      string `json:"type"`
	OldType   string `json:"old_type"`
	Mode      string `json:"mode"`
	OldMode   string `json:"old_mode"`
	Owner     string `json:"owner"`
	OldOwner  string `json:"old_owner"`
	Target    string `json:"target"`
	Protected bool   `json:"protected"`
}

func (e *env) diffJSON(args ...string) []diffChange {
	e.t.Helper()
	out := e.must(append([]string{"diff", "--json"}, args...)...)
	var r struct {
		Changes []diffChange `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		e.t.Fatalf("devbox diff --json: %v\n%s", err, out)
	}
	return r.Changes
}

// snapshotTree is every path of root with its type, mode and content.
func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		v := fi.Mode().String()
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			v += " -> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		}
		out[rel] = v
		return nil
	})
	return out
}

// The script: the real project is untouched, diff lists exactly
// the changes, apply (refused while the sandbox runs) makes them real but
// the protected hook, and afterwards only the hook is left, until it is
// discarded.
func TestReviewScript(t *testing.T) {
	for _, driver := range reviewDrivers {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e := newReviewEnv(t, driver)
			reviewProject(t, e)
			before := snapshotTree(t, e.project)
			e.must("run", "--review", "--", "sh", "-c", reviewScript)
			if after := snapshotTree(t, e.project); !reflect.DeepEqual(before, after) {
				t.Errorf("the real project changed:\nbefore %v\nafter  %v", before, after)
			}
			got := e.diffJSON()
			want := []diffChange{
				{Path: ".git/hooks/post-checkout", Kind: "added", Type: "file", Mode: "0644", Protected: true},
				{Path: "a", Kind: "modified", Type: "file"},
				{Path: "b", Kind: "deleted", Type: "file", OldMode: "0644"},
				{Path: "dir", Kind: "deleted", Type: "dir", OldMode: "0755"},
				{Path: "dir2", Kind: "added", Type: "dir", Mode: "0755"},
				{Path: "dir2/c", Kind: "added", Type: "file", Mode: "0644"},
				{Path: "link", Kind: "modified", Type: "symlink", OldType: "file", Mode: "0777", OldMode: "0644", Target: "a"},
				{Path: "run.sh", Kind: "mode", Type: "file", Mode: "0755", OldMode: "0644"},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("diff --json:\n%+v\nwant\n%+v", got, want)
			}
			text := e.must("diff")
			for _, s := range []string{"+changed", "-plain file", "+symlink -> a", "old mode 0644", "deleted dir mode 0755", "protected path"} {
				if !strings.Contains(text, s) {
					t.Errorf("devbox diff lacks %q:\n%s", s, text)
				}
			}
			if stat := e.must("diff", "--stat", "dir2"); stat != "A dir2/\nA dir2/c\n2 changes: 2 added, 0 modified, 0 deleted, 0 replaced, 0 mode only, 0 owner only\n" {
				t.Errorf("diff --stat dir2:\n%s", stat)
			}
			checkApply(t, e)
		})
	}
}

func checkApply(t *testing.T, e *env) {
	if r := e.run("apply"); r.code != 125 || !strings.Contains(r.stderr, "devbox stop") {
		t.Fatalf("apply on a running sandbox: %s", r)
	}
	e.must("stop")
	r := e.run("apply")
	if r.code != 0 || !strings.Contains(r.stderr, "skipped .git/hooks/post-checkout: a protected path") {
		t.Fatalf("apply: %s", r)
	}
	if got := readFile(t, filepath.Join(e.project, "a")); got != "alpha\nchanged\n" {
		t.Errorf("a = %q after apply", got)
	}
	for _, gone := range []string{"b", "dir", ".git/hooks/post-checkout"} {
		if _, err := os.Lstat(filepath.Join(e.project, gone)); err == nil {
			t.Errorf("%s exists after apply", gone)
		}
	}
	if got := readFile(t, filepath.Join(e.project, "dir2/c")); got != "charlie\n" {
		t.Errorf("dir2/c = %q after apply", got)
	}
	if fi, err := os.Stat(filepath.Join(e.project, "run.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode after apply: %v %v", fi.Mode(), err)
	}
	if l, err := os.Readlink(filepath.Join(e.project, "link")); err != nil || l != "a" {
		t.Errorf("link after apply: %q %v", l, err)
	}
	if left := e.diffJSON(); len(left) != 1 || left[0].Path != ".git/hooks/post-checkout" {
		t.Errorf("after apply, diff lists %+v, want only the protected hook", left)
	}
	if out := e.must("discard", ".git/hooks/post-checkout"); out != "discarded .git/hooks/post-checkout\n" {
		t.Errorf("discard: %q", out)
	}
	if left := e.diffJSON(); len(left) != 0 {
		t.Errorf("second diff: %+v, want none", left)
	}
	if out := e.must("run", "--review", "--", "sh", "-c", "cat a dir2/c; readlink link; ls .git/hooks"); out != "alpha\nchanged\ncharlie\na\nREADME\n" {
		t.Errorf("the sandbox after apply and discard sees %q", out)
	}
}

// The host edits a file the sandbox changed too: apply refuses, names both
// hashes, changes nothing (not even the change that does not conflict);
// --partial applies the rest, --force the conflict.
func TestReviewConflict(t *testing.T) {
	for _, driver := range reviewDrivers {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e := newReviewEnv(t, driver)
			e.must("run", "--review", "--", "sh", "-c", "echo sandbox > a; echo sandbox > b")
			writeTree(t, e.project, map[string]string{"a": "host\n"})
			e.must("stop")
			r := e.run("apply")
			if r.code != 125 || !strings.Contains(r.stderr, "conflict a: changed on the host") ||
				!strings.Contains(r.stderr, "real:    sha256:"+sha256Hex("host\n")) || !strings.Contains(r.stderr, "sandbox: sha256:"+sha256Hex("sandbox\n")) {
				t.Fatalf("conflicting apply: %s", r)
			}
			if readFile(t, filepath.Join(e.project, "a")) != "host\n" || readFile(t, filepath.Join(e.project, "b")) != "bravo\n" {
				t.Errorf("a refused apply changed the project")
			}
			if got := e.diffJSON(); len(got) != 2 {
				t.Errorf("after a refused apply, diff lists %+v", got)
			}
			if r := e.run("apply", "--partial"); r.code != 125 || r.stdout != "applied b\n" {
				t.Errorf("apply --partial: %s", r)
			}
			if readFile(t, filepath.Join(e.project, "a")) != "host\n" || readFile(t, filepath.Join(e.project, "b")) != "sandbox\n" {
				t.Errorf("apply --partial: a %q, b %q", readFile(t, filepath.Join(e.project, "a")), readFile(t, filepath.Join(e.project, "b")))
			}
			e.must("apply", "--force")
			if readFile(t, filepath.Join(e.project, "a")) != "sandbox\n" {
				t.Errorf("apply --force did not write the sandbox's a")
			}
			if got := e.diffJSON(); len(got) != 0 {
				t.Errorf("after apply --force, diff lists %+v", got)
			}
		})
	}
}

// discard drops everything; apply and discard on a sandbox without review
// say so.
func TestReviewDiscard(t *testing.T) {
	e := newReviewEnv(t, "overlay")
	e.must("run", "--review", "--", "sh", "-c", "echo x > a; rm b; mkdir -p n/m; echo y > n/m/f")
	e.must("stop")
	if out := e.must("discard"); !strings.Contains(out, "discarded a\n") || !strings.Contains(out, "discarded b\n") {
		t.Errorf("discard: %q", out)
	}
	if got := e.diffJSON(); len(got) != 0 {
		t.Errorf("after discard, diff lists %+v", got)
	}
	if out := e.must("run", "--review", "--", "sh", "-c", "cat a b; ls"); out != "alpha\nbravo\na\nb\ndir\n" {
		t.Errorf("after discard the sandbox sees %q", out)
	}
	plain := newEnv(t)
	plain.must("run", "--", "true")
	for _, cmd := range []string{"apply", "diff", "discard"} {
		if r := plain.run(cmd); r.code != 125 || !strings.Contains(r.stderr, "no review layer") {
			t.Errorf("%s without review mode: %s", cmd, r)
		}
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// A file the sandbox gives another of its ids is applied with that owner
// (through the sandbox's root in a user namespace), and one a session
// cannot read still applies.
func TestReviewApplyOtherOwner(t *testing.T) {
	e := newReviewEnv(t, "overlay")
	e.must("run", "--review", "--user", "root", "--", "sh", "-c", "echo secret > owned && chown 1000:1000 owned && chmod 0600 owned")
	inside := e.must("run", "--user", "root", "--", "stat", "-c", "%u:%g %a", "owned")
	if got := e.diffJSON(); len(got) != 1 || got[0].Path != "owned" || got[0].Kind != "added" {
		t.Errorf("diff of a file only the sandbox's id reads: %+v", got)
	}
	if text := e.must("diff"); !strings.Contains(text, "+secret") {
		t.Errorf("diff of a file only the sandbox's id reads:\n%s", text)
	}
	e.must("stop")
	e.must("apply")
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(e.project, "owned"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid == uint32(os.Getuid()) || st.Mode&0o777 != 0o600 {
		t.Errorf("applied owned: uid %d mode %o, want the sandbox's uid 1000 mapped (inside: %s)", st.Uid, st.Mode&0o777, inside)
	}
	if got := e.diffJSON(); len(got) != 0 {
		t.Errorf("after apply, diff lists %+v", got)
	}
}

// A snapshot of a review sandbox (project layer and private home) restores
// byte for byte; restore needs the sandbox stopped.
func TestReviewSnapshot(t *testing.T) {
	e := newReviewEnv(t, "overlay")
	e.must("run", "--review", "--", "sh", "-c", "echo saved > a; rm b; head -c 100000 /dev/urandom > bin; echo home > ~/h")
	name := e.only().Name
	upper := filepath.Join(e.data, "devbox", "sandboxes", name, "review", "upper")
	e.must("stop")
	saved := snapshotTree(t, upper)
	if out := e.must("snapshot", "save", "before"); out != "before\n" {
		t.Errorf("snapshot save: %q", out)
	}
	if r := e.run("run", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "holds review changes") {
		t.Errorf("a bind start over held review changes: %s", r)
	}
	e.must("run", "--review", "--", "sh", "-c", "echo later > a; echo b > b; rm bin; echo later > ~/h")
	if r := e.run("snapshot", "restore", "before"); r.code != 125 || !strings.Contains(r.stderr, "devbox stop") {
		t.Errorf("restore of a running sandbox: %s", r)
	}
	e.must("stop")
	e.must("snapshot", "save", "after")
	ls := e.must("snapshot", "ls")
	if !strings.Contains(ls, "before") || !strings.Contains(ls, "after") || !strings.Contains(ls, "[project home]") {
		t.Errorf("snapshot ls:\n%s", ls)
	}
	e.must("snapshot", "restore", "before")
	if got := snapshotTree(t, upper); !reflect.DeepEqual(got, saved) {
		t.Errorf("restored layer:\n%v\nwant\n%v", got, saved)
	}
	if out := e.must("run", "--review", "--", "sh", "-c", "cat a ~/h; ls"); out != "saved\nhome\na\nbin\ndir\n" {
		t.Errorf("after restore the sandbox sees %q", out)
	}
	e.must("snapshot", "rm", "after")
	if ls := e.must("snapshot", "ls"); strings.Contains(ls, "after") {
		t.Errorf("snapshot rm left it:\n%s", ls)
	}
}
