//go:build integration

package integration

// The strict profile's filesystem (issue 11): Landlock's writable paths,
// --require-strict, protected paths and deny_read.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/strict"
	"github.com/devbox-dev/devbox/internal/testutil"
)

// requireLandlock skips where the kernel cannot enforce the strict
// profile's rules.
func requireLandlock(t *testing.T) {
	t.Helper()
	if abi := strict.ABI(); abi < strict.FullABI {
		testutil.Skip(t, "this kernel's Landlock ABI is %d; the strict profile's rules need %d", abi, strict.FullABI)
	}
}

// TestStrict_LandlockLimitsWrites: a strict session writes the project,
// its home, /tmp, /var/tmp and its terminal, and nothing else, even where
// the mount is writable: a root session cannot write /run or /dev, which
// a default root session can.
func TestStrict_LandlockLimitsWrites(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "user = \"root\"\n")
	out := e.sh(`for p in "$PWD/f" "$HOME/f" /tmp/f /var/tmp/f /dev/shm/f; do echo x > "$p" && echo "ok $p"; done; echo x > /dev/null && echo ok null`)
	for _, p := range []string{e.project + "/f", "/tmp/f", "/var/tmp/f", "/dev/shm/f", "null"} {
		if !strings.Contains(out, "ok "+p+"\n") {
			t.Errorf("a strict session could not write %s:\n%s", p, out)
		}
	}
	if n := strings.Count(out, "ok "); n != 6 {
		t.Errorf("a strict session wrote %d of the 6 writable places (project, home, /tmp, /var/tmp, /dev/shm, /dev/null):\n%s", n, out)
	}
	if b, err := os.ReadFile(filepath.Join(e.project, "f")); err != nil || string(b) != "x\n" {
		t.Errorf("project file after the session: %q, %v", b, err)
	}
	for _, p := range []string{"/run/f", "/dev/f", "/dev/mqueue/f"} {
		r := e.run("run", "--", "sh", "-c", "echo x > "+p)
		if r.code == 0 || !strings.Contains(r.stderr, "ermission denied") {
			t.Errorf("a strict root session wrote %s: %s", p, r)
		}
	}
	d := newEnv(t)
	d.writeConfig("user = \"root\"\n")
	d.sh("echo x > /run/f")
}

// TestStrict_TCPConnectOnlyToProxy: with Landlock ABI 4, a strict session
// connects only to the proxy's port; a server inside on another port
// listens but cannot be reached.
func TestStrict_TCPConnectOnlyToProxy(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "")
	requireTool(t, e, "python3")
	out := e.sh(`python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.socket()
try:
    c.connect(s.getsockname()); print("connected")
except OSError as e:
    print("refused", e.errno)
p = socket.socket()
p.connect(("127.0.0.1", 3128)); print("proxy ok")
'`)
	if !strings.Contains(out, "refused 13") || !strings.Contains(out, "proxy ok") {
		t.Errorf("want the connect to the session's own server refused (EACCES) and the proxy reached:\n%s", out)
	}
}

// TestStrict_SignalsScopedToSession: with Landlock ABI 6, a session
// cannot signal a process of another session.
func TestStrict_SignalsScopedToSession(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "")
	e.sh("true")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--", "sleep", "300")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	waitForInside(t, e, "sleep 300")
	out := e.sh(`kill -0 $(pgrep -f "^sleep 300") 2>&1; echo status=$?; sleep 1 & kill -0 $! && echo own=ok`)
	if strings.Contains(out, "status=0") || !strings.Contains(out, "own=ok") {
		t.Errorf("want another session's process out of reach and the own one signalled:\n%s", out)
	}
}

// TestStrict_RequireStrict: --require-strict starts a strict sandbox
// where the kernel enforces all of it, and is refused (exit 125) for any
// other profile.
func TestStrict_RequireStrict(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "")
	r := e.run("run", "--require-strict", "--", "true")
	if r.code != 0 || strings.Contains(r.stderr, "not enforced") {
		t.Errorf("--require-strict on a kernel with Landlock ABI %d: %s", strict.ABI(), r)
	}
	d := newEnv(t)
	r = d.run("run", "--require-strict", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "security = \"strict\" only") {
		t.Errorf("--require-strict with the default profile: want exit 125 naming strict: %s", r)
	}
}
