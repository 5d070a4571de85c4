package initproc

// Strict sessions start as init's own binary in the session stage
// (internal/strict), which confines itself and then runs the program.

import (
	"fmt"
	"os"
	"syscall"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/strict"
	"golang.org/x/sys/unix"
)

// strictSessions is what init needs to start strict sessions: its own
// binary, open (it may be a sealed memfd with no path), and the policy.
type strictSessions struct {
	exe    *os.File
	policy strict.Policy
}

// newStrictSessions opens init's binary when the profile is strict; it
// returns nil for the other profiles.
func newStrictSessions(spec proto.Spec) (*strictSessions, error) {
	if spec.Security != proto.SecurityStrict {
		return nil, nil
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open init binary for strict sessions: %w", err)
	}
	return &strictSessions{exe: exe, policy: strict.PolicyFor(spec)}, nil
}

// wrap makes attr start the session stage in front of path and argv: the
// binary goes in as descriptor strict.ExeFD, after stdio, which the caller
// puts in front of attr.Files. A user = "self" session keeps CAP_SETPCAP
// as an ambient capability through its change of uid, so that the stage
// can empty the full bounding set its nested user namespace starts with.
func (sc *strictSessions) wrap(path string, argv []string, attr *syscall.ProcAttr) (string, []string, error) {
	wpath, wargv, wenv, err := strict.Wrap(path, argv, attr.Env, sc.policy)
	if err != nil {
		return "", nil, err
	}
	attr.Env = wenv
	attr.Files = []uintptr{sc.exe.Fd()}
	if attr.Sys.Credential != nil {
		attr.Sys.AmbientCaps = []uintptr{unix.CAP_SETPCAP}
	}
	return wpath, wargv, nil
}

// policyOrNil is the strict policy, nil for the other profiles.
func (sc *strictSessions) policyOrNil() *strict.Policy {
	if sc == nil {
		return nil
	}
	return &sc.policy
}
