package sandbox

import (
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/userns"
)

func TestStaleSingleID(t *testing.T) {
	single := userns.Plan{UID: []userns.Mapping{{Inside: 0, Host: 1000, Count: 1}}}
	full := userns.Plan{UID: []userns.Mapping{{Inside: 0, Host: 1000, Count: 1}, {Inside: 1, Host: 100000, Count: 65536}}}
	tests := []struct {
		name string
		st   state.State
		now  userns.Plan
		want bool
	}{
		{"single then, full now", state.State{SingleID: true}, full, true},
		{"single then, still single", state.State{SingleID: true}, single, false},
		{"full then", state.State{}, full, false},
		{"no plan now", state.State{SingleID: true}, userns.Plan{}, false},
	}
	for _, tt := range tests {
		if got := staleSingleID(tt.st, tt.now); got != tt.want {
			t.Errorf("%s: staleSingleID = %v, want %v", tt.name, got, tt.want)
		}
	}
	n := SingleIDNotice("web-1")
	for _, w := range []string{"only your own id", "devbox restart web-1", "devbox stop web-1"} {
		if !strings.Contains(n, w) {
			t.Errorf("SingleIDNotice = %q, lacks %q", n, w)
		}
	}
}
