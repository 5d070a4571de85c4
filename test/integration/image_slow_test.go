//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// TestImage_DebianAptInstall builds a minimal Debian 12 root file system,
// imports it, and installs a package inside over slirp4netns: apt drops to
// its _apt user (needs the subordinate mapping) and downloads from
// deb.debian.org. It takes about 25 s and the Debian mirror, so it runs only
// with DEVBOX_TEST_SLOW=1.
func TestImage_DebianAptInstall(t *testing.T) {
	if os.Getenv("DEVBOX_TEST_SLOW") != "1" {
		t.Skip("slow: set DEVBOX_TEST_SLOW=1")
	}
	e := newStoreEnv(t)
	subuidBase(t)
	rootfs := debianRootfs(t)
	e.must("image", "import", "-q", "--name", "debian-min:12", rootfs)
	r := e.run("run", "--rm", "--network", "slirp4netns", "--image", "localhost/debian-min:12", "--",
		"sh", "-c", "apt-get update -q && apt-get install -y -q hello && hello && id _apt")
	if r.code != 0 || !strings.Contains(r.stdout, "Hello, world!") {
		t.Fatalf("apt-get install hello inside: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "unsandboxed") {
		t.Errorf("apt could not drop to _apt:\n%s", r)
	}
}

// debianRootfs makes a minbase Debian 12 tarball: mmdebstrap's unshare mode
// works as an unprivileged user; debootstrap needs real root (it mknods).
func debianRootfs(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "debian.tar")
	var cmd *exec.Cmd
	if bin, err := exec.LookPath("mmdebstrap"); err == nil {
		cmd = exec.Command(bin, "--variant=minbase", "--mode=unshare", "bookworm", out, "http://deb.debian.org/debian")
	} else if os.Getuid() == 0 {
		dir := filepath.Join(t.TempDir(), "root")
		bin := testutil.RequireBinary(t, "debootstrap")
		cmd = exec.Command("sh", "-c", `"$0" --variant=minbase bookworm "$1" http://deb.debian.org/debian && tar -C "$1" --numeric-owner -cf "$2" .`, bin, dir, out)
	} else {
		testutil.Skip(t, "mmdebstrap not installed (debootstrap needs root): apt-get install mmdebstrap")
	}
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build Debian rootfs: %v\n%s", err, b)
	}
	t.Logf("Debian rootfs built in %v", time.Since(start).Round(time.Second))
	return out
}
