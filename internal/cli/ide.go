package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/config"
)

// ideProfiles writes (VS Code) or prints (JetBrains) the terminal profile
// that runs `devbox enter` in the project at dir.
var ideProfiles = map[string]func(a *App, dir string) error{
	"vscode":    writeVSCodeProfile,
	"jetbrains": printJetBrainsSetting,
}

// vscodeProfile is the terminal profile's name in .vscode/settings.json.
const vscodeProfile = "devbox"

// writeVSCodeProfile merges a terminal profile running `devbox enter` into
// .vscode/settings.json, keeping every other key (comments in the file do
// not survive the rewrite), and makes it the default profile unless the
// user chose another.
func writeVSCodeProfile(a *App, dir string) error {
	path := filepath.Join(dir, ".vscode", "settings.json")
	settings, err := readVSCodeSettings(path)
	if err != nil {
		return err
	}
	profiles, _ := settings["terminal.integrated.profiles.linux"].(map[string]any)
	if profiles == nil {
		profiles = map[string]any{}
	}
	profiles[vscodeProfile] = map[string]any{"path": "devbox", "args": []string{"enter"}}
	settings["terminal.integrated.profiles.linux"] = profiles
	const def = "terminal.integrated.defaultProfile.linux"
	if cur, ok := settings[def].(string); ok && cur != vscodeProfile {
		fmt.Fprintf(a.Stderr, "devbox: kept %s = %q; choose the %q profile from the terminal's + menu\n", def, cur, vscodeProfile)
	} else {
		settings[def] = vscodeProfile
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(settings); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(a.Stderr, "wrote the %q terminal profile (devbox enter) into %s\n", vscodeProfile, path)
	return nil
}

// readVSCodeSettings reads settings.json (comments and trailing commas
// allowed, as VS Code allows them); a missing file is empty settings.
func readVSCodeSettings(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	settings := map[string]any{}
	if len(bytes.TrimSpace(b)) == 0 {
		return settings, nil
	}
	if err := json.Unmarshal(config.StripJSONC(b), &settings); err != nil {
		return nil, fmt.Errorf("read %s: %w (fix the file, or move it away and run devbox init --ide vscode again)", path, err)
	}
	return settings, nil
}

// printJetBrainsSetting prints the terminal setting to make: JetBrains
// IDEs keep it in .idea/workspace.xml, which they rewrite while open, so
// devbox does not edit it.
func printJetBrainsSetting(a *App, dir string) error {
	fmt.Fprintf(a.Stdout, `In the JetBrains IDE for %s, set
  Settings | Tools | Terminal | Application Settings | Shell path: devbox enter
New terminal tabs then open in the sandbox, in the IDE's current directory.
`, dir)
	return nil
}
