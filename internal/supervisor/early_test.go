package supervisor

import (
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/userns"
)

// TestPlanFor: the plan made before the spec serves a spec for the same
// user only; another user's (a $USER that was not the user's) gets a plan
// of its own.
func TestPlanFor(t *testing.T) {
	pre := &preSpec{uid: 1000, gid: 1000, user: "alice", plan: userns.Plan{Warning: "made before the spec"}}
	if p, err := pre.planFor(proto.Spec{UID: 1000, GID: 1000, User: "alice"}); err != nil || p.Warning != "made before the spec" {
		t.Errorf("same user: got %+v, %v; want the plan made before the spec", p, err)
	}
	for _, spec := range []proto.Spec{
		{UID: 1000, GID: 1000, User: "bob"},
		{UID: 1001, GID: 1000, User: "alice"},
		{UID: 1000, GID: 1001, User: "alice"},
	} {
		if p, _ := pre.planFor(spec); p.Warning == "made before the spec" {
			t.Errorf("spec %d:%d %s: got the plan made for 1000:1000 alice", spec.UID, spec.GID, spec.User)
		}
	}
}
