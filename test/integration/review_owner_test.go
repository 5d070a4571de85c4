//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// subidBase is the first id of the current user's range in /etc/subuid or
// /etc/subgid.
func subidBase(t *testing.T, file string) int {
	t.Helper()
	name, uid, _ := currentUser(t)
	b, _ := os.ReadFile(file)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 3 && (f[0] == name || f[0] == strconv.Itoa(int(uid))) {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	testutil.Skip(t, "no range for %s in %s: a chown inside needs one", name, file)
	return 0
}

// A chown inside (root, to an id of the sandbox's range) is a change:
// diff shows it in the host's ids (the subordinate id the sandbox's id
// maps to), apply gives the real file that owner, and the diff is empty
// afterwards.
func TestReviewOwnerChange(t *testing.T) {
	for _, driver := range reviewDrivers {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e := newReviewEnv(t, driver)
			uid, gid := subidBase(t, "/etc/subuid"), subidBase(t, "/etc/subgid")
			_, myUID, myGID := currentUser(t)
			mine := fmt.Sprintf("%d:%d", myUID, myGID)
			theirs := fmt.Sprintf("%d:%d", uid+999, gid+999)
			e.must("run", "--review", "--user", "root", "--", "sh", "-c", "chown 1000:1000 a && echo n > new && chown 1000:1000 new && chmod 0600 dir/c && chown 1000:1000 dir/c")
			got := e.diffJSON()
			want := []diffChange{
				{Path: "a", Kind: "owner", Type: "file", Owner: theirs, OldOwner: mine},
				{Path: "dir/c", Kind: "mode", Type: "file", Mode: "0600", OldMode: "0644", Owner: theirs, OldOwner: mine},
				{Path: "new", Kind: "added", Type: "file", Mode: "0644", Owner: theirs},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("diff --json:\n%+v\nwant\n%+v", got, want)
			}
			text := e.must("diff")
			for _, s := range []string{"old owner " + mine + "\nnew owner " + theirs, "owner " + theirs + "\n"} {
				if !strings.Contains(text, s) {
					t.Errorf("devbox diff lacks %q:\n%s", s, text)
				}
			}
			if stat := e.must("diff", "--stat", "a"); stat != "o a (owner "+mine+" -> "+theirs+")\n1 changes: 0 added, 0 modified, 0 deleted, 0 replaced, 0 mode only, 1 owner only\n" {
				t.Errorf("diff --stat a:\n%s", stat)
			}
			e.must("stop")
			out := e.must("apply")
			for _, p := range []string{"a", "dir/c", "new"} {
				fi, err := os.Lstat(filepath.Join(e.project, p))
				if err != nil {
					t.Fatal(err)
				}
				st := fi.Sys().(*syscall.Stat_t)
				if int(st.Uid) != uid+999 || int(st.Gid) != gid+999 {
					t.Errorf("real %s is %d:%d after apply, want %s (apply said %q)", p, st.Uid, st.Gid, theirs, out)
				}
			}
			if fi, _ := os.Stat(filepath.Join(e.project, "dir/c")); fi == nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("real dir/c mode after apply: %v", fi)
			}
			if left := e.diffJSON(); len(left) != 0 {
				t.Errorf("after apply, diff lists %+v", left)
			}
		})
	}
}
