//go:build integration

package integration

// The strict profile (issue 11): what a strict session can do to the
// kernel, the network and the filesystem. Traffic goes only to 127.0.0.1
// and ::1.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// strictEnv is an env whose devbox.toml selects the strict profile, plus
// the given lines.
func strictEnv(t *testing.T, toml string) *env {
	t.Helper()
	e := newEnv(t)
	content := "security = \"strict\"\n" + toml
	if err := os.WriteFile(filepath.Join(e.project, "devbox.toml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestStrict_SessionHasNoPrivileges(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	st := statusFields(e.sh("cat /proc/self/status"))
	if st["NoNewPrivs"] != "1" {
		t.Errorf("NoNewPrivs = %q, want 1", st["NoNewPrivs"])
	}
	for _, k := range []string{"CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"} {
		if st[k] != "0000000000000000" {
			t.Errorf("%s = %s, want none", k, st[k])
		}
	}
	// The default user is the invoking user's own id.
	if got, want := strings.TrimSpace(e.sh("id -u")), strconv.Itoa(os.Getuid()); got != want {
		t.Errorf("uid inside = %s, want the invoking user's %s", got, want)
	}
}

func TestStrict_RootSessionHasNoCapabilities(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "user = \"root\"\n")
	st := statusFields(e.sh("cat /proc/self/status"))
	if st["CapEff"] != "0000000000000000" || st["CapBnd"] != "0000000000000000" || st["NoNewPrivs"] != "1" {
		t.Errorf("root session: CapEff %s CapBnd %s NoNewPrivs %s, want none, none, 1", st["CapEff"], st["CapBnd"], st["NoNewPrivs"])
	}
}

// TestStrict_UserRootFlagHasNoCapabilities: --user root on a join of a
// strict sandbox started as self is uid 0, still with every capability
// dropped and no_new_privs set.
func TestStrict_UserRootFlagHasNoCapabilities(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	e.sh("true")
	out := e.must("run", "--user", "root", "--", "sh", "-c", "id -u; cat /proc/self/status")
	uid, status, _ := strings.Cut(out, "\n")
	st := statusFields(status)
	if uid != "0" || st["CapEff"] != "0000000000000000" || st["CapBnd"] != "0000000000000000" || st["NoNewPrivs"] != "1" {
		t.Errorf("--user root: uid %s CapEff %s CapBnd %s NoNewPrivs %s, want 0, none, none, 1", uid, st["CapEff"], st["CapBnd"], st["NoNewPrivs"])
	}
}

func TestStrict_PtraceOfInitFails(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	requireTool(t, e, "python3")
	// PTRACE_ATTACH (16) of PID 1 through libc: EPERM from the filter.
	r := e.run("run", "--", "python3", "-c", `import ctypes,os
libc=ctypes.CDLL(None,use_errno=True)
r=libc.ptrace(16,1,0,0)
print(r, ctypes.get_errno())`)
	if r.code != 0 || !strings.HasPrefix(strings.TrimSpace(r.stdout), "-1 1") {
		t.Errorf("ptrace(PTRACE_ATTACH, 1) = %q, want -1 with EPERM (1): %s", r.stdout, r)
	}
}

func TestStrict_KernelSurfaceClosed(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	for _, tc := range []struct{ desc, cmd string }{
		{"new user namespace", "unshare -U true"},
		{"mount in a new namespace", "unshare -Urm mount -t tmpfs none /mnt"},
		{"keyring", "keyctl show @s"},
	} {
		r := e.run("run", "--", "sh", "-c", tc.cmd+" 2>&1; echo status=$?")
		if strings.Contains(r.stdout, "status=0") {
			t.Errorf("%s worked in a strict session: %s", tc.desc, r.stdout)
		}
	}
}

// requireTool skips when the sandbox's root lacks a program.
func requireTool(t *testing.T, e *env, name string) {
	t.Helper()
	if r := e.run("run", "--", "sh", "-c", "command -v "+name); r.code != 0 {
		t.Skipf("%s is not installed on this host: the test needs it inside the sandbox", name)
	}
}

// TestStrict_NoSharedCacheByDefault: a strict sandbox does not get the
// devbox-wide package cache, which is a channel between sandboxes, unless
// its devbox.toml says cache = true.
func TestStrict_NoSharedCacheByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sh(`echo mod > "$GOMODCACHE/shared-marker"`)
	e.writeConfig("security = \"strict\"\n")
	check := `ls ~/go/pkg/mod/shared-marker 2>/dev/null || echo absent; echo "${GOMODCACHE-unset}"`
	if out := e.must("run", "--name", "strict-no-cache", "--", "sh", "-c", check); out != "absent\nunset\n" {
		t.Errorf("strict without cache: got %q, want no shared cache", out)
	}
	e.writeConfig("security = \"strict\"\ncache = true\n")
	if out := e.must("run", "--name", "strict-cache", "--", "sh", "-c", "cat ~/go/pkg/mod/shared-marker"); out != "mod\n" {
		t.Errorf("strict with cache = true: got %q, want the shared cache's file", out)
	}
}
