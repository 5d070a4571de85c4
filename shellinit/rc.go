package shellinit

import (
	"fmt"
	"os"
	"path/filepath"
)

// RCDir is where the sandbox sees devbox's shell start-up files. They are
// written on the host into the sandbox's runtime dir and bound read-only, so
// the user's own rc files are sourced as usual and never modified.
const RCDir = "/run/devbox/shellinit"

// promptHook prefixes the prompt with (devbox:NAME) unless it already is;
// run before every prompt, it survives rc files that reset PS1.
const promptHook = `case "$PS1" in "(devbox:"*) ;; *) PS1="(devbox:${DEVBOX_NAME}) ${PS1-\$ }" ;; esac`

// rcFiles are the start-up files, by name under RCDir.
//   - sh (dash, busybox) reads $ENV in interactive shells: shrc.
//   - bash runs $PROMPT_COMMAND before each prompt (set in the session env).
//   - zsh reads its dot files from $ZDOTDIR: each of ours sources the user's
//     own from $HOME, then .zshrc sets the prompt.
var rcFiles = map[string]string{
	"shrc": promptHook + "\n",
	"zsh/.zshenv": `ZDOTDIR="$HOME"
[ -f "$HOME/.zshenv" ] && . "$HOME/.zshenv"
ZDOTDIR=` + RCDir + `/zsh
`,
	"zsh/.zprofile": `[ -f "$HOME/.zprofile" ] && ZDOTDIR="$HOME" . "$HOME/.zprofile"
`,
	"zsh/.zshrc": `[ -f "$HOME/.zshrc" ] && ZDOTDIR="$HOME" . "$HOME/.zshrc"
case "$PROMPT" in "(devbox:"*) ;; *) PROMPT="(devbox:${DEVBOX_NAME}) ${PROMPT:-%# }" ;; esac
`,
	"zsh/.zlogin": `[ -f "$HOME/.zlogin" ] && ZDOTDIR="$HOME" . "$HOME/.zlogin"
ZDOTDIR="$HOME"
`,
}

// RCEnv is the environment that makes each shell read the files above.
func RCEnv() []string {
	return []string{
		"ENV=" + RCDir + "/shrc",
		"PROMPT_COMMAND=" + promptHook,
		"ZDOTDIR=" + RCDir + "/zsh",
	}
}

// WriteRC writes the start-up files into dir (on the host) and returns dir.
func WriteRC(dir string) (string, error) {
	for name, content := range rcFiles {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", fmt.Errorf("write shell rc files: %w", err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("write shell rc files: %w", err)
		}
	}
	return dir, nil
}

// Welcome is the line shown once when an interactive shell starts.
func Welcome(name, project string) string {
	return fmt.Sprintf("devbox: in sandbox %s (project %s); type 'exit' or Ctrl-D to leave", name, project)
}
