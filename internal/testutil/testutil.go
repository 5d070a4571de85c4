// Package testutil holds test helpers that skip with a reason when the host
// lacks something, or fail when DEVBOX_TEST_MUST_WORK is set (as
// bubblewrap's BWRAP_MUST_WORK), so CI can insist the skip paths not run.
//
// It runs on the host, in the test process, before any fork.
package testutil

import (
	"os"
	"os/exec"
	"testing"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/preflight"
)

// MustWork reports whether DEVBOX_TEST_MUST_WORK is set: skips become
// failures.
func MustWork() bool { return os.Getenv("DEVBOX_TEST_MUST_WORK") != "" }

// Skip skips the test with a reason, or fails it when MustWork.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if MustWork() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// RequireUserNS skips unless this process can really create a user
// namespace.
func RequireUserNS(t testing.TB) {
	t.Helper()
	if err := preflight.ProbeUserNS(); err != nil {
		if h := hint.Of(err); h != "" {
			Skip(t, "user namespaces unavailable: %v\nhint: %s", err, h)
		}
		Skip(t, "user namespaces unavailable: %v", err)
	}
}

// RequireBinary returns the path of name in PATH, or skips.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Skip(t, "%s not found in PATH: %v", name, err)
	}
	return p
}
