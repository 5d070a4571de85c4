//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
	"github.com/devbox-dev/devbox/subid"
)

func TestUserIsRootInsideWithFullSubordinateRange(t *testing.T) {
	t.Parallel()
	if os.Getuid() == 0 {
		testutil.Skip(t, "runs as an unprivileged user; root is covered by TestRunAsRoot")
	}
	e := newEnv(t)
	name, uid, gid := currentUser(t)
	for _, side := range []struct {
		file, mapFile string
		own           uint32
	}{
		{"/etc/subuid", "uid_map", uid},
		{"/etc/subgid", "gid_map", gid},
	} {
		data, err := os.ReadFile(side.file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		ranges := subid.For(data, name, side.own)
		if len(ranges) == 0 {
			testutil.Skip(t, "user %s has no range in %s (the SingleID tests cover that case)", name, side.file)
		}
		got := mapLines(t, e.must("run", "--user", "root", "--", "cat", "/proc/self/"+side.mapFile))
		want := [][3]uint64{{0, uint64(side.own), 1}}
		next := uint64(1)
		for _, r := range ranges {
			want = append(want, [3]uint64{next, uint64(r.Start), uint64(r.Count)})
			next += uint64(r.Count)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want %v (the invoking user as 0, then every range of %s)", side.mapFile, got, want, side.file)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s line %d: got %v, want %v", side.mapFile, i, got[i], want[i])
			}
		}
	}
	if got := strings.TrimSpace(e.shRoot("id -u; id -g")); got != "0\n0" {
		t.Errorf("id -u; id -g inside: got %q, want 0 and 0", got)
	}
}

func TestFileCreatedInProjectIsOwnedByUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sh("echo hi > made-inside && mkdir dir-inside")
	for _, n := range []string{"made-inside", "dir-inside"} {
		fi, err := os.Stat(filepath.Join(e.project, n))
		if err != nil {
			t.Fatalf("%s not visible on the host: %v", n, err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
			t.Errorf("%s: owner %d:%d on the host, want %d:%d", n, st.Uid, st.Gid, os.Getuid(), os.Getgid())
		}
	}
	if got := strings.TrimSpace(e.sh("pwd")); got != e.project {
		t.Errorf("working directory inside: %q, want the project dir %q", got, e.project)
	}
}

func TestPSInsideShowsOnlySandboxProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.must("run", "--", "ps", "-e", "-o", "pid=,comm=")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 2 {
			t.Fatalf("bad ps line %q in:\n%s", l, out)
		}
		seen[f[1]] = true
		if f[0] == "1" && f[1] != "devbox-init" {
			t.Errorf("PID 1 is %q, want devbox-init\n%s", f[1], out)
		}
		switch f[1] {
		case "devbox-init", "devbox-sessions", "ps": // devbox-sessions: init's session spawner
		default:
			t.Errorf("unexpected process %q inside a fresh sandbox:\n%s", f[1], out)
		}
	}
	if !seen["devbox-init"] || !seen["ps"] {
		t.Errorf("ps inside lacks devbox-init or itself:\n%s", out)
	}
	if got := strings.TrimSpace(e.must("run", "--", "cat", "/proc/1/comm")); got != "devbox-init" {
		t.Errorf("/proc/1/comm = %q, want devbox-init", got)
	}
}

func TestHostnameIsSandboxNameAndHostUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	inside := strings.TrimSpace(e.must("run", "--", "hostname"))
	if want := filepath.Base(e.project); inside != want {
		t.Errorf("hostname inside = %q, want the project's basename %q", inside, want)
	}
	if inside == before {
		t.Errorf("hostname inside equals the host's (%q)", before)
	}

	custom := strings.TrimSpace(e.must("run", "--name", "other", "--hostname", "devbox-custom-host", "--", "hostname"))
	if custom != "devbox-custom-host" {
		t.Errorf("hostname with --hostname = %q, want devbox-custom-host", custom)
	}
	after, _ := os.Hostname()
	if after != before {
		t.Errorf("host hostname changed: %q -> %q", before, after)
	}
}

func TestSysVSharedMemoryIsPrivate(t *testing.T) {
	t.Parallel()
	testutil.RequireBinary(t, "ipcmk")
	testutil.RequireBinary(t, "ipcs")
	e := newEnv(t)
	out := e.sh("ipcmk -M 4096 >/dev/null && ipcs -m")
	key := ""
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 5 && strings.HasPrefix(f[0], "0x") && f[4] == "4096" {
			key = f[0]
		}
	}
	if key == "" {
		t.Fatalf("ipcs -m inside does not list the 4096-byte segment ipcmk made:\n%s", out)
	}
	// A second session shares the sandbox's IPC namespace.
	if again := e.must("run", "--", "ipcs", "-m"); !strings.Contains(again, key) {
		t.Errorf("segment %s not visible to a second session:\n%s", key, again)
	}
	host, err := exec.Command("ipcs", "-m").CombinedOutput()
	if err != nil {
		t.Fatalf("ipcs -m on the host: %v\n%s", err, host)
	}
	if strings.Contains(string(host), key) {
		t.Errorf("segment %s made inside is visible on the host:\n%s", key, host)
	}
	mounts := e.must("run", "--", "cat", "/proc/self/mounts")
	found := false
	for _, l := range strings.Split(mounts, "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == "/dev/mqueue" && f[2] == "mqueue" {
			found = true
		}
	}
	if !found {
		t.Errorf("/dev/mqueue is not an mqueue mount inside:\n%s", mounts)
	}
}

func TestOrphansAreReaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Each subshell exits at once, so its sleep is orphaned to PID 1 and exits
	// 0.1 s later; only the init can reap it.
	out := e.sh(`for i in 1 2 3 4 5; do (sleep 0.1 &); done; sleep 1; ps -e -o stat=,pid=,ppid=,comm=`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "Z") {
			t.Errorf("zombie inside after orphans exited:\n%s", out)
			break
		}
	}
	// The orphans' exits must not disturb later sessions either.
	out = e.must("run", "--", "ps", "-e", "-o", "stat=,comm=")
	if strings.Contains(out, "Z") {
		t.Errorf("zombie seen by a later session:\n%s", out)
	}
}

func TestSandboxCannotWriteInitExe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	initBin := filepath.Join(filepath.Dir(devboxBin), "devbox-init")
	engineBin := filepath.Join(filepath.Dir(devboxBin), "devbox-engine")
	before, beforeInit, beforeEngine := sha256File(t, devboxBin), sha256File(t, initBin), sha256File(t, engineBin)
	r := e.run("run", "--", "sh", "-c", "echo x > /proc/1/exe")
	if r.code == 0 {
		t.Errorf("writing /proc/1/exe inside succeeded:\n%s", r)
	}
	r = e.run("run", "--", "sh", "-c", "exec 3<>/proc/1/exe")
	if r.code == 0 {
		t.Errorf("opening /proc/1/exe read-write inside succeeded:\n%s", r)
	}
	// A session that is not the init's child must not reach the host binary
	// through its own /proc/self/exe either.
	r = e.run("run", "--", "sh", "-c", "echo x >> /proc/$$/exe")
	if r.code == 0 {
		t.Errorf("appending to the shell's own /proc/self/exe inside succeeded:\n%s", r)
	}
	if after := sha256File(t, devboxBin); after != before {
		t.Fatalf("the devbox binary on the host changed: sha256 %s -> %s", before, after)
	}
	if after := sha256File(t, engineBin); after != beforeEngine {
		t.Fatalf("the devbox-engine binary on the host changed: sha256 %s -> %s", beforeEngine, after)
	}
	if after := sha256File(t, initBin); after != beforeInit {
		t.Fatalf("the init binary %s on the host changed: sha256 %s -> %s", initBin, beforeInit, after)
	}
}

// Sandboxes of one user share one sealed copy of devbox-init: the second
// borrows the first's memfd (over its control socket), so it neither
// copies the binary again nor holds its pages twice. The copy is sealed,
// so neither sandbox can change what the other runs. Checked from the
// host: inside, init is not dumpable and /proc/1/exe is closed.
func TestSealedInitCopyIsShared(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	exe := func(name string) (string, string) {
		e.must("run", "--name", name, "--", "true")
		pid := e.readState(name).Init
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/exe", pid), &st); err != nil {
			t.Fatal(err)
		}
		return link, fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	linkA, idA := exe("seal-a")
	if !strings.HasPrefix(linkA, "/memfd:") {
		t.Skipf("init runs the installed file %s (the sandbox cannot write it), so there is no copy to share", linkA)
	}
	if linkB, idB := exe("seal-b"); idB != idA {
		t.Errorf("the second sandbox's init runs another copy: %s (%s) vs %s (%s)", linkB, idB, linkA, idA)
	}
	if r := e.run("run", "--name", "seal-b", "--user", "root", "--", "sh", "-c", "exec 3<>/proc/1/exe"); r.code == 0 {
		t.Errorf("opening the shared copy read-write inside succeeded:\n%s", r)
	}
}
