//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// copyDevboxInto copies the binaries under test into dir/bin, where a
// sandbox of e sees them (the project is the one host directory it has).
func copyDevboxInto(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"devbox", "devbox-front", "devbox-engine", "devbox-supervisor", "devbox-init"} {
		src := filepath.Join(filepath.Dir(devboxBin), name)
		if _, err := os.Stat(src); err != nil {
			continue // devbox serves as its own init
		}
		if out, err := exec.Command("cp", src, bin).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v\n%s", name, err, out)
		}
	}
	return bin
}

// TestNested_DefaultNetwork: devbox inside a devbox sandbox gets the
// default user-mode network, since the sandbox has the host's
// /dev/net/tun: a run, a join of a running inner sandbox, and a port the
// inner sandbox publishes on the outer sandbox's 127.0.0.1.
func TestNested_DefaultNetwork(t *testing.T) {
	testutil.RequireBinary(t, "busybox")
	testutil.RequireBinary(t, "slirp4netns")
	if f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0); err != nil {
		testutil.Skip(t, "the host's /dev/net/tun does not open for this user (%v); test.sh makes it 0666", err)
	} else {
		f.Close()
	}
	t.Parallel()
	e := newEnv(t)
	copyDevboxInto(t, e.project)
	port := strconv.Itoa(freePort(t, "tcp"))
	script := `set -e
test -c /dev/net/tun && echo outer-tun
export XDG_RUNTIME_DIR=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d)
trap './bin/devbox stop --all --time 1s >/dev/null 2>&1' EXIT
./bin/devbox run --rm -- sh -c 'ip -o -4 addr show tap0 | grep -q " 10\.0\.2\." && echo run-ok'
./bin/devbox run --name inner -p 127.0.0.1:` + port + `:8080 -- sh -c 'mkdir -p /tmp/www && echo hello-inner >/tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www'
./bin/devbox run --name inner -- sh -c 'ip -o -4 addr show tap0 | grep -q " 10\.0\.2\." && echo join-ok; exit 7' || echo "join-exit=$?"
busybox wget -q -O - http://127.0.0.1:` + port + `/`
	// As root inside: the invoking user (the default) would run newuidmap,
	// whose setuid bit means nothing in a user namespace.
	r := e.run("run", "--user", "root", "--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("devbox inside devbox: %s", r)
	}
	for _, want := range []string{"outer-tun\n", "run-ok\n", "join-ok\n", "join-exit=7\n", "hello-inner\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%q missing: %s", want, r)
		}
	}
}

// TestNested_SelfSessionOwnIDOnly: devbox inside a devbox sandbox, in a
// session as the invoking user (the default): /etc/subuid names host ids
// the sandbox does not have and newuidmap's setuid bit means nothing in a
// user namespace, so the inner sandbox falls back to the single-id map
// with the warning that says why, and still gets the default network.
// (Named apart from test.sh's SingleID run, whose user has no subordinate
// ids to begin with.)
func TestNested_SelfSessionOwnIDOnly(t *testing.T) {
	testutil.RequireBinary(t, "slirp4netns")
	if os.Getuid() == 0 {
		testutil.Skip(t, "root's sessions are root inside (TestNested_DefaultNetwork covers them)")
	}
	if f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0); err != nil {
		testutil.Skip(t, "the host's /dev/net/tun does not open for this user (%v); test.sh makes it 0666", err)
	} else {
		f.Close()
	}
	t.Parallel()
	e := newEnv(t)
	copyDevboxInto(t, e.project)
	script := `set -e
export XDG_RUNTIME_DIR=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d)
trap './bin/devbox stop --all --time 1s >/dev/null 2>&1' EXIT
./bin/devbox run --name inner -- sh -c 'echo maps=$(wc -l </proc/self/uid_map) uid=$(id -u); ip -o -4 addr show tap0 | grep -q " 10\.0\.2\." && echo net-ok'
./bin/devbox run --name inner -- sh -c 'exit 7' || echo "join-exit=$?"`
	r := e.run("run", "--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("devbox inside devbox as the invoking user: %s", r)
	}
	want := "maps=1 uid=" + strconv.Itoa(os.Getuid()) + "\n"
	for _, w := range []string{want, "net-ok\n", "join-exit=7\n"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("%q missing: %s", w, r)
		}
	}
	for _, w := range []string{"lacks your subordinate ids", "setuid bit means nothing", "only your own id is mapped", "--user root"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("warning lacks %q:\n%s", w, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "Operation not permitted") {
		t.Errorf("the inner start hit newuidmap's EPERM:\n%s", r.stderr)
	}
}
