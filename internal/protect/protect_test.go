package protect

import (
	"strings"
	"testing"
)

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

func TestList(t *testing.T) {
	tests := []struct {
		name             string
		noDef, gitWrites bool
		extra            []string
		hooks            string
		want             []string
	}{
		{"defaults", false, false, nil, "", Defaults(false)},
		{"no defaults, nothing else", true, false, nil, "", nil},
		{"extra cleaned, outside dropped", true, false, []string{"./secrets/", "/ci.yml", "../x", ".", "secrets"}, "", []string{"secrets", "ci.yml"}},
		{"hooks path", true, true, nil, "githooks", []string{"githooks"}},
		{"git_writes defaults", false, true, nil, "", Defaults(true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := List(tt.noDef, tt.gitWrites, tt.extra, tt.hooks)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("List = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHooksPath(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"none", "[core]\n\tbare = false\n", ""},
		{"plain", "[core]\n\thooksPath = githooks\n", "githooks"},
		{"case", "[CORE]\n\tHOOKSPATH=.husky\n", ".husky"},
		{"quoted with comment", "[core]\n\thookspath = \"my hooks\" # set by husky\n", "my hooks"},
		{"last wins", "[core]\nhooksPath = a\n[core]\nhooksPath = b\n", "b"},
		{"other section", "[alias]\n\thooksPath = x\n", ""},
		{"subsection is not core", "[core \"x\"]\n\thooksPath = x\n", ""},
		{"escaped", "[core]\nhooksPath = a\\\"b ; c\n", "a\"b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HooksPath(tt.config); got != tt.want {
				t.Errorf("HooksPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzHooksPath(f *testing.F) {
	f.Add("[core]\nhooksPath = \"a\\\"b\" ; x\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(HooksPath(s), "\n") {
			t.Fatal("a value spans lines")
		}
	})
}
