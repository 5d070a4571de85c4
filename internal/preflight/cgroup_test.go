package preflight

import (
	"fmt"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
)

func TestCgroupCheck(t *testing.T) {
	slice := "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service"
	delegated := cgroupv2.Delegation{Mount: "/sys/fs/cgroup", Own: slice + "/app.slice/vte.scope", Parent: slice}
	session := cgroupv2.Delegation{Mount: "/sys/fs/cgroup", Own: "/sys/fs/cgroup/user.slice/user-1000.slice/session-4.scope"}
	notDelegated := fmt.Errorf("%w: %s is not writable by uid 1000", cgroupv2.ErrNotDelegated, session.Own)
	hybrid := fmt.Errorf("%w: / offers none of the memory, pids and cpu controllers: %w", cgroupv2.ErrNotDelegated, cgroupv2.ErrNoControllers)
	noMount := fmt.Errorf("%w: no cgroup2 file system is mounted", cgroupv2.ErrNotDelegated)
	tests := []struct {
		name        string
		f           cgroupFacts
		status      Status
		detail      []string
		fix         string
		notInDetail string
	}{
		{"Debian 12 user@.service", cgroupFacts{d: delegated, have: []string{"memory", "pids", "cpu"}, missing: []string{"cpuset", "io"}},
			StatusOK, []string{"under " + slice, "delegated: memory, pids, cpu", "not delegated: cpuset, io", "Delegate=cpu cpuset io memory pids"}, "", ""},
		{"all delegated", cgroupFacts{d: delegated, have: cgroupv2.Reported},
			StatusOK, []string{"delegated: memory, pids, cpu, cpuset, io"}, "", "not delegated"},
		{"cpu missing", cgroupFacts{d: delegated, have: []string{"memory", "pids"}, missing: []string{"cpu", "cpuset", "io"}},
			StatusWarn, []string{"not delegated: cpu, cpuset, io", "limits on cpu will not be enforced"}, delegateFix, ""},
		{"ssh session, user manager", cgroupFacts{d: session, probeErr: notDelegated, userManager: true},
			StatusOK, []string{"session-4.scope is not writable", "transient systemd user scope"}, "", ""},
		{"ssh session, no user manager", cgroupFacts{d: session, probeErr: notDelegated},
			StatusWarn, []string{"session-4.scope is not writable", notEnforced}, scopeFix, ""},
		{"hybrid host", cgroupFacts{d: cgroupv2.Delegation{Mount: "/sys/fs/cgroup/unified", Own: "/sys/fs/cgroup/unified"}, probeErr: hybrid, userManager: true},
			StatusWarn, []string{"cgroup v1 holds the controllers", notEnforced}, unifiedFix, ""},
		{"no cgroup2", cgroupFacts{probeErr: noMount},
			StatusWarn, []string{"no cgroup2 file system", notEnforced}, unifiedFix, ""},
	}
	for _, tt := range tests {
		c := cgroupCheck(tt.f)
		if c.Status != tt.status || c.Fix != tt.fix {
			t.Errorf("%s: got %s fix %q, want %s fix %q\n%s", tt.name, c.Status, c.Fix, tt.status, tt.fix, c.Detail)
		}
		for _, d := range tt.detail {
			if !contains(c.Detail, d) {
				t.Errorf("%s: detail %q lacks %q", tt.name, c.Detail, d)
			}
		}
		if tt.notInDetail != "" && contains(c.Detail, tt.notInDetail) {
			t.Errorf("%s: detail %q has %q", tt.name, c.Detail, tt.notInDetail)
		}
	}
}

func TestCheckCgroupRunsOnThisHost(t *testing.T) {
	c := checkCgroup()
	if c.Status == StatusFail {
		t.Errorf("cgroup check must warn, not fail: %+v", c)
	}
	if c.Status == StatusWarn && !contains(c.Detail, notEnforced) && !contains(c.Detail, "will not be enforced") {
		t.Errorf("warning %q does not say what is not enforced", c.Detail)
	}
	t.Logf("%s: %s", c.Status, c.Detail)
}
