// Package project finds the project a command runs for and derives its
// sandbox name. It runs on the host, in the client, before any fork.
package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ConfigFile is the per-project configuration file that marks a project root.
const ConfigFile = "devbox.toml"

// Find returns the project directory for dir: the nearest ancestor holding
// devbox.toml, else the nearest git work-tree root, else dir itself.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve project dir: %w", err)
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	if root, ok := nearest(dir, ConfigFile); ok {
		return root, nil
	}
	if root, ok := nearest(dir, ".git"); ok {
		return root, nil
	}
	return dir, nil
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

var unsafeChars = regexp.MustCompile(`[^a-z0-9-]+`)

// Name derives a sandbox name from a project dir: a readable basename plus a
// short hash of the full path, so two checkouts named "app" differ.
func Name(dir string) string {
	base := strings.ToLower(filepath.Base(dir))
	base = strings.Trim(unsafeChars.ReplaceAllString(base, "-"), "-")
	if len(base) > 24 {
		base = strings.TrimRight(base[:24], "-")
	}
	if base == "" {
		base = "root"
	}
	sum := sha256.Sum256([]byte(dir))
	return base + "-" + hex.EncodeToString(sum[:3])
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)

// ValidateName checks a user-given sandbox name (--name).
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("invalid sandbox name %q: use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	return nil
}

var validHost = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)

// ValidateHostname checks a hostname (--hostname) against RFC 1123.
func ValidateHostname(h string) error {
	if len(h) > 253 || !validHost.MatchString(h) {
		return fmt.Errorf("invalid hostname %q: use letters, digits and '-' in dot-separated labels of at most 63 characters", h)
	}
	return nil
}

// Hostname turns a sandbox name into a valid hostname.
func Hostname(name string) string {
	h := strings.Trim(regexp.MustCompile(`[^a-zA-Z0-9-]+`).ReplaceAllString(name, "-"), "-")
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-")
	}
	if h == "" {
		return "devbox"
	}
	return h
}
