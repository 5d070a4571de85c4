package child

// Protected paths of a strict sandbox (internal/protect's list, in
// spec.Protect) and deny_read. Both are mounts in the sandbox's mount
// namespace, made before the old root goes; sessions cannot undo them
// (no capabilities, no mount in the strict filter, and a Landlock domain
// forbids mount changes).
//
// Why mounts and not Landlock alone: Landlock grants rights beneath a
// directory and cannot take a name out of a writable one. The design:
//
//   - an existing protected path is bound read-only over itself. A mount
//     point cannot be renamed or removed (EBUSY), so it stays where the
//     host's tools look for it.
//   - each directory between the project and a protected path is bound
//     over itself (writable): renaming the directory away (mv .git x;
//     mkdir .git) fails the same way.
//   - a protected name that does not exist cannot be covered by a mount
//     (it needs something to mount on), so the child makes a stub on the
//     host, in the project, and binds it read-only: creating the name
//     inside then fails with EEXIST or EROFS, directly, through a symlink
//     or through a rename, and the stub cannot be removed inside. Stubs
//     are empty directories (git ignores them), but for git's control
//     files in .git, where a directory would break git on the host: an
//     empty config or config.worktree, and a commondir holding "." (the
//     git dir itself, which git resolves as if the file were absent). The
//     host sees them while the sandbox runs; the supervisor removes them
//     when it ends (protect.RemoveStubs). A supervisor killed with SIGKILL
//     leaves them until the next start, stop, ls or rm (internal/protect).
//   - a protected path that is a symlink is pinned itself (bound without
//     following it), and, where it points inside the project, its target
//     is protected too.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/devbox-dev/devbox/internal/protect"
	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
)

// protector makes the protection mounts of one sandbox.
type protector struct {
	project string
	// review: the project is a review overlay, whose writes reach the
	// host only through devbox apply, which skips protected paths; a
	// missing name needs no placeholder there.
	review bool
	pinned map[string]bool
	done   []string // project-relative paths bound read-only
	stubs  []string
}

// protectPaths protects spec.Protect in a strict sandbox.
func protectPaths(spec proto.Spec) error {
	if spec.Security != proto.SecurityStrict || len(spec.Protect) == 0 {
		return nil
	}
	pr := &protector{project: spec.ProjectDir, review: spec.Review != nil, pinned: map[string]bool{}}
	rels := append([]string(nil), spec.Protect...)
	// Parents first: a writable pin must never cover a read-only bind.
	sort.SliceStable(rels, func(i, j int) bool { return strings.Count(rels[i], "/") < strings.Count(rels[j], "/") })
	for _, rel := range rels {
		if err := pr.protect(rel, 0); err != nil {
			return fmt.Errorf("protect %s: %w", rel, err)
		}
	}
	return writeStubs(spec, pr.stubs)
}

// protect makes rel read-only, pinning the directories on its way.
func (pr *protector) protect(rel string, depth int) error {
	if protect.Covers(pr.done, rel) {
		return nil
	}
	parts := strings.Split(rel, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		p := filepath.Join(pr.project, sub)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return pr.stub(sub, p)
		case err != nil:
			return err
		case fi.Mode()&os.ModeSymlink != 0:
			return pr.symlink(sub, p, depth)
		case i == len(parts)-1:
			pr.done = append(pr.done, sub)
			return bindOverSelf(p, true)
		case !fi.IsDir():
			// A file where the path needs a directory: a .git pointer
			// file, which names the git dir, is git's control file
			// itself.
			pr.done = append(pr.done, sub)
			return bindOverSelf(p, true)
		case !pr.pinned[p]:
			pr.pinned[p] = true
			if err := bindOverSelf(p, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// stub makes the missing name p (project-relative sub) and binds it
// read-only.
func (pr *protector) stub(sub, p string) error {
	if pr.review {
		return nil
	}
	content, isFile := protect.GitFileStubs[filepath.Base(p)]
	isFile = isFile && filepath.Dir(p) == filepath.Join(pr.project, ".git")
	var err error
	if isFile {
		err = os.WriteFile(p, []byte(content), 0o644)
	} else {
		err = os.Mkdir(p, 0o755)
	}
	if errors.Is(err, unix.EROFS) || errors.Is(err, os.ErrPermission) {
		// The directory is not writable by the user on the host (a
		// read-only project, a directory of another owner): the
		// sandbox, as that user at most, cannot create the name either.
		return nil
	}
	if err != nil {
		return fmt.Errorf("make a stub for the missing protected name: %w", err)
	}
	pr.stubs = append(pr.stubs, p)
	pr.done = append(pr.done, sub)
	return bindOverSelf(p, true)
}

// symlink pins the link itself and protects its target where that is in
// the project.
func (pr *protector) symlink(sub, p string, depth int) error {
	pr.done = append(pr.done, sub)
	if err := bindLinkOverSelf(p); err != nil {
		return err
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil || depth > 8 {
		return nil // dangling: the pinned link cannot be changed
	}
	rel, err := filepath.Rel(pr.project, target)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil
	}
	return pr.protect(rel, depth+1)
}

// bindOverSelf binds p over itself, read-only or not.
func bindOverSelf(p string, readOnly bool) error {
	if err := mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if readOnly {
		return makeReadOnly(p)
	}
	return nil
}

// bindLinkOverSelf binds the symlink p over itself without following it
// (open_tree and move_mount), read-only.
func bindLinkOverSelf(p string) error {
	fd, err := unix.OpenTree(unix.AT_FDCWD, p, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return &os.PathError{Op: "open_tree", Path: p, Err: err}
	}
	defer unix.Close(fd)
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		return &os.PathError{Op: "make read-only", Path: p, Err: err}
	}
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, p, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return &os.PathError{Op: "move_mount", Path: p, Err: err}
	}
	return nil
}

// writeStubs records the stubs for the supervisor, in the state dir on
// the host (reached through the old root).
func writeStubs(spec proto.Spec, stubs []string) error {
	if len(stubs) == 0 {
		return nil
	}
	p := oldRoot + filepath.Join(spec.StateDir, protect.StubsFile)
	if err := os.WriteFile(p, []byte(strings.Join(stubs, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("record protection stubs: %w", err)
	}
	return nil
}

// denyRead hides each deny_read path: an empty, unreadable tmpfs over a
// directory, an empty read-only file over a file. A path missing here is
// skipped.
func denyRead(spec proto.Spec) error {
	for _, p := range spec.DenyRead {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
		if fi.IsDir() {
			err = mount("devbox-denied", p, "tmpfs", flags, "mode=0000,size=4k")
		} else {
			err = bindFile("/dev/null", p, true)
		}
		if err != nil {
			return fmt.Errorf("hide %s (deny_read): %w", p, err)
		}
	}
	return nil
}
