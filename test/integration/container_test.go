//go:build integration

package integration

import (
	"os"
	"strings"
	"testing"
)

// The TestInContainer_ tests run where test.sh puts them: inside a rootless
// `podman run` with default options (a masked /proc, no /dev/net/tun or
// /dev/fuse, no slirp4netns or pasta, no /etc/subuid, a seccomp filter
// that refuses sethostname), as the container's root. test.sh skips them on
// the host, where they would prove nothing.

// requireContainer skips outside the container test.sh makes.
func requireContainer(t *testing.T) {
	t.Helper()
	if os.Getenv("DEVBOX_TEST_IN_CONTAINER") == "" {
		t.Skip("runs only inside test.sh's rootless podman container (DEVBOX_TEST_IN_CONTAINER=1)")
	}
}

// TestInContainer_Fallbacks: devbox run --rm -- echo ok works, with one
// warning line per fallback; --require-network and --require-proc turn
// theirs into errors (exit 125).
func TestInContainer_Fallbacks(t *testing.T) {
	requireContainer(t)
	e := newEnv(t)
	r := e.run("run", "--rm", "--", "echo", "ok")
	if r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("devbox run --rm -- echo ok in the container: %s", r)
	}
	for _, want := range []string{
		"no user-mode network here",
		"refuses this sandbox a /proc of its own",
		"cannot set the hostname",
	} {
		if n := strings.Count(r.stderr, want); n != 1 {
			t.Errorf("%q appears %d times in the warnings, want once:\n%s", want, n, r.stderr)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !strings.HasPrefix(line, "devbox: warning: ") {
			t.Errorf("a notice spans more than one line or is not a warning: %q", line)
		}
	}
	for flag, want := range map[string]string{"--require-network": "require_network is set", "--require-proc": "require_proc is set"} {
		r := e.run("run", "--rm", flag, "--", "echo", "ok")
		if r.code != 125 || !strings.Contains(r.stderr, want) || strings.Contains(r.stdout, "ok") {
			t.Errorf("%s: want exit 125 naming %q: %s", flag, want, r)
		}
	}
	// The same keys from devbox.toml.
	if err := os.WriteFile(e.project+"/devbox.toml", []byte("require_proc = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := e.run("run", "--rm", "--", "echo", "ok"); r.code != 125 || !strings.Contains(r.stderr, "require_proc is set") {
		t.Errorf("require_proc = true in devbox.toml: want exit 125: %s", r)
	}
}
