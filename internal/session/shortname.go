package session

import (
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/state"
	"golang.org/x/sys/unix"
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
	buf := make([]byte, direntBufSize) // on the heap: see direntBufSize
	for _, dir := range nameDirs() {
		out = append(out, dirNames(dir, prefix, buf)...)
	}
	return out
}

// nameDirs are the directories ShortName lists: the running sandboxes' and
// those with data.
func nameDirs() []string {
	var out []string
	if rt, err := state.RuntimeRoot(); err == nil {
		out = append(out, rt)
	}
	if data, err := state.DataRoot(); err == nil {
		out = append(out, filepath.Join(data, "sandboxes"))
	}
	return out
}

// NameDirs identifies the directories ShortName lists, an absent one as
// the zero FileID: a sandbox made or removed there changes it, so while it
// stays the same, so does ShortName.
func NameDirs() []FileID {
	var out []FileID
	for _, dir := range nameDirs() {
		id, _ := StatID(dir)
		out = append(out, id)
	}
	return out
}

// direntBufSize is the size of knownNames' getdents buffer. It is a
// variable so that the buffer is allocated on the heap: on the stack, its
// 8 KiB grew the stack of the goroutine that builds a join's session
// request (SessionLater) from 8 to 16 KiB, one more copy of that stack,
// with its frames' unwinding, on every join.
var direntBufSize = 8192

// dirNames lists the subdirectories of dir whose names start with prefix;
// a missing dir has none. It reads the names unsorted with getdents(2) and
// looks at the type of the matches alone, relative to the open dir: a
// long-lived user's data dir holds a directory per sandbox ever run, and
// os.ReadDir would allocate and sort an entry for each on every session
// (and an *os.File tries the poller first: four more syscalls a dir).
// buf holds the entries read at a time.
func dirNames(dir, prefix string, buf []byte) []string {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	var out []string
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return out
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			var st unix.Stat_t
			if unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				out = append(out, name)
			}
		}
	}
}
