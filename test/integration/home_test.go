//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 12: a sandbox that feels like home.

// toolDir makes a directory holding an executable NAME that prints
// "NAME-ok", under parent, and returns it.
func toolDir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, "tools-"+name, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\necho "+name+"-ok\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Found: Go at /usr/local/go/bin was on the host PATH, but `devbox run --
// go version` gave 127. A host PATH entry the sandbox shows reaches run;
// one it does not show is dropped.
func TestHome_HostPathReachesRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shown := toolDir(t, e.project, "hosttool")
	hidden := filepath.Join(t.TempDir(), "not-inside")
	if err := os.MkdirAll(hidden, 0o755); err != nil {
		t.Fatal(err)
	}
	e.path = shown + ":" + hidden + ":" + e.path
	if out := e.must("run", "--", "hosttool"); out != "hosttool-ok\n" {
		t.Errorf("devbox run -- hosttool: got %q", out)
	}
	path := e.sh(`echo "$PATH"`)
	if !strings.HasPrefix(path, shown+":") || strings.Contains(path, hidden) {
		t.Errorf("PATH inside = %q: want the host's, starting with %s, without %s", path, shown, hidden)
	}
}

// Found: [env] PATH fixed run but not enter, whose login shell resets PATH
// through /etc/profile. The rc files put the host PATH back, in sh and bash.
func TestHome_HostPathSurvivesLoginShell(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"/bin/sh", "/bin/bash"} {
		t.Run(filepath.Base(sh), func(t *testing.T) {
			if _, err := os.Stat(sh); err != nil {
				t.Skipf("%s is not installed here", sh)
			}
			e := newEnv(t)
			e.writeConfig("shell = \"" + sh + "\"\n")
			shown := toolDir(t, e.project, "logintool")
			e.path = shown + ":" + e.path
			tm := newTmux(t, e, 200, 30, "enter")
			tm.waitFor(promptRE, 15*time.Second)
			tm.roundTrip("ready")
			tm.send("logintool; echo \"path=$PATH\"", true)
			scr := tm.waitFor(`(?m)^path=`, 10*time.Second)
			if !strings.Contains(scr, "logintool-ok") || !strings.Contains(scr, "path="+shown+":") {
				t.Errorf("in the login shell the host PATH is lost:\n%s", scr)
			}
		})
	}
}
