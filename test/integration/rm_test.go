//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// devbox rm deletes a home that holds files owned by a subordinate id, which
// the user cannot delete on the host (it retries in a user namespace).
func TestRmRemovesHomeWithSubordinateOwnedFiles(t *testing.T) {
	e := newEnv(t)
	if _, uid, _ := currentUser(t); uid == 0 {
		t.Skip("root can remove anything; this is about a user's subordinate ids")
	}
	if out := e.must("run", "--name", "rmhome", "--", "cat", "/proc/self/uid_map"); len(mapLines(t, out)) < 2 {
		testutil.Skip(t, "needs a subordinate id range (single-id mapping here)")
	}
	e.must("run", "--user", "root", "--name", "rmhome", "--", "sh", "-c",
		"mkdir -p $HOME/svc && touch $HOME/svc/data && chown -R 100:100 $HOME/svc && chmod 700 $HOME/svc")
	home := filepath.Join(e.data, "devbox", "sandboxes", "rmhome")
	if _, err := os.Stat(home); err != nil {
		t.Fatalf("sandbox data dir: %v", err)
	}
	e.must("stop", "rmhome")
	e.must("rm", "rmhome")
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Fatalf("after rm, %s still exists (%v)", home, err)
	}
}
