package supervisor

// What the supervisor works out before its launch spec comes: the id
// mapping and the cgroup probe depend on nothing in the spec but the
// user, who is this process's. A supervisor started early (a run --rm's)
// waits for the spec for as long as its client loads the config; any
// other gets it while its runtime starts. Either way the work is done
// before the read, not between the spec and the child's clone.

import (
	"os"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/userns"
)

// preSpec is the work done before the spec: the plan for this process's
// user and the cgroup probe, each with its error.
type preSpec struct {
	uid, gid  uint32
	user      string
	plan      userns.Plan
	planErr   error
	cgroup    cgroupv2.Delegation
	cgroupErr error
}

// prepareBeforeSpec plans the ids of this process's user and probes the
// cgroup tree.
func prepareBeforeSpec() *preSpec {
	defer trace.Begin("plan ids, probe cgroup (before the spec)")()
	// The user's name, which /etc/subuid may name the range by, is a
	// guess from $USER, which the client passes on: the spec names the
	// user (from /etc/passwd), and planFor plans again for another. A
	// lookup here would parse /etc/passwd a second time per start.
	p := &preSpec{uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), user: os.Getenv("USER")}
	p.plan, p.planErr = userns.NewPlan(p.uid, p.gid, p.user)
	p.cgroup, p.cgroupErr = cgroupv2.Probe()
	return p
}

// planFor is the id plan for spec's user: the one made before the spec
// when the user is the same, as it is unless the client runs as another
// user than this process (which it started).
func (p *preSpec) planFor(spec proto.Spec) (userns.Plan, error) {
	if p != nil && spec.UID == p.uid && spec.GID == p.gid && spec.User == p.user {
		return p.plan, p.planErr
	}
	return userns.NewPlan(spec.UID, spec.GID, spec.User)
}

// probeCgroup is the cgroup probe made before the spec, or a new one.
func (p *preSpec) probeCgroup() (cgroupv2.Delegation, error) {
	if p != nil {
		return p.cgroup, p.cgroupErr
	}
	return cgroupv2.Probe()
}
