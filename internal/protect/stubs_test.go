package protect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeepAndRemoveStubs: the record kept in a data dir removes what is
// still a stub, and nothing the user made of one since.
func TestKeepAndRemoveStubs(t *testing.T) {
	project, runtime, data := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "sandboxes", "x")
	p := func(name string) string { return filepath.Join(project, name) }
	for _, d := range []string{".vscode", ".idea", ".git"} {
		if err := os.Mkdir(p(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		".idea/workspace.xml": "the user's", // .idea is no longer empty
		".git/commondir":      ".\n",        // still the stub
		".git/config":         "[core]\n",   // the user's own
	}
	for name, content := range files {
		if err := os.WriteFile(p(name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	record := strings.Join([]string{p(".vscode"), p(".idea"), p(".git/commondir"), p(".git/config"), p(".envrc"), "relative"}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(runtime, StubsFile), []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := KeepStubs(runtime, data); err != nil {
		t.Fatal(err)
	}
	RemoveStubs(data)
	for name, want := range map[string]bool{".vscode": false, ".idea": true, ".idea/workspace.xml": true, ".git/commondir": false, ".git/config": true, ".git": true} {
		_, err := os.Lstat(p(name))
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", name, got, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(data, StubsFile)); err == nil {
		t.Error("the record is left after the removal")
	}
	if err := KeepStubs(t.TempDir(), data); err != nil {
		t.Errorf("KeepStubs without a record: %v", err)
	}
}
