package testutil

import (
	"os"
	"testing"
)

// Guest reports whether the tests run inside test/vm's User-Mode Linux
// guest (DEVBOX_TEST_GUEST set by its init), which has no network to the
// outside world.
func Guest() bool { return os.Getenv("DEVBOX_TEST_GUEST") != "" }

// SkipInGuest skips the test with reason when it runs in the VM guest, even
// with DEVBOX_TEST_MUST_WORK: for what the guest cannot offer by design. It
// does nothing elsewhere, so the host run still insists.
func SkipInGuest(t testing.TB, reason string) {
	t.Helper()
	if Guest() {
		t.Skip("in the VM guest: " + reason)
	}
}
