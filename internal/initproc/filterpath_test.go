package initproc

import (
	"slices"
	"testing"
)

func TestFilterPaths(t *testing.T) {
	inside := map[string]bool{"/usr/bin": true, "/bin": true, "/usr/local/go/bin": true, "/proj/bin": true}
	exists := func(p string) bool { return inside[p] }
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"drops absent dirs in order",
			[]string{"PATH=/usr/local/go/bin:/home/me/.cargo/bin:/usr/bin:/bin", "HOME=/home/me"},
			[]string{"PATH=/usr/local/go/bin:/usr/bin:/bin", "HOME=/home/me"}},
		{"relative and empty entries go",
			[]string{"PATH=.::bin:/proj/bin"},
			[]string{"PATH=/proj/bin"}},
		{"the rc copy follows",
			[]string{"DEVBOX_PATH=/snap/bin:/usr/bin", "OTHER=/snap/bin:/nope"},
			[]string{"DEVBOX_PATH=/usr/bin", "OTHER=/snap/bin:/nope"}},
		{"nothing left falls back",
			[]string{"PATH=/nope"},
			[]string{"PATH=/usr/bin:/bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := filterPaths(tt.env, exists); !slices.Equal(got, tt.want) {
				t.Errorf("filterPaths(%q) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}

// TestOnceEach: each path is looked at once, and keeps its answer.
func TestOnceEach(t *testing.T) {
	calls := map[string]int{}
	f := onceEach(func(p string) bool { calls[p]++; return p == "/usr/bin" })
	env := []string{"PATH=/usr/bin:/nope:/usr/bin", "DEVBOX_PATH=/usr/bin:/nope"}
	got := filterPaths(env, f)
	want := []string{"PATH=/usr/bin:/usr/bin", "DEVBOX_PATH=/usr/bin"}
	if !slices.Equal(got, want) {
		t.Errorf("filterPaths = %q, want %q", got, want)
	}
	for p, n := range calls {
		if n != 1 {
			t.Errorf("%s looked at %d times, want once", p, n)
		}
	}
}
