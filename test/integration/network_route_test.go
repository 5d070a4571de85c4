//go:build integration

package integration

import (
	"os"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// hasDefaultRoute reports whether this network namespace has an IPv4
// default route (/proc/net/route: destination and mask 0).
func hasDefaultRoute(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		t.Fatalf("read routes: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 7 && f[1] == "00000000" && f[7] == "00000000" {
			return true
		}
	}
	return false
}

// pasta (Debian 12's) copies its addresses from the interface with the
// default route and refuses to start without one (the UML guest has
// none): devbox must say so and name the driver that works. With a
// default route (the host) it starts.
func TestNetwork_PastaNeedsDefaultRoute(t *testing.T) {
	t.Parallel()
	testutil.RequireBinary(t, "pasta")
	e := newEnv(t)
	if hasDefaultRoute(t) {
		e.must("run", "--rm", "--network", "pasta", "--", "true")
		return
	}
	e.mustFail([]string{"no network interface with a default route", "--network slirp4netns"},
		"run", "--rm", "--network", "pasta", "--", "true")
	if out := e.must("run", "--rm", "--network", "slirp4netns", "--", "echo", "ok"); out != "ok\n" {
		t.Errorf("slirp4netns without a default route: %q", out)
	}
}
