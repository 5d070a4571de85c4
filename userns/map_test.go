package userns

import (
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/testutil"
	"golang.org/x/sys/unix"
)

// startUnmapped starts sleep in a new user namespace with no maps written.
func startUnmapped(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(testutil.RequireBinary(t, "sleep"), "10")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sleep in a user namespace: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func readMap(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n") + "\n"
}

func currentIDs(t *testing.T) (uint32, uint32, string) {
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	name := strconv.Itoa(int(uid))
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return uid, gid, name
}

func TestMapFromParent(t *testing.T) {
	testutil.RequireUserNS(t)
	uid, gid, name := currentIDs(t)
	real, err := NewPlan(uid, gid, name)
	if err != nil {
		t.Fatal(err)
	}
	plans := map[string]Plan{
		"single id": singleID(uid, gid),
		"real plan": real,
	}
	for label, p := range plans {
		t.Run(label, func(t *testing.T) {
			cmd := startUnmapped(t)
			pid := cmd.Process.Pid
			if err := p.MapFromParent(pid); err != nil {
				t.Fatalf("MapFromParent(%+v): %v (hint: %s)", p, err, hint.Of(err))
			}
			if got, want := readMap(t, pid, "uid_map"), formatMap(p.UID); got != want {
				t.Errorf("uid_map = %q, want %q", got, want)
			}
			if got, want := readMap(t, pid, "gid_map"), formatMap(p.GID); got != want {
				t.Errorf("gid_map = %q, want %q", got, want)
			}
			wantSetgroups := "allow"
			if !p.Helpers && uid != 0 {
				wantSetgroups = "deny"
			}
			if got := strings.TrimSpace(readMap(t, pid, "setgroups")); got != wantSetgroups {
				t.Errorf("setgroups = %q, want %q", got, wantSetgroups)
			}
		})
	}
}

func TestMapFromParentTwiceFails(t *testing.T) {
	testutil.RequireUserNS(t)
	uid, gid, _ := currentIDs(t)
	p := singleID(uid, gid)
	cmd := startUnmapped(t)
	if err := p.MapFromParent(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	err := p.MapFromParent(cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), "uid_map") {
		t.Errorf("second MapFromParent = %v, want an error naming uid_map", err)
	}
}

func TestMapFromParentGoneProcess(t *testing.T) {
	uid, gid, _ := currentIDs(t)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	time.Sleep(10 * time.Millisecond)
	err := singleID(uid, gid).MapFromParent(cmd.Process.Pid)
	if err == nil {
		t.Fatal("mapping a reaped pid succeeded")
	}
}

func TestMapFromParentHelperRefusesForeignRange(t *testing.T) {
	testutil.RequireUserNS(t)
	uid, gid, _ := currentIDs(t)
	if uid == 0 {
		t.Skip("root may map any range")
	}
	p := Plan{
		UID:       []Mapping{{0, uid, 1}, {1, 4000000000, 10}},
		GID:       []Mapping{{0, gid, 1}},
		Helpers:   true,
		NewUIDMap: testutil.RequireBinary(t, "newuidmap"),
		NewGIDMap: testutil.RequireBinary(t, "newgidmap"),
	}
	cmd := startUnmapped(t)
	err := p.MapFromParent(cmd.Process.Pid)
	if err == nil {
		t.Fatal("newuidmap accepted a range the user does not own")
	}
	if !strings.Contains(err.Error(), "4000000000 10") {
		t.Errorf("error %q lacks the helper argv", err)
	}
	if !strings.Contains(hint.Of(err), "/etc/subuid") {
		t.Errorf("hint %q does not point at /etc/subuid", hint.Of(err))
	}
}

// A copy of newuidmap loses its setuid bit: the error must say to restore it.
func TestMapFromParentUnprivilegedHelper(t *testing.T) {
	testutil.RequireUserNS(t)
	uid, gid, name := currentIDs(t)
	p, err := NewPlan(uid, gid, name)
	if err != nil {
		t.Fatal(err)
	}
	if uid == 0 || !p.Helpers {
		t.Skip("needs an unprivileged user with subordinate ids")
	}
	b, err := os.ReadFile(p.NewUIDMap)
	if err != nil {
		t.Fatal(err)
	}
	p.NewUIDMap = t.TempDir() + "/newuidmap"
	if err := os.WriteFile(p.NewUIDMap, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := startUnmapped(t)
	err = p.MapFromParent(cmd.Process.Pid)
	if want := "sudo chmod u+s " + p.NewUIDMap; !strings.Contains(hint.Of(err), want) {
		t.Errorf("error %v: hint %q lacks %q", err, hint.Of(err), want)
	}
}

// TestNoNewPrivs: noNewPrivs says what /proc/self/status says, here and
// in a copy of this test that sets no_new_privs first.
func TestNoNewPrivs(t *testing.T) {
	if os.Getenv("USERNS_TEST_SET_NNP") == "1" {
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Contains(string(b), "\nNoNewPrivs:\t1\n")
	if got := noNewPrivs(); got != want {
		t.Fatalf("noNewPrivs() = %v, /proc/thread-self/status says %v", got, want)
	}
	if os.Getenv("USERNS_TEST_SET_NNP") == "1" {
		if !want {
			t.Fatal("no_new_privs set, and /proc/thread-self/status says it is not")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoNewPrivs$", "-test.count=1")
	cmd.Env = append(os.Environ(), "USERNS_TEST_SET_NNP=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("with no_new_privs set: %v\n%s", err, out)
	}
}
