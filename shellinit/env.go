// Package shellinit builds the environment of a session inside the sandbox.
// It runs on the host, in the client, before the session is spawned; the
// values it computes travel to init in the Spawn message.
package shellinit

import (
	"path"
	"sort"
	"strings"
	"sync"
)

// DefaultPath is the PATH inside when the caller gives none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Session describes the sandbox a session runs in.
type Session struct {
	Name string
	// ShortName is the readable name the prompt shows (DEVBOX_SHORT_NAME).
	ShortName string
	Project   string
	Home      string
	Shell     string
	// Path is the session's PATH: the host's in the host view (init drops
	// the directories that do not exist inside), the image's in an image
	// sandbox; empty means DefaultPath.
	Path string
	// Pass are more host variables to pass through ([env] pass).
	Pass []string
}

// PathVar carries the session's PATH for the rc files, which put it back
// after the login files (/etc/profile resets PATH): see rcFiles.
const PathVar = "DEVBOX_PATH"

// DefaultPass are the host variables every session inherits (path.Match
// patterns), none of them secret: the terminal's and the locale's, as
// Toolbx and Podman's -t do; the user's editor and pager; the proxy
// settings in both cases; and what IDE terminals set, so their shell
// integration works inside (VS Code's TERM_PROGRAM and VSCODE_*,
// JetBrains' TERMINAL_EMULATOR). [env] pass = [...] adds to it.
var DefaultPass = []string{
	"TERM", "COLORTERM", "LANG", "LANGUAGE", "LC_*", "TZ", "NO_COLOR",
	"EDITOR", "VISUAL", "PAGER",
	"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY",
	"TERM_PROGRAM", "TERM_PROGRAM_VERSION", "VSCODE_*", "TERMINAL_EMULATOR",
}

// Env returns the session environment: pass-through host variables
// (DefaultPass and s.Pass), the sandbox's own (HOME, USER, PATH, DEVBOX_*),
// then extra KEY=VALUE entries, which win.
func Env(host []string, s Session, extra []string) []string {
	vars := map[string]string{}
	for _, kv := range host {
		k, v, ok := strings.Cut(kv, "=")
		if ok && (defaultPass().passes(k) || Passes(s.Pass, k)) {
			vars[k] = v
		}
	}
	if vars["TERM"] == "" {
		vars["TERM"] = "xterm"
	}
	vars["HOME"] = s.Home
	vars["USER"] = "root"
	vars["LOGNAME"] = "root"
	vars["PATH"] = DefaultPath
	if s.Path != "" {
		vars["PATH"] = s.Path
	}
	if s.Shell != "" {
		vars["SHELL"] = s.Shell
	}
	vars["DEVBOX_NAME"] = s.Name
	vars["DEVBOX_SHORT_NAME"] = s.ShortName
	if s.ShortName == "" {
		vars["DEVBOX_SHORT_NAME"] = s.Name
	}
	vars["DEVBOX_PROJECT"] = s.Project
	vars["container"] = "devbox"
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return flatten(vars)
}

// WithPathVar sets PathVar to the PATH env ends up with, after every
// overlay (the image's Env, the config's env).
func WithPathVar(env []string) []string {
	path := DefaultPath
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case PathVar:
			continue
		case "PATH":
			path = v
		}
		out = append(out, kv)
	}
	out = append(out, PathVar+"="+path)
	sort.Strings(out)
	return out
}

// passSet is a list of patterns split for matching many names: the plain
// names in a set, the plain prefixes of NAME* patterns, and the other
// patterns for path.Match. Env checks every host variable against
// DefaultPass, whose 24 patterns cost it 1.3 us a variable one by one.
type passSet struct {
	names    map[string]bool
	prefixes []string
	globs    []string
}

// defaultPass is DefaultPass as a passSet, made at the first session.
var defaultPass = sync.OnceValue(func() passSet { return newPassSet(DefaultPass) })

func newPassSet(patterns []string) passSet {
	s := passSet{names: make(map[string]bool, len(patterns))}
	for _, p := range patterns {
		switch prefix, ok := strings.CutSuffix(p, "*"); {
		case !strings.ContainsAny(p, globMeta):
			s.names[p] = true
		case ok && !strings.ContainsAny(prefix, globMeta):
			s.prefixes = append(s.prefixes, prefix)
		default:
			s.globs = append(s.globs, p)
		}
	}
	return s
}

// passes is Passes for the set's patterns.
func (s passSet) passes(name string) bool {
	if s.names[name] {
		return true
	}
	for _, prefix := range s.prefixes {
		if strings.HasPrefix(name, prefix) && !strings.Contains(name[len(prefix):], "/") {
			return true
		}
	}
	for _, p := range s.globs {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// globMeta are the characters that make a path.Match pattern more than a
// plain name.
const globMeta = `*?[\`

// Passes reports whether variable name matches one of the patterns.
func Passes(patterns []string, name string) bool {
	for _, p := range patterns {
		if matches(p, name) {
			return true
		}
	}
	return false
}

// matches is path.Match(p, name) without its cost for the patterns
// DefaultPass has, which every session's environment is checked against:
// a plain name, or a plain prefix and one trailing *.
func matches(p, name string) bool {
	if !strings.ContainsAny(p, globMeta) {
		return p == name
	}
	if prefix, ok := strings.CutSuffix(p, "*"); ok && !strings.ContainsAny(prefix, globMeta) {
		return strings.HasPrefix(name, prefix) && !strings.Contains(name[len(prefix):], "/")
	}
	ok, _ := path.Match(p, name)
	return ok
}

func flatten(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
