// Package shellinit builds the environment of a session inside the sandbox.
// It runs on the host, in the client, before the session is spawned; the
// values it computes travel to init in the Spawn message.
package shellinit

import (
	"sort"
	"strings"
)

// DefaultPath is the PATH inside when the caller gives none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Session describes the sandbox a session runs in.
type Session struct {
	Name    string
	Project string
	Home    string
	Shell   string
	// Path is the session's PATH: the host's in the host view (init drops
	// the directories that do not exist inside), the image's in an image
	// sandbox; empty means DefaultPath.
	Path string
}

// PathVar carries the session's PATH for the rc files, which put it back
// after the login files (/etc/profile resets PATH): see rcFiles.
const PathVar = "DEVBOX_PATH"

// passThrough are host variables a session inherits: the terminal's and the
// locale's, as Toolbx and Podman's -t do.
var passThrough = []string{"TERM", "COLORTERM", "LANG", "LANGUAGE", "TZ", "NO_COLOR"}

// Env returns the session environment: pass-through host variables, the
// sandbox's own (HOME, USER, PATH, DEVBOX_*), then extra KEY=VALUE entries,
// which win.
func Env(host []string, s Session, extra []string) []string {
	vars := map[string]string{}
	for _, kv := range host {
		k, v, ok := strings.Cut(kv, "=")
		if ok && (contains(passThrough, k) || strings.HasPrefix(k, "LC_")) {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func flatten(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
