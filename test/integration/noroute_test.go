//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
	"github.com/devbox-dev/devbox/slirpnet"
)

// noRouteScript runs a shell script, with $DEVBOX the binary under test and
// $OUT a directory for its findings, in a network namespace the test makes:
// only lo, up, and so no default route, as on an offline machine or in
// test/vm's guest.
//
// The namespace needs a user namespace of its own (unshare
// --map-root-user), and devbox must then run nested, as a plain user again
// (a second unshare maps the same uid back): as root it would write a full
// id map, which a namespace with one id cannot give. newuidmap cannot work
// nested either (its setuid bit means nothing there), so PATH is bin, which
// lacks it, and devbox takes its single-id fallback.
func noRouteScript(t *testing.T, e *env, bin, script string) (result, string) {
	t.Helper()
	testutil.RequireBinary(t, "unshare")
	testutil.RequireBinary(t, "ip")
	if os.Getuid() == 0 {
		testutil.Skip(t, "runs devbox as a plain user in a nested user namespace; run as a user (test.sh does)")
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	inner := fmt.Sprintf("exec unshare --user --map-user=%d --map-group=%d sh -ec \"$0\"", os.Getuid(), os.Getgid())
	cmd := exec.CommandContext(ctx, "unshare", "--user", "--map-root-user", "--net", "sh", "-ec",
		"ip link set lo up; "+inner, `trap '"$DEVBOX" stop --all --time 1s >/dev/null 2>&1' EXIT`+"\n"+script)
	cmd.Dir = e.project
	cmd.Env = append(e.environ(), "PATH="+bin, "DEVBOX="+devboxBin, "OUT="+out,
		"XDG_CACHE_HOME="+filepath.Join(out, "cache"))
	r := collect(t, ctx, cmd, "script without a default route")
	if strings.Contains(r.stderr, "unshare: ") {
		testutil.Skip(t, "cannot make a network namespace inside a user namespace here:\n%s", r.stderr)
	}
	return r, out
}

// routeCheck records the namespace's route table, for requireNoRoute.
const routeCheck = `cat /proc/net/route >"$OUT/route"` + "\n"

// requireNoRoute fails unless the script ran without a default route.
func requireNoRoute(t *testing.T, out string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "route"))
	if err != nil {
		t.Fatalf("the script did not record its route table: %v", err)
	}
	if slirpnet.DefaultRoute4(string(b)) {
		t.Fatalf("the test namespace has a default route:\n%s", b)
	}
}

// TestNetwork_PastaWithoutDefaultRoute: Debian 12's pasta finds no template
// interface without a default route ("No external routable interface for
// IPv4") and exits; devbox names lo as its template, so the sandbox gets its
// network, and published ports and --allow-host-loopback work.
func TestNetwork_PastaWithoutDefaultRoute(t *testing.T) {
	requireDriver(t, "pasta")
	testutil.RequireBinary(t, "busybox")
	t.Parallel()
	e := newEnv(t)
	bin := fakeBinWithout(t, filepath.Join(e.project, ".bin"), "newuidmap", "newgidmap")
	// The sandbox writes into the project, the one host directory it sees.
	inner := "ip route >.inside-route && mkdir -p /tmp/www && echo hello-from-$(hostname) >/tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www"
	// busybox wget, not curl: busybox is what startHTTPInside needs anyway.
	// No -T: Debian 12's busybox wget crashes with it on a refused connection.
	r, out := noRouteScript(t, e, bin, routeCheck+`
"$DEVBOX" run --network pasta --hostname offline -p 18080:8080 -- sh -c '`+inner+`'
for i in $(seq 50); do
	busybox wget -q -O "$OUT/body" http://127.0.0.1:18080/ && break
	sleep 0.1
done
"$DEVBOX" stop
mkdir "$OUT/www" && echo host-side >"$OUT/www/index.html"
busybox httpd -f -p 127.0.0.1:18081 -h "$OUT/www" & httpd=$!
"$DEVBOX" run --network pasta --allow-host-loopback -- busybox wget -q -O - http://host.devbox.internal:18081/ >"$OUT/host-body" || true
kill $httpd
`)
	requireNoRoute(t, out)
	if r.code != 0 {
		t.Fatalf("devbox run --network pasta without a default route: %s", r)
	}
	inside, _ := os.ReadFile(filepath.Join(e.project, ".inside-route"))
	if !strings.Contains(string(inside), "default via 10.0.2.2 dev tap0") {
		t.Errorf("routes inside the sandbox:\n%s\nwant default via 10.0.2.2 dev tap0", inside)
	}
	if body, _ := os.ReadFile(filepath.Join(out, "body")); strings.TrimSpace(string(body)) != "hello-from-offline" {
		t.Errorf("published port without a default route served %q, want hello-from-offline\n%s", body, r)
	}
	if body, _ := os.ReadFile(filepath.Join(out, "host-body")); strings.TrimSpace(string(body)) != "host-side" {
		t.Errorf("with --allow-host-loopback and no default route, host.devbox.internal served %q, want host-side\n%s", body, r)
	}
}

// TestNetwork_DefaultDriverWithoutDefaultRoute: with only pasta installed
// and no default route, the default network still starts.
func TestNetwork_DefaultDriverWithoutDefaultRoute(t *testing.T) {
	requireDriver(t, "pasta")
	t.Parallel()
	e := newEnv(t)
	bin := fakeBinWithout(t, filepath.Join(e.project, ".bin"), "newuidmap", "newgidmap", "slirp4netns")
	r, out := noRouteScript(t, e, bin, routeCheck+`"$DEVBOX" run -- ip route`)
	requireNoRoute(t, out)
	if r.code != 0 || !strings.Contains(r.stdout, "default via 10.0.2.2") {
		t.Fatalf("default network with only pasta and no default route: %s", r)
	}
}

// fakePasta is a pasta that answers the feature probe and then fails as
// Debian 12's does without a default route, for the error devbox gives when
// a pasta cannot start even with lo as its template.
const fakePasta = `#!/bin/sh
case "$1" in
--version) echo "pasta test-double"; exit 0 ;;
--help) echo "  --config-net		Configure tap interface in namespace"; exit 0 ;;
esac
echo "No external routable interface for IPv4" >&2
echo "External interface not usable" >&2
exit 1
`

// TestNetwork_PastaFailingWithoutDefaultRouteIsAClearError: --network pasta
// asked for explicitly fails with 125 and says what failed, why, and which
// --network to use instead.
func TestNetwork_PastaFailingWithoutDefaultRouteIsAClearError(t *testing.T) {
	requireDriver(t, "pasta")
	t.Parallel()
	e := newEnv(t)
	bin := fakeBinWithout(t, filepath.Join(e.project, ".bin"), "newuidmap", "newgidmap", "pasta")
	if err := os.WriteFile(filepath.Join(bin, "pasta"), []byte(fakePasta), 0o755); err != nil {
		t.Fatal(err)
	}
	r, out := noRouteScript(t, e, bin, routeCheck+`"$DEVBOX" run --network pasta -- true`)
	requireNoRoute(t, out)
	if r.code != 125 {
		t.Fatalf("devbox run --network pasta with a failing pasta: want exit 125, got %s", r)
	}
	for _, s := range []string{"start pasta", "no default route", "External interface not usable", "--network slirp4netns", "--network none"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("error lacks %q:\n%s", s, r.stderr)
		}
	}
}
