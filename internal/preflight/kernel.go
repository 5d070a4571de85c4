package preflight

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// The oldest kernel devbox supports, and the one below which no sandbox
// starts. README's "Kernel" section says the same; keep them in step.
const (
	supportedMajor, supportedMinor = 5, 13
	minimumMajor, minimumMinor     = 4, 6
)

// kernelFeature is something devbox uses that a kernel release added, and
// what happens without it.
type kernelFeature struct {
	major, minor int
	without      string
}

// kernelFeatures, oldest first. The first is required; the rest degrade.
var kernelFeatures = []kernelFeature{
	{4, 6, "no cgroup namespaces (CLONE_NEWCGROUP): no sandbox can start"},
	{5, 3, "no pidfd_open: the watcher that ends slirp4netns or pasta when the supervisor is killed exits at once, so a killed supervisor can leave a network helper running"},
	{5, 7, "no clone into a cgroup (clone3 CLONE_INTO_CGROUP): where a cgroup v2 subtree is delegated, starting the sandbox in its group fails"},
	{5, 12, "no mount_setattr: the read-only binds of /usr, /etc and the like are read-only at their top mount only, their submounts keep the host's flags"},
	{5, 13, "no rootless native overlay (overlay in user namespaces with userxattr): image sandboxes use fuse-overlayfs, or vfs (a full copy per sandbox) without it"},
	{5, 19, "no memory.peak: devbox stats shows no peak memory"},
	{6, 6, "tmpfs keeps no user extended attributes: an image store on tmpfs cannot use native overlay"},
}

// kernelRelease returns uname -r.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// parseRelease reads "6.1.0-18-amd64" as 6, 1.
func parseRelease(rel string) (major, minor int, ok bool) {
	n, _ := fmt.Sscanf(rel, "%d.%d", &major, &minor)
	return major, minor, n == 2
}

func older(major, minor, thanMajor, thanMinor int) bool {
	return major < thanMajor || major == thanMajor && minor < thanMinor
}

// checkKernel judges the running kernel's release against the floor and
// lists what this kernel lacks.
func checkKernel(rel string) Check {
	c := Check{Name: "kernel"}
	major, minor, ok := parseRelease(rel)
	if !ok {
		return c.warn(fmt.Sprintf("cannot read the kernel release %q: devbox supports Linux %d.%d and newer", rel, supportedMajor, supportedMinor), "uname -r")
	}
	var lacks []string
	for _, f := range kernelFeatures {
		if older(major, minor, f.major, f.minor) {
			lacks = append(lacks, fmt.Sprintf("< %d.%d: %s", f.major, f.minor, f.without))
		}
	}
	upgrade := fmt.Sprintf("boot a Linux %d.%d or newer kernel (Debian 12 ships 6.1)", supportedMajor, supportedMinor)
	switch {
	case older(major, minor, minimumMajor, minimumMinor):
		return c.fail(fmt.Sprintf("Linux %s is older than %d.%d: %s", rel, minimumMajor, minimumMinor, strings.Join(lacks, "; ")), upgrade)
	case older(major, minor, supportedMajor, supportedMinor):
		return c.warn(fmt.Sprintf("Linux %s is older than %d.%d, the oldest devbox supports: %s", rel, supportedMajor, supportedMinor, strings.Join(lacks, "; ")), upgrade)
	case len(lacks) > 0:
		return c.ok(fmt.Sprintf("Linux %s (supported from %d.%d); lacks %s", rel, supportedMajor, supportedMinor, strings.Join(lacks, "; ")))
	}
	return c.ok(fmt.Sprintf("Linux %s (supported from %d.%d)", rel, supportedMajor, supportedMinor))
}
