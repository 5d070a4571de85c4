package supervisor

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/cgroupv2"
)

func TestScopeReason(t *testing.T) {
	base := fmt.Errorf("%w: not writable", cgroupv2.ErrNotDelegated)
	if got := scopeReason(base, ""); got != base {
		t.Errorf("no scope error: %v", got)
	}
	got := scopeReason(base, "systemd-run --user --scope failed: Failed to connect to bus")
	if !errors.Is(got, cgroupv2.ErrNotDelegated) || !strings.Contains(got.Error(), "Failed to connect to bus") {
		t.Errorf("with scope error: %v", got)
	}
}
