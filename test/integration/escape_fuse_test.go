//go:build integration

package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// fuseProbe runs as root inside a sandbox: it lists every process whose
// name is fuse-overlayfs, and every /proc/PID/root through which the
// secret file $1 (a host path the sandbox does not see) reads; then it
// SIGKILLs the fuse-overlayfs processes it found.
const fuseProbe = `
test -e "$1" && echo "VISIBLE $1"
for p in /proc/[0-9]*; do
	pid=${p#/proc/}
	comm=$(cat "$p/comm" 2>/dev/null)
	case "$comm" in fuse-overlayfs*) echo "DAEMON $pid" ;; esac
	for r in "$p/root" "$p/root/oldroot"; do
		if cat "$r$1" >/dev/null 2>&1; then echo "LEAK $r $comm"; fi
	done
done
for p in /proc/[0-9]*; do
	case "$(cat "$p/comm" 2>/dev/null)" in fuse-overlayfs*) kill -9 "${p#/proc/}" && echo "KILLED ${p#/proc/}" ;; esac
done
true
`

// TestEscape_FuseOverlayDaemonOutOfReach: with the fuse-overlayfs
// fallback (an image root, a review overlay of the project), a root
// session must neither see the daemon nor reach the host's files through
// /proc/PID/root of any process it sees. The daemon ran in the sandbox's
// pid namespace, in a mount namespace copied from the child's: for an
// image root, copied before pivot_root, so its root was the host's, and an
// unconfined root inside (CAP_SYS_PTRACE over the sandbox's namespace)
// read the user's home through /proc/<daemon>/root; under either profile
// root inside could kill it.
func TestEscape_FuseOverlayDaemonOutOfReach(t *testing.T) {
	home := homeDir(t)
	secret := filepath.Join(scratchInHome(t, home), "secret")
	if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, profile := range []string{"default", "unconfined"} {
		t.Run("review-"+profile, func(t *testing.T) {
			t.Parallel()
			fuseReviewOutOfReach(t, secret, profile)
		})
		t.Run("image-"+profile, func(t *testing.T) {
			t.Parallel()
			fuseImageOutOfReach(t, secret, profile)
		})
	}
}

// probeFuse runs fuseProbe as root in the sandbox devbox args start and
// fails the test for each thing it found.
func probeFuse(t *testing.T, e *env, secret string, args ...string) {
	t.Helper()
	args = append(append([]string{"run"}, args...), "--user", "root", "--", "sh", "-c", fuseProbe, "sh", secret)
	for _, line := range strings.Split(strings.TrimSpace(e.must(args...)), "\n") {
		if line != "" {
			t.Errorf("inside the sandbox: %s", line)
		}
	}
	// The daemon is there, on the host side: the probe proves something.
	if len(fuseDaemons(t, e.data)) == 0 {
		t.Fatalf("no fuse-overlayfs daemon of this sandbox (under %s) in the host's /proc", e.data)
	}
}

func fuseImageOutOfReach(t *testing.T, secret, profile string) {
	requireFuse(t)
	e, _, ref := imageEnv(t)
	e.extra = append(e.extra, "DEVBOX_STORAGE_DRIVER=fuse-overlayfs")
	e.must("image", "pull", "-q", ref)
	probeFuse(t, e, secret, "--image", ref, "--security", profile)
}

func requireFuse(t *testing.T) {
	t.Helper()
	testutil.RequireBinary(t, "fuse-overlayfs")
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		testutil.Skip(t, "fuse-overlayfs needs /dev/fuse read-write: %v", err)
	}
	f.Close()
}

func fuseReviewOutOfReach(t *testing.T, secret, profile string) {
	e := newReviewEnv(t, "fuse-overlayfs")
	probeFuse(t, e, secret, "--review", "--security", profile)
	if out := e.must("run", "--security", profile, "--", "cat", "a"); out != "alpha\n" {
		t.Fatalf("the project reads %q through the overlay after the probe", out)
	}
	// A killed daemon leaves the mount dead: writes fail, none reaches the
	// real project.
	for _, pid := range fuseDaemons(t, e.data) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	r := e.run("run", "--security", profile, "--", "sh", "-c", "echo changed > a; echo new > n; rm -f b")
	if got := readFile(t, filepath.Join(e.project, "a")); got != "alpha\n" {
		t.Errorf("real a = %q after a write with the daemon killed (%s)", got, r)
	}
	if _, err := os.Stat(filepath.Join(e.project, "n")); err == nil {
		t.Errorf("a file created with the daemon killed reached the real project (%s)", r)
	}
	if _, err := os.Stat(filepath.Join(e.project, "b")); err != nil {
		t.Errorf("real b gone after a delete with the daemon killed: %v (%s)", err, r)
	}
}

// fuseDaemons lists the host pids of fuse-overlayfs processes whose
// command line names a path under dir.
func fuseDaemons(t *testing.T, dir string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "comm"))
		cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if strings.HasPrefix(string(comm), "fuse-overlayfs") && bytes.Contains(cmdline, []byte(dir)) {
			pids = append(pids, pid)
		}
	}
	return pids
}
