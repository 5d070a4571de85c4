package session

import (
	"strings"
	"testing"
)

func TestThrowawayRun(t *testing.T) {
	tests := []struct {
		args string
		want bool
	}{
		{"run --rm -- true", true},
		{"run --rm --network none -- true", true},
		{"run --network none --rm -- true", true},
		{"run --rm=true -- true", true},
		{"run --rm", true},          // no command: the parse reports it
		{"run -- true --rm", false}, // the command's own flag
		{"run -- --rm", false},
		{"run --help --rm -- true", false},
		{"run -h --rm", false},
		{"run --rm=false -- true", false},
		{"run -- true", false},
		{"enter --rm", false},
		{"--rm run -- true", false},
		{"--trace run --rm -- true", true}, // devbox's own flag
		{"--trace enter --rm", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ThrowawayRun(strings.Fields(tt.args)); got != tt.want {
			t.Errorf("ThrowawayRun(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
