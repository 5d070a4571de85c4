package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// copier copies a tree entry by entry with owner, mode, times and
// extended attributes, cheaply where it can: a file identical (size,
// mtime, content) to the same path in prev, an earlier snapshot, becomes a
// hard link to it; otherwise a reflink (FICLONE) where the file system
// has them, else a copy. Hard links are made only between snapshots, which
// nothing writes in place: a live layer's files are written in place, so
// they are never linked.
type copier struct {
	prev string // "" for none
	link bool   // whether hard links to prev are allowed
}

// copyTree copies src (a directory) to dst, which must not exist.
func (c copier) copyTree(src, dst string) error {
	var dirs []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p[len(src):], "/")
		to := filepath.Join(dst, rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return &os.PathError{Op: "lstat", Path: p, Err: err}
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			dirs = append(dirs, rel)
			return os.Mkdir(to, 0o700)
		}
		return c.copyEntry(p, to, rel, &st)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- { // deepest first: a read-only dir last
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(src, dirs[i]), &st); err != nil {
			return err
		}
		if err := setMeta(filepath.Join(src, dirs[i]), filepath.Join(dst, dirs[i]), &st); err != nil {
			return err
		}
	}
	return nil
}

func (c copier) copyEntry(p, to, rel string, st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if c.link && c.linkPrev(p, to, rel, st) {
			return nil
		}
		if err := copyFile(p, to); err != nil {
			return err
		}
	case unix.S_IFLNK:
		t, err := os.Readlink(p)
		if err != nil {
			return err
		}
		if err := os.Symlink(t, to); err != nil {
			return err
		}
	default: // whiteouts (0/0 character devices), fifos, other devices
		if err := unix.Mknod(to, st.Mode, int(st.Rdev)); err != nil {
			return &os.PathError{Op: "mknod", Path: to, Err: err}
		}
	}
	return setMeta(p, to, st)
}

// linkPrev hard-links to prev's file at rel when it is identical.
func (c copier) linkPrev(p, to, rel string, st *unix.Stat_t) bool {
	if c.prev == "" {
		return false
	}
	old := filepath.Join(c.prev, rel)
	var ost unix.Stat_t
	if unix.Lstat(old, &ost) != nil || ost.Mode != st.Mode || ost.Size != st.Size || ost.Mtim != st.Mtim || ost.Uid != st.Uid || ost.Gid != st.Gid {
		return false
	}
	if same, err := sameFile(p, old); err != nil || !same {
		return false
	}
	return os.Link(old, to) == nil
}

func sameFile(a, b string) (bool, error) {
	x, err := os.ReadFile(a)
	if err != nil {
		return false, err
	}
	y, err := os.ReadFile(b)
	return err == nil && bytes.Equal(x, y), err
}

// copyFile reflinks src to dst, or copies it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if unix.IoctlFileClone(int(out.Fd()), int(in.Fd())) != nil {
		_, err = io.Copy(out, in)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// setMeta gives to p's extended attributes, owner, mode and times.
func setMeta(p, to string, st *unix.Stat_t) error {
	if err := copyXattrs(p, to); err != nil {
		return err
	}
	if st.Uid != uint32(os.Getuid()) || st.Gid != uint32(os.Getgid()) {
		if err := unix.Lchown(to, int(st.Uid), int(st.Gid)); err != nil {
			return &os.PathError{Op: "lchown", Path: to, Err: err}
		}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Chmod(to, st.Mode&0o7777); err != nil {
			return &os.PathError{Op: "chmod", Path: to, Err: err}
		}
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, to, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "set times", Path: to, Err: err}
	}
	return nil
}

// copyXattrs copies the user.* attributes (overlay's opaque marks among
// them); the others belong to the kernel or to real root.
func copyXattrs(p, to string) error {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if errors.Is(err, unix.ENOTSUP) || n <= 0 {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "listxattr", Path: p, Err: err}
	}
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if !strings.HasPrefix(name, "user.") {
			continue
		}
		val := make([]byte, 64<<10)
		vn, err := unix.Lgetxattr(p, name, val)
		if err != nil {
			return &os.PathError{Op: "getxattr " + name, Path: p, Err: err}
		}
		if err := unix.Lsetxattr(to, name, val[:vn], 0); err != nil {
			return fmt.Errorf("copy %s of %s: %w", name, p, err)
		}
	}
	return nil
}
