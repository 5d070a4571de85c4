package cli

import (
	"strings"
	"testing"
)

func TestFrontHandles(t *testing.T) {
	tests := []struct {
		args string
		want bool
	}{
		{"run -- true", true},
		{"run --name x -u root -- make", true},
		{"enter", true},
		{"enter --review", true},
		{"run --rm -- true", true},
		{"run --help", false},
		{"enter -h", false},
		{"run -- true --help", true}, // the command's own flag
		{"run -- true --rm", true},
		{"ps", false},
		{"--trace run -- true", false},
		{"", false},
		{"image ls", false},
	}
	for _, tt := range tests {
		if got := FrontHandles(strings.Fields(tt.args)); got != tt.want {
			t.Errorf("FrontHandles(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
