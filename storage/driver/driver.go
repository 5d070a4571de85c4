// Package driver decides which containers/storage driver devbox's image
// store uses, without opening the store: the store (inside the user
// namespace) tries drivers in this order, and `devbox doctor` (on the host)
// reports the same decision.
package driver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Drivers, in order of preference. Fuse is the overlay driver with
// fuse-overlayfs as its mount program.
const (
	Overlay = "overlay"
	Fuse    = "fuse-overlayfs"
	VFS     = "vfs"
)

// All is every driver, best first.
var All = []string{Overlay, Fuse, VFS}

// Env forces a driver, for a home where native overlay misbehaves, and for
// tests.
const Env = "DEVBOX_STORAGE_DRIVER"

// RecordFile (in the graph root) records the driver a store was created
// with: layers written by one driver are invisible to another.
const RecordFile = "devbox-driver"

// Choice is the driver to use and why.
type Choice struct {
	Driver string
	Why    string
	// Fallback is set when native overlay was passed over.
	Fallback bool
}

// Forced returns the driver $DEVBOX_STORAGE_DRIVER names, or "".
func Forced() (string, error) {
	d := os.Getenv(Env)
	switch d {
	case "", Overlay, Fuse, VFS:
		return d, nil
	}
	return "", fmt.Errorf("invalid %s=%q: want overlay, fuse-overlayfs or vfs", Env, d)
}

// mountProgramFlag is the file in the overlay driver's dir where
// containers/storage notes that its layers are written for a mount program
// ("true"): it then stores whiteouts as .wh. files, which only
// fuse-overlayfs understands. Its overlay driver takes fuse-overlayfs from
// PATH on its own when its probe of native overlay fails.
const mountProgramFlag = ".has-mount-program"

// MountProgramLayers reports whether the store at graphRoot holds overlay
// layers written for a mount program (fuse-overlayfs).
func MountProgramLayers(graphRoot string) bool {
	b, _ := os.ReadFile(filepath.Join(graphRoot, Overlay, mountProgramFlag))
	return strings.TrimSpace(string(b)) == "true"
}

// Recorded returns the driver the store at graphRoot was created with.
func Recorded(graphRoot string) string {
	b, _ := os.ReadFile(filepath.Join(graphRoot, RecordFile))
	return strings.TrimSpace(string(b))
}

// Choose decides the driver for the store at graphRoot: forced, else
// recorded, else native overlay when the kernel and file system allow it,
// else fuse-overlayfs when usable, else vfs.
func Choose(graphRoot string) (Choice, error) {
	if d, err := Forced(); err != nil || d != "" {
		return Choice{Driver: d, Why: "forced by " + Env, Fallback: d != Overlay}, err
	}
	if d := Recorded(graphRoot); d != "" {
		if d == Overlay && MountProgramLayers(graphRoot) {
			return Choice{Driver: Fuse, Why: "the store's layers were written for fuse-overlayfs (containers/storage fell back to it): native overlay would show their whiteouts as plain files", Fallback: true}, nil
		}
		c := Choice{Driver: d, Why: "the store was created with it", Fallback: d != Overlay}
		if c.Fallback {
			if err := NativeOverlay(graphRoot); err != nil {
				c.Why += "; native overlay: " + err.Error()
			}
		}
		return c, nil
	}
	overlayErr := NativeOverlay(graphRoot)
	if overlayErr == nil {
		return Choice{Driver: Overlay, Why: "native rootless overlay"}, nil
	}
	fuseErr := FuseUsable()
	if fuseErr == nil {
		return Choice{Driver: Fuse, Why: overlayErr.Error(), Fallback: true}, nil
	}
	return Choice{Driver: VFS, Why: overlayErr.Error() + "; " + fuseErr.Error(), Fallback: true}, nil
}

// Order lists the drivers to try for c: c's own, then the ones after it
// unless it was forced or recorded.
func Order(c Choice, graphRoot string) []string {
	if d, _ := Forced(); d != "" {
		return []string{d}
	}
	if Recorded(graphRoot) != "" {
		return []string{c.Driver}
	}
	for i, d := range All {
		if d == c.Driver {
			return All[i:]
		}
	}
	return All
}

// File systems on which the kernel refuses an overlay upper dir, or which
// break it (NFS homes).
var badUpperFS = map[int64]string{
	0x6969:     "NFS",
	0x65735546: "FUSE",
	0x794c7630: "overlayfs",
	0xf15f:     "eCryptfs",
	0xff534d42: "CIFS",
	0xfe534d42: "SMB2",
}

// NativeOverlay says why rootless native overlay cannot hold a store at
// graphRoot: it needs kernel 5.13 (overlay in user namespaces, userxattr)
// and a local file system that keeps overlay's markers: user.overlay.*
// extended attributes (opaque dirs) and 0/0 character devices (whiteouts).
func NativeOverlay(graphRoot string) error {
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		rel := unix.ByteSliceToString(u.Release[:])
		var major, minor int
		fmt.Sscanf(rel, "%d.%d", &major, &minor)
		if major < 5 || major == 5 && minor < 13 {
			return fmt.Errorf("kernel %s is older than 5.13: no rootless overlay", rel)
		}
	}
	dir := existingAncestor(graphRoot)
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	if name, bad := badUpperFS[int64(st.Type)]; bad {
		return fmt.Errorf("%s is on %s, where overlay upper dirs do not work", dir, name)
	}
	return probeMarkers(dir, int64(st.Type))
}

const tmpfsMagic = 0x01021994

// probeMarkers says why dir's file system cannot hold overlay's whiteouts
// and opaque-dir markers as a rootless user writes them. A dir it cannot
// write in tells nothing: creating the store there fails on its own.
func probeMarkers(dir string, fsType int64) error {
	tmp, err := os.MkdirTemp(dir, ".devbox-probe-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(tmp)
	if err := unix.Setxattr(tmp, "user.overlay.opaque", []byte("y"), 0); err != nil {
		hint := ""
		if fsType == tmpfsMagic {
			hint = " (tmpfs has them from Linux 6.6)"
		}
		return fmt.Errorf("%s does not keep user extended attributes%s, which mark an image's opaque directories for rootless overlay: set user.overlay.opaque: %w", dir, hint, err)
	}
	if err := unix.Mknod(filepath.Join(tmp, "whiteout"), unix.S_IFCHR|0o600, 0); err != nil {
		return fmt.Errorf("%s cannot hold overlay whiteouts (0/0 character devices): %w", dir, err)
	}
	return nil
}

func existingAncestor(p string) string {
	for {
		if _, err := os.Stat(p); err == nil || p == "/" || p == "." {
			return p
		}
		p = filepath.Dir(p)
	}
}

// FuseUsable says why fuse-overlayfs cannot be used, or nil.
func FuseUsable() error {
	if _, err := exec.LookPath("fuse-overlayfs"); err != nil {
		return errors.New("fuse-overlayfs not found in PATH (install package fuse-overlayfs)")
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open /dev/fuse: %w", err)
	}
	return f.Close()
}

// Review overlays: the project of a sandbox in review mode is the lower
// layer of an overlay whose upper layer lies in the sandbox's data dir.

// ChooseOverlay decides how to mount an overlay of lower (a directory the
// user owns, not an image layer) with an upper dir at upper: forced by
// $DEVBOX_STORAGE_DRIVER (overlay or fuse-overlayfs), else native overlay
// when the kernel and upper's file system allow it and lower is on a local
// file system, else fuse-overlayfs. Native overlay is never stacked on a
// lower on overlayfs (a container's root), FUSE or a network file system:
// those are the stated fallback to fuse-overlayfs, whose Why says so. An
// error says why neither works.
func ChooseOverlay(lower, upper string) (Choice, error) {
	forced, err := Forced()
	if err != nil {
		return Choice{}, err
	}
	switch forced {
	case Overlay, Fuse:
		return Choice{Driver: forced, Why: "forced by " + Env, Fallback: forced != Overlay}, nil
	case VFS:
		return Choice{}, fmt.Errorf("%s=vfs has no overlay: a review needs overlay or fuse-overlayfs", Env)
	}
	nativeErr := nativeOverLower(lower, upper)
	if nativeErr == nil {
		return Choice{Driver: Overlay, Why: "native rootless overlay"}, nil
	}
	if fuseErr := FuseUsable(); fuseErr != nil {
		return Choice{}, fmt.Errorf("no overlay for %s: native overlay: %w; fuse-overlayfs: %w", lower, nativeErr, fuseErr)
	}
	return Choice{Driver: Fuse, Why: nativeErr.Error(), Fallback: true}, nil
}

// nativeOverLower says why native overlay cannot take lower as its lower
// layer and upper as its upper, or nil.
func nativeOverLower(lower, upper string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(lower, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", lower, err)
	}
	if name := StackedLowerFS(int64(st.Type)); name != "" {
		return fmt.Errorf("the project %s is on %s, which devbox does not stack native overlay on", lower, name)
	}
	return NativeOverlay(upper)
}

// StackedLowerFS names the file system of statfs type fsType when native
// overlay is not stacked on a lower dir there, else "". overlayfs (a
// container's root): the kernel stacks overlays two deep at most, so a
// project on an overlay over another fails to mount (Linux 6.18 mounts one
// over a single overlay in a user namespace, which a forced
// DEVBOX_STORAGE_DRIVER=overlay uses); NFS, CIFS, SMB2 and FUSE: remote or
// user-space file systems, whose entries can change under the overlay
// without its knowing; eCryptfs: its own stacking. fuse-overlayfs reads the
// project through plain system calls and takes all of these.
func StackedLowerFS(fsType int64) string {
	return badUpperFS[fsType]
}
