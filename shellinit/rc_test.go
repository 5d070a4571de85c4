package shellinit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

func TestInstallHintOnFailure(t *testing.T) {
	for _, sh := range []string{"/bin/sh", "/bin/bash"} {
		if _, err := os.Stat(sh); err == nil {
			installHintIn(t, sh)
		}
	}
}

func installHintIn(t *testing.T, sh string) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "dpkg"), []byte("#!/bin/sh\necho dpkg-failed >&2\nexit 2\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "pip"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	for _, view := range []string{"1", ""} {
		cmd := exec.Command(sh, "-c", installHint()+`dpkg -i x.deb; echo "rc=$?"; pip list`)
		cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", HostViewVar + "=" + view}
		out, _ := cmd.CombinedOutput()
		hinted := strings.Contains(string(out), "read-only in the host view")
		if !strings.Contains(string(out), "rc=2") || hinted != (view == "1") || strings.Count(string(out), "read-only") > 1 {
			t.Errorf("%s, host view %q: want exit status kept and the hint once only in the host view:\n%s", sh, view, out)
		}
	}
}

// TestEnsureRC: a fresh dir gets every file; a file that is right is left
// alone (same inode); a stale, truncated, symlinked or re-moded one is
// replaced with devbox's content.
func TestEnsureRC(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shellinit")
	if _, err := EnsureRC(dir); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for name, want := range rcFiles() {
			p := filepath.Join(dir, name)
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
				t.Fatalf("%s: %s: %v, mode %v; want a regular file of mode 0644", when, name, err, fi.Mode())
			}
			if got, _ := os.ReadFile(p); string(got) != want {
				t.Errorf("%s: %s holds %q, want devbox's content", when, name, got)
			}
		}
	}
	check("first write")
	shrc := filepath.Join(dir, "shrc")
	var before, after syscall.Stat_t
	syscall.Stat(shrc, &before)
	if _, err := EnsureRC(dir); err != nil {
		t.Fatal(err)
	}
	syscall.Stat(shrc, &after)
	if before.Ino != after.Ino {
		t.Errorf("an unchanged shrc was rewritten (inode %d, then %d)", before.Ino, after.Ino)
	}
	other := filepath.Join(t.TempDir(), "evil")
	os.WriteFile(other, []byte(rcFiles()["path"]), 0o644)
	spoil := map[string]func(p string){
		"shrc":          func(p string) { os.WriteFile(p, []byte("echo pwned\n"), 0o644) },
		"path":          func(p string) { os.Remove(p); os.Symlink(other, p) },
		"zsh/.zshenv":   func(p string) { os.Chmod(p, 0o666) },
		"zsh/.zprofile": func(p string) { os.Remove(p) },
		"zsh/.zshrc":    func(p string) { os.WriteFile(p, []byte(rcFiles()["zsh/.zshrc"]+"echo pwned\n"), 0o644) },
		"zsh/.zlogin":   func(p string) { os.Truncate(p, 3) },
	}
	for name, f := range spoil {
		f(filepath.Join(dir, name))
	}
	if _, err := EnsureRC(dir); err != nil {
		t.Fatal(err)
	}
	check("after spoiling each file")

	// A zsh dir that became a symlink is made a real dir again; its target
	// is not written.
	zsh := filepath.Join(dir, "zsh")
	os.RemoveAll(zsh)
	elsewhere := t.TempDir()
	os.Symlink(elsewhere, zsh)
	if _, err := EnsureRC(dir); err != nil {
		t.Fatal(err)
	}
	check("after zsh became a symlink")
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("EnsureRC wrote through the zsh symlink: %v", entries)
	}
}
