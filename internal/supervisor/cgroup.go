package supervisor

// The sandbox's cgroup, supervisor side: the group is a new leaf under the
// nearest delegated ancestor of the supervisor's own group, the child starts
// directly inside it (CLONE_INTO_CGROUP), and it is removed when the
// sandbox stops. The client removes the group of a supervisor killed with
// -9, and reads it for OOM reports, `devbox stats` and `devbox update`.

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
)

// unifiedHint is the fix on a hybrid host.
const unifiedHint = "boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line (cgroup v2 only), as current distributions do by default"

// setupCgroup creates the sandbox's group and writes its limits. Limits that
// cannot be enforced are named in one warning, or fail the start when the
// user required them.
func (s *supervisor) setupCgroup() error {
	lim := s.spec.Limits
	d, err := s.pre.probeCgroup()
	if err != nil {
		return s.notEnforced(lim.Flags(), err)
	}
	if miss := lim.Missing(d.Controllers); len(miss) > 0 {
		reason := fmt.Errorf("%s offers only the controllers %s", d.Parent, strings.Join(d.Controllers, ", "))
		if err := s.notEnforced(miss, reason); err != nil {
			return err
		}
	}
	g, err := cgroupv2.NewGroup(d, "devbox-"+s.spec.Name)
	if err != nil {
		return s.notEnforced(lim.Flags(), err)
	}
	s.cgroup = g
	s.spec.Cgroup = true
	// pids.max goes on the sessions leaf, which settleCgroup makes.
	early := lim.Supported(d.Controllers)
	s.pidsLimit, early.Pids = early.Pids, 0
	if err := g.Set(early); err != nil {
		return err
	}
	s.cgroupFD, err = g.FD()
	return err
}

// settleCgroup runs once the child exists: it moves the child from the
// group itself (the root of its cgroup namespace) into the init leaf, and
// sets the pids limit on the sessions leaf, so a fork bomb in a session
// cannot keep init from creating threads.
func (s *supervisor) settleCgroup() error {
	if s.cgroup == nil {
		return nil
	}
	if err := s.cgroup.Settle(s.cmd.Process.Pid); err != nil {
		return err
	}
	return s.cgroup.Set(cgroupv2.Limits{Pids: s.pidsLimit})
}

// notEnforced reports limits that will not be enforced: a warning, or an
// error with --require-limits. Without limits asked for, nothing is said
// ('devbox doctor' tells about delegation).
func (s *supervisor) notEnforced(flags []string, reason error) error {
	if len(flags) == 0 {
		return nil
	}
	reason = scopeReason(reason, s.spec.ScopeError)
	msg := fmt.Sprintf("limits not enforced: %s: %v", strings.Join(flags, ", "), reason)
	fix := cgroupv2.DelegateHint
	if errors.Is(reason, cgroupv2.ErrNoControllers) {
		fix = unifiedHint
	}
	if s.spec.RequireLimits {
		return hint.Wrap(fmt.Errorf("--require-limits: %s", msg), fix)
	}
	return proto.Encode(s.ready, proto.Warning{Msg: msg + "\nhint: " + fix})
}

// intoCgroup makes the child start inside the sandbox's group, so no process
// of the sandbox ever runs outside its limits.
func (s *supervisor) intoCgroup(attr *unix.SysProcAttr) {
	if s.cgroupFD != nil {
		attr.UseCgroupFD = true
		attr.CgroupFD = int(s.cgroupFD.Fd())
	}
}

// cgroupPath is the group's path for state.json, "" without a group.
func (s *supervisor) cgroupPath() string {
	if s.cgroup == nil {
		return ""
	}
	return s.cgroup.Path
}

// removeCgroup removes the group when the sandbox ends.
func (s *supervisor) removeCgroup() {
	if s.cgroupFD != nil {
		s.cgroupFD.Close()
	}
	if s.cgroup != nil {
		if err := s.cgroup.Remove(); err != nil {
			fmt.Fprintf(os.Stderr, "devbox: %v\n", err)
		}
	}
}

// scopeReason adds systemd-run's failure to a not-delegated reason.
func scopeReason(reason error, scopeErr string) error {
	if scopeErr == "" {
		return reason
	}
	return fmt.Errorf("%w; %s", reason, scopeErr)
}
