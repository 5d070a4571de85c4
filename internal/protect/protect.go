// Package protect names the paths of a project that code in a sandbox must
// not write, because they later run or configure things on the host: git's
// hooks and configuration, devbox's own config, and the files editors and
// direnv execute.
//
// It is pure logic with no side of the fork of its own: the client uses it
// to refuse applying such paths out of a review overlay (devbox apply), and
// the child uses it to make them read-only in strict sessions.
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
