package sandbox

import (
	"os"
	"path/filepath"
	"regexp"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/state"
)

// hashSuffix is the "-xxxxxx" project.Name appends to a project's basename.
var hashSuffix = regexp.MustCompile(`-[0-9a-f]{6}$`)

// ShortName is the readable name the hostname and the prompt show: the
// project's basename part of a derived sandbox name, or the full name when
// another sandbox of this user (running or stopped) has the same readable
// part, or when the name was given with --name.
func ShortName(name, projectDir string) string {
	return shortNameAmong(name, projectDir, knownNames())
}

// shortNameAmong is ShortName against the given sandbox names.
func shortNameAmong(name, projectDir string, others []string) string {
	if projectDir == "" || name != project.Name(projectDir) {
		return name
	}
	short := hashSuffix.ReplaceAllString(name, "")
	for _, o := range others {
		if o != name && hashSuffix.ReplaceAllString(o, "") == short {
			return name
		}
	}
	return short
}

// knownNames lists this user's sandboxes, running or with data, by the
// names of their directories alone: cheap enough for every session.
func knownNames() []string {
	var out []string
	if rt, err := state.RuntimeRoot(); err == nil {
		out = append(out, dirNames(rt)...)
	}
	if data, err := state.DataRoot(); err == nil {
		out = append(out, dirNames(filepath.Join(data, "sandboxes"))...)
	}
	return out
}

// dirNames lists the subdirectories of dir; a missing dir has none.
func dirNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}
