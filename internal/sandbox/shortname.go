package sandbox

import (
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/state"
)

// trimHashSuffix drops the "-xxxxxx" project.Name appends to a project's
// basename.
func trimHashSuffix(name string) string {
	i := len(name) - 7
	if i < 0 || name[i] != '-' {
		return name
	}
	for _, c := range name[i+1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return name
		}
	}
	return name[:i]
}

// ShortName is the readable name the hostname and the prompt show: the
// project's basename part of a derived sandbox name, or the full name when
// another sandbox of this user (running or stopped) has the same readable
// part, or when the name was given with --name.
func ShortName(name, projectDir string) string {
	if projectDir == "" || name != project.Name(projectDir) {
		return name // given with --name: listing the others would not change it
	}
	return shortNameAmong(name, projectDir, knownNames())
}

// shortNameAmong is ShortName against the given sandbox names.
func shortNameAmong(name, projectDir string, others []string) string {
	if projectDir == "" || name != project.Name(projectDir) {
		return name
	}
	short := trimHashSuffix(name)
	for _, o := range others {
		if o != name && trimHashSuffix(o) == short {
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
