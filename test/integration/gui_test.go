//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// startXvfb starts Xvfb on a free display number and returns ":N".
func startXvfb(t *testing.T, xvfb string) string {
	t.Helper()
	for n := 90 + os.Getpid()%50; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.Command(xvfb, display, "-nolisten", "tcp", "-screen", "0", "320x240x24")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return display
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb %s did not create its socket", display)
	}
	t.Fatal("no free X display number")
	return ""
}
