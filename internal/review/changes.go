package review

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"github.com/devbox-dev/devbox/internal/protect"
	"golang.org/x/sys/unix"
)

// Change kinds.
const (
	Added    = "added"
	Modified = "modified" // content, symlink target or type
	Deleted  = "deleted"
	Replaced = "replaced" // a directory the sandbox emptied and refilled: entries not listed are gone
	ModeOnly = "mode"
	// OwnerOnly is a change of owner alone; with the mode too it is
	// ModeOnly, with Owner set.
	OwnerOnly = "owner"
)

// Entry types.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeOther   = "other" // a device, fifo or socket
)

// Change is one difference between the sandbox's view of the project and
// the real project. Type is the sandbox's entry (the real one's for a
// deletion); OldType is set when the type changed. Modes are octal
// permission bits, set when they differ or the entry is new. Owners are
// "uid:gid" in the host's ids (owner.go), set when they differ, and for a
// new entry when it is not the user's own.
type Change struct {
	Path      string `json:"path"`
	Kind      string `json:"kind"`
	Type      string `json:"type"`
	OldType   string `json:"old_type,omitempty"`
	Mode      string `json:"mode,omitempty"`
	OldMode   string `json:"old_mode,omitempty"`
	Owner     string `json:"owner,omitempty"`
	OldOwner  string `json:"old_owner,omitempty"`
	Target    string `json:"target,omitempty"`
	OldTarget string `json:"old_target,omitempty"`
	Binary    bool   `json:"binary,omitempty"`
	// Protected is set for paths the strict profile protects, which apply
	// skips without --include-protected (internal/protect).
	Protected bool `json:"protected,omitempty"`

	upper    node // the upper entry (a whiteout for deletions)
	inOpaque bool // below an opaque directory of the upper layer
}

// Changes compares the upper layer with the real project and returns the
// changes sorted by path: only the upper layer is walked, so the cost is
// the number of entries the sandbox touched, not the project's size.
// Entries the sandbox copied up without changing them are left out.
func Changes(project, upper string) ([]Change, error) {
	return changesSeen(project, upper, nil)
}

// changesSeen is Changes, with the verdicts of earlier comparisons in seen
// (nil: compare every copied file).
func changesSeen(project, upper string, seen *sameCache) ([]Change, error) {
	ids, err := readIDMaps()
	if err != nil {
		return nil, err
	}
	c := startCompare(project, upper, ids, seen)
	walkErr := walkUpper(upper, c.add)
	items := c.wait()
	if walkErr != nil {
		return nil, fmt.Errorf("read the review layer %s: %w", upper, walkErr)
	}
	var out []Change
	for _, it := range items {
		if it.err != nil {
			return nil, it.err
		}
		for j := range it.changes {
			it.changes[j].upper = it.n
			it.changes[j].inOpaque = it.inOpaque || it.changes[j].Path != it.n.rel
		}
		out = append(out, it.changes...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// compared is one upper entry and, once a worker is done, its changes.
type compared struct {
	n        node
	inOpaque bool // below an opaque directory of the upper layer
	changes  []Change
	err      error
}

// comparison compares upper entries with the real project while the walk
// of the upper layer goes on: the walk (a stat and an attribute list per
// entry) and the comparisons (a stat, two opens and reads per copied
// file) are system calls, which run in parallel, on as many goroutines as
// there are CPUs. The walk's order is kept: the first error by that order
// wins.
type comparison struct {
	project, upper dirRef // real entries and the sandbox's are looked up below them
	ids            idMaps
	seen           *sameCache
	items          []*compared
	opaque         map[string]bool
	jobs           chan *compared
	wg             sync.WaitGroup
}

func startCompare(project, upper string, ids idMaps, seen *sameCache) *comparison {
	c := &comparison{project: openDirRef(project), upper: openDirRef(upper), ids: ids, seen: seen, opaque: map[string]bool{}, jobs: make(chan *compared, 256)}
	for range runtime.GOMAXPROCS(0) {
		c.wg.Add(1)
		go c.work()
	}
	return c
}

// add takes the walk's next entry; entries come parents first, so its
// opaque ancestors are known.
func (c *comparison) add(n node) {
	it := &compared{n: n, inOpaque: hasAncestor(n.rel, c.opaque)}
	if n.opaque {
		c.opaque[n.rel] = true
	}
	c.items = append(c.items, it)
	if n.err != nil {
		it.err = fmt.Errorf("read the review layer: %w", n.err)
		return
	}
	c.jobs <- it
}

func (c *comparison) work() {
	defer c.wg.Done()
	for it := range c.jobs {
		it.changes, it.err = compareSeen(c.project, c.upper, it.n, c.ids, c.seen)
	}
}

// wait returns every entry, in the walk's order, once all are compared.
func (c *comparison) wait() []*compared {
	close(c.jobs)
	c.wg.Wait()
	c.project.close()
	c.upper.close()
	return c.items
}

// dirRef is a directory that entries are looked up below: by their
// relative path from its descriptor (O_PATH), which spares the kernel the
// walk of the directory's own path on each of a diff's many lookups, or
// by whole path where it could not be opened (fd is AT_FDCWD). Whole
// paths are built only for messages.
type dirRef struct {
	dir string
	fd  int
}

func openDirRef(dir string) dirRef {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		fd = unix.AT_FDCWD
	}
	return dirRef{dir: dir, fd: fd}
}

// pathDirRef is a dirRef whose entries are looked up by whole paths.
func pathDirRef(dir string) dirRef { return dirRef{dir: dir, fd: unix.AT_FDCWD} }

func (t dirRef) close() {
	if t.fd != unix.AT_FDCWD {
		unix.Close(t.fd)
	}
}

// at is rel's descriptor and name for an *at system call.
func (t dirRef) at(rel string) (int, string) {
	if t.fd == unix.AT_FDCWD {
		return t.fd, t.path(rel)
	}
	return t.fd, rel
}

func (t dirRef) path(rel string) string { return filepath.Join(t.dir, rel) }

// open opens rel for reading.
func (t dirRef) open(rel string) (int, error) {
	dirfd, name := t.at(rel)
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: t.path(rel), Err: err}
	}
	return fd, nil
}

func hasAncestor(p string, set map[string]bool) bool {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if set[d] {
			return true
		}
	}
	return false
}

// compare returns the changes one upper entry makes: none, one, or for an
// opaque directory over a real one, the replacement and the real entries
// it hides.
func compare(project, upper string, n node, ids idMaps) ([]Change, error) {
	return compareSeen(pathDirRef(project), pathDirRef(upper), n, ids, nil)
}

// compareSeen is compare, taking a file's content as unchanged when seen
// found it so with both files as they are now, and looking the real
// entries up below project and upper.
func compareSeen(project, upper dirRef, n node, ids idMaps, seen *sameCache) ([]Change, error) {
	var rst unix.Stat_t
	dirfd, name := project.at(n.rel)
	err := unix.Fstatat(dirfd, name, &rst, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) {
		return nil, &os.PathError{Op: "lstat", Path: project.path(n.rel), Err: err}
	}
	exists := err == nil
	if n.kind == nodeWhiteout {
		if !exists {
			return nil, nil // already gone from the real project
		}
		return []Change{{Path: n.rel, Kind: Deleted, Type: typeOf(rst.Mode), OldMode: perm(rst.Mode)}}, nil
	}
	c := Change{Path: n.rel, Type: typeOf(n.info.Mode), Mode: perm(n.info.Mode)}
	switch {
	case !exists:
		c.Kind = Added
		if o := ids.owner(n.info.Uid, n.info.Gid); o != ids.own() {
			c.Owner = o
		}
	case typeOf(rst.Mode) != c.Type:
		c.Kind, c.OldType, c.OldMode = Modified, typeOf(rst.Mode), perm(rst.Mode)
		c.Owner, c.OldOwner = ownerChange(ids, n.info, rst)
		if c.OldType == TypeSymlink {
			if c.OldTarget, err = os.Readlink(project.path(n.rel)); err != nil {
				return nil, err
			}
		}
	case n.kind == nodeDir && n.opaque:
		return replacedDir(project.dir, upper.dir, n, rst, ids)
	default:
		c.Owner, c.OldOwner = ownerChange(ids, n.info, rst)
		return sameType(project, upper, n, rst, c, seen)
	}
	return finish(upper.path(n.rel), c)
}

// sameType compares an upper entry with a real entry of the same type.
func sameType(project, upper dirRef, n node, rst unix.Stat_t, c Change, seen *sameCache) ([]Change, error) {
	modeDiffers := rst.Mode&0o7777 != n.info.Mode&0o7777 && n.kind != nodeSymlink
	switch n.kind {
	case nodeFile:
		same, err := seen.sameContent(project, upper, n.rel, rst, n.info)
		if err != nil {
			return nil, err
		}
		if !same {
			c.Kind = Modified
		}
	case nodeSymlink:
		oldT, err1 := os.Readlink(project.path(n.rel))
		newT, err2 := os.Readlink(upper.path(n.rel))
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if oldT != newT {
			c.Kind, c.OldTarget = Modified, oldT
		}
	}
	switch {
	case c.Kind != "":
	case modeDiffers:
		c.Kind = ModeOnly
	case c.Owner != "":
		c.Kind = OwnerOnly
	default:
		return nil, nil
	}
	if modeDiffers {
		c.OldMode = perm(rst.Mode)
	} else {
		c.Mode = ""
	}
	return finish(upper.path(n.rel), c)
}

// finish fills what the sandbox's entry says about itself: a symlink's
// target, whether a file is binary.
func finish(upperPath string, c Change) ([]Change, error) {
	switch c.Type {
	case TypeSymlink:
		t, err := os.Readlink(upperPath)
		if err != nil {
			return nil, err
		}
		c.Target = t
	case TypeFile:
		if c.Kind != ModeOnly {
			bin, err := isBinaryFile(upperPath)
			if err != nil {
				return nil, err
			}
			c.Binary = bin
		}
	}
	return []Change{c}, nil
}

// replacedDir lists an opaque upper directory over a real one: the
// replacement itself, and a deletion for each real entry the upper layer
// has no entry for (the sandbox's own entries are compared on their own).
func replacedDir(project, upper string, n node, rst unix.Stat_t, ids idMaps) ([]Change, error) {
	c := Change{Path: n.rel, Kind: Replaced, Type: TypeDir}
	c.Owner, c.OldOwner = ownerChange(ids, n.info, rst)
	if perm(rst.Mode) != perm(n.info.Mode) {
		c.Mode, c.OldMode = perm(n.info.Mode), perm(rst.Mode)
	}
	out := []Change{c}
	names, err := readNames(filepath.Join(project, n.rel))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		rel := path.Join(n.rel, name)
		if _, err := os.Lstat(filepath.Join(upper, rel)); err == nil {
			continue
		}
		if _, err := os.Lstat(filepath.Join(upper, n.rel, whPrefix+name)); err == nil {
			continue
		}
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(project, rel), &st); err != nil {
			return nil, &os.PathError{Op: "lstat", Path: filepath.Join(project, rel), Err: err}
		}
		out = append(out, Change{Path: rel, Kind: Deleted, Type: typeOf(st.Mode), OldMode: perm(st.Mode)})
	}
	return out, nil
}

// ownerChange is the upper entry's owner and the real one's when they
// differ, else two empty strings.
func ownerChange(ids idMaps, upper, real unix.Stat_t) (string, string) {
	if upper.Uid == real.Uid && upper.Gid == real.Gid {
		return "", ""
	}
	return ids.owner(upper.Uid, upper.Gid), ids.owner(real.Uid, real.Gid)
}

func typeOf(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return TypeFile
	case unix.S_IFDIR:
		return TypeDir
	case unix.S_IFLNK:
		return TypeSymlink
	}
	return TypeOther
}

// perm is a mode's permission bits in four octal digits.
func perm(mode uint32) string {
	s := strconv.FormatUint(uint64(mode&0o7777), 8)
	return "0000"[len(s):] + s
}

// sameContent compares two files byte for byte. It reads through raw
// descriptors: most files a sandbox copies up are small, and the os
// package's poller setup per open costs more than their reads.
func sameContent(a, b dirRef, rel string, sizeA, sizeB int64) (bool, error) {
	if sizeA != sizeB {
		return false, nil
	}
	fa, err := a.open(rel)
	if err != nil {
		return false, err
	}
	defer unix.Close(fa)
	fb, err := b.open(rel)
	if err != nil {
		return false, err
	}
	defer unix.Close(fb)
	n := min(sizeA+1, 64<<10) // +1: a whole small file is a short chunk
	bufA, bufB := make([]byte, n), make([]byte, n)
	left := sizeA
	for {
		want := int(min(left, n))
		na, errA := readFull(fa, bufA, want)
		nb, errB := readFull(fb, bufB, want)
		left -= int64(na)
		if err := errors.Join(errA, errB); err != nil {
			return false, err
		}
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if na < len(bufA) {
			return true, nil
		}
	}
}

// readFull reads until it has want bytes (at most len(buf)) or the file
// ends: the size from stat says how much there is, which saves the read
// that would return 0 at the end of every small file. A file that grows
// meanwhile shows as it was.
func readFull(fd int, buf []byte, want int) (int, error) {
	n := 0
	for n < want {
		m, err := unix.Read(fd, buf[n:want])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// binarySniff is how much of a file decides whether it is text: a NUL
// byte in it makes it binary, as git and diff decide.
const binarySniff = 8000

func isBinaryFile(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, binarySniff)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	return bytes.IndexByte(buf[:n], 0) >= 0, nil
}

// Select keeps the changes at or below one of paths (project-relative);
// no paths keeps all. A path below a deleted or replaced directory
// selects that directory's change.
func Select(changes []Change, paths []string) []Change {
	if len(paths) == 0 {
		return changes
	}
	var out []Change
	for _, c := range changes {
		for _, p := range paths {
			if p == "." || under(c.Path, p) || (c.Type == TypeDir && (c.Kind == Deleted || c.Kind == Replaced) && under(p, c.Path)) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// MarkProtected marks the changes to paths the strict profile protects
// (protect.Defaults without git writes: all of .git, devbox's config, the
// editor and direnv files), the same list the sandbox side uses.
func MarkProtected(changes []Change) []Change {
	list := protect.Defaults(false)
	for i := range changes {
		changes[i].Protected = protect.Covers(list, changes[i].Path)
	}
	return changes
}
