//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
	"github.com/devbox-dev/devbox/subid"
)

// hasSubIDs reports whether the current user owns a range in both
// /etc/subuid and /etc/subgid.
func hasSubIDs(t *testing.T) bool {
	t.Helper()
	name, uid, gid := currentUser(t)
	u, _ := os.ReadFile("/etc/subuid")
	g, _ := os.ReadFile("/etc/subgid")
	return len(subid.For(u, name, uid)) > 0 && len(subid.For(g, name, gid)) > 0
}

// checkSingleID runs uid_map in e's fresh sandbox and checks the one-line
// map and the one warning; it returns the warning text.
func checkSingleID(t *testing.T, e *env) string {
	t.Helper()
	r := e.run("run", "--user", "root", "--", "cat", "/proc/self/uid_map", "/proc/self/gid_map")
	if r.code != 0 {
		t.Fatalf("devbox run in single-id mode failed: %s", r)
	}
	maps := mapLines(t, r.stdout)
	want := [][3]uint64{{0, uint64(os.Getuid()), 1}, {0, uint64(os.Getgid()), 1}}
	if len(maps) != 2 || maps[0] != want[0] || maps[1] != want[1] {
		t.Errorf("uid_map and gid_map: got %v, want one line each %v", maps, want)
	}
	if n := strings.Count(r.stderr, "devbox: warning:"); n != 1 {
		t.Errorf("want exactly one warning on sandbox creation, got %d:\n%s", n, r.stderr)
	}
	for _, s := range []string{"only your own id", "Fix:"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("warning lacks %q:\n%s", s, r.stderr)
		}
	}
	// Joining the running sandbox does not repeat the warning.
	r2 := e.run("run", "--user", "root", "--", "id", "-u")
	if r2.code != 0 || strings.TrimSpace(r2.stdout) != "0" {
		t.Errorf("id -u in single-id mode: %s", r2)
	}
	if strings.Contains(r2.stderr, "warning") {
		t.Errorf("joining repeated the warning:\n%s", r2.stderr)
	}
	return r.stderr
}

func TestSingleIDWithoutSubordinateRange(t *testing.T) {
	t.Parallel()
	if os.Getuid() == 0 {
		testutil.Skip(t, "root writes its maps directly; run as a user without /etc/subuid ranges")
	}
	if hasSubIDs(t) {
		testutil.Skip(t, "this user has subordinate ids; run as a user without /etc/subuid ranges (test.sh uses devbox-nosub)")
	}
	e := newEnv(t)
	warn := checkSingleID(t, e)
	for _, s := range []string{"no subordinate ids", "/etc/sub", "usermod"} {
		if !strings.Contains(warn, s) {
			t.Errorf("warning lacks %q:\n%s", s, warn)
		}
	}
}

func TestSingleIDWhenNewuidmapMissing(t *testing.T) {
	t.Parallel()
	if os.Getuid() == 0 {
		testutil.Skip(t, "root writes its maps directly without newuidmap (TestRunAsRoot covers it)")
	}
	e := newEnv(t)
	// PATH is one directory, inside the project so the sandbox sees it too,
	// with everything from the usual bin dirs except newuidmap/newgidmap.
	e.path = fakeBinWithout(t, filepath.Join(e.project, ".bin"), "newuidmap", "newgidmap")
	warn := checkSingleID(t, e)
	for _, s := range []string{"newuidmap", "uidmap"} {
		if !strings.Contains(warn, s) {
			t.Errorf("warning lacks %q:\n%s", s, warn)
		}
	}
}

func TestRunAsRoot(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		testutil.Skip(t, "needs root: covers devbox invoked by root")
	}
	e := newEnv(t)
	// Without newuidmap in PATH root still gets a full map: it writes the
	// map files itself.
	e.path = fakeBinWithout(t, filepath.Join(e.project, ".bin"), "newuidmap", "newgidmap")
	r := e.run("run", "--", "sh", "-c", "id -u; cat /proc/self/uid_map")
	if r.code != 0 {
		t.Fatalf("devbox run as root: %s", r)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("warning for root:\n%s", r.stderr)
	}
	id, mapText, _ := strings.Cut(r.stdout, "\n")
	if id != "0" {
		t.Errorf("id -u inside as root: %q, want 0", id)
	}
	maps := mapLines(t, mapText)
	if len(maps) < 2 || maps[0] != [3]uint64{0, 0, 1} {
		t.Errorf("uid_map as root: %v, want 0 0 1 plus a subordinate range", maps)
	}
	var total uint64
	for _, m := range maps {
		total += m[2]
	}
	if total < 65536 {
		t.Errorf("uid_map as root maps %d ids, want at least 65536: %v", total, maps)
	}
	e.sh("touch by-root")
	if owner := statUID(t, filepath.Join(e.project, "by-root")); owner != 0 {
		t.Errorf("file made inside by root is owned by %d on the host, want 0", owner)
	}
}

func statUID(t *testing.T, path string) uint32 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

// A sandbox started with the single-id map (here: no newuidmap in PATH)
// keeps it; once the user could get the full map, joining it and devbox
// doctor say so and name devbox restart, which gives it the full map.
//
// Its name avoids "SingleID": test.sh runs those as a user without
// subordinate ids, who cannot gain the full map.
func TestIDMapNoticeAfterGainingSubordinateIDs(t *testing.T) {
	t.Parallel()
	if os.Getuid() == 0 {
		testutil.Skip(t, "root writes its maps directly without newuidmap (TestRunAsRoot covers it)")
	}
	e := newEnv(t)
	if out := e.must("run", "--rm", "--", "cat", "/proc/self/uid_map"); len(mapLines(t, out)) < 2 {
		testutil.Skip(t, "needs a subordinate id range (single-id mapping here)")
	}
	full := e.path
	e.path = fakeBinWithout(t, filepath.Join(e.project, ".bin"), "newuidmap", "newgidmap")
	if out := e.must("run", "--", "cat", "/proc/self/uid_map"); len(mapLines(t, out)) != 1 {
		t.Fatalf("without newuidmap: want the single-id map, got %q", out)
	}
	name := e.only().Name
	e.path = full
	if r := e.run("run", "--", "cat", "/proc/self/uid_map"); r.code != 0 {
		t.Fatalf("join: %s", r)
	} else if len(mapLines(t, r.stdout)) < 2 {
		if !strings.Contains(r.stderr, "still maps only your own id") || !strings.Contains(r.stderr, "devbox restart "+name) {
			t.Errorf("join of a single-id sandbox once newuidmap is back: want the notice naming devbox restart:\n%s", r.stderr)
		}
	} else {
		t.Fatalf("a running sandbox changed its map: %q", r.stdout)
	}
	if r := e.run("doctor"); !strings.Contains(r.stdout, "sandbox "+name) || !strings.Contains(r.stdout, "devbox restart "+name) {
		t.Errorf("doctor does not name the single-id sandbox and devbox restart:\n%s", r)
	}
	e.must("restart", "--time", "1s", name)
	r := e.run("run", "--", "cat", "/proc/self/uid_map")
	if n := len(mapLines(t, r.stdout)); r.code != 0 || n < 2 || strings.Contains(r.stderr, "only your own id") {
		t.Errorf("after devbox restart: want the full map and no notice, got %d map lines:\n%s", n, r)
	}
	if r := e.run("doctor"); strings.Contains(r.stdout, "sandbox "+name) {
		t.Errorf("doctor still names the restarted sandbox:\n%s", r.stdout)
	}
}

// Under no_new_privs (a pod's allowPrivilegeEscalation: false) newuidmap's
// setuid bit is void: a user with subordinate ids gets the single-id map,
// with the warning that says why, instead of newuidmap's EPERM, and devbox
// doctor warns. (Named apart from test.sh's SingleID run.)
func TestNoNewPrivsMapsOwnIDOnly(t *testing.T) {
	t.Parallel()
	testutil.RequireBinary(t, "setpriv")
	if os.Getuid() == 0 {
		testutil.Skip(t, "root writes its maps itself: no_new_privs changes nothing for it")
	}
	e := newEnv(t)
	nnp := func(args ...string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "setpriv", append([]string{"--no-new-privs", devboxBin}, args...)...)
		cmd.Dir, cmd.Env = e.project, e.environ()
		return collect(t, ctx, cmd, "setpriv --no-new-privs devbox "+strings.Join(args, " "))
	}
	r := nnp("run", "--rm", "--", "cat", "/proc/self/uid_map")
	if r.code != 0 || len(mapLines(t, r.stdout)) != 1 {
		t.Fatalf("devbox run under no_new_privs: want the single-id map: %s", r)
	}
	if !strings.Contains(r.stderr, "no_new_privs, which voids newuidmap's setuid bit") || !strings.Contains(r.stderr, "allowPrivilegeEscalation") {
		t.Errorf("devbox run under no_new_privs: the warning does not say why: %s", r.stderr)
	}
	if r := nnp("doctor"); !regexp.MustCompile(`(?m)^warn\s+no_new_privs`).MatchString(r.stdout) {
		t.Errorf("devbox doctor under no_new_privs: want a no_new_privs warning: %s", r)
	}
	if r := e.run("doctor"); strings.Contains(r.stdout, "no_new_privs") {
		t.Errorf("devbox doctor without no_new_privs shows the check: %s", r.stdout)
	}
}
