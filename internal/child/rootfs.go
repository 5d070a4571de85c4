package child

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/trace"
	"golang.org/x/sys/unix"
)

// oldRoot is where the host's root stays reachable while the new root is
// built. Every bind source is read through it, so paths hidden by the new
// tree (a project under /tmp, say) still resolve. See bubblewrap's "oldroot".
const oldRoot = "/oldroot"

// buildRoot makes the host view: a tmpfs root holding read-only binds of the
// host's system directories, private /tmp, /proc, /dev, the persistent home
// and the project directory, then drops the old root.
func buildRoot(spec proto.Spec) error {
	if spec.ProjectDir == "/" {
		return errors.New("project dir is /: run devbox from a project directory, or pass --name with a narrower directory")
	}
	if spec.Image != nil {
		return buildImageRoot(spec)
	}
	return runSteps(spec, []step{
		{"make mounts private", makePrivate},
		{"pivot to a new root", pivotToTmpfs},
		{"bind system directories", bindSystem},
		{"mount /tmp and /run", mountScratch},
		{"write /etc overrides", bindEtcFiles},
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
		{"drop the old root", dropOldRoot},
	})
}

// step is one named operation of a root filesystem sequence.
type step struct {
	name string
	fn   func(proto.Spec) error
}

// runSteps runs a root sequence in order, naming the step that failed, and
// then enters the project dir.
func runSteps(spec proto.Spec, steps []step) error {
	for _, s := range steps {
		end := trace.Begin(s.name)
		err := s.fn(spec)
		end()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := os.Chdir(spec.ProjectDir); err != nil {
		return fmt.Errorf("enter project dir: %w", err)
	}
	return nil
}

// makePrivate stops mounts propagating back to the host: slave, so the
// host's unmounts still reach the sandbox.
func makePrivate(proto.Spec) error { return mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, "") }

func mount(src, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(src, target, fstype, flags, data); err != nil {
		return &os.PathError{Op: "mount " + fstype, Path: target, Err: err}
	}
	return nil
}

// pivotToTmpfs mounts a tmpfs on StateDir itself and pivots into it,
// leaving the host's root at /oldroot. The mount point needs no dir of
// its own: the tmpfs covers StateDir only in this mount namespace, and
// only until pivot_root moves it to /, where StateDir shows again under
// /oldroot as it is on the host. A dir made for it would be a new inode
// on the host's disk per start (StateDir is on a disk where there is no
// XDG_RUNTIME_DIR), which the teardown deletes again.
func pivotToTmpfs(spec proto.Spec) error {
	newRoot := spec.StateDir
	if err := mount("devbox", newRoot, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return err
	}
	if err := os.Mkdir(newRoot+oldRoot, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(newRoot, newRoot+oldRoot); err != nil {
		return fmt.Errorf("pivot_root %s: %w", newRoot, err)
	}
	return os.Chdir("/")
}

// bindSystem binds /usr, /opt, /etc and the merged-usr entry points read-only.
// /bin, /sbin and /lib* are symlinks on merged-usr systems; they stay links.
func bindSystem(proto.Spec) error {
	for _, d := range []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "opt", "etc"} {
		if err := mirror("/" + d); err != nil {
			return err
		}
	}
	return nil
}

// mirror reproduces host path p inside: a symlink stays a symlink, a
// directory becomes a read-only recursive bind; an absent path is skipped.
func mirror(p string) error {
	fi, err := os.Lstat(oldRoot + p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(oldRoot + p)
		if err != nil {
			return err
		}
		return os.Symlink(target, p)
	}
	return bindDir(oldRoot+p, p, true)
}

// bindDir binds src on target recursively, creating target.
func bindDir(src, target string, readOnly bool) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	if err := mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if readOnly {
		return makeReadOnly(target)
	}
	return nil
}

// bindFile binds file src onto target, creating an empty target file.
func bindFile(src, target string, readOnly bool) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
		f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		f.Close()
	}
	if err := mount(src, target, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	if readOnly {
		return makeReadOnly(target)
	}
	return nil
}

// makeReadOnly makes a bind mount and everything below it read-only. The
// kernel keeps locked flags (nosuid, nodev, noexec) of mounts inherited from
// the host, so only MOUNT_ATTR_RDONLY is set. Kernels before 5.12 lack
// mount_setattr; there only the top mount is remounted.
func makeReadOnly(target string) error {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err := unix.MountSetattr(unix.AT_FDCWD, target, unix.AT_RECURSIVE, &attr)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.ENOSYS) {
		return &os.PathError{Op: "make read-only", Path: target, Err: err}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return &os.PathError{Op: "statfs", Path: target, Err: err}
	}
	keep := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_NODIRATIME)
	return mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|keep, "")
}

// bindEtcFiles puts the sandbox's hostname, hosts and resolv.conf over the
// host's, read-only (etc.go).
func bindEtcFiles(proto.Spec) error {
	return mountEtc(func(src, name string) error {
		target, err := etcTarget("/etc/" + name)
		if err != nil {
			return err
		}
		return bindFile(src, target, true)
	})
}

// etcTarget returns where to bind over an /etc file. /etc is read-only here,
// so a missing file or a symlink into /run (systemd-resolved's
// stub-resolv.conf) is resolved to a path on the sandbox's own /run tmpfs.
func etcTarget(p string) (string, error) {
	fi, err := os.Lstat(p)
	if err == nil && fi.Mode().IsRegular() {
		return p, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err == nil && fi.Mode()&os.ModeSymlink != 0 {
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		link = filepath.Clean(link)
		if strings.HasPrefix(link, "/run/") {
			return link, nil
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is missing or a dangling link on the host, and /etc is read-only inside", p)
}

// mountScratch gives the sandbox private, writable /tmp, /var/tmp and /run.
// It runs before the /etc overrides, which may land on /run.
func mountScratch(proto.Spec) error {
	for _, d := range []struct{ path, mode string }{{"/tmp", "1777"}, {"/var/tmp", "1777"}, {"/run", "0755"}} {
		if err := os.MkdirAll(d.path, 0o755); err != nil {
			return err
		}
		if err := mount("tmpfs", d.path, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode="+d.mode); err != nil {
			return err
		}
	}
	return nil
}

// mountProc mounts a proc instance of the new PID namespace, so only the
// sandbox's processes show. The kernel refuses that (EPERM) where the
// outer /proc is partly masked, as in a container started with default
// options: a new proc would reveal what the masks hide. Then, unless the
// spec requires its own /proc, the outer /proc is bound recursively, masks
// and all (procFallback).
func mountProc(spec proto.Spec) error {
	if err := os.MkdirAll("/proc", 0o555); err != nil {
		return err
	}
	err := mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	if !errors.Is(err, syscall.EPERM) {
		return err
	}
	if spec.RequireProc {
		return hint.Wrap(fmt.Errorf("%w (require_proc is set, and the kernel refuses a new /proc where the outer /proc is partly masked, as in many container-based CI runners)", err),
			"give the container an unmasked /proc (docker run --security-opt systempaths=unconfined, podman run --security-opt unmask=/proc/*, procMount: Unmasked in Kubernetes), or drop --require-proc")
	}
	return procFallback()
}

// procFallback binds the outer /proc. Its limits: it lists the processes
// of the outer PID namespace, with their pids there, not only the
// sandbox's, and ps, kill by a listed pid and /proc/PID paths use those
// numbers. The host's own processes stay hidden wherever the outer runtime
// gave its container a PID namespace of its own (every container runtime
// does by default); devbox cannot hide the container's other processes.
// The masks stay, and they are locked: nothing inside can lift them.
func procFallback() error {
	if err := mount(oldRoot+"/proc", "/proc", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind the outer /proc after the kernel refused a new one: %w", err)
	}
	notice("the kernel refuses this sandbox a /proc of its own (the outer /proc is masked): it sees the outer /proc, whose processes and pids are the container's, not only the sandbox's; --require-proc makes this an error")
	return nil
}

// mountSys mounts a read-only sysfs for the sandbox's network namespace; with
// the host network the kernel refuses that, so the host's /sys is bound.
func mountSys(spec proto.Spec) error {
	if err := os.MkdirAll("/sys", 0o555); err != nil {
		return err
	}
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if spec.Network.NetNS() {
		if err := mount("sysfs", "/sys", "sysfs", flags, ""); err == nil {
			return nil
		}
	}
	return bindDir(oldRoot+"/sys", "/sys", true)
}

// mountDev builds a minimal /dev: binds of the harmless host nodes (a user
// namespace cannot mknod), a new devpts instance whose ptmx the sandbox's
// terminals come from, shm and mqueue.
func mountDev(spec proto.Spec) error {
	if err := os.MkdirAll("/dev", 0o755); err != nil {
		return err
	}
	if err := mount("devbox-dev", "/dev", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755"); err != nil {
		return err
	}
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		if err := bindFile(oldRoot+"/dev/"+n, "/dev/"+n, false); err != nil {
			return err
		}
	}
	if err := bindTun(spec); err != nil {
		return err
	}
	if err := mountDevpts(spec); err != nil {
		return err
	}
	if err := mountShmAndMqueue(); err != nil {
		return err
	}
	return devLinks()
}

// bindTun binds the host's /dev/net/tun when this process can open it, so
// that devbox inside the sandbox (or podman, or unshare -Urn with
// slirp4netns) gets a user-mode network. It is skipped when the host has
// no such node or does not let the user open it.
//
// Why this is safe: the open succeeds only when the host user may open the
// node anyway (the child is the host user to the kernel's permission
// check), so no new device is reachable. A tun device lives in the network
// namespace of whoever opens the node, and creating or attaching one
// (TUNSETIFF) needs CAP_NET_ADMIN over that namespace: the sandbox's own,
// whose owner is the sandbox's user namespace, or one nested inside it.
// The host's network namespace is never reachable through it, and
// sessions, whose bounding set lacks CAP_NET_ADMIN (confine.go), get it
// only in a network namespace of their own (unshare -Urn), as without the
// node. With --network host the sandbox shares the host's namespace, where
// it holds no capability: it can attach only to a persistent device that
// the user owns and could use outside the sandbox already.
//
// A strict sandbox gets none: its one way out is devbox's proxy, and a tun
// device is a network interface it has no use for.
func bindTun(spec proto.Spec) error {
	const tun = oldRoot + "/dev/net/tun"
	if spec.Security == proto.SecurityStrict || !tunUsable(tun) {
		return nil
	}
	return bindFile(tun, "/dev/net/tun", false)
}

// tunUsable reports whether path is the tun character device (10:200) and
// opens for reading and writing.
func tunUsable(path string) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(10, 200) {
		return false
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

func mountDevpts(spec proto.Spec) error {
	if err := os.Mkdir("/dev/pts", 0o755); err != nil {
		return err
	}
	opts := "newinstance,ptmxmode=0666,mode=0620"
	if !spec.SingleID {
		opts += ",gid=5" // tty group; unmapped in the single-id case
	}
	if err := mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, opts); err != nil {
		return err
	}
	return os.Symlink("pts/ptmx", "/dev/ptmx")
}

func mountShmAndMqueue() error {
	if err := os.Mkdir("/dev/shm", 0o1777); err != nil {
		return err
	}
	if err := mount("shm", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return err
	}
	if err := os.Mkdir("/dev/mqueue", 0o1777); err != nil {
		return err
	}
	return mount("mqueue", "/dev/mqueue", "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}

func devLinks() error {
	links := [][2]string{
		{"/proc/self/fd", "/dev/fd"},
		{"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"},
		{"/proc/self/fd/2", "/dev/stderr"},
	}
	for _, l := range links {
		if err := os.Symlink(l[0], l[1]); err != nil {
			return err
		}
	}
	return nil
}

// bindHome binds the sandbox's persistent home at the user's home path,
// or mounts a --rm sandbox's throwaway one there: a tmpfs owned by this
// process's uid 0, the user's own id on the host (as a host dir of the
// user's shows inside), with the mode of a home the client would make.
func bindHome(spec proto.Spec) error {
	switch {
	case spec.Home == "":
		return nil
	case spec.HomeTmpfs:
		if err := os.MkdirAll(spec.Home, 0o755); err != nil {
			return err
		}
		return mount("devbox-home", spec.Home, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700")
	case spec.HomeSource != "":
		return bindDir(oldRoot+spec.HomeSource, spec.Home, spec.HomeReadOnly)
	}
	return nil
}

// bindProject binds the project read-write at its own path, or mounts
// the review overlay there (review.go).
func bindProject(spec proto.Spec) error {
	if spec.Review != nil {
		return mountReview(spec)
	}
	return bindDir(oldRoot+spec.ProjectDir, spec.ProjectDir, false)
}

func bindExtra(spec proto.Spec) error {
	for _, m := range spec.Mounts {
		fi, err := os.Stat(oldRoot + m.Source)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			err = bindDir(oldRoot+m.Source, m.Target, m.ReadOnly)
		} else {
			err = bindFile(oldRoot+m.Source, m.Target, m.ReadOnly)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// hideDevboxDirs covers each of devbox's own host dirs that shows inside
// with an empty read-only tmpfs: at its own path (the project or a home
// bound from the host holds it) or below the target of a bind whose source
// holds it. A path shows the dir when it is the host's dir itself (same
// device and inode): a path that merely has the same name inside (the
// sandbox's own ~/.local/share/devbox, for devbox in devbox) stays.
func hideDevboxDirs(spec proto.Spec) error {
	for _, p := range spec.Hidden {
		var host unix.Stat_t
		if unix.Stat(oldRoot+p, &host) != nil {
			continue
		}
		for _, at := range hiddenAt(spec, p) {
			var in unix.Stat_t
			if unix.Stat(at, &in) != nil || in.Dev != host.Dev || in.Ino != host.Ino {
				continue
			}
			flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
			if err := mount("devbox-hidden", at, "tmpfs", flags, "mode=0000,size=4k"); err != nil {
				return err
			}
		}
	}
	return nil
}

// hiddenAt lists where host dir p may show inside: its own path, and the
// matching path below each bind whose source holds it.
func hiddenAt(spec proto.Spec, p string) []string {
	out := []string{p}
	binds := [][2]string{{spec.HomeSource, spec.Home}, {spec.ProjectDir, spec.ProjectDir}}
	for _, m := range spec.Mounts {
		binds = append(binds, [2]string{m.Source, m.Target})
	}
	for _, b := range binds {
		if rel, err := filepath.Rel(b[0], p); b[0] != "" && err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			out = append(out, filepath.Join(b[1], rel))
		}
	}
	return out
}

// dropOldRoot detaches the host's root and makes the new root read-only.
func dropOldRoot(proto.Spec) error {
	if err := unix.Unmount(oldRoot, unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "unmount", Path: oldRoot, Err: err}
	}
	if err := os.Remove(oldRoot); err != nil {
		return err
	}
	return mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, "")
}
