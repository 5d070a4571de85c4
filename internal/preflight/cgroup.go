package preflight

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/devbox-dev/devbox/cgroupv2"
)

// notEnforced ends every cgroup warning: what the user loses.
const notEnforced = "limits (memory, pids, cpu) will not be enforced"

// unifiedFix is the fix on a host where cgroup v1 holds the controllers.
const unifiedFix = "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2 only)"

// delegateFix adds controllers to what systemd delegates to every user's
// user@.service (Debian 12 delegates memory, pids and cpu).
const delegateFix = `sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\nDelegate=cpu cpuset io memory pids\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload`

// scopeFix gets a delegated group without a user@.service drop-in.
const scopeFix = "log in through a systemd user session (ssh or a desktop login with systemd --user running), or run 'systemd-run --user --scope -p Delegate=yes -- devbox enter'"

// cgroupFacts is what the cgroup check looks at, gathered on the host.
type cgroupFacts struct {
	d        cgroupv2.Delegation
	probeErr error
	// have and missing split cgroupv2.Reported by d.Parent's controllers.
	have, missing []string
	userManager   bool // a systemd user manager is reachable
}

// checkCgroup reports where the sandbox's group would go and which
// controllers are delegated there, using the same probe as the supervisor.
func checkCgroup() Check {
	f := cgroupFacts{userManager: cgroupv2.UserManagerReachable(os.Getenv("XDG_RUNTIME_DIR"), exec.LookPath)}
	f.d, f.probeErr = cgroupv2.Probe()
	if f.probeErr == nil {
		f.have, f.missing = cgroupv2.Controllers(f.d.Parent)
	}
	return cgroupCheck(f)
}

// cgroupCheck turns the facts into the check: a warning names what is not
// enforced and how to get it.
func cgroupCheck(f cgroupFacts) Check {
	c := Check{Name: "cgroup v2"}
	switch {
	case errors.Is(f.probeErr, cgroupv2.ErrNoControllers):
		return c.warn(f.probeErr.Error()+": "+notEnforced, unifiedFix)
	case cgroupv2.ScopeHelps(f.probeErr, f.userManager):
		return c.ok(f.probeErr.Error() + "; devbox starts each sandbox in a transient systemd user scope with Delegate=yes")
	case f.probeErr != nil && f.d.Own == "":
		return c.warn(f.probeErr.Error()+": "+notEnforced, unifiedFix)
	case f.probeErr != nil:
		return c.warn(f.probeErr.Error()+": "+notEnforced, scopeFix)
	}
	detail := fmt.Sprintf("sandbox groups go under %s; delegated: %s", f.d.Parent, list(f.have))
	lacking := missingWanted(f.missing)
	if len(lacking) > 0 {
		return c.warn(fmt.Sprintf("%s; not delegated: %s: limits on %s will not be enforced", detail, list(f.missing), list(lacking)), delegateFix)
	}
	if len(f.missing) > 0 {
		detail += fmt.Sprintf("; not delegated: %s (devbox does not need them; to add them: %s)", list(f.missing), delegateFix)
	}
	return c.ok(detail)
}

// missingWanted returns the controllers devbox uses among missing.
func missingWanted(missing []string) []string {
	var out []string
	for _, m := range missing {
		for _, w := range cgroupv2.Wanted {
			if m == w {
				out = append(out, m)
			}
		}
	}
	return out
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
