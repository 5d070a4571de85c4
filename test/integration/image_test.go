//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestImage_PullRunContentsOwnershipWhiteouts(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	base := subuidBase(t)
	r := e.run("image", "pull", ref)
	if r.code != 0 {
		t.Fatalf("pull: %s", r)
	}
	// Not a terminal: one line per layer, then the name and digest.
	if strings.Count(r.stderr, "layer ") < 2 || strings.Contains(r.stderr, "\r") || strings.Contains(r.stderr, "\033[") {
		t.Errorf("pull progress off a terminal: want plain lines per layer:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "sha256:") {
		t.Errorf("pull: want the digest on stdout: %s", r)
	}
	checkImageContent(t, e, "--image", ref)

	// A file made as uid 1000 inside lands in the sandbox's upper layer as
	// subuid-base+999 on the host.
	e.must("run", "--user", "root", "--image", ref, "--", "/bin/sh", "-c", "echo x > /upper-owned && chown 1000:1000 /upper-owned")
	if got := ownerOf(t, storeFile(e, "home/user/owned")); got != base+999 {
		t.Errorf("image file owned by 1000: host uid %d, want %d", got, base+999)
	}
	if p := storeFile(e, "upper-owned"); p == "" {
		t.Errorf("upper-owned not found in any layer of the store")
	} else if got := ownerOf(t, p); got != base+999 {
		t.Errorf("upper layer file chowned to 1000: host uid %d, want %d", got, base+999)
	}
	// Changes persist across stop and start; rm frees the layer.
	name := e.only().Name
	e.must("stop", name)
	if out := e.must("run", "--image", ref, "--", "cat", "/upper-owned"); out != "x\n" {
		t.Errorf("after stop and start: /upper-owned = %q, want x", out)
	}
	e.must("stop", name)
	e.must("rm", name)
	if p := storeFile(e, "upper-owned"); p != "" {
		t.Errorf("devbox rm left the sandbox layer: %s", p)
	}
	if b, _ := os.ReadFile(filepath.Join(e.data, "devbox", "storage", "overlay-containers", "containers.json")); strings.Contains(string(b), "devbox-"+name) {
		t.Errorf("devbox rm left the container record:\n%s", b)
	}
	// The image is now free to remove.
	e.removeLastImage(ref)
}

func TestImage_WorkingDir(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	if out := e.must("run", "--image", ref, "--", "pwd"); strings.TrimSpace(out) != e.project {
		t.Errorf("from the project dir: pwd %q, want %q", out, e.project)
	}
	name := e.only().Name
	// From a directory the sandbox cannot see, the image's WorkingDir.
	other := t.TempDir()
	cmd := e.command(context.Background(), "run", "--name", name, "--image", ref, "--", "pwd")
	cmd.Dir = other
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run from %s: %v", other, err)
	}
	if strings.TrimSpace(string(out)) != "/data" {
		t.Errorf("from outside the project: pwd %q, want the image's WorkingDir /data", out)
	}
}

func TestImage_ImportEachKind(t *testing.T) {
	t.Parallel()
	e := newStoreEnv(t)
	img := testImage(t, "imported")
	dir := t.TempDir()

	ociDir := filepath.Join(dir, "oci")
	p, err := layout.Write(ociDir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "test/oci:1"})); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(dir, "oci.tar")
	if out, err := exec.Command("tar", "-C", ociDir, "-cf", ociTar, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	dockerTar := filepath.Join(dir, "docker.tar")
	tag, _ := name.NewTag("test/docker:1")
	if err := tarball.WriteToFile(dockerTar, tag, img); err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(dir, "rootfs.tar")
	os.WriteFile(rootfs, tarBytes(t, append(baseEntries(t), fileEntry("etc/version", "rootfs\n"))), 0o644)

	cases := []struct{ path, name, ref, version string }{
		{ociDir, "", "localhost/test/oci:1", "imported"},
		{ociTar, "test/ocitar:1", "localhost/test/ocitar:1", "imported"},
		{dockerTar, "", "localhost/test/docker:1", "imported"},
		{rootfs, "test/rootfs", "localhost/test/rootfs:latest", "rootfs"},
	}
	for _, c := range cases {
		args := []string{"image", "import", c.path}
		if c.name != "" {
			args = append(args, "--name", c.name)
		}
		if out := e.must(args...); !strings.HasPrefix(out, c.ref+" ") {
			t.Errorf("import %s: got %q, want %s", filepath.Base(c.path), out, c.ref)
		}
		if out := e.must("run", "--rm", "--image", c.ref, "--", "cat", "/etc/version"); strings.TrimSpace(out) != c.version {
			t.Errorf("run %s: /etc/version %q, want %q", c.ref, out, c.version)
		}
	}
	checkImageContent(t, e, "--rm", "--image", "localhost/test/docker:1")
	// The three archives of one image share its layers.
	// (A --rm sandbox's layer goes when its supervisor exits.)
	eventually(t, 5*time.Second, func() string {
		n, _ := filepath.Glob(filepath.Join(e.data, "devbox", "storage", "overlay", "*", "diff"))
		if len(n) != 3 {
			return fmt.Sprintf("store holds %d layers, want 3 (two shared + rootfs)", len(n))
		}
		return ""
	})
	// A plain rootfs tarball needs a name.
	e.mustFail([]string{"--name"}, "image", "import", rootfs)
	// A short name matching two different stored images is ambiguous (two
	// names of one image are not).
	e.must("image", "import", dockerTar, "--name", "other.example/test/docker:1")
	e.must("run", "--rm", "--image", "test/docker:1", "--", "true")
	e.must("image", "import", rootfs, "--name", "third.example/test/docker:1")
	// (A sandbox that resolved the name before keeps its pin: ask another.)
	e.mustFail([]string{"ambiguous", "third.example/test/docker:1"}, "run", "--rm", "--name", "amb", "--image", "test/docker:1", "--", "true")
}

func TestImage_Errors(t *testing.T) {
	t.Parallel()
	e := newStoreEnv(t)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.tar")
	good := tarBytes(t, baseEntries(t))
	os.WriteFile(corrupt, good[:len(good)/3], 0o644)
	e.mustFail([]string{"corrupt"}, "image", "import", "--name", "x", corrupt)
	garbage := filepath.Join(dir, "garbage.tar.gz")
	os.WriteFile(garbage, []byte{0x1f, 0x8b, 8, 0, 1, 2, 3}, 0o644)
	e.mustFail([]string{"corrupt"}, "image", "import", "--name", "x", garbage)

	e.mustFail([]string{"invalid reference"}, "image", "pull", "Bad//Ref::x")
	e.mustFail([]string{"invalid reference"}, "run", "--rm", "--image", "UPPER/case", "--", "true")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	r := e.mustFail([]string{"unreachable", closed}, "image", "pull", closed+"/test/bb:1")
	t.Logf("unreachable registry:\n%s", r.stderr)
	if imgs := e.images(); len(imgs) != 0 {
		t.Errorf("failed imports and pulls left images: %+v", imgs)
	}
}

func TestImage_BeyondSubordinateRange(t *testing.T) {
	t.Parallel()
	e := newStoreEnv(t)
	subuidBase(t)
	reg := newRegistry(t)
	big := []tarEntry{{name: "far", typ: tar.TypeReg, mode: 0o644, uid: 70000, gid: 70000, body: []byte("x")}}
	reg.push(t, "test/far:1", testImage(t, "far", big))
	r := e.mustFail([]string{"70000", "0-65536", "usermod --add-subuids"}, "image", "pull", reg.host+"/test/far:1")
	t.Logf("beyond the range:\n%s", r.stderr)
}

func TestImage_ConcurrentPulls(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	var wg sync.WaitGroup
	res := make([]result, 3)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = e.run("image", "pull", "-q", ref)
		}()
	}
	wg.Wait()
	for i, r := range res {
		if r.code != 0 {
			t.Errorf("pull %d: %s", i, r)
		}
	}
	if imgs := e.images(); len(imgs) != 1 {
		t.Errorf("after concurrent pulls: want 1 image, got %+v", imgs)
	}
	checkImageContent(t, e, "--rm", "--image", ref)
}

func TestImage_KilledPullThenRepull(t *testing.T) {
	t.Parallel()
	e := newStoreEnv(t)
	reg := newRegistry(t)
	// A third layer big enough to be caught half way.
	blob := bytes.Repeat([]byte("0123456789abcdef"), 1<<18)
	img := testImage(t, "big", []tarEntry{{name: "big", typ: tar.TypeReg, mode: 0o644, body: blob}})
	ref := reg.host + "/test/big:1"
	reg.push(t, "test/big:1", img)
	layers, _ := img.Layers()
	d, _ := layers[2].Digest()
	reg.mu.Lock()
	reg.stall[d.String()] = true
	reg.mu.Unlock()

	cmd := e.command(context.Background(), "image", "pull", ref)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reg.stalled:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("pull never reached the big layer:\n%s", stderr.String())
	}
	helpers := childrenOf(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	eventually(t, 10*time.Second, func() string {
		for _, pid := range helpers {
			if alive(pid) {
				return fmt.Sprintf("pull helper %d outlived the killed pull", pid)
			}
		}
		return ""
	})

	reg.mu.Lock()
	reg.stall = map[string]bool{}
	reg.mu.Unlock()
	if imgs := e.images(); len(imgs) != 0 {
		t.Errorf("after a killed pull: want no image, got %+v", imgs)
	}
	e.must("image", "pull", ref)
	imgs := e.images()
	if len(imgs) != 1 || !contains(imgs[0].Names, ref) {
		t.Errorf("after re-pull: want one image named %s, got %+v", ref, imgs)
	}
	if out := e.must("run", "--rm", "--image", ref, "--", "wc", "-c", "/big"); !strings.Contains(out, strconv.Itoa(len(blob))) {
		t.Errorf("big layer after re-pull: %q", out)
	}
}

func TestImage_LockPinsAndUpdate(t *testing.T) {
	t.Parallel()
	e, reg, ref := imageEnv(t)
	os.WriteFile(filepath.Join(e.project, "devbox.toml"), []byte(fmt.Sprintf("image = %q\n", ref)), 0o644)
	// A throwaway run reads pins but never writes devbox.lock (issue 12).
	if out := e.must("run", "--rm", "--", "cat", "/etc/version"); out != "v1\n" {
		t.Fatalf("image from devbox.toml: /etc/version %q, want v1", out)
	}
	if _, err := os.Stat(filepath.Join(e.project, "devbox.lock")); err == nil {
		t.Errorf("devbox run --rm wrote devbox.lock")
	}
	e.must("run", "--", "true")
	e.must("rm", "--force", e.only().Name) // it would keep the old image in use
	lock, err := os.ReadFile(filepath.Join(e.project, "devbox.lock"))
	if err != nil {
		t.Fatalf("devbox.lock next to devbox.toml: %v", err)
	}
	old := e.images()[0].Digest
	if !strings.Contains(string(lock), old) {
		t.Errorf("devbox.lock lacks %s:\n%s", old, lock)
	}
	newDigest := checkPinHolds(t, e, reg, ref, old, "run", "--rm")
	if lock, _ := os.ReadFile(filepath.Join(e.project, "devbox.lock")); !strings.Contains(string(lock), newDigest) {
		t.Errorf("devbox.lock after update lacks %s:\n%s", newDigest, lock)
	}
	if out := e.must("image", "update"); !strings.Contains(out, "unchanged") {
		t.Errorf("second update: want unchanged:\n%s", out)
	}
	// The old image lost its tag: prune removes it (and keeps checkPinHolds'
	// other image).
	if out := e.must("image", "prune"); strings.Count(out, "removed") != 1 {
		t.Errorf("image prune: want the old image removed:\n%s", out)
	}
	for _, img := range e.images() {
		if img.Digest == old {
			t.Errorf("after prune: the old image is still there: %+v", img)
		}
	}
}

// A project without devbox.toml pins in the sandbox's state, not in the
// project directory.
func TestImage_PinWithoutConfig(t *testing.T) {
	t.Parallel()
	e, reg, ref := imageEnv(t)
	run := []string{"run", "--rm", "--image", ref}
	// Not --rm: a throwaway run never pins.
	if out := e.must("run", "--image", ref, "--", "cat", "/etc/version"); out != "v1\n" {
		t.Fatalf("--image without devbox.toml: /etc/version %q, want v1", out)
	}
	old := e.images()[0].Digest
	locks, _ := filepath.Glob(filepath.Join(e.data, "devbox", "sandboxes", "*", "devbox.lock"))
	if len(locks) != 1 {
		t.Fatalf("want one devbox.lock in the sandbox state (%s/devbox/sandboxes/NAME), got %v", e.data, locks)
	}
	if lock, _ := os.ReadFile(locks[0]); !strings.Contains(string(lock), old) {
		t.Errorf("%s lacks %s:\n%s", locks[0], old, lock)
	}
	newDigest := checkPinHolds(t, e, reg, ref, old, run...)
	if lock, _ := os.ReadFile(locks[0]); !strings.Contains(string(lock), newDigest) {
		t.Errorf("%s after update lacks %s:\n%s", locks[0], newDigest, lock)
	}
	if _, err := os.Stat(filepath.Join(e.project, "devbox.lock")); err == nil {
		t.Errorf("devbox wrote devbox.lock into a project without devbox.toml")
	}
}

// checkPinHolds moves ref's tag (test/bb:1 on reg, pinned at old by a first
// run) to a new image, v2, and pulls it, so that the store's tag names v2 as
// well; then it runs a sandbox on another image, so that the resolution
// devbox caches per sandbox no longer names v1. Sandboxes started by run (a
// fresh one each time, on ref) still get the pinned v1, by digest, until
// devbox image update, which must report old -> new; the next sandbox gets
// v2. It returns the new digest.
func checkPinHolds(t *testing.T, e *env, reg *testRegistry, ref, old string, run ...string) string {
	t.Helper()
	newDigest := reg.push(t, "test/bb:1", testImage(t, "v2"))
	if out := e.must("image", "pull", "-q", ref); !strings.Contains(out, newDigest) {
		t.Fatalf("pull of the moved tag: want %s:\n%s", newDigest, out)
	}
	version := append(append([]string{}, run...), "--", "cat", "/etc/version")
	// A run on another image replaces the sandbox's cached resolution: from
	// here on only the pin keeps v1.
	other := reg.host + "/test/other:1"
	reg.push(t, "test/other:1", testImage(t, "other"))
	if out := e.must("run", "--rm", "--image", other, "--", "cat", "/etc/version"); out != "other\n" {
		t.Fatalf("--image %s: /etc/version %q", other, out)
	}
	if out := e.must(version...); out != "v1\n" {
		t.Errorf("pinned at %s: /etc/version %q, want v1", old, out)
	}
	out := e.must("image", "update")
	if !strings.Contains(out, old+" -> "+newDigest) {
		t.Errorf("image update: want %s -> %s in:\n%s", old, newDigest, out)
	}
	if out := e.must(version...); out != "v2\n" {
		t.Errorf("after update: /etc/version %q, want v2", out)
	}
	return newDigest
}

func TestImage_FuseOverlayFallback(t *testing.T) {
	t.Parallel()
	if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
		testutil.Skip(t, "fuse-overlayfs needs /dev/fuse read-write for this user (%v): sudo chmod 0666 /dev/fuse", err)
	} else {
		f.Close()
	}
	testutil.RequireBinary(t, "fuse-overlayfs")
	for _, driver := range []string{"fuse-overlayfs", "vfs"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			e, _, ref := imageEnv(t)
			e.extra = append(e.extra, "DEVBOX_STORAGE_DRIVER="+driver)
			e.must("image", "pull", "-q", ref)
			checkImageContent(t, e, "--image", ref)
			e.must("run", "--user", "root", "--image", ref, "--", "touch", "/persisted")
			if driver == "fuse-overlayfs" {
				mounts := e.must("run", "--image", ref, "--", "cat", "/proc/self/mounts")
				if !strings.Contains(strings.SplitN(mounts, "\n", 2)[0], "fuse") {
					t.Errorf("root is not fuse-overlayfs:\n%s", mounts)
				}
			}
			name := e.only().Name
			e.must("stop", name)
			e.must("run", "--image", ref, "--", "test", "-e", "/persisted")
			e.must("stop", name)
			e.must("rm", name)
			if p := storeFile(e, "persisted"); p != "" {
				t.Errorf("devbox rm left the sandbox layer: %s", p)
			}
			if doc := e.must("doctor"); !strings.Contains(doc, driver) {
				t.Errorf("devbox doctor does not name driver %s:\n%s", driver, doc)
			}
		})
	}
}

// A store on tmpfs: from Linux 6.6 tmpfs keeps user xattrs and native
// overlay serves it; before, overlay cannot mark opaque dirs there, so the
// store must fall back (fuse-overlayfs or vfs), doctor must say why, and the
// image's whiteouts and opaque dirs must hold either way.
func TestImage_StoreOnTmpfs(t *testing.T) {
	t.Parallel()
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != 0x01021994 {
		testutil.Skip(t, "/dev/shm is not a tmpfs (statfs: %v)", err)
	}
	dir, err := os.MkdirTemp("/dev/shm", "dbx-store")
	if err != nil {
		testutil.Skip(t, "no dir of this user's on /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	xattrs := syscall.Setxattr(dir, "user.devbox-test", []byte("y"), 0) == nil
	e, _, ref := imageEnv(t)
	e.data = filepath.Join(dir, "data")
	e.must("image", "pull", "-q", ref)
	checkImageContent(t, e, "--image", ref)
	doc := e.must("doctor")
	var line string
	for _, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, " storage ") {
			line = l
		}
	}
	switch native := strings.HasPrefix(line, "ok "); {
	case xattrs && !native:
		t.Errorf("tmpfs with user xattrs: want native overlay, doctor says:\n%s", line)
	case !xattrs && (native || !strings.Contains(line, "user extended attributes")):
		t.Errorf("tmpfs without user xattrs: want a fallback and why, doctor says:\n%s", line)
	}
	t.Logf("user xattrs on tmpfs: %v; %s", xattrs, line)
}

func TestImage_PullProgressOnTerminal(t *testing.T) {
	t.Parallel()
	script := testutil.RequireBinary(t, "script") // util-linux: runs a command on a pty
	e, _, ref := imageEnv(t)
	cmd := exec.Command(script, "-qec", devboxBin+" image pull "+ref, "/dev/null")
	cmd.Dir, cmd.Env = e.project, e.environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pull on a terminal: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "\r\033[K") || !strings.Contains(string(out), "] 1.") {
		t.Errorf("pull on a terminal: want redrawn bars per layer:\n%q", out)
	}
}
