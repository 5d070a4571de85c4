package hint

import (
	"errors"
	"fmt"
	"testing"
)

func TestWrapAndOf(t *testing.T) {
	if Wrap(nil, "x") != nil {
		t.Error("Wrap(nil) is not nil")
	}
	base := errors.New("newuidmap not found in PATH")
	err := fmt.Errorf("start sandbox: %w", Wrap(base, "sudo apt-get install uidmap"))
	if got := Of(err); got != "sudo apt-get install uidmap" {
		t.Errorf("Of = %q", got)
	}
	if !errors.Is(err, base) {
		t.Error("Error does not unwrap")
	}
	if err.Error() != "start sandbox: newuidmap not found in PATH" {
		t.Errorf("Error() = %q: the hint must not be in it", err.Error())
	}
	if Of(base) != "" {
		t.Error("Of of a plain error is not empty")
	}
}
