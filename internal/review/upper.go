package review

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Overlay markers in an upper layer. Native overlay in a user namespace
// (userxattr) writes user.overlay.*; as real root it writes
// trusted.overlay.*; fuse-overlayfs writes either, or its own
// user.fuseoverlayfs.* and .wh. files where it cannot make devices or set
// those attributes.
const (
	whPrefix  = ".wh."
	whOpaque  = ".wh..wh..opq"
	xattrUser = "user.overlay."
	xattrTrus = "trusted.overlay."
	xattrFuse = "user.fuseoverlayfs."
)

// opaqueXattrs mark a directory that hides the lower directory's entries.
var opaqueXattrs = []string{xattrUser + "opaque", xattrTrus + "opaque", xattrFuse + "opaque"}

// unsupportedXattrs mark layouts whose content is not all in the upper
// layer (a renamed directory that still reads the old one's entries, a
// file whose data stays below): devbox mounts with both off, and refuses
// to guess at a layer that has them.
var unsupportedXattrs = []string{xattrUser + "redirect", xattrTrus + "redirect", xattrUser + "metacopy", xattrTrus + "metacopy"}

// Node kinds in an upper layer.
const (
	nodeWhiteout = iota // the lower entry is deleted
	nodeDir
	nodeFile
	nodeSymlink
	nodeOther // a device, fifo or socket the sandbox made
)

// node is one entry of an upper layer, by project-relative path.
type node struct {
	rel    string
	phys   string // the entry's own path in the layer: a .wh. file's name for such a whiteout
	kind   int
	opaque bool // a directory hiding the lower one's entries
	info   unix.Stat_t
	err    error // set when a directory could not be read
}

// scanUpper lists every entry of the upper layer, parents before their
// entries, whiteouts and opaque marks decoded: no .wh. name and no 0/0
// device is returned as such. A directory it cannot read is returned
// with err set, its entries unknown.
func scanUpper(upper string) ([]node, error) {
	var out []node
	err := walkUpper(upper, func(n node) { out = append(out, n) })
	return out, err
}

// walkUpper passes scanUpper's entries to emit as it finds them, in the
// same order, so that a caller can work on them while the walk goes on.
func walkUpper(upper string, emit func(node)) error {
	d, err := os.Open(upper)
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	return walkDir(upper, "", d, names, emit)
}

// walkDir emits the entries of directory rel (open as d, whose names are
// given) and below them. Entries are looked up from d, not by their whole
// path, and a directory is opened without following a symlink the
// sandbox may have put in its place. A directory is emitted after its own
// names are read, so that one it cannot read carries that error, and
// before its entries.
func walkDir(upper, rel string, d *os.File, names []string, emit func(node)) error {
	sort.Strings(names)
	for _, name := range names {
		if name == whOpaque {
			continue
		}
		child := path.Join(rel, name)
		if strings.HasPrefix(name, whPrefix) {
			emit(node{rel: path.Join(rel, strings.TrimPrefix(name, whPrefix)), phys: child, kind: nodeWhiteout})
			continue
		}
		n, err := statNodeAt(int(d.Fd()), name, upper, child)
		if err != nil {
			return err
		}
		if n.kind != nodeDir {
			emit(n)
			continue
		}
		sub, below, err := readDirAt(d, name)
		if err != nil && !errors.Is(err, fs.ErrPermission) {
			return err
		}
		n.err = err
		emit(n)
		if err == nil {
			err = walkDir(upper, child, sub, below, emit)
			sub.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// readDirAt opens directory name in d, never through a symlink, and reads
// its names; the caller closes the directory.
func readDirAt(d *os.File, name string) (*os.File, []string, error) {
	fd, err := unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: filepath.Join(d.Name(), name), Err: err}
	}
	sub := os.NewFile(uintptr(fd), filepath.Join(d.Name(), name))
	names, err := sub.Readdirnames(-1)
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	return sub, names, nil
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// statNode classifies one upper entry.
func statNode(upper, rel string) (node, error) {
	return statNodeAt(unix.AT_FDCWD, filepath.Join(upper, rel), upper, rel)
}

// statNodeAt is statNode for the entry name in directory dirfd.
func statNodeAt(dirfd int, name, upper, rel string) (node, error) {
	n := node{rel: rel, phys: rel}
	if err := unix.Fstatat(dirfd, name, &n.info, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return n, &os.PathError{Op: "lstat", Path: filepath.Join(upper, rel), Err: err}
	}
	switch n.info.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		n.kind = nodeOther
		if n.info.Rdev == 0 {
			n.kind = nodeWhiteout
		}
	case unix.S_IFDIR:
		n.kind = nodeDir
	case unix.S_IFREG:
		n.kind = nodeFile
	case unix.S_IFLNK:
		n.kind = nodeSymlink
	default:
		n.kind = nodeOther
	}
	if n.kind == nodeDir || maybeMetacopy(n) {
		p := filepath.Join(upper, rel)
		names, err := xattrNames(p)
		if err != nil {
			return n, err
		}
		for _, x := range names {
			if slices.Contains(unsupportedXattrs, x) {
				return n, fmt.Errorf("%s carries %s: an overlay layout devbox does not read (it mounts with redirect_dir and metacopy off)", p, x)
			}
			if n.kind == nodeDir && slices.Contains(opaqueXattrs, x) && opaqueSet(p, x) {
				n.opaque = true
			}
		}
		if n.kind == nodeDir && !n.opaque {
			_, err := os.Lstat(filepath.Join(p, whOpaque))
			n.opaque = err == nil
		}
	}
	return n, nil
}

// maybeMetacopy reports whether file entry n could be a metacopy upper
// file, whose data stays in the lower layer: such a file has no blocks of
// its own. A file with blocks needs no look at its attributes, which saves
// a system call for almost every file (a tiny file whose data the file
// system keeps in its inode is looked at, and passes).
func maybeMetacopy(n node) bool {
	return n.kind == nodeFile && n.info.Blocks == 0 && n.info.Size > 0
}

// xattrNames lists p's extended attributes, one call for most entries
// (which have none); a file system without them has none.
func xattrNames(p string) ([]string, error) {
	buf := make([]byte, 256)
	for {
		sz, err := unix.Llistxattr(p, buf)
		switch {
		case errors.Is(err, unix.ERANGE):
			buf = make([]byte, 2*len(buf))
			continue
		case errors.Is(err, unix.ENOTSUP):
			return nil, nil
		case err != nil:
			return nil, &os.PathError{Op: "listxattr", Path: p, Err: err}
		}
		var out []string
		for _, name := range strings.Split(string(buf[:sz]), "\x00") {
			if name != "" {
				out = append(out, name)
			}
		}
		return out, nil
	}
}

// opaqueSet reports whether opaque attribute x of p says "y".
func opaqueSet(p, x string) bool {
	buf := make([]byte, 8)
	sz, err := unix.Lgetxattr(p, x, buf)
	return err == nil && sz > 0 && buf[0] == 'y'
}

// clearOpaque removes every opaque mark from directory p.
func clearOpaque(p string) error {
	for _, x := range opaqueXattrs {
		if err := unix.Lremovexattr(p, x); err != nil && !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EPERM) {
			return &os.PathError{Op: "remove " + x, Path: p, Err: err}
		}
	}
	if err := os.Remove(filepath.Join(p, whOpaque)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
