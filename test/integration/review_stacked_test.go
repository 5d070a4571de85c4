//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// A project on overlayfs (as a container's root is): review mode takes the
// stated fallback, fuse-overlayfs, with one warning line naming why, and
// diff and the real project behave as on any file system. The test user
// mounts the project's overlay in a user and mount namespace of its own
// and runs devbox there (as that namespace's root, without subordinate
// ids: the single-id fallback); with DEVBOX_STORAGE_DRIVER=overlay forced,
// the kernel's overlay stacks on it as well.
func TestReviewProjectOnOverlayfs(t *testing.T) {
	requireFuse(t)
	testutil.RequireBinary(t, "unshare")
	for _, forced := range []string{"", "overlay"} {
		t.Run("forced="+forced, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			base := filepath.Dir(e.project)
			// Overlay work dirs hold a dir of mode 0 that TempDir's cleanup
			// cannot enter.
			t.Cleanup(func() {
				filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
					if d != nil && d.IsDir() {
						os.Chmod(p, 0o700)
					}
					return nil
				})
			})
			for _, d := range []string{"lo", "up", "wk"} {
				if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeTree(t, filepath.Join(base, "lo"), map[string]string{"a": "alpha\n"})
			script := `set -e
mount -t overlay ov -o "lowerdir=$1/lo,upperdir=$1/up,workdir=$1/wk" "$2"
cd "$2"
"$3" run --review -- sh -c 'cat a; echo new > b; rm a; grep " $PWD " /proc/self/mounts | cut -d" " -f3'
echo ---
"$3" diff --stat
test ! -e b && test -e a && echo real-untouched
"$3" stop --all >/dev/null`
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "unshare", "--user", "--map-root-user", "--mount", "--propagation", "private",
				"sh", "-c", script, "sh", base, e.project, devboxBin)
			cmd.Env = e.environ()
			if forced != "" {
				cmd.Env = append(cmd.Env, "DEVBOX_STORAGE_DRIVER="+forced)
			}
			r := collect(t, ctx, cmd, "devbox run --review in a namespace with the project on overlayfs")
			if r.code != 0 {
				t.Fatalf("%s", r)
			}
			wantFS := "fuse.fuse-overlayfs"
			if forced == "overlay" {
				wantFS = "overlay"
			}
			want := "alpha\n" + wantFS + "\n---\nD a\nA b\n2 changes: 1 added, 0 modified, 1 deleted, 0 replaced, 0 mode only, 0 owner only\nreal-untouched\n"
			if r.stdout != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
			}
			warned := strings.Contains(r.stderr, "is on overlayfs, which devbox does not stack native overlay on") && strings.Contains(r.stderr, "fuse-overlayfs")
			if warned != (forced == "") {
				t.Errorf("warning about the overlayfs project (want it %v):\n%s", forced == "", r.stderr)
			}
		})
	}
}
