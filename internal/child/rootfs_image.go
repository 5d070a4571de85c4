package child

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
)

// buildImageRoot makes an image-backed root: the sandbox's writable layer
// over the image's layers (overlay, fuse-overlayfs or a vfs copy), with the
// same /proc, /dev, /sys, /tmp, home and project binds as the host view.
// The root stays writable: changes persist in the layer until `devbox rm`.
func buildImageRoot(spec proto.Spec) error {
	return runSteps(spec, []step{
		{"make mounts private", makePrivate},
		{"mount the image root", pivotToImage},
		{"mount /tmp and /run", mountScratch},
		{"write /etc files", writeImageEtc},
		{"mount /proc", mountProc},
		{"mount /sys", mountSys},
		{"mount cgroup2", mountCgroup},
		{"populate /dev", mountDev},
		{"bind home", bindHome},
		{"bind project", bindProject},
		{"bind extra mounts", bindExtra},
		{"protect paths", protectPaths},
		{"hide paths (deny_read)", denyRead},
		{"hide devbox's own dirs", hideDevboxDirs},
		{"drop the old root", dropOldRootWritable},
	})
}

// pivotToImage mounts the image root on StateDir/root and pivots into it,
// leaving the host's root at /oldroot.
func pivotToImage(spec proto.Spec) error {
	newRoot := filepath.Join(spec.StateDir, "root")
	if err := os.MkdirAll(newRoot, 0o700); err != nil {
		return err
	}
	if err := mountImage(spec.Image, newRoot); err != nil {
		return err
	}
	if err := os.MkdirAll(newRoot+oldRoot, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(newRoot, newRoot+oldRoot); err != nil {
		return fmt.Errorf("pivot_root %s: %w", newRoot, err)
	}
	return os.Chdir("/")
}

func mountImage(img *proto.ImageRoot, target string) error {
	switch img.Driver {
	case "vfs":
		return mount(img.Upper, target, "", unix.MS_BIND, "")
	case "fuse-overlayfs":
		return fuseOverlay(target)
	}
	return kernelOverlay(img, target)
}

// kernelOverlay mounts native overlay with userxattr (the store marks
// opaque dirs with user.overlay.*). Paths are given relative to the
// store's overlay dir (the layers' parent) so that many layers fit in the
// one-page option; a throwaway upper lies beside that dir.
func kernelOverlay(img *proto.ImageRoot, target string) error {
	if len(img.Lower) == 0 {
		return errors.New("image has no layers")
	}
	dir := filepath.Dir(filepath.Dir(img.Lower[0]))
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil {
			return r
		}
		return p
	}
	lower := make([]string, len(img.Lower))
	for i, l := range img.Lower {
		lower[i] = rel(l)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		return err
	}
	defer os.Chdir(wd)
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", strings.Join(lower, ":"), rel(img.Upper), rel(img.Work))
	return mount("overlay", target, "overlay", 0, opts)
}

// fuseOverlay mounts fuse-overlayfs of the image's layers on target.
func fuseOverlay(target string) error {
	return fuseMount("/dev/fuse", proto.FuseImage, target)
}

// fuseMount mounts a FUSE file system on target through the FUSE device at
// devFuse (the host's: the sandbox's /dev has none) and has the supervisor
// serve it: fuse-overlayfs of the layer's dirs, started outside the
// sandbox's namespaces (internal/supervisor/fuse.go), so that nothing in the
// sandbox sees the daemon or reaches the host's root through it.
func fuseMount(devFuse, layer, target string) error {
	dev, err := os.OpenFile(devFuse, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer dev.Close()
	data := fmt.Sprintf("fd=%d,rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other", dev.Fd())
	if err := mount("fuse-overlayfs", target, "fuse.fuse-overlayfs", unix.MS_NOSUID|unix.MS_NODEV, data); err != nil {
		return err
	}
	if err := startFuseDaemon(layer, dev); err != nil {
		unix.Unmount(target, unix.MNT_DETACH)
		return fmt.Errorf("run fuse-overlayfs: %w", err)
	}
	return nil
}

// fuseStarter is the fuse socket (fd 5), open while the root is built;
// fuseFile holds the descriptor the Conn dups.
var (
	fuseStarter *proto.Conn
	fuseFile    *os.File
)

// startFuseDaemon sends the mounted device to the supervisor and waits
// until fuse-overlayfs serves it.
func startFuseDaemon(layer string, dev *os.File) error {
	if fuseStarter == nil {
		fuseFile = os.NewFile(fdFuse, "fuse")
		c, err := proto.FileConn(fuseFile)
		if err != nil {
			return err
		}
		fuseStarter = c
	}
	if err := fuseStarter.Send(proto.FuseMount{Layer: layer}, int(dev.Fd())); err != nil {
		return err
	}
	msg, files, err := fuseStarter.Recv()
	for _, f := range files {
		f.Close()
	}
	if err != nil {
		return err
	}
	_, err = proto.As[proto.FuseServed](msg)
	return err
}

// closeFuseStarter closes the fuse socket once the root is built: init and
// its sessions never hold it.
func closeFuseStarter() {
	if fuseStarter == nil {
		unix.Close(fdFuse)
		return
	}
	fuseStarter.Close()
	fuseFile.Close()
	fuseStarter, fuseFile = nil, nil
}

// writeImageEtc binds the sandbox's hostname, hosts and resolv.conf over
// the image's (replacing a symlink the image may have there; etc.go).
func writeImageEtc(proto.Spec) error {
	return mountEtc(func(src, name string) error {
		target := "/etc/" + name
		if fi, err := os.Lstat(target); err == nil && !fi.Mode().IsRegular() {
			if err := os.Remove(target); err != nil {
				return err
			}
		}
		return bindFile(src, target, false)
	})
}

// dropOldRootWritable detaches the host's root; the image root stays
// writable.
func dropOldRootWritable(proto.Spec) error {
	if err := unix.Unmount(oldRoot, unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "unmount", Path: oldRoot, Err: err}
	}
	return os.Remove(oldRoot)
}
