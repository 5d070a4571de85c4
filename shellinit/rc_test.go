package shellinit

import (
	"os/exec"
	"strings"
	"testing"
)

// The PATH hook runs in the real shells that have it here: what a login
// file set (a reset PATH plus an addition) becomes the sandbox's PATH with
// the addition after it.
func TestPathHookInRealShells(t *testing.T) {
	tests := []struct{ name, before, devboxPath, want string }{
		{"profile reset", "/usr/local/bin:/usr/bin:/bin:/usr/games", "/usr/local/go/bin:/usr/bin:/bin", "/usr/local/go/bin:/usr/bin:/bin:/usr/local/bin:/usr/games"},
		{"already right", "/a:/b", "/a:/b", "/a:/b"},
		{"empty entries dropped", "::/x:", "/a", "/a:/x"},
		{"no DEVBOX_PATH keeps PATH", "/a:/b", "", "/a:/b"},
		{"dirs with spaces and globs", "/my dir/bin:/g*", "/usr/bin", "/usr/bin:/my dir/bin:/g*"},
	}
	ran := 0
	for _, sh := range []string{"sh", "bash", "zsh", "busybox"} {
		bin, err := exec.LookPath(sh)
		if err != nil {
			continue
		}
		ran++
		for _, tt := range tests {
			t.Run(sh+"/"+tt.name, func(t *testing.T) {
				args := []string{"-c", pathHook + `printf %s "$PATH"`}
				if sh == "busybox" {
					args = append([]string{"sh"}, args...)
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = []string{"PATH=" + tt.before, "DEVBOX_PATH=" + tt.devboxPath}
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", sh, err, out)
				}
				if got := strings.TrimSpace(string(out)); got != tt.want {
					t.Errorf("PATH = %q, want %q", got, tt.want)
				}
			})
		}
	}
	if ran == 0 {
		t.Skip("no shell found in PATH")
	}
}
