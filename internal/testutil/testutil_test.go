package testutil

import (
	"testing"
)

func TestRequireBinaryFindsSh(t *testing.T) {
	if p := RequireBinary(t, "sh"); p == "" {
		t.Error("empty path for sh")
	}
}

func TestSkipSkipsUnlessMustWork(t *testing.T) {
	t.Setenv("DEVBOX_TEST_MUST_WORK", "")
	ran := false
	t.Run("inner", func(t *testing.T) {
		defer func() { ran = true }()
		Skip(t, "reason %d", 1)
		t.Error("Skip returned")
	})
	if !ran {
		t.Error("inner test did not run")
	}
}

func TestRequireUserNS(t *testing.T) {
	RequireUserNS(t)
}
