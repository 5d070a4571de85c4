package child

// The kernel-facing confinement of the sandbox, applied by the child to
// itself: init keeps it, and every session inherits it through fork and
// exec. See docs/security.md for the whole model.

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/caps"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/seccomp/prebuilt"
	"github.com/devbox-dev/devbox/internal/strict"
	"github.com/devbox-dev/devbox/userns"
	"golang.org/x/sys/unix"
)

// keptCaps is the sessions' bounding set: Podman's default capabilities
// plus NET_RAW. apt and dpkg need CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
// SETUID, SETGID and SETFCAP; gdb and strace trace their own children
// without SYS_PTRACE, which would let sessions read init's memory.
//
// NET_RAW is the one addition: Debian's ping (host view and images) carries
// the file capability cap_net_raw+ep, and the kernel refuses to exec such a
// file (EPERM) when the bounding set lacks it. It reaches only the
// sandbox's own network namespace, and adds no kernel attack surface, since
// any session may get NET_RAW over a network namespace of its own through
// a nested user namespace (unshare -Urn), which must keep working. Sessions
// as other users ping through ping_group_range (allowPing).
//
// Init keeps the same set for itself once it serves: SETUID and SETGID
// write user = "self" sessions' id maps, KILL reaches sessions of other
// uids.
var keptCaps = []uintptr{
	unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_FOWNER, unix.CAP_FSETID,
	unix.CAP_KILL, unix.CAP_NET_BIND_SERVICE, unix.CAP_SETFCAP, unix.CAP_SETGID,
	unix.CAP_SETPCAP, unix.CAP_SETUID, unix.CAP_SYS_CHROOT,
	unix.CAP_NET_RAW,
}

// profile is the validated security profile of a Spec.
func profile(spec proto.Spec) (string, error) {
	switch spec.Security {
	case "", proto.SecurityDefault:
		return proto.SecurityDefault, nil
	case proto.SecurityUnconfined, proto.SecurityStrict:
		return spec.Security, nil
	}
	return "", fmt.Errorf("unknown security profile %q (want %q, %q or %q)", spec.Security, proto.SecurityDefault, proto.SecurityUnconfined, proto.SecurityStrict)
}

// joinSessionKeyring gives the sandbox a new, anonymous session keyring,
// as runc does, so the host login's session keyring is out of reach. The
// keyring belongs to the calling thread: stage one calls it on the thread
// that then execs stage two, whose every thread starts with it.
func joinSessionKeyring() error {
	_, _, errno := unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
	switch {
	case errno == 0:
		return nil
	case errno == unix.ENOSYS || errno == unix.EPERM:
		// No keyrings in this kernel, or a seccomp filter blocks them (a
		// sandbox inside a sandbox): there is no keyring to leave.
		return nil
	}
	return fmt.Errorf("join a new session keyring: %w", errno)
}

// filterJob compiles the seccomp filter from the start of stage two, while
// the supervisor sets up the network, and installs it as soon as the
// profile is known, while the root filesystem is built: both cost about a
// millisecond, and neither is then on the start's critical path. The
// filter allows everything the setup does (mount, pivot_root,
// sethostname, netlink), and it covers every thread at once (TSYNC), so
// the installing thread does not matter.
type filterJob struct {
	prof chan string
	done chan error
}

func startFilter() *filterJob {
	j := &filterJob{prof: make(chan string, 1), done: make(chan error, 1)}
	go func() {
		f, err := prebuilt.Default()
		if prof := <-j.prof; prof == proto.SecurityUnconfined {
			err = nil
		} else if err == nil {
			err = f.Install()
		}
		j.done <- err
	}()
	return j
}

// install lets the job install the filter for prof.
func (j *filterJob) install(prof string) { j.prof <- prof }

// wait returns the install's error.
func (j *filterJob) wait() error { return <-j.done }

// confine is the last step before init serves, after the filter is in:
// init becomes non-dumpable (sessions cannot ptrace it or read /proc/1/mem
// and /proc/1/environ), and with the default profile the capabilities are
// cut to keptCaps.
func confine(prof string) error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make init non-dumpable: %w", err)
	}
	if prof == proto.SecurityUnconfined {
		return clearInheritable()
	}
	return dropCaps()
}

// dropCaps cuts the bounding, permitted and effective sets to keptCaps and
// empties the inheritable set. Capabilities belong to threads: this cuts
// the calling one, init's main thread, which is the one that forks every
// session (initproc runs spawns on it). Cutting all of Go's threads with
// AllThreadsSyscall costs a stop-the-world per call, about 5 ms for the
// thirty calls on a loaded machine; init's other threads never exec.
func dropCaps() error {
	last, err := caps.Last()
	if err != nil {
		return err
	}
	keep := map[uintptr]bool{}
	for _, c := range keptCaps {
		keep[c] = true
	}
	for c := uintptr(0); c <= last; c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	var set [2]uint32
	for _, c := range keptCaps {
		set[c/32] |= 1 << (c % 32)
	}
	return capset(set, [2]uint32{})
}

// clearInheritable empties the inheritable set, keeping the rest: root's
// exec adds the inheritable set to the bounding set (CVE-2022-29162).
func clearInheritable() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	return capset([2]uint32{data[0].Permitted, data[1].Permitted}, [2]uint32{})
}

// capset sets the calling thread's permitted and effective sets to set and
// its inheritable set to inh.
func capset(set, inh [2]uint32) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: set[0], Permitted: set[0], Inheritable: inh[0]},
		{Effective: set[1], Permitted: set[1], Inheritable: inh[1]},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	return nil
}

// allowPing lets every mapped group open ICMP datagram sockets in the
// sandbox's own network namespace, so ping needs no CAP_NET_RAW (Podman
// does the same). The range must stay within the mapped gids.
func allowPing() error {
	n, err := mappedGIDs()
	if err != nil {
		return err
	}
	v := fmt.Sprintf("0 %d", n-1)
	if err := os.WriteFile("/proc/sys/net/ipv4/ping_group_range", []byte(v), 0); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // a kernel without IPv4
		}
		if errors.Is(err, syscall.EROFS) {
			// An outer runtime mounted /proc/sys read-only (a container).
			notice("/proc/sys is read-only here (the outer runtime's), so ping_group_range stays as it is: ping works as root inside, not as another user")
			return nil
		}
		return fmt.Errorf("allow ping in the sandbox network: %w", err)
	}
	return nil
}

// mappedGIDs counts the gids this namespace maps from 0 (devbox maps them
// contiguously).
func mappedGIDs() (uint64, error) {
	b, err := os.ReadFile("/proc/self/gid_map")
	if err != nil {
		return 0, fmt.Errorf("read gid map: %w", err)
	}
	end := userns.MappedEnd(string(b))
	if end == 0 {
		return 0, errors.New("read gid map: no gids mapped")
	}
	return min(end, 1<<31), nil
}

// checkLandlock says, once at the start of a strict sandbox, what this
// kernel's Landlock cannot enforce of what every strict session asks
// (internal/strict): a notice, as for limits the host cannot enforce, or
// an error with require_strict.
func checkLandlock(spec proto.Spec) error {
	if spec.Security != proto.SecurityStrict {
		return nil
	}
	msg := strict.UnenforcedMessage(strict.ABI())
	switch {
	case msg == "":
		return nil
	case spec.RequireStrict:
		return hint.Wrap(fmt.Errorf("require_strict is set, and %s", msg),
			"run on a kernel with Landlock ABI 6 or newer (Linux 6.12+) with landlock in its lsm= list, or drop --require-strict and require_strict")
	}
	notice("%s; --require-strict makes this an error", msg)
	return nil
}
