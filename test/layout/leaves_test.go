// Package layout holds tests of the source tree's shape. They read the
// source files only; nothing runs.
package layout

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/devbox-dev/devbox"

// notLeaves are the top-level dirs that are not library packages.
var notLeaves = []string{"cmd", "internal", "test", "bench", "contrib", "docs"}

// TestTopLevelPackagesAreLeaves fails when a top-level package (storage,
// slirpnet, cgroupv2, userns, shellinit, hint, subid and their
// subpackages) imports anything under internal/ or cmd/: they are
// libraries the processes use, never the other way round. Their tests may
// use internal/testutil, which only skips.
func TestTopLevelPackagesAreLeaves(t *testing.T) {
	root := filepath.Join("..", "..")
	var seen []string
	for _, dir := range topLevelDirs(t, root) {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			seen = append(seen, dir)
			for _, imp := range imports(t, path) {
				if bad(imp, strings.HasSuffix(path, "_test.go")) {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s imports %s: a top-level package must import nothing under internal/ or cmd/", rel, imp)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"storage", "slirpnet", "cgroupv2", "userns", "shellinit", "hint", "subid"} {
		if !slices.Contains(seen, want) {
			t.Errorf("no Go files found in top-level package %s", want)
		}
	}
}

func topLevelDirs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !slices.Contains(notLeaves, e.Name()) {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

func imports(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range f.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		out = append(out, p)
	}
	return out
}

// bad reports whether a top-level package's file may not import imp.
func bad(imp string, testFile bool) bool {
	if testFile && imp == module+"/internal/testutil" {
		return false
	}
	return strings.HasPrefix(imp, module+"/internal/") || strings.HasPrefix(imp, module+"/cmd/")
}

func TestBad(t *testing.T) {
	tests := []struct {
		imp      string
		testFile bool
		want     bool
	}{
		{module + "/internal/preflight", false, true},
		{module + "/internal/testutil", false, true},
		{module + "/internal/testutil", true, false},
		{module + "/internal/proto", true, true},
		{module + "/cmd/devbox", false, true},
		{module + "/hint", false, false},
		{module + "/storage/driver", false, false},
		{"golang.org/x/sys/unix", false, false},
		{module + "/internalx", false, false},
	}
	for _, tt := range tests {
		if got := bad(tt.imp, tt.testFile); got != tt.want {
			t.Errorf("bad(%q, %v) = %v, want %v", tt.imp, tt.testFile, got, tt.want)
		}
	}
}
