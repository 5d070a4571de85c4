package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestVSCodeProfileMergesSettings(t *testing.T) {
	tests := []struct {
		name, existing, wantDefault string
	}{
		{"no file", "", "devbox"},
		{"comments and other keys", "{\n // mine\n \"editor.tabSize\": 2,\n \"terminal.integrated.profiles.linux\": {\"bash\": {\"path\": \"bash\"}},\n}\n", "devbox"},
		{"user's default kept", `{"terminal.integrated.defaultProfile.linux": "zsh"}`, "zsh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ".vscode", "settings.json")
			if tt.existing != "" {
				os.MkdirAll(filepath.Dir(path), 0o755)
				os.WriteFile(path, []byte(tt.existing), 0o644)
			}
			a := &App{Stdout: os.Stdout, Stderr: os.Stderr}
			if err := writeVSCodeProfile(a, dir); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			b, _ := os.ReadFile(path)
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("settings.json is not JSON: %v\n%s", err, b)
			}
			profiles, _ := got["terminal.integrated.profiles.linux"].(map[string]any)
			p, _ := profiles["devbox"].(map[string]any)
			if p["path"] != "devbox" || len(p["args"].([]any)) != 1 || p["args"].([]any)[0] != "enter" {
				t.Errorf("devbox profile = %v, want devbox enter", p)
			}
			if got["terminal.integrated.defaultProfile.linux"] != tt.wantDefault {
				t.Errorf("default profile = %v, want %s", got["terminal.integrated.defaultProfile.linux"], tt.wantDefault)
			}
			if tt.name == "comments and other keys" && (got["editor.tabSize"] != 2.0 || profiles["bash"] == nil) {
				t.Errorf("other keys lost:\n%s", b)
			}
		})
	}
}
