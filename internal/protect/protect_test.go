package protect

import "testing"

func TestCovers(t *testing.T) {
	def := Defaults(false)
	gw := Defaults(true)
	tests := []struct {
		name string
		list []string
		rel  string
		want bool
	}{
		{"hook", def, ".git/hooks/pre-commit", true},
		{"git dir itself", def, ".git", true},
		{"object with git_writes", gw, ".git/objects/ab/cd", false},
		{"hook with git_writes", gw, ".git/hooks/pre-commit", true},
		{"commondir with git_writes", gw, ".git/commondir", true},
		{"config file", def, "devbox.toml", true},
		{"devcontainer child", def, ".devcontainer/devcontainer.json", true},
		{"envrc", def, ".envrc", true},
		{"vscode task", def, ".vscode/tasks.json", true},
		{"ordinary file", def, "main.go", false},
		{"prefix is not parent", def, ".gitignore", false},
		{"dot segments", def, "./src/../.git/config", true},
		{"leading slash", def, "/.envrc", true},
		{"outside project", def, "../.git/config", false},
		{"nested .git is not the project's", def, "vendor/x/.git/config", false},
		{"empty list", nil, ".git", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Covers(tt.list, tt.rel); got != tt.want {
				t.Errorf("Covers(%q) = %v, want %v", tt.rel, got, tt.want)
			}
		})
	}
}

func FuzzCovers(f *testing.F) {
	for _, s := range []string{".git/hooks/x", "a/../.git", "../x", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		if Covers(Defaults(false), rel) && Covers(nil, rel) {
			t.Fatal("an empty list covered a path")
		}
	})
}
