//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
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
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Fixtures of the image tests: the test image built from busybox, a
// registry on 127.0.0.1 to push it to, envs with their own store, and the
// checks of what a sandbox sees of an image.

// The test image, built here from Debian's busybox-static:
//
//	layer 1: /bin/busybox and applet links, /etc/passwd, /etc/version,
//	         /etc/gone, /data/opaque/{old1,old2}, /data/hl-target
//	layer 2: whiteout of /etc/gone, /data/opaque made opaque with new1,
//	         /data/hl hard-linked to layer 1's /data/hl-target, the symlink
//	         /data/sym, /home/user/owned owned by 1000:1000
//	config:  Env FOO=from-image, WorkingDir /data, Cmd /bin/sh
//
// version is written to /etc/version so that pins can tell images apart.

const busyboxPath = "/bin/busybox"

var applets = []string{"sh", "ls", "cat", "stat", "id", "readlink", "test", "echo", "true", "touch", "chown", "pwd", "env", "wc", "rm", "mkdir", "sleep"}

type tarEntry struct {
	name     string
	typ      byte
	mode     int64
	uid, gid int
	body     []byte
	link     string
}

func dirEntry(name string) tarEntry { return tarEntry{name: name, typ: tar.TypeDir, mode: 0o755} }
func fileEntry(name, body string) tarEntry {
	return tarEntry{name: name, typ: tar.TypeReg, mode: 0o644, body: []byte(body)}
}

func tarBytes(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.link, Size: int64(len(e.body)), ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write(e.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerOf(t *testing.T, b []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// baseEntries is layer 1's content.
func baseEntries(t *testing.T) []tarEntry {
	t.Helper()
	bb, err := os.ReadFile(busyboxPath)
	if err != nil {
		testutil.Skip(t, "busybox-static not installed (%v): apt-get install busybox-static", err)
	}
	es := []tarEntry{dirEntry("bin"), dirEntry("etc"), dirEntry("tmp"), dirEntry("root"), dirEntry("home"), dirEntry("data"), dirEntry("data/opaque"),
		{name: "bin/busybox", typ: tar.TypeReg, mode: 0o755, body: bb}}
	es[2].mode = 0o1777
	for _, a := range applets {
		es = append(es, tarEntry{name: "bin/" + a, typ: tar.TypeSymlink, mode: 0o777, link: "busybox"})
	}
	return append(es,
		fileEntry("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n"),
		fileEntry("etc/group", "root:x:0:\nuser:x:1000:\n"),
		fileEntry("etc/gone", "this file is whited out by layer 2\n"),
		fileEntry("data/opaque/old1", "hidden by the opaque dir\n"),
		fileEntry("data/opaque/old2", "hidden by the opaque dir\n"),
		fileEntry("data/hl-target", "hard linked\n"),
	)
}

// topEntries is layer 2's content.
func topEntries(version string) []tarEntry {
	return []tarEntry{
		dirEntry("etc"), dirEntry("data"), dirEntry("data/opaque"), dirEntry("home"),
		{name: "etc/.wh.gone", typ: tar.TypeReg, mode: 0o644},
		{name: "data/opaque/.wh..wh..opq", typ: tar.TypeReg, mode: 0o644},
		fileEntry("data/opaque/new1", "new\n"),
		{name: "data/hl", typ: tar.TypeLink, link: "data/hl-target"},
		{name: "data/sym", typ: tar.TypeSymlink, mode: 0o777, link: "../etc/version"},
		{name: "home/user", typ: tar.TypeDir, mode: 0o755, uid: 1000, gid: 1000},
		{name: "home/user/owned", typ: tar.TypeReg, mode: 0o644, uid: 1000, gid: 1000, body: []byte("mine\n")},
		fileEntry("etc/version", version+"\n"),
	}
}

// testImage builds the two-layer test image (plus extra layers).
func testImage(t *testing.T, version string, extra ...[]tarEntry) v1.Image {
	t.Helper()
	layers := []v1.Layer{layerOf(t, tarBytes(t, baseEntries(t))), layerOf(t, tarBytes(t, topEntries(version)))}
	for _, es := range extra {
		layers = append(layers, layerOf(t, tarBytes(t, es)))
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = []string{"PATH=/bin", "FOO=from-image"}
	cf.Config.WorkingDir = "/data"
	cf.Config.Cmd = []string{"/bin/sh"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// testRegistry is an in-process registry on 127.0.0.1. A blob digest put in
// stall is served half and then held until the client goes away. With
// basic set (requireAuth), every request needs those credentials.
type testRegistry struct {
	srv     *httptest.Server
	host    string
	mu      sync.Mutex
	stall   map[string]bool
	stalled chan string
	basic   *authn.Basic
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{stall: map[string]bool{}, stalled: make(chan string, 4)}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.authorized(req) {
			w.Header().Set("WWW-Authenticate", `Basic realm="devbox-test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		if d := r.stalledBlob(req); d != "" {
			r.serveHalf(w, req, inner, d)
			return
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

// requireAuth makes the registry answer 401 to requests without HTTP basic
// auth as user:pass, as a private registry does.
func (r *testRegistry) requireAuth(user, pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.basic = &authn.Basic{Username: user, Password: pass}
}

func (r *testRegistry) authorized(req *http.Request) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.basic == nil {
		return true
	}
	u, p, ok := req.BasicAuth()
	return ok && u == r.basic.Username && p == r.basic.Password
}

func (r *testRegistry) stalledBlob(req *http.Request) string {
	if req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/blobs/") {
		return ""
	}
	d := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stall[d] {
		return d
	}
	return ""
}

func (r *testRegistry) serveHalf(w http.ResponseWriter, req *http.Request, inner http.Handler, d string) {
	rec := httptest.NewRecorder()
	inner.ServeHTTP(rec, req)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	r.stalled <- d
	select { // until the client goes; bounded so that Close never hangs
	case <-req.Context().Done():
	case <-time.After(30 * time.Second):
	}
}

func (r *testRegistry) push(t *testing.T, repoTag string, img v1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(r.host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	auth := authn.Authenticator(authn.Anonymous)
	if r.basic != nil {
		auth = r.basic
	}
	r.mu.Unlock()
	if err := remote.Write(ref, img, remote.WithAuth(auth)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, _ := img.Digest()
	return d.String()
}

// newStoreEnv is newEnv whose image store is removed at the end: its files
// belong to subordinate ids, so removing them takes a user namespace with
// the same mapping (util-linux unshare --map-auto).
func newStoreEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	t.Cleanup(func() {
		e.run("stop", "--all", "--time", "1s")
		store := filepath.Join(e.data, "devbox", "storage")
		if out, err := exec.Command("unshare", "--map-root-user", "--map-auto", "rm", "-rf", store).CombinedOutput(); err != nil {
			t.Logf("remove image store: %v: %s", err, out)
		}
	})
	return e
}

// imageEnv is an env with its own store, a registry and the test image
// pushed as test/bb:1.
func imageEnv(t *testing.T) (*env, *testRegistry, string) {
	t.Helper()
	e := newStoreEnv(t)
	reg := newRegistry(t)
	ref := reg.host + "/test/bb:1"
	reg.push(t, "test/bb:1", testImage(t, "v1"))
	return e, reg, ref
}

// mustFail runs devbox, wants exit 125 and stderr containing each of want.
func (e *env) mustFail(want []string, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 125 {
		e.t.Fatalf("devbox %s: want exit 125, got %s", strings.Join(args, " "), r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			e.t.Fatalf("devbox %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, r.stderr)
		}
	}
	return r
}

func (e *env) images() []imageEntry {
	e.t.Helper()
	out := e.must("image", "ls", "--json")
	var list []imageEntry
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		e.t.Fatalf("devbox image ls --json: %v\n%s", err, out)
	}
	return list
}

type imageEntry struct {
	ID     string   `json:"id"`
	Names  []string `json:"names"`
	Digest string   `json:"digest"`
}

// checkImageContent checks the test image's layers as the sandbox sees
// them: contents, whiteout, opaque dir, hard link, symlink, ownership.
func checkImageContent(t *testing.T, e *env, args ...string) {
	t.Helper()
	script := `set -e
cat /etc/version
test ! -e /etc/gone && echo gone-whited-out
echo opaque: $(ls /data/opaque)
echo links=$(stat -c %h /data/hl) same=$(test "$(stat -c %i /data/hl)" = "$(stat -c %i /data/hl-target)" && echo yes)
readlink /data/sym
cat /data/sym
stat -c %u:%g /home/user/owned
stat -c %u:%g /bin/busybox
echo FOO=$FOO`
	// As root: the ids are checked as the image's root sees them.
	out := e.must(append(append([]string{"run", "--user", "root"}, args...), "--", "/bin/sh", "-c", script)...)
	for _, want := range []string{"gone-whited-out", "links=2 same=yes", "../etc/version", "1000:1000", "0:0", "FOO=from-image"} {
		if !strings.Contains(out, want) {
			t.Errorf("image content: want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "old1") || !strings.Contains(out, "new1") {
		t.Errorf("opaque dir: want only new1 in /data/opaque:\n%s", out)
	}
}

// subuidBase is the first subordinate uid of the current user.
func subuidBase(t *testing.T) int {
	t.Helper()
	name, uid, _ := currentUser(t)
	b, _ := os.ReadFile("/etc/subuid")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 3 && (f[0] == name || f[0] == strconv.Itoa(int(uid))) {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	testutil.Skip(t, "no subuid range for %s: image ownership needs one", name)
	return 0
}

func ownerOf(t *testing.T, path string) int {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return int(st.Uid)
}

// storeFile finds rel (e.g. "home/user/owned") in a layer of the env's
// store; "" when no layer has it.
func storeFile(e *env, rel string) string {
	for _, pat := range []string{"overlay/*/diff/", "vfs/dir/*/"} {
		m, _ := filepath.Glob(filepath.Join(e.data, "devbox", "storage", pat, rel))
		if len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// removeLastImage removes ref, which must leave the store without images.
func (e *env) removeLastImage(ref string) {
	e.t.Helper()
	e.must("image", "rm", ref)
	if imgs := e.images(); len(imgs) != 0 {
		e.t.Errorf("after image rm: %+v", imgs)
	}
}

func childrenOf(pid int) []int {
	var out []int
	for _, p := range hostProcs() {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p.pid)
		}
	}
	return out
}
