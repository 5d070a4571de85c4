package config

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// setProtect takes project-relative paths ("secrets", ".github/workflows")
// that a strict sandbox may not write or create.
func setProtect(c *Config, v any, _ Context) error {
	list, err := stringList(v, "paths in the project")
	if err != nil {
		return err
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		p, err := projectPath(s)
		if err != nil {
			return err
		}
		out = append(out, p)
	}
	c.Protect = out
	return nil
}

// projectPath checks one protect entry and cleans it.
func projectPath(s string) (string, error) {
	clean := path.Clean(s)
	switch {
	case strings.TrimSpace(s) == "" || strings.ContainsRune(s, 0):
		return "", errors.New("invalid value \"\": want a path in the project, such as \"secrets\" or \".github/workflows\"")
	case path.IsAbs(s):
		return "", fmt.Errorf("invalid value %q: want a path relative to the project, such as %q", s, strings.TrimPrefix(clean, "/"))
	case clean == "." || clean == ".." || strings.HasPrefix(clean, "../"):
		return "", fmt.Errorf("invalid value %q: want a path inside the project, such as \"secrets\" or \".github/workflows\"", s)
	}
	return clean, nil
}

// setDenyRead takes absolute paths of the sandbox's view to hide. Hiding
// the project, or a directory holding it, is refused: the sandbox would
// lose its one writable place.
func setDenyRead(c *Config, v any, ctx Context) error {
	list, err := stringList(v, "absolute paths")
	if err != nil {
		return err
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !filepath.IsAbs(s) || strings.ContainsRune(s, 0) {
			return fmt.Errorf("invalid value %q: want an absolute path in the sandbox, such as \"/etc/ssh\"", s)
		}
		p := filepath.Clean(s)
		if ctx.Project != "" && within(ctx.Project, p) {
			return fmt.Errorf("invalid value %q: it holds the project %s, which the sandbox needs; name the paths inside it to hide instead", s, ctx.Project)
		}
		if p == "/" {
			return fmt.Errorf("invalid value %q: hiding / hides everything; name the paths to hide, such as \"/etc/ssh\"", s)
		}
		out = append(out, p)
	}
	c.DenyRead = out
	return nil
}
