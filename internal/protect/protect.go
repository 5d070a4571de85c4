// Package protect names the paths of a project that code in a sandbox must
// not write, because they later run or configure things on the host: git's
// hooks and configuration, devbox's own config, and the files editors and
// direnv execute.
//
// It is pure logic with no side of the fork of its own: the client uses it
// to refuse applying such paths out of a review overlay (devbox apply), and
// the child uses it to make them read-only in strict sessions. The one
// file operation, RemoveStubs, runs in the supervisor.
package protect

import (
	"path"
	"strings"
)

// ConfigFiles decide what a project's sandbox may do. They are read-only
// inside every sandbox, in every profile.
var ConfigFiles = []string{"devbox.toml", "devbox.lock", ".devcontainer", ".devcontainer.json"}

// editorFiles run or configure things in the user's editor and shell.
var editorFiles = []string{".envrc", ".vscode", ".idea"}

// gitControl are the parts of .git that git executes or reads as
// configuration. They stay protected when commits are allowed (git_writes):
// writing commondir or a .git pointer file redirects git to hooks elsewhere.
var gitControl = []string{".git/hooks", ".git/config", ".git/config.worktree", ".git/commondir", ".git/info"}

// Defaults returns the project-relative paths protected unless the config
// says protect_defaults = false. With gitWrites the code may commit, so only
// git's control files are protected instead of the whole .git.
func Defaults(gitWrites bool) []string {
	out := append([]string{}, ConfigFiles...)
	out = append(out, editorFiles...)
	if gitWrites {
		return append(out, gitControl...)
	}
	return append(out, ".git")
}

// Covers reports whether the project-relative path rel is one of list's
// paths or lies under one. Both sides are cleaned first, so "./a/../.git/x"
// is under ".git". A rel that leaves the project ("../x") is covered by
// nothing.
func Covers(list []string, rel string) bool {
	rel = path.Clean(strings.TrimPrefix(rel, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return false
	}
	for _, p := range list {
		p = path.Clean(strings.TrimPrefix(p, "/"))
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

// List is the protected paths of a project: the defaults unless
// noDefaults, plus extra (the config's protect) and hooksPath (git's
// core.hooksPath, relative to the project; "" for none), cleaned, each
// once, in that order.
func List(noDefaults, gitWrites bool, extra []string, hooksPath string) []string {
	var all []string
	if !noDefaults {
		all = Defaults(gitWrites)
	}
	all = append(all, extra...)
	if hooksPath != "" {
		all = append(all, hooksPath)
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range all {
		p = path.Clean(strings.TrimPrefix(p, "/"))
		if p == "." || p == ".." || strings.HasPrefix(p, "../") || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}

// HooksPath returns core.hooksPath from the text of a git config file
// (.git/config), or "". It reads the [core] section's key as git does:
// section and key names case-insensitive, the last value wins, a value in
// double quotes unquoted, a comment after # or ; dropped. Includes are not
// followed.
func HooksPath(config string) string {
	var val string
	inCore := false
	for _, line := range strings.Split(config, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "["), "]")
			inCore = strings.EqualFold(strings.TrimSpace(name), "core")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !inCore || !ok || !strings.EqualFold(strings.TrimSpace(k), "hookspath") {
			continue
		}
		val = gitValue(v)
	}
	return val
}

// gitValue is a config value without its comment and quotes.
func gitValue(v string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case (c == '#' || c == ';') && !quoted:
			return strings.TrimSpace(b.String())
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
