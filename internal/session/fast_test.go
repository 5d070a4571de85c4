package session

import (
	"slices"
	"strings"
	"testing"
)

// runArgv takes the command lines the fast join runs, and no other.
func TestRunArgv(t *testing.T) {
	for _, tt := range []struct {
		args, name, argv string
		ok               bool
	}{
		{"run -- true", "", "true", true},
		{"run true x", "", "true x", true},
		{"run -- -x", "", "-x", true},
		{"run --name nm -- sh -c x", "nm", "sh -c x", true},
		{"run --name=nm true", "nm", "true", true},
		{"run --name nm", "", "", false},
		{"run --", "", "", false},
		{"run", "", "", false},
		{"run --rm -- true", "", "", false},
		{"run -t -- sh", "", "", false},
		{"run --name nm --rm -- true", "", "", false},
		{"enter", "", "", false},
		{"enter -- true", "", "", false},
		{"ps", "", "", false},
		{"", "", "", false},
	} {
		name, argv, ok := runArgv(strings.Fields(tt.args))
		if ok != tt.ok || name != tt.name || !slices.Equal(argv, strings.Fields(tt.argv)) {
			t.Errorf("runArgv(%q) = %q, %q, %v; want %q, %q, %v", tt.args, name, argv, ok, tt.name, tt.argv, tt.ok)
		}
	}
}
