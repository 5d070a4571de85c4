//go:build integration

package integration

import (
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
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
// its _apt user (needs the subordinate mapping) and downloads through the
// sandbox's user-mode network from an apt repository this test serves on
// the host's 127.0.0.1 (the sandbox reaches it as host.devbox.internal).
// Building the rootfs and fetching the package use the Debian mirror from
// the host, as installing packages does. About 30 s.
func TestImage_DebianAptInstall(t *testing.T) {
	t.Parallel()
	testutil.SkipInGuest(t, "it has no network: building the Debian rootfs and fetching the package need the Debian mirror (the host run covers it)")
	e := newStoreEnv(t)
	subuidBase(t)
	repo := localAptRepo(t, "hello")
	rootfs := debianRootfs(t)
	e.must("image", "import", "-q", "--name", "debian-min:12", rootfs)
	script := fmt.Sprintf(`set -e
rm -f /etc/apt/sources.list.d/*
echo "deb [trusted=yes] http://host.devbox.internal:%d/ ./" >/etc/apt/sources.list
apt-get update -q
apt-get install -y -q hello
hello
id _apt`, repo)
	r := e.run("run", "--user", "root", "--rm", "--network", "slirp4netns", "--allow-host-loopback", "--image", "localhost/debian-min:12", "--", "sh", "-c", script)
	if r.code != 0 || !strings.Contains(r.stdout, "Hello, world!") {
		t.Fatalf("apt-get install hello inside: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "unsandboxed") {
		t.Errorf("apt could not drop to _apt:\n%s", r)
	}
}

// localAptRepo serves a flat apt repository holding pkg (fetched with
// apt-get download from the host's configured mirror) on 127.0.0.1 and
// returns its port.
func localAptRepo(t *testing.T, pkg string) int {
	t.Helper()
	dir := t.TempDir()
	dl := exec.Command("apt-get", "download", pkg)
	dl.Dir = dir
	if out, err := dl.CombinedOutput(); err != nil {
		testutil.Skip(t, "apt-get download %s failed (the host's package lists are needed: run apt-get update as root): %v\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	var index strings.Builder
	for _, deb := range debs {
		index.WriteString(packagesEntry(t, deb))
	}
	writeFile(t, filepath.Join(dir, "Packages"), index.String())
	writeFile(t, filepath.Join(dir, "Release"), releaseFile(index.String()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// packagesEntry is deb's stanza of a Packages index: its control fields,
// then where it is and its size and checksum.
func packagesEntry(t *testing.T, deb string) string {
	t.Helper()
	control, err := exec.Command("dpkg-deb", "-f", deb).Output()
	if err != nil {
		t.Fatalf("dpkg-deb -f %s: %v", deb, err)
	}
	b, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%sFilename: ./%s\nSize: %d\nSHA256: %x\n\n",
		control, filepath.Base(deb), len(b), sha256.Sum256(b))
}

func releaseFile(packages string) string {
	return fmt.Sprintf("Origin: devbox-test\nLabel: devbox-test\nDate: %s\nSHA256:\n %x %d Packages\n",
		time.Now().UTC().Format(time.RFC1123), sha256.Sum256([]byte(packages)), len(packages))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
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
