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

// TestInContainer_SelfSessionAsNonRoot: a user other than root in the
// container (no subordinate ids, so the single-id map; the outer /proc)
// gets sessions as their own uid, in the project directory, with and
// without a terminal: init maps them through the keep-id stage, since the
// kernel's clone path would write the maps through the wrong pid.
func TestInContainer_SelfSessionAsNonRoot(t *testing.T) {
	requireContainer(t)
	if os.Getuid() != 0 {
		t.Skip("the container's tests run as its root, which switches to uid 1000 here")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is not in the container")
	}
	home, err := os.MkdirTemp("", "self")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	project := filepath.Join(home, "proj")
	for _, d := range []string{home, project, filepath.Join(home, "run")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, 1000, 1000); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "setpriv", append([]string{"--reuid=1000", "--regid=1000", "--clear-groups", devboxBin}, args...)...)
		cmd.Dir = project
		cmd.Env = []string{"HOME=" + home, "USER=u", "LOGNAME=u", "PATH=/usr/local/bin:/usr/bin:/bin",
			"XDG_RUNTIME_DIR=" + filepath.Join(home, "run"), "XDG_DATA_HOME=" + filepath.Join(home, "data")}
		return collect(t, ctx, cmd, "devbox "+strings.Join(args, " "))
	}
	defer run("stop", "--all", "--time", "1s")
	r := run("run", "--", "sh", "-c", "id -u; pwd; wc -l </proc/self/uid_map")
	if r.code != 0 || r.stdout != "1000\n"+project+"\n1\n" {
		t.Fatalf("a session as uid 1000 under the outer /proc: want its uid, the project dir and one map line: %s", r)
	}
	if !strings.Contains(r.stderr, "refuses this sandbox a /proc of its own") {
		t.Errorf("no masked-/proc fallback here, so this proves nothing: %s", r)
	}
	if r := run("run", "-t", "--", "id", "-u"); r.code != 0 || strings.TrimSpace(r.stdout) != "1000" {
		t.Errorf("with a terminal inside: %s", r)
	}
	if r := run("run", "--user", "root", "--", "id", "-u"); r.code != 0 || r.stdout != "0\n" {
		t.Errorf("--user root: %s", r)
	}
	if r := run("run", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exit status through the stage: want 7, got %s", r)
	}
	if r := run("run", "--", "no-such-command"); r.code != 127 {
		t.Errorf("a missing command: want 127, got %s", r)
	}
}
