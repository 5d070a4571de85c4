package preflight

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/devbox-dev/devbox/hint"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestDiagnoseUserNS(t *testing.T) {
	eperm := fmt.Errorf("create user namespace: %w", &os.PathError{Op: "fork/exec", Path: "/bin/true", Err: syscall.EPERM})
	enospc := fmt.Errorf("create user namespace: %w", syscall.ENOSPC)
	tests := []struct {
		name     string
		err      error
		sysctls  map[string]string
		wantMsg  string
		wantHint string
	}{
		{"debian sysctl off", eperm, map[string]string{sysctlUsernsClone: "0", sysctlMaxUserns: "1000"},
			"kernel.unprivileged_userns_clone=0", "sudo sysctl -w kernel.unprivileged_userns_clone=1"},
		{"max zero", eperm, map[string]string{sysctlMaxUserns: "0"},
			"max_user_namespaces=0", "sudo sysctl -w user.max_user_namespaces=28633"},
		{"ENOSPC names the limit", enospc, map[string]string{sysctlMaxUserns: "10"},
			"max_user_namespaces=10", "user.max_user_namespaces=28633"},
		{"apparmor", eperm, map[string]string{sysctlAppArmor: "1", sysctlMaxUserns: "1000"},
			"apparmor_restrict_unprivileged_userns=1", "userns,"},
		{"eperm otherwise", eperm, nil, "not permitted", "container"},
		{"unknown", errors.New("boom"), nil, "boom", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := func(p string) string { return tt.sysctls[p] }
			err := diagnoseUserNS(tt.err, read, "/usr/local/bin/devbox")
			if !contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if h := hint.Of(err); !contains(h, tt.wantHint) || (tt.wantHint == "") != (h == "") {
				t.Errorf("hint %q does not contain %q", h, tt.wantHint)
			}
			if !errors.Is(err, tt.err) {
				t.Error("diagnosis lost the cause")
			}
		})
	}
}

func TestSysctlCheck(t *testing.T) {
	tests := []struct {
		name, value string
		root        bool
		want        Status
	}{
		{"unprivileged_userns_clone", "1", false, StatusOK},
		{"unprivileged_userns_clone", "0", false, StatusFail},
		{"unprivileged_userns_clone", "0", true, StatusOK},
		{"max_user_namespaces", "0", true, StatusFail},
		{"max_user_namespaces", "63000", false, StatusOK},
	}
	for _, tt := range tests {
		c := sysctlCheck(tt.name, tt.value, tt.root)
		if c.Status != tt.want || (c.Status != StatusOK) != (c.Fix != "") {
			t.Errorf("sysctlCheck(%s=%s, root=%v) = %+v, want %s with a fix unless ok", tt.name, tt.value, tt.root, c, tt.want)
		}
	}
}

func TestCheckSubIDs(t *testing.T) {
	const both = "alice:100000:65536\nbob:165536:65536\n"
	tests := []struct {
		name           string
		u              who
		subuid, subgid string
		want           Status
		fix            string
	}{
		{"user with both", who{1000, 1000, "alice"}, both, both, StatusOK, ""},
		{"user by numeric id", who{1002, 1002, "carol"}, "1002:300000:10\n", "carol:300000:10\n", StatusOK, ""},
		{"user without any", who{1002, 1002, "carol"}, both, both, StatusWarn,
			"sudo usermod --add-subuids 231072-296607 --add-subgids 231072-296607 carol"},
		{"user without subgid", who{1000, 1000, "alice"}, both, "", StatusWarn,
			"sudo usermod --add-subgids 231072-296607 alice"},
		{"empty files", who{1000, 1000, "alice"}, "", "", StatusWarn,
			"sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice"},
		{"root without ranges", who{0, 0, "root"}, both, both, StatusOK, ""},
		{"root with ranges", who{0, 0, "root"}, "root:500000:65536\n", "root:500000:65536\n", StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checkSubIDs(tt.u, []byte(tt.subuid), []byte(tt.subgid))
			if c.Status != tt.want || c.Fix != tt.fix {
				t.Errorf("got %+v, want status %s fix %q", c, tt.want, tt.fix)
			}
		})
	}
}

func TestCheckNetwork(t *testing.T) {
	none := func(string) (string, error) { return "", errors.New("not found") }
	c := checkNetwork(none)
	if c.Status != StatusWarn || !contains(c.Detail, "install package slirp4netns or passt; until then use --network none") {
		t.Errorf("no drivers: %+v", c)
	}
	onlyPasta := func(b string) (string, error) {
		if b == "pasta" {
			return "/usr/bin/pasta", nil
		}
		return "", errors.New("not found")
	}
	if c := checkNetwork(onlyPasta); c.Status != StatusOK || c.Detail != "/usr/bin/pasta" {
		t.Errorf("pasta only: %+v", c)
	}
}

func TestCheckRuntimeDir(t *testing.T) {
	u := who{uint32(os.Getuid()), uint32(os.Getgid()), "me"}
	dir := t.TempDir()
	tests := []struct{ dir, want string }{
		{"", "XDG_RUNTIME_DIR is unset; using /tmp/devbox-"},
		{dir, dir + "/devbox"},
		{dir + "/absent", "is not a directory you own; using /tmp/devbox-"},
	}
	for _, tt := range tests {
		c := checkRuntimeDir(u, tt.dir)
		if c.Status != StatusOK || !contains(c.Detail, tt.want) {
			t.Errorf("checkRuntimeDir(%q) = %+v, want detail with %q", tt.dir, c, tt.want)
		}
	}
}

func TestCheckDeviceMissing(t *testing.T) {
	c := checkDevice("/dev/devbox-no-such-device", "impact", "sudo modprobe x")
	if c.Status != StatusWarn || c.Fix != "sudo modprobe x" || !contains(c.Detail, "impact") {
		t.Errorf("got %+v", c)
	}
}

func TestFormat(t *testing.T) {
	var b bytes.Buffer
	Format(&b, []Check{
		{Name: "user namespaces", Status: StatusOK, Detail: "created one as uid 1000", Fix: "unused"},
		{Name: "network", Status: StatusWarn, Detail: "none", Fix: "sudo apt-get install slirp4netns"},
		{Name: "apparmor", Status: StatusFail, Detail: "restricted", Fix: "line one\nline two\n"},
	})
	want := "" +
		"ok   user namespaces  created one as uid 1000\n" +
		"warn network          none\n" +
		"     fix: sudo apt-get install slirp4netns\n" +
		"fail apparmor         restricted\n" +
		"     fix: line one\n" +
		"          line two\n"
	if b.String() != want {
		t.Errorf("Format:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestFailed(t *testing.T) {
	if Failed([]Check{{Status: StatusOK}, {Status: StatusWarn}}) {
		t.Error("warnings count as failure")
	}
	if !Failed([]Check{{Status: StatusOK}, {Status: StatusFail}}) {
		t.Error("failure not reported")
	}
}

func TestRunStableOrder(t *testing.T) {
	names := func(cs []Check) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Name)
			if c.Status != StatusOK && c.Status != StatusWarn && c.Status != StatusFail {
				t.Errorf("check %q has status %q", c.Name, c.Status)
			}
		}
		return strings.Join(s, ",")
	}
	first := names(Run())
	if second := names(Run()); first != second {
		t.Errorf("order changed:\n%s\n%s", first, second)
	}
	if !strings.HasPrefix(first, "kernel,user namespaces,newuidmap,newgidmap,subordinate ids,") ||
		!strings.HasSuffix(first, "runtime dir,network,/dev/net/tun,fuse-overlayfs,storage,cgroup v2") {
		t.Errorf("unexpected order: %s", first)
	}
}

func TestProbeUserNS(t *testing.T) {
	err := ProbeUserNS()
	if err == nil {
		return
	}
	if os.Getenv("DEVBOX_TEST_MUST_WORK") != "" {
		t.Fatalf("user namespaces required: %v (hint: %s)", err, hint.Of(err))
	}
	t.Skipf("no user namespaces here: %v (hint: %s)", err, hint.Of(err))
}
