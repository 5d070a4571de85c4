// Package project finds the project a command runs for and derives its
// sandbox name. It runs on the host, in the client, before any fork.
package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ConfigFile is the per-project configuration file that marks a project root.
const ConfigFile = "devbox.toml"

// Find returns the project directory for dir: the nearest ancestor holding
// devbox.toml, else the nearest git work-tree root, else dir itself. A
// marker at home or above it (a dotfiles repository in $HOME) never makes
// home or its ancestors the project: Find falls back to dir and returns the
// directory whose marker it ignored, for the caller to say so.
func Find(dir, home string) (root, ignored string, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("resolve project dir: %w", err)
	}
	dir = RealPath(dir)
	home = RealPath(home)
	for _, marker := range []string{ConfigFile, ".git"} {
		root, ok := nearest(dir, marker)
		if !ok {
			continue
		}
		if home != "" && Within(home, root) {
			if len(root) > len(ignored) {
				ignored = root // say the nearest
			}
			continue
		}
		return root, "", nil
	}
	return dir, ignored, nil
}

// realPaths holds RealPath's answers: a client resolves the project, the
// home and the current directory more than once for one command (Find,
// Guard.Check, the session's working directory), one lstat per path
// component each time. A process here runs one command, so an answer
// stays good for its life; a symlink changed meanwhile is the user's race
// either way.
var realPaths struct {
	sync.Mutex
	m map[string]string
}

// RealPath resolves symlinks in p when it exists, else cleans it; "" stays
// "". Each path is resolved once per process (realPaths).
func RealPath(p string) string {
	if p == "" {
		return ""
	}
	realPaths.Lock()
	r, ok := realPaths.m[p]
	realPaths.Unlock()
	if ok {
		return r
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		// A missing path is not remembered: it may be made later on.
		return filepath.Clean(p)
	}
	realPaths.Lock()
	if realPaths.m == nil {
		realPaths.m = map[string]string{}
	}
	realPaths.m[p] = r
	realPaths.Unlock()
	return r
}

// Within reports whether path p is dir or below it (both clean, absolute).
func Within(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// nearest walks up from dir to / and returns the first directory holding name.
func nearest(dir, name string) (string, bool) {
	for {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Name derives a sandbox name from a project dir: a readable basename plus a
// short hash of the full path, so two checkouts named "app" differ.
func Name(dir string) string {
	base := strings.ToLower(filepath.Base(dir))
	base = strings.Trim(squash(base, isLowerAlnumDash), "-")
	if len(base) > 24 {
		base = strings.TrimRight(base[:24], "-")
	}
	if base == "" {
		base = "root"
	}
	sum := sha256.Sum256([]byte(dir))
	return base + "-" + hex.EncodeToString(sum[:3])
}

// ValidateName checks a user-given sandbox name (--name): 1-63 of
// [a-zA-Z0-9_.-], starting with a letter or digit.
func ValidateName(name string) error {
	ok := len(name) >= 1 && len(name) <= 63 && isAlnum(name[0])
	for i := 0; ok && i < len(name); i++ {
		ok = isAlnum(name[i]) || strings.IndexByte("_.-", name[i]) >= 0
	}
	if !ok {
		return fmt.Errorf("invalid sandbox name %q: use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	return nil
}

// ValidateHostname checks a hostname (--hostname) against RFC 1123:
// dot-separated labels of 1-63 letters, digits and inner '-'.
func ValidateHostname(h string) error {
	ok := len(h) <= 253
	for _, label := range strings.Split(h, ".") {
		ok = ok && validLabel(label)
	}
	if !ok {
		return fmt.Errorf("invalid hostname %q: use letters, digits and '-' in dot-separated labels of at most 63 characters", h)
	}
	return nil
}

// Hostname turns a sandbox name into a valid hostname.
func Hostname(name string) string {
	h := strings.Trim(squash(name, isAlnumDash), "-")
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-")
	}
	if h == "" {
		return "devbox"
	}
	return h
}

// validLabel reports whether l is one RFC 1123 label.
func validLabel(l string) bool {
	if len(l) < 1 || len(l) > 63 || !isAlnum(l[0]) || !isAlnum(l[len(l)-1]) {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !isAlnumDash(l[i]) {
			return false
		}
	}
	return true
}

// squash replaces each run of bytes that keep rejects with one '-'.
func squash(s string, keep func(byte) bool) string {
	var b strings.Builder
	run := false
	for i := 0; i < len(s); i++ {
		if keep(s[i]) {
			b.WriteByte(s[i])
			run = false
		} else if !run {
			b.WriteByte('-')
			run = true
		}
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isAlnumDash(c byte) bool { return isAlnum(c) || c == '-' }

func isLowerAlnumDash(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}
