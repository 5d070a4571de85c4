//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// With gui = true an X11 program inside reaches the host's display: a real
// Xvfb server started by the test, through its socket in /tmp/.X11-unix
// (the sandbox has its own network namespace, so only the socket file works).
func TestConfig_GUIReachesHostDisplay(t *testing.T) {
	xvfb := testutil.RequireBinary(t, "Xvfb")
	testutil.RequireBinary(t, "xdpyinfo")
	display := startXvfb(t, xvfb)
	e := newEnv(t)
	e.extra = append(e.extra, "DISPLAY="+display)
	e.writeTrusted("gui = true\n")
	out := e.must("run", "--", "sh", "-c", "echo DISPLAY=$DISPLAY; xdpyinfo | grep -E '(name of display|dimensions)'")
	if !strings.Contains(out, "DISPLAY="+display) || !strings.Contains(out, "320x240 pixels") {
		t.Fatalf("xdpyinfo inside with gui = true:\n%s", out)
	}
	// Without gui, the display stays out.
	e2 := newEnv(t)
	e2.extra = append(e2.extra, "DISPLAY="+display)
	if r := e2.run("run", "--", "xdpyinfo"); r.code == 0 {
		t.Errorf("xdpyinfo reached the display without gui = true:\n%s", r)
	}
}

// startXvfb starts Xvfb on a free display number and returns ":N". A
// number whose socket or lock file exists is taken (perhaps by a server
// killed without its cleanup); one where Xvfb exits before its socket
// appears is skipped too. The cleanup stops the server with SIGTERM, on
// which Xvfb removes both files, and removes whichever is left.
func startXvfb(t *testing.T, xvfb string) string {
	t.Helper()
	for n := 90 + os.Getpid()%50; n < 200; n++ {
		sock, lock := fmt.Sprintf("/tmp/.X11-unix/X%d", n), fmt.Sprintf("/tmp/.X%d-lock", n)
		if exists(sock) || exists(lock) {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.Command(xvfb, display, "-nolisten", "tcp", "-screen", "0", "320x240x24")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { stopXvfb(cmd, exited, sock, lock) })
		if awaitSocket(sock, exited) {
			return display
		}
	}
	t.Fatal("no free X display number in 90-199: each has a socket in /tmp/.X11-unix or a /tmp/.X*-lock file")
	return ""
}

// awaitSocket waits up to 5 s for Xvfb's socket, and reports false at once
// when the server exits first.
func awaitSocket(sock string, exited <-chan struct{}) bool {
	for i := 0; i < 100; i++ {
		if exists(sock) {
			return true
		}
		select {
		case <-exited:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

// stopXvfb ends the server (SIGTERM, then SIGKILL after 5 s) and removes
// its socket and lock file if it left them.
func stopXvfb(cmd *exec.Cmd, exited <-chan struct{}, sock, lock string) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	os.Remove(sock)
	os.Remove(lock)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
