package shellinit

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// RCDir is where the sandbox sees devbox's shell start-up files. They are
// written once on the host into devbox's data dir (EnsureRC), checked on
// every start, and bound read-only, so
// the user's own rc files are sourced as usual and never modified.
const RCDir = "/run/devbox/shellinit"

// promptHook prefixes the prompt with (devbox:NAME), NAME the sandbox's
// short readable name (DEVBOX_SHORT_NAME), unless it already is;
// run before every prompt, it survives rc files that reset PS1.
const promptHook = `case "$PS1" in "(devbox:"*) ;; *) PS1="(devbox:${DEVBOX_SHORT_NAME:-$DEVBOX_NAME}) ${PS1-\$ }" ;; esac`

// pathHook puts the sandbox's PATH (DEVBOX_PATH) back after the login
// files, which reset it (Debian's /etc/profile sets PATH outright). The
// entries the login files added that it lacks (~/.local/bin from
// ~/.profile) are kept after it. Written without word splitting, so sh,
// bash and zsh run it alike; _devbox_path_done (not exported) makes bash's
// PROMPT_COMMAND apply it once per shell.
const pathHook = `if [ -n "${DEVBOX_PATH-}" ]; then
  _devbox_rest="${PATH-}:"
  _devbox_new="$DEVBOX_PATH"
  while [ -n "$_devbox_rest" ]; do
    _devbox_d="${_devbox_rest%%:*}"
    _devbox_rest="${_devbox_rest#*:}"
    case ":$_devbox_new:" in
      *":$_devbox_d:"*) ;;
      *) [ -n "$_devbox_d" ] && _devbox_new="$_devbox_new:$_devbox_d" ;;
    esac
  done
  PATH="$_devbox_new"
  export PATH
  unset _devbox_rest _devbox_new _devbox_d
fi
_devbox_path_done=1
`

// HostViewVar is set ("1") in host-view sessions, where /usr is the host's
// and read-only.
const HostViewVar = "DEVBOX_HOST_VIEW"

// InstallHint says why a package installer failed in the host view and
// what to do instead.
const InstallHint = "devbox: the host's /usr is read-only in the host view; to install packages set image = \"...\" with setup steps in devbox.toml (devbox help config), or install into your home (python3 -m venv ~/.venv, ~/.local)"

// InstallTools are the installers that fail in the host view; bash and zsh
// also get apt-get (sh does not take '-' in a function name).
var InstallTools = []string{"apt", "dpkg", "pip", "pip3"}

// shellQuoted escapes s for the inside of a double-quoted shell word.
func shellQuoted(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(s)
}

// installHint wraps the package installers in interactive host-view shells:
// they fail there (dpkg's lock, PEP 668), and the wrapper says why and what
// to do instead, where the user sees it. Sourced with the PATH hook. A
// function, not a package variable: the client links this package for the
// session's environment, and building the text (a strings.Replacer's
// 256-entry table) would cost every join's package init.
func installHint() string {
	return `if [ -n "${DEVBOX_HOST_VIEW-}" ]; then
  _devbox_install_hint() {
    echo "` + shellQuoted(InstallHint) + `" >&2
  }
  _devbox_tools="` + strings.Join(InstallTools, " ") + `"
  # sh (dash) does not take '-' in a function name.
  [ -n "${BASH_VERSION-}${ZSH_VERSION-}" ] && _devbox_tools="$_devbox_tools apt-get"
  for _devbox_tool in $_devbox_tools; do
    eval "$_devbox_tool() { command $_devbox_tool \"\$@\" || { _devbox_s=\$?; _devbox_install_hint; return \$_devbox_s; }; }"
  done
  unset _devbox_tool _devbox_tools
fi
`
}

// promptCommand is bash's PROMPT_COMMAND: the PATH hook once (bash reads
// no rc file of ours after its login files), then the prompt hook.
const promptCommand = `[ -n "${_devbox_path_done-}" ] || . ` + RCDir + `/path; ` + promptHook

// rcFiles are the start-up files, by name under RCDir (built when asked, as
// installHint is).
//   - sh (dash, busybox) reads $ENV in interactive shells: shrc.
//   - bash runs $PROMPT_COMMAND before each prompt (set in the session env).
//   - zsh reads its dot files from $ZDOTDIR: each of ours sources the user's
//     own from $HOME, then .zshrc sets the prompt.
func rcFiles() map[string]string {
	return map[string]string{
		"path": pathHook + installHint(),
		// sh reads $ENV after its login files.
		"shrc": ". " + RCDir + "/path\n" + promptHook + "\n",
		"zsh/.zshenv": `ZDOTDIR="$HOME"
[ -f "$HOME/.zshenv" ] && . "$HOME/.zshenv"
ZDOTDIR=` + RCDir + `/zsh
`,
		"zsh/.zprofile": `[ -f "$HOME/.zprofile" ] && ZDOTDIR="$HOME" . "$HOME/.zprofile"
`,
		"zsh/.zshrc": `[ -f "$HOME/.zshrc" ] && ZDOTDIR="$HOME" . "$HOME/.zshrc"
case "$PROMPT" in "(devbox:"*) ;; *) PROMPT="(devbox:${DEVBOX_SHORT_NAME:-$DEVBOX_NAME}) ${PROMPT:-%# }" ;; esac
. ` + RCDir + `/path
`,
		"zsh/.zlogin": `[ -f "$HOME/.zlogin" ] && ZDOTDIR="$HOME" . "$HOME/.zlogin"
. ` + RCDir + `/path
ZDOTDIR="$HOME"
`,
	}
}

// RCEnv is the environment that makes each shell read the files above.
func RCEnv() []string {
	return []string{
		"ENV=" + RCDir + "/shrc",
		"PROMPT_COMMAND=" + promptCommand,
		"ZDOTDIR=" + RCDir + "/zsh",
	}
}

// EnsureRC makes dir (on the host) hold the start-up files and returns
// dir. dir is meant to be one per user, out of every sandbox's reach (it is
// bound read-only): a file that is already right (a regular file, mode
// 0644, the content) is only read, and any other (stale, missing, a
// symlink, another mode) is replaced whole by a rename, so a start that
// binds dir meanwhile sees the old file or the new one, never a part.
func EnsureRC(dir string) (string, error) {
	for _, d := range []string{dir, filepath.Join(dir, "zsh")} {
		if err := realDir(d); err != nil {
			return "", fmt.Errorf("write shell rc files: %w", err)
		}
	}
	for name, content := range rcFiles() {
		p := filepath.Join(dir, name)
		if current(p, content) {
			continue
		}
		if err := replace(p, content); err != nil {
			return "", fmt.Errorf("write shell rc files: %w", err)
		}
	}
	return dir, nil
}

// realDir removes d when it is there but not a directory (a symlink or a
// file), so the files go into a real directory that replace makes.
func realDir(d string) error {
	fi, err := os.Lstat(d)
	if err != nil || fi.IsDir() {
		return nil
	}
	return os.Remove(d)
}

// current reports whether p is a regular file, not a symlink, of mode
// 0644 holding exactly content.
func current(p, content string) bool {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 || fi.Size() != int64(len(content)) {
		return false
	}
	b := make([]byte, len(content)+1) // one more: a file grown since Stat differs
	n, _ := io.ReadFull(f, b)
	return n == len(content) && string(b[:n]) == content
}

// replace writes content to a new file beside p and renames it over p.
func replace(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(content)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Welcome is the line shown once when an interactive shell starts; for a
// session that is not root it says how to get a root shell.
func Welcome(name, project string, rootHint bool) string {
	s := fmt.Sprintf("devbox: in sandbox %s (project %s); type 'exit' or Ctrl-D to leave", name, project)
	if rootHint {
		s += "; 'devbox enter --user root' for a root shell"
	}
	return s
}
