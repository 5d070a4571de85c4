//go:build integration

package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// throwawayLayers lists the --rm sandbox layers the env's store holds.
func throwawayLayers(e *env) []string {
	m, _ := filepath.Glob(filepath.Join(e.data, "devbox", "storage", "devbox-ephemeral", "*", "diff"))
	return m
}

// startThrowaway starts `devbox run --rm --image ref -- sleep 60` in the
// background and returns its sandbox's name once it runs.
func startThrowaway(t *testing.T, e *env, ref string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := e.command(ctx, "run", "--rm", "--image", ref, "--", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	var name string
	eventually(t, 10*time.Second, func() string {
		for _, p := range e.ps() {
			if strings.Contains(p.Name, "-rm-") && p.Sessions > 0 {
				name = p.Name
				return ""
			}
		}
		return "no running --rm sandbox yet"
	})
	return name, stop
}

// A --rm sandbox on an image writes into a layer of its own that goes
// with it, files of subordinate ids included, and leaves no container in
// the store: the image can be removed right after.
func TestImage_ThrowawayLayerGoesWithTheSandbox(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	e.must("image", "pull", ref)
	out := e.must("run", "--user", "root", "--rm", "--image", ref, "--", "/bin/sh", "-c",
		"mkdir -p /d/e && echo x >/d/e/f && chown -R 1000:1000 /d && chmod 700 /d && rm /etc/version && stat -c %a / && cat /d/e/f")
	// / keeps the image root's mode, as in a persistent sandbox's layer.
	root := e.must("run", "--name", "keep", "--image", ref, "--", "stat", "-c", "%a", "/")
	e.must("stop", "keep")
	e.must("rm", "keep")
	if out != root+"x\n" {
		t.Fatalf("write in the layer: got %q, want the root's mode %q then x", out, root)
	}
	if out := e.must("run", "--rm", "--image", ref, "--", "cat", "/etc/version"); out != "v1\n" {
		t.Errorf("a second --rm sandbox sees the first one's changes: /etc/version %q", out)
	}
	eventually(t, 5*time.Second, func() string {
		if l := throwawayLayers(e); len(l) > 0 {
			return "throwaway layers left: " + strings.Join(l, " ")
		}
		return ""
	})
	e.must("image", "rm", ref)
}

// A --rm start whose image the store resolved before needs no lookup in the
// store (no helper, no devbox-engine client: the front starts it), and a
// change to the store (a pull that moves the tag, a removal) sends the next
// start back to the store.
func TestImage_ThrowawayStartsFromTheResolutionCache(t *testing.T) {
	t.Parallel()
	e, reg, ref := imageEnv(t)
	e.must("image", "pull", ref)
	version := func(want string, cached bool) {
		t.Helper()
		r := e.run("run", "--trace", "--rm", "--image", ref, "--", "cat", "/etc/version")
		if r.code != 0 || r.stdout != want+"\n" {
			t.Fatalf("/etc/version: want %s; %s", want, r)
		}
		looked := strings.Contains(r.stderr, "client: helper image-lookup")
		if hit := strings.Contains(r.stderr, "client: image lookup (cached)") && !looked; hit != cached {
			t.Errorf("resolved from the cache: %v, want %v; trace:\n%s", hit, cached, r.stderr)
		}
	}
	version("v1", false) // the lookup in the store fills the cache
	version("v1", true)
	reg.push(t, "test/bb:1", testImage(t, "v2"))
	e.must("image", "pull", "-q", ref)
	version("v2", false)
	version("v2", true)
	e.must("image", "rm", ref)
	version("v2", false) // pulled again
}

// image rm waits for, then refuses, an image a running --rm sandbox uses;
// once the sandbox ends it succeeds.
func TestImage_RemoveRefusesImageOfRunningThrowaway(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	e.must("image", "pull", ref)
	name, stop := startThrowaway(t, e, ref)
	e.mustFail([]string{"throwaway sandbox", "uses it"}, "image", "rm", ref)
	e.must("stop", name)
	stop()
	e.removeLastImage(ref)
}

// A --rm sandbox whose supervisor was killed leaves its layer; the next
// --rm start on the store sweeps it away.
func TestImage_KilledThrowawayLayerIsSwept(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	e.must("image", "pull", ref)
	name, stop := startThrowaway(t, e, ref)
	st := e.readState(name)
	if err := syscall.Kill(st.Supervisor, syscall.SIGKILL); err != nil {
		t.Fatalf("kill supervisor %d: %v", st.Supervisor, err)
	}
	stop()
	killed := filepath.Join(e.data, "devbox", "storage", "devbox-ephemeral", name, "diff")
	if l := throwawayLayers(e); len(l) != 1 || l[0] != killed {
		t.Fatalf("after kill -9: want the dead sandbox's layer %s, got %v", killed, l)
	}
	// The next start sweeps a layer whose sandbox is gone; one that comes
	// while the killed sandbox's init still exits (pdeathsig) finds it in
	// use, so each try starts another. A start's own layer goes after its
	// Stopped, so only the killed sandbox's layer is looked for.
	eventually(t, 5*time.Second, func() string {
		e.must("run", "--rm", "--image", ref, "--", "true")
		if _, err := os.Stat(killed); err == nil {
			return "layer of the killed sandbox not swept: " + killed
		}
		return ""
	})
}

// A short name pinned in devbox.lock resolves to the local image it named
// (localhost/NAME from an import) in every sandbox of the project, not to
// docker.io.
func TestImage_ShortNamePinsLocalImage(t *testing.T) {
	t.Parallel()
	e := newStoreEnv(t)
	rootfs := filepath.Join(t.TempDir(), "rootfs.tar")
	os.WriteFile(rootfs, tarBytes(t, append(baseEntries(t), fileEntry("etc/version", "local\n"))), 0o644)
	e.must("image", "import", rootfs, "--name", "bblocal")
	os.WriteFile(filepath.Join(e.project, "devbox.toml"), []byte("image = \"bblocal\"\n"), 0o644)
	for _, sb := range []string{"first", "second"} {
		if out := e.must("run", "--name", sb, "--", "cat", "/etc/version"); out != "local\n" {
			t.Errorf("sandbox %s: /etc/version %q, want local", sb, out)
		}
	}
	if lock, err := os.ReadFile(filepath.Join(e.project, "devbox.lock")); err != nil || !strings.Contains(string(lock), "sha256:") {
		t.Errorf("devbox.lock: %v %q", err, lock)
	}
}

// image rm of an image sandboxes use refuses, naming them (as Podman names
// the containers of an image in use); --force stops them, drops their
// writable layers and removes the image, keeping their homes.
func TestImage_RemoveNamesSandboxesAndForce(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	e.must("image", "pull", ref)
	e.must("run", "--name", "users-a", "--image", ref, "--", "sh", "-c", "echo kept > $HOME/note")
	e.must("run", "--name", "users-a", "--user", "root", "--image", ref, "--", "touch", "/in-layer")
	e.must("run", "--name", "users-b", "--image", ref, "--", "true")
	e.must("stop", "users-b")
	e.mustFail([]string{"image is in use by sandboxes: users-a, users-b", "devbox image rm --force"}, "image", "rm", ref)
	r := e.run("image", "rm", "--force", ref)
	if r.code != 0 || !strings.Contains(r.stdout, "removed ") {
		t.Fatalf("image rm --force: %s", r)
	}
	for _, n := range []string{"users-a", "users-b"} {
		if !strings.Contains(r.stderr, n+": stopped and its image layer removed") {
			t.Errorf("image rm --force does not say what it did to %s:\n%s", n, r.stderr)
		}
	}
	if imgs := e.images(); len(imgs) != 0 {
		t.Errorf("after image rm --force: %+v", imgs)
	}
	if ps := e.ps(); len(ps) != 0 {
		t.Errorf("image rm --force left sandboxes running: %+v", ps)
	}
	out := e.must("run", "--name", "users-a", "--image", ref, "--", "sh", "-c", "cat $HOME/note; test -e /in-layer && echo layer-kept || echo fresh-layer")
	if out != "kept\nfresh-layer\n" {
		t.Errorf("users-a after image rm --force: %q, want its home kept and a fresh layer", out)
	}
}

// A --rm image sandbox's home is a tmpfs too, the user's and mode 0700,
// over whatever the image has at that path, and not a dir in its layer.
func TestImage_ThrowawayHomeIsATmpfs(t *testing.T) {
	t.Parallel()
	e, _, ref := imageEnv(t)
	out := e.must("run", "--rm", "--image", ref, "--", "/bin/sh", "-c",
		`echo "$HOME" && stat -c '%a %u' "$HOME" && id -u && echo kept >"$HOME/f" && cat "$HOME/f" && cat /proc/self/mountinfo`)
	lines := strings.Split(out, "\n")
	if len(lines) < 5 {
		t.Fatalf("output: %q", out)
	}
	home, modeOwner, uid, file := lines[0], lines[1], lines[2], lines[3]
	if modeOwner != "700 "+uid || file != "kept" {
		t.Errorf("--rm image home %s: mode and owner %q, file %q; want 700 %s, kept", home, modeOwner, file, uid)
	}
	fs := ""
	for _, l := range lines[4:] {
		if f := strings.Fields(l); len(f) > 4 && f[4] == home {
			fs = f[len(f)-3]
		}
	}
	if fs != "tmpfs" {
		t.Errorf("--rm image home %s is mounted as %q, want tmpfs:\n%s", home, fs, out)
	}
}
