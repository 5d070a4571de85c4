package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	tests := []struct {
		dir, prefix string
	}{
		{"/home/alice/src/My App", "my-app-"},
		{"/", "root-"},
		{"/srv/___", "root-"},
		{"/x/averyveryveryveryverylongprojectname", "averyveryveryveryverylon-"},
		{"/x/Go.Project_1", "go-project-1-"},
	}
	for _, tt := range tests {
		got := Name(tt.dir)
		if !strings.HasPrefix(got, tt.prefix) || len(got) != len(tt.prefix)+6 {
			t.Errorf("Name(%q) = %q, want prefix %q plus 6 hex", tt.dir, got, tt.prefix)
		}
		if err := ValidateName(got); err != nil {
			t.Errorf("Name(%q) = %q is not valid: %v", tt.dir, got, err)
		}
		if err := ValidateHostname(Hostname(got)); err != nil {
			t.Errorf("Hostname(%q): %v", got, err)
		}
	}
	if Name("/a/app") == Name("/b/app") {
		t.Error("two projects with one basename got one name")
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "my-box", "A.b_c-1"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a/b", "../x", "a b", strings.Repeat("a", 64)} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("ValidateName(%q) accepted", bad)
		}
	}
}

func TestValidateHostname(t *testing.T) {
	for _, ok := range []string{"a", "dev-box", "a.b.c", "x1"} {
		if err := ValidateHostname(ok); err != nil {
			t.Errorf("ValidateHostname(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "a_b", "a..b", strings.Repeat("a", 64)} {
		if err := ValidateHostname(bad); err == nil {
			t.Errorf("ValidateHostname(%q) accepted", bad)
		}
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	cfg := filepath.Join(root, "cfg")
	git := filepath.Join(root, "git")
	plain := filepath.Join(root, "plain", "sub")
	for _, d := range []string{filepath.Join(cfg, "a", "b"), filepath.Join(git, ".git"), filepath.Join(git, "x"), plain} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(cfg, ConfigFile), nil, 0o644)
	os.WriteFile(filepath.Join(cfg, "a", ".git"), nil, 0o644) // config wins over a nearer .git
	tests := []struct{ from, want string }{
		{filepath.Join(cfg, "a", "b"), cfg},
		{filepath.Join(git, "x"), git},
		{plain, plain},
	}
	for _, tt := range tests {
		got, ignored, err := Find(tt.from, "/nonexistent-home")
		if err != nil || got != tt.want || ignored != "" {
			t.Errorf("Find(%q) = %q, %v; want %q", tt.from, got, err, tt.want)
		}
	}
}

// TestFindIgnoresMarkersAtHomeOrAbove pins the dotfiles case: a git work
// tree (or devbox.toml) at $HOME or above never makes $HOME the project.
func TestFindIgnoresMarkersAtHomeOrAbove(t *testing.T) {
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	home := filepath.Join(root, "home", "u")
	sub := filepath.Join(home, "notes", "2024")
	proj := filepath.Join(home, "src", "app")
	for _, d := range []string{filepath.Join(home, ".git"), sub, filepath.Join(proj, ".git"), filepath.Join(proj, "pkg")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, ConfigFile), nil, 0o644) // above home
	tests := []struct{ from, want, ignored string }{
		{sub, sub, home},                       // dotfiles repo: fall back to the cwd
		{home, home, home},                     // at home itself (then refused by Check)
		{filepath.Join(proj, "pkg"), proj, ""}, // a real repo below home wins
		{filepath.Join(root, "home"), filepath.Join(root, "home"), root}, // devbox.toml above home
	}
	for _, tt := range tests {
		got, ignored, err := Find(tt.from, home)
		if err != nil || got != tt.want || ignored != tt.ignored {
			t.Errorf("Find(%q) = %q, ignored %q, %v; want %q, ignored %q", tt.from, got, ignored, err, tt.want, tt.ignored)
		}
	}
}

func TestGuardCheck(t *testing.T) {
	g := Guard{Home: "/home/u", Runtime: "/run/user/1000/devbox", Data: "/home/u/.local/share/devbox"}
	tests := []struct {
		dir      string
		explicit bool
		reason   string // "" when accepted
	}{
		{"/home/u/src/app", false, ""},
		{"/srv/app", false, ""},
		{"/tmp/app", false, ""},
		{"/home/u", false, "your home directory"},
		{"/home/u", true, ""},
		{"/home", true, "contains your home directory"},
		{"/", true, "contains your home directory"},
		{"/tmp", false, "shared temporary directory"},
		{"/var/tmp", true, "shared temporary directory"},
		{"/run/user/1000", false, "contains devbox's runtime dir"},
		{"/run/user/1000/devbox/box", false, "inside devbox's runtime dir"},
		{"/home/u/.local", false, "contains devbox's data dir"},
		{"/home/u/.local/share/devbox/sandboxes/x/home", true, "inside devbox's data dir"},
	}
	for _, tt := range tests {
		err := g.Check(tt.dir, tt.explicit)
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("Check(%q, %v): %v", tt.dir, tt.explicit, err)
		case tt.reason != "" && (err == nil || !strings.Contains(err.Error(), tt.reason)):
			t.Errorf("Check(%q, %v) = %v; want a refusal naming %q", tt.dir, tt.explicit, err, tt.reason)
		}
	}
}

func TestExplicit(t *testing.T) {
	root := t.TempDir()
	real, _ := filepath.EvalSymlinks(root)
	os.Mkdir(filepath.Join(root, "src"), 0o755)
	os.Symlink(filepath.Join(root, "src"), filepath.Join(root, "link"))
	os.WriteFile(filepath.Join(root, "file"), nil, 0o644)
	tests := []struct {
		arg, want string
		ok        bool
	}{
		{filepath.Join(root, "src"), filepath.Join(real, "src"), true},
		{filepath.Join(root, "link"), filepath.Join(real, "src"), true},
		{filepath.Join(root, "file"), "", false},
		{filepath.Join(root, "missing"), "", false},
	}
	for _, tt := range tests {
		got, err := Explicit(tt.arg)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Explicit(%q) = %q, %v; want %q, ok %v", tt.arg, got, err, tt.want, tt.ok)
		}
	}
}

// TestRealPath: symlinks resolve, a missing path is only cleaned and is
// looked at again once it exists, and an answer holds for the process.
func TestRealPath(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	later := filepath.Join(dir, "later")
	tests := []struct{ in, want string }{
		{"", ""},
		{real, real},
		{link, real},
		{link + "/", real},
		{later + "/./", later},
	}
	for _, tt := range tests {
		if got := RealPath(tt.in); got != tt.want {
			t.Errorf("RealPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if err := os.Symlink(real, later); err != nil {
		t.Fatal(err)
	}
	if got := RealPath(later); got != real {
		t.Errorf("RealPath(%q) once it exists = %q, want %q", later, got, real)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if got := RealPath(link); got != real {
		t.Errorf("RealPath(%q) after its removal = %q, want the remembered %q", link, got, real)
	}
}
