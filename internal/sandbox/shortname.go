package sandbox

import (
	"os"
	"path/filepath"
	"strings"

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
	return shortNameAmong(name, projectDir, knownNames(trimHashSuffix(name)))
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

// knownNames lists this user's sandboxes, running or with data, whose
// names start with prefix (the readable part: only those can share it), by
// the names of their directories alone: cheap enough for every session.
func knownNames(prefix string) []string {
	var out []string
	if rt, err := state.RuntimeRoot(); err == nil {
		out = append(out, dirNames(rt, prefix)...)
	}
	if data, err := state.DataRoot(); err == nil {
		out = append(out, dirNames(filepath.Join(data, "sandboxes"), prefix)...)
	}
	return out
}

// dirNames lists the subdirectories of dir whose names start with prefix;
// a missing dir has none. It reads the names unsorted and looks at the type
// of the matches alone: a long-lived user's data dir holds a directory per
// sandbox ever run, and os.ReadDir would allocate and sort an entry for
// each on every session.
func dirNames(dir, prefix string) []string {
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		if fi, err := os.Lstat(filepath.Join(dir, n)); err == nil && fi.IsDir() {
			out = append(out, n)
		}
	}
	return out
}
