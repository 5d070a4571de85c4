//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The front (devbox-front, which devbox hands what it does not join itself)
// joins a running sandbox by itself, starts a host-view one with
// devbox-supervisor next to it, and hands everything else to devbox-engine
// next to it: without the binary a command needs, devbox fails with its
// own status and says what to install.
func TestFront_JoinsAloneAndNamesAMissingEngine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.run("run", "--", "true"); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	dir := t.TempDir()
	copyFile(t, devboxBin, filepath.Join(dir, "devbox"))
	for _, b := range []string{"devbox-front", "devbox-init"} {
		copyFile(t, filepath.Join(filepath.Dir(devboxBin), b), filepath.Join(dir, b))
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	front := func(args ...string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "devbox"), args...)
		cmd.Dir, cmd.Env = e.project, e.environ()
		return collect(t, ctx, cmd, "front devbox "+strings.Join(args, " "))
	}
	if r := front("run", "--", "sh", "-c", "echo joined; exit 3"); r.code != 3 || r.stdout != "joined\n" {
		t.Errorf("join through the front alone: want exit 3 and \"joined\"; %s", r)
	}
	for _, c := range []struct {
		args    []string
		missing string
	}{
		{[]string{"ps"}, "devbox-engine"},
		{[]string{"run", "--help"}, "devbox-engine"},
		{[]string{"run", "--rm", "--", "true"}, "devbox-supervisor"},
		{[]string{"run", "--name", "other", "--", "true"}, "devbox-supervisor"},
	} {
		r := front(c.args...)
		want := filepath.Join(real, c.missing) // as /proc/self/exe names it
		if r.code != 125 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "./install.sh") {
			t.Errorf("devbox %s without %s: want exit 125 naming %s and ./install.sh; %s", strings.Join(c.args, " "), c.missing, want, r)
		}
	}
	os.Remove(filepath.Join(dir, "devbox-front"))
	if r := front("ps"); r.code != 125 || !strings.Contains(r.stderr, filepath.Join(real, "devbox-front")) || !strings.Contains(r.stderr, "./install.sh") {
		t.Errorf("devbox ps without devbox-front: want exit 125 naming it and ./install.sh; %s", r)
	}
}

// An image sandbox's join through the front alone: its session gets the
// image's Env and WorkingDir from the state the supervisor recorded, with
// no lookup in the store.
func TestFront_JoinsImageSandboxAlone(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	e.must("run", "--image", ref, "--", "true")
	dir := t.TempDir()
	copyFile(t, devboxBin, filepath.Join(dir, "devbox"))
	copyFile(t, filepath.Join(filepath.Dir(devboxBin), "devbox-front"), filepath.Join(dir, "devbox-front"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "devbox"), "run", "--image", ref, "--", "/bin/sh", "-c", "echo $FOO")
	cmd.Dir, cmd.Env = e.project, e.environ()
	r := collect(t, ctx, cmd, "front devbox run --image")
	if r.code != 0 || r.stdout != "from-image\n" {
		t.Errorf("image join through the front alone: want the image's FOO; %s", r)
	}
}
