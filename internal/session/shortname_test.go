package session

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/devbox-dev/devbox/internal/project"
)

func TestShortNameAmong(t *testing.T) {
	app := project.Name("/src/app")
	twin := project.Name("/other/app")
	tests := []struct {
		name, project string
		others        []string
		want          string
	}{
		{"alone", "/src/app", nil, "app"},
		{"itself listed", "/src/app", []string{app}, "app"},
		{"other basename", "/src/app", []string{app, project.Name("/src/web")}, "app"},
		{"twin running or stopped", "/src/app", []string{app, twin}, app},
		{"twin without hash suffix", "/src/app", []string{"app"}, app},
		{"given --name", "/src/app", nil, "custom"},
		{"no project", "", nil, "custom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := app
			if tt.want == "custom" {
				name = "custom"
			}
			if got := shortNameAmong(name, tt.project, tt.others); got != tt.want {
				t.Errorf("shortNameAmong(%q, %q, %q) = %q, want %q", name, tt.project, tt.others, got, tt.want)
			}
		})
	}
}

// TestDirNames: only the subdirectories whose names start with the prefix,
// in a real directory, and none for a missing one; a buffer that holds a
// few entries at a time lists them all too.
func TestDirNames(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"app-0a1b2c", "app", "apple-123456", "web-0a1b2c"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "app-ffffff"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "web-0a1b2c"), filepath.Join(dir, "app-eeeeee")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"app", []string{"app", "app-0a1b2c", "apple-123456"}},
		{"web", []string{"web-0a1b2c"}},
		{"db", nil},
		{"", []string{"app", "app-0a1b2c", "apple-123456", "web-0a1b2c"}},
	}
	for _, size := range []int{direntBufSize, 64} {
		for _, tt := range tests {
			got := dirNames(dir, tt.prefix, make([]byte, size))
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("dirNames(%q) with a %d-byte buffer = %q, want %q", tt.prefix, size, got, tt.want)
			}
		}
	}
	if got := dirNames(filepath.Join(dir, "missing"), "app", make([]byte, direntBufSize)); got != nil {
		t.Errorf("dirNames(missing) = %q, want none", got)
	}
}
