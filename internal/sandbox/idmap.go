package sandbox

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/userns"
)

// A sandbox keeps the id map it started with: one started with only the
// user's own id mapped (no subordinate ids, or no newuidmap, then) keeps
// that single-id map after the user gains them. Joining it and devbox
// doctor say so, with the restart that gives it the full map.

// currentPlan is the id mapping a sandbox starting now would get; a plan
// that cannot be made reads as single-id (nothing to announce).
func currentPlan() userns.Plan {
	u, err := user.Current()
	if err != nil {
		return userns.Plan{}
	}
	p, err := userns.NewPlan(uint32(os.Getuid()), uint32(os.Getgid()), u.Username)
	if err != nil {
		return userns.Plan{}
	}
	return p
}

// staleSingleID reports whether the running sandbox st maps a single id
// while a start now would map more.
func staleSingleID(st state.State, now userns.Plan) bool {
	return st.SingleID && now.Size() > 1
}

// SingleIDNotice says that sandbox name still has the single-id map and
// how to get the full one.
func SingleIDNotice(name string) string {
	return fmt.Sprintf("sandbox %s still maps only your own id: it started before you had subordinate ids (and newuidmap); run 'devbox restart %s' (or 'devbox stop %s') to get the full map (this ends its running sessions)", name, name, name)
}

// StaleSingleID names the running sandboxes that have the single-id map
// while a start now would get the full one.
func StaleSingleID() ([]string, error) {
	list, err := List()
	if err != nil {
		return nil, err
	}
	root, err := state.RuntimeRoot()
	if err != nil {
		return nil, err
	}
	var out []string
	var plan *userns.Plan
	for _, s := range list {
		st, err := state.Read(filepath.Join(root, s.Name))
		if err != nil || !st.SingleID {
			continue
		}
		if plan == nil {
			p := currentPlan()
			plan = &p
		}
		if staleSingleID(st, *plan) {
			out = append(out, s.Name)
		}
	}
	return out, nil
}
