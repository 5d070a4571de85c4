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
		got, err := Find(tt.from)
		if err != nil || got != tt.want {
			t.Errorf("Find(%q) = %q, %v; want %q", tt.from, got, err, tt.want)
		}
	}
}
