package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/internal/config"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
)

// identityFiles are bound read-only from the user's home into a private
// one when they exist, so git knows who commits: the git config, not its
// credentials (~/.git-credentials stays out unless home_files names it).
var identityFiles = []string{".gitconfig", ".config/git"}

// packageCaches are the devbox-wide package caches shared by the user's
// sandboxes: a directory under the cache root, and where each tool looks
// for it by default in a home.
var packageCaches = []struct{ dir, target string }{
	{"go-mod", "go/pkg/mod"},
	{"go-build", ".cache/go-build"},
	{"npm", ".npm"},
	{"pip", ".cache/pip"},
	{"cargo-registry", ".cargo/registry"},
	{"cargo-git", ".cargo/git"},
}

// homeMounts are the binds into a private home: the git identity,
// home_files, and the package cache. The real home (home = "host" or
// "ro") has all of them already.
func homeMounts(c config.Config, hostHome, home string) ([]proto.Mount, error) {
	if c.Home != config.HomePrivate || hostHome == "" {
		return nil, nil
	}
	var out []proto.Mount
	for _, p := range identityFiles {
		if src := filepath.Join(hostHome, p); exists(src) {
			out = append(out, proto.Mount{Source: src, Target: filepath.Join(home, p), ReadOnly: true})
		}
	}
	for _, f := range c.HomeFiles {
		if src := filepath.Join(hostHome, f.Path); exists(src) {
			out = append(out, proto.Mount{Source: src, Target: filepath.Join(home, f.Path), ReadOnly: !f.Writable})
		}
	}
	if !c.CacheOn() {
		return out, nil
	}
	caches, err := cacheMounts(home)
	return append(out, caches...), err
}

// CacheRoot is the devbox-wide package cache of this user: under devbox's
// data dir, apart from the host's own caches (~/.cache/go-build, ~/.npm),
// so a sandbox cannot poison what the host's tools run.
func CacheRoot() (string, error) {
	data, err := state.DataRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(data, "cache"), nil
}

func cacheMounts(home string) ([]proto.Mount, error) {
	root, err := CacheRoot()
	if err != nil {
		return nil, err
	}
	var out []proto.Mount
	for _, pc := range packageCaches {
		src := filepath.Join(root, pc.dir)
		if err := os.MkdirAll(src, 0o700); err != nil {
			return nil, fmt.Errorf("create package cache: %w", err)
		}
		out = append(out, proto.Mount{Source: src, Target: filepath.Join(home, pc.target)})
	}
	return out, nil
}

// cacheEnv points Go at the shared cache even where an image sets GOPATH
// elsewhere (golang images use /go).
func cacheEnv(c config.Config, home string) []string {
	if !c.CacheOn() || c.Home != config.HomePrivate {
		return nil
	}
	return []string{"GOMODCACHE=" + filepath.Join(home, "go/pkg/mod"), "GOCACHE=" + filepath.Join(home, ".cache/go-build")}
}
