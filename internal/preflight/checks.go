package preflight

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/subid"
)

// Status is a check's outcome.
type Status string

// A fail means devbox cannot start a sandbox; a warn means it runs with less
// (single-id mapping, no network, no limits).
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Check is the result of one host probe.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

func (c Check) ok(detail string) Check {
	c.Status, c.Detail = StatusOK, detail
	return c
}

func (c Check) warn(detail, fix string) Check {
	c.Status, c.Detail, c.Fix = StatusWarn, detail, fix
	return c
}

func (c Check) fail(detail, fix string) Check {
	c.Status, c.Detail, c.Fix = StatusFail, detail, fix
	return c
}

// who is the user the checks are about.
type who struct {
	uid, gid uint32
	name     string
}

func (u who) root() bool { return u.uid == 0 }

func currentUser() who {
	u := who{uid: uint32(os.Getuid()), gid: uint32(os.Getgid())}
	u.name = strconv.FormatUint(uint64(u.uid), 10)
	if cu, err := user.Current(); err == nil {
		u.name = cu.Username
	}
	return u
}

// Run runs every host check for the current user and returns them in a
// stable order. Checks of sysctls the kernel lacks are left out.
func Run() []Check {
	u := currentUser()
	checks := []Check{
		checkKernel(kernelRelease()),
		checkUserNS(u),
		checkHelper("newuidmap", u),
		checkHelper("newgidmap", u),
		checkSubIDs(u, readOptional("/etc/subuid"), readOptional("/etc/subgid")),
	}
	for _, s := range []struct{ name, path string }{
		{"unprivileged_userns_clone", sysctlUsernsClone},
		{"max_user_namespaces", sysctlMaxUserns},
	} {
		if v := readSysctl(s.path); v != "" {
			checks = append(checks, sysctlCheck(s.name, v, u.root()))
		}
	}
	if c, ok := checkNoNewPrivs(HostRoots, u.root()); ok {
		checks = append(checks, c)
	}
	if c, ok := checkAppArmor(readAppArmor(HostRoots), executable(), u.root()); ok {
		checks = append(checks, c)
	}
	if c, ok := checkSELinux(readSELinux(HostRoots, projectDir())); ok {
		checks = append(checks, c)
	}
	return append(checks,
		checkRuntimeDir(u, os.Getenv("XDG_RUNTIME_DIR")),
		checkNetwork(exec.LookPath),
		checkDevice("/dev/net/tun", "slirp4netns and pasta cannot create the sandbox's network device", "sudo modprobe tun"),
		checkFuse(),
		checkStorage(),
		checkCgroup(),
	)
}

func readOptional(path string) []byte {
	b, _ := os.ReadFile(path) // absent is the same as empty
	return b
}

func checkUserNS(u who) Check {
	c := Check{Name: "user namespaces"}
	if err := ProbeUserNS(); err != nil {
		return c.fail(err.Error(), hint.Of(err))
	}
	return c.ok(fmt.Sprintf("created one as uid %d", u.uid))
}

// checkHelper checks that newuidmap or newgidmap is in PATH and privileged.
// Root writes the maps itself and needs neither.
func checkHelper(name string, u who) Check {
	c := Check{Name: name}
	path, err := exec.LookPath(name)
	if err != nil {
		if u.root() {
			return c.ok("not found; not needed as root")
		}
		return c.warn("not found in PATH: only your own id can be mapped", installFix("uidmap", "shadow-utils"))
	}
	how := helperPrivilege(path)
	switch {
	case how != "":
		return c.ok(path + " (" + how + ")")
	case u.root():
		return c.ok(path + " (not privileged; not needed as root)")
	}
	return c.fail(path+" is neither setuid root nor has file capabilities: it cannot write the id map",
		"sudo chmod u+s "+path)
}

// helperPrivilege says how path gets the right to write other ids' maps:
// setuid root (Debian) or file capabilities (Fedora), or "" for neither.
func helperPrivilege(path string) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err == nil && st.Mode&unix.S_ISUID != 0 && st.Uid == 0 {
		return "setuid root"
	}
	if n, err := unix.Getxattr(path, "security.capability", nil); err == nil && n > 0 {
		return "file capabilities"
	}
	return ""
}

// installFix returns the install command for this host's package manager.
func installFix(debian, fedora string) string {
	if _, err := exec.LookPath("apt-get"); err == nil {
		return "sudo apt-get install " + debian
	}
	if _, err := exec.LookPath("dnf"); err == nil {
		return "sudo dnf install " + fedora
	}
	return "sudo apt-get install " + debian + " (Debian/Ubuntu) or sudo dnf install " + fedora + " (Fedora)"
}

// checkSubIDs reports the user's subordinate ranges. Missing ones are a
// warning: devbox falls back to mapping the user's own id only.
func checkSubIDs(u who, subuid, subgid []byte) Check {
	c := Check{Name: "subordinate ids"}
	uids := subid.For(subuid, u.name, u.uid)
	gids := subid.For(subgid, u.name, u.uid)
	have := fmt.Sprintf("subuid %s, subgid %s", formatRanges(uids), formatRanges(gids))
	switch {
	case len(uids) > 0 && len(gids) > 0:
		return c.ok(have)
	case u.root():
		return c.ok(have + "; root maps ids 1-65535 to themselves")
	}
	var missing []string
	if len(uids) == 0 {
		missing = append(missing, "no subuid range for "+u.name+" in /etc/subuid")
	}
	if len(gids) == 0 {
		missing = append(missing, "no subgid range for "+u.name+" in /etc/subgid")
	}
	return c.warn(strings.Join(missing, "; ")+": only your own id can be mapped",
		subid.UsermodFix(u.name, subuid, subgid, len(uids) == 0, len(gids) == 0))
}

func formatRanges(rs []subid.Range) string {
	if len(rs) == 0 {
		return "none"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf("%d-%d", r.Start, r.End()-1)
	}
	return strings.Join(s, ",")
}

// sysctlCheck judges one user namespace sysctl's value. Root is not subject
// to unprivileged_userns_clone.
func sysctlCheck(name, value string, root bool) Check {
	c := Check{Name: name}
	switch {
	case name == "max_user_namespaces" && value == "0":
		return c.fail("user.max_user_namespaces=0: no user namespaces at all", sysctlFix("user.max_user_namespaces", "28633"))
	case name == "unprivileged_userns_clone" && value == "0" && !root:
		return c.fail("kernel.unprivileged_userns_clone=0: unprivileged user namespaces are disabled", sysctlFix("kernel.unprivileged_userns_clone", "1"))
	}
	return c.ok("= " + value)
}

// checkRuntimeDir says where sandbox state goes.
func checkRuntimeDir(u who, dir string) Check {
	c := Check{Name: "runtime dir"}
	fallback := fmt.Sprintf("/tmp/devbox-%d", u.uid)
	if dir == "" {
		return c.ok("XDG_RUNTIME_DIR is unset; using " + fallback)
	}
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Uid != u.uid {
		return c.ok("XDG_RUNTIME_DIR=" + dir + " is not a directory you own; using " + fallback)
	}
	return c.ok(dir + "/devbox")
}

// checkNetwork looks for a user-mode network driver.
func checkNetwork(lookPath func(string) (string, error)) Check {
	c := Check{Name: "network"}
	var found []string
	for _, bin := range []string{"slirp4netns", "pasta"} {
		if p, err := lookPath(bin); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return c.warn("neither slirp4netns nor pasta in PATH: install package slirp4netns or passt; until then use --network none",
			installFix("slirp4netns passt", "slirp4netns passt"))
	}
	return c.ok(strings.Join(found, ", "))
}

// checkDevice opens a device node read-write, as the rootless tools do.
func checkDevice(path, impact, missingFix string) Check {
	c := Check{Name: path}
	if err := openRW(path); err != nil {
		fix := "sudo chmod 0666 " + path
		if errors.Is(err, os.ErrNotExist) {
			fix = missingFix
		}
		return c.warn(err.Error()+": "+impact, fix)
	}
	return c.ok("opened read-write")
}

func openRW(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// checkFuse checks the fallback overlay: fuse-overlayfs and /dev/fuse.
func checkFuse() Check {
	const why = "fuse-overlayfs is the fallback where native rootless overlay is unavailable (kernel < 5.13, or a store on a file system without user extended attributes)"
	c := Check{Name: "fuse-overlayfs"}
	path, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		return c.warn("not found in PATH; "+why, installFix("fuse-overlayfs", "fuse-overlayfs"))
	}
	if d := checkDevice("/dev/fuse", why, "sudo modprobe fuse"); d.Status != StatusOK {
		return c.warn(d.Detail, d.Fix)
	}
	return c.ok(path + ", /dev/fuse opened read-write")
}
