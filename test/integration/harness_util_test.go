//go:build integration

package integration

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/testutil"
)

// Helpers the integration tests share: the test binary as a socket client
// (helperMain, run by TestMain), copying files, waiting on processes inside
// a sandbox, network drivers and fake PATHs.

// helperEnv makes the test binary act as a socket client instead of running
// tests: it dials the socket named by the variable's value, asks for a
// session and prints what happened.
const helperEnv = "DEVBOX_IT_DIAL"

func helperMain() bool {
	sock := os.Getenv(helperEnv)
	if sock == "" {
		return false
	}
	fmt.Println(tryJoin(sock))
	os.Exit(0)
	return true
}

// tryJoin connects to sock and asks for a session, then for a stop; it
// returns "connect: ...", "refused: ..." or "accepted".
func tryJoin(sock string) string {
	c, err := proto.Dial(sock)
	if err != nil {
		return "connect: " + err.Error()
	}
	defer c.Close()
	if err := c.Send(proto.Spawn{Argv: []string{"/bin/true"}, Env: []string{"PATH=/usr/bin:/bin"}, Cwd: "/", TTY: true, Rows: 24, Cols: 80}); err != nil {
		return "refused: send: " + err.Error()
	}
	msg, files, err := c.Recv()
	for _, f := range files {
		f.Close()
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "refused: closed"
		}
		return "refused: " + err.Error()
	}
	if m, ok := msg.(proto.Error); ok {
		return "refused: " + m.Msg
	}
	return "accepted: " + msg.Kind()
}

// copyFile copies src to dst with mode 0755. The copy is written by
// another process (install(1)): a file this test
// process held open for writing could be inherited by a child that a
// parallel test forks meanwhile, and executing the copy would then fail
// with "text file busy" until that child execs (golang.org/issue/22315).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("install", "-m", "0755", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("install %s %s: %v\n%s", src, dst, err, out)
	}
}

// waitForInside waits until a process whose args are args runs in the env's
// sandbox, as a second session's ps sees it.
func waitForInside(t *testing.T, e *env, args string) {
	t.Helper()
	eventually(t, 10*time.Second, func() string {
		r := e.run("run", "--", "ps", "-e", "-o", "args=")
		if r.code == 0 && hasLine(r.stdout, args) {
			return ""
		}
		return "no process " + args + " inside:\n" + r.String()
	})
}

// waitGoneInside waits until no process with args runs in the sandbox.
func waitGoneInside(t *testing.T, e *env, args string) {
	t.Helper()
	eventually(t, 5*time.Second, func() string {
		r := e.run("run", "--", "ps", "-e", "-o", "args=")
		if r.code == 0 && !hasLine(r.stdout, args) {
			return ""
		}
		return "process " + args + " still inside:\n" + r.String()
	})
}

func requireDriver(t *testing.T, driver string) {
	t.Helper()
	testutil.RequireBinary(t, driver)
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		testutil.Skip(t, "%s needs /dev/net/tun read-write (sudo chmod 0666 /dev/net/tun): %v", driver, err)
	}
	f.Close()
}

// startHTTPInside serves "hello from NAME" on port 8080 inside the sandbox.
func startHTTPInside(t *testing.T, e *env, args ...string) {
	t.Helper()
	testutil.RequireBinary(t, "busybox")
	script := "mkdir -p /tmp/www && echo hello-from-$(hostname) > /tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www"
	e.must(append(append([]string{"run"}, args...), "--", "sh", "-c", script)...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fakeBinWithout fills dir with symlinks to every command in the usual bin
// directories except the ones named, and returns dir.
func fakeBinWithout(t *testing.T, dir string, without ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{}
	for _, w := range without {
		skip[w] = true
	}
	for _, src := range []string{"/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"} {
		ents, err := os.ReadDir(src)
		if err != nil {
			continue
		}
		for _, d := range ents {
			if skip[d.Name()] {
				continue
			}
			link := filepath.Join(dir, d.Name())
			if _, err := os.Lstat(link); err == nil {
				continue
			}
			if err := os.Symlink(filepath.Join(src, d.Name()), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// alive: the process exists and is not a zombie (host PID 1 here does not
// reap).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}
