package child

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/testutil"
)

// envCapsHelper makes the test binary run checkCapabilities against the
// recorded tree it names, print a capsResult and exit.
const envCapsHelper = "_DEVBOX_TEST_CAPS_TREE"

type capsResult struct {
	Err, Hint string
	EPERM     bool
}

func TestMain(m *testing.M) {
	if tree := os.Getenv(envCapsHelper); tree != "" {
		os.Exit(capsHelper(tree))
	}
	os.Exit(m.Run())
}

func capsHelper(tree string) int {
	r := preflight.Roots{Proc: filepath.Join(tree, "proc"), SecurityFS: filepath.Join(tree, "sys/kernel/security")}
	var res capsResult
	if err := checkCapabilities(r, "/usr/local/bin/devbox"); err != nil {
		res = capsResult{Err: err.Error(), Hint: hint.Of(err), EPERM: errors.Is(err, syscall.EPERM)}
	}
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// inUserNS runs capsHelper in new user and mount namespaces where this user is
// insideUID. Mapped to a uid other than 0, the process loses every
// capability at exec: a namespace that really lacks them, which is what
// Ubuntu's AppArmor restriction leaves devbox with. AppArmor itself is not
// in this kernel, so the restriction's sysctl and labels come from the
// recorded trees under internal/preflight/testdata/apparmor.
func inUserNS(t *testing.T, insideUID int, tree string) capsResult {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "preflight", "testdata", "apparmor", tree))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCapsHelper+"="+abs)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: insideUID, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: insideUID, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run helper in a user namespace: %v", err)
	}
	var res capsResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode helper output %q: %v", out, err)
	}
	return res
}

func TestCheckCapabilitiesWithoutCapabilities(t *testing.T) {
	testutil.RequireUserNS(t)
	tests := []struct {
		tree      string
		msg, hint string
	}{
		{"ubuntu-user-noprofile", "AppArmor denies capabilities in user namespaces to /usr/local/bin/devbox, which no profile covers (kernel.apparmor_restrict_unprivileged_userns=1)",
			"sudo apparmor_parser -r /etc/apparmor.d/usr.local.bin.devbox"},
		{"ubuntu-user-profile", "profile usr.local.bin.devbox (unconfined) covers it but does not allow them", "add the line 'userns,'"},
		{"debian12", "the sandbox's user namespace grants no capabilities", "seccomp"},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			res := inUserNS(t, 1000, tt.tree)
			if !res.EPERM || !strings.Contains(res.Err, tt.msg) || !strings.Contains(res.Err, "operation not permitted") {
				t.Errorf("error %q (EPERM %v), want EPERM with %q", res.Err, res.EPERM, tt.msg)
			}
			if !strings.Contains(res.Hint, tt.hint) {
				t.Errorf("hint %q lacks %q", res.Hint, tt.hint)
			}
		})
	}
}

// Root in the namespace holds its capabilities: the check passes, even
// where the (recorded) restriction is on.
func TestCheckCapabilitiesAsNamespaceRoot(t *testing.T) {
	testutil.RequireUserNS(t)
	if res := inUserNS(t, 0, "ubuntu-user-noprofile"); res.Err != "" {
		t.Errorf("uid 0 in a new user namespace: %s (hint %s)", res.Err, res.Hint)
	}
}
