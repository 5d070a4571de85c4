package testutil

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/internal/preflight"
)

// envHelper makes TestSkipHelper call Skip; the tests below run this test
// binary again with it to see Skip fail a test under MustWork.
const envHelper = "_DEVBOX_TESTUTIL_SKIP_HELPER"

func TestRequireBinaryFindsSh(t *testing.T) {
	if p := RequireBinary(t, "sh"); p == "" {
		t.Error("empty path for sh")
	}
}

// runInner runs fn as a subtest and reports whether it was skipped.
func runInner(t *testing.T, fn func(t *testing.T)) (skipped bool) {
	t.Helper()
	t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		fn(t)
	})
	return skipped
}

func TestSkipSkipsUnlessMustWork(t *testing.T) {
	t.Setenv("DEVBOX_TEST_MUST_WORK", "")
	returned := false
	skipped := runInner(t, func(t *testing.T) {
		Skip(t, "reason %d", 1)
		returned = true
	})
	if !skipped || returned {
		t.Errorf("Skip without MustWork: skipped %v, returned %v; want a skip that does not return", skipped, returned)
	}
}

// TestSkipHelper is Skip under MustWork, run in a child test binary; it
// does nothing in the normal run.
func TestSkipHelper(t *testing.T) {
	if os.Getenv(envHelper) == "" {
		return
	}
	Skip(t, "helper reason %d", 7)
	t.Log("Skip returned")
}

func TestSkipFailsWithMustWork(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSkipHelper$", "-test.v")
	cmd.Env = append(os.Environ(), envHelper+"=1", "DEVBOX_TEST_MUST_WORK=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("Skip under DEVBOX_TEST_MUST_WORK passed:\n%s", out)
	}
	if s := string(out); !strings.Contains(s, "--- FAIL: TestSkipHelper") || !strings.Contains(s, "helper reason 7") || strings.Contains(s, "Skip returned") {
		t.Errorf("want a failure with the reason and no return, got:\n%s", s)
	}
}

// RequireUserNS skips exactly when preflight's probe fails, and when it
// does not skip, a user namespace can really be made: one mapping this
// user to root, as the sandbox does.
func TestRequireUserNS(t *testing.T) {
	t.Setenv("DEVBOX_TEST_MUST_WORK", "")
	probe := preflight.ProbeUserNS()
	skipped := runInner(t, func(t *testing.T) { RequireUserNS(t) })
	if skipped != (probe != nil) {
		t.Fatalf("RequireUserNS skipped = %v, but the probe says %v", skipped, probe)
	}
	if skipped {
		return
	}
	cmd := exec.Command("cat", "/proc/self/uid_map")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("RequireUserNS let the test run, but a user namespace cannot be made: %v", err)
	}
	if f := strings.Fields(string(out)); len(f) != 3 || f[0] != "0" || f[1] != strconv.Itoa(os.Getuid()) {
		t.Errorf("uid_map inside = %q, want 0 %d 1", out, os.Getuid())
	}
}
