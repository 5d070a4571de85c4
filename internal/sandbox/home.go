package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

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

// premakeMountPoints makes, in a goroutine while the supervisor and child
// start, an image root's mount point in the state dir this start has just
// made (a host-view root is mounted on the state dir itself). The child
// makes it too, just before it mounts there, as the same host user with
// the same mode; but on a disk the mkdir costs it ~0.1 ms before Ready,
// while the client only waits. Whichever side comes second finds the dir
// made. The dir is made relative to an open fd of the state dir, so a dir
// removed by a failed start is not made again. The returned func waits for
// the goroutine.
func premakeMountPoints(spec proto.Spec) (wait func()) {
	if spec.Image == nil {
		return func() {}
	}
	state, err := os.Open(spec.StateDir)
	if err != nil {
		return func() {} // the child reports it
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		mkdirAllAt(int(state.Fd()), "root", 0o700)
		state.Close()
	}()
	return func() { <-done }
}

// mkdirAllAt makes rel and its parents below dir fd with mode, as the
// child does; a dir that exists is fine, and the first other error ends it
// (the child, which makes them too, reports it).
func mkdirAllAt(fd int, rel string, mode uint32) {
	for i := 0; i <= len(rel); i++ {
		if i < len(rel) && rel[i] != '/' {
			continue
		}
		if err := unix.Mkdirat(fd, rel[:i], mode); err != nil && err != unix.EEXIST {
			return
		}
	}
}
