// Package child is the sandbox side of the fork: it runs inside the new user,
// mount, PID, UTS, IPC, network and cgroup namespaces, builds the root
// filesystem, and then becomes the sandbox's PID 1 (package initproc).
//
// The child never prints errors: it sends proto.Error to the supervisor, which
// prints one message (runc's procError pattern).
package child

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"

	"github.com/devbox-dev/devbox/hint"
	"github.com/devbox-dev/devbox/internal/fds"
	"github.com/devbox-dev/devbox/internal/initproc"
	"github.com/devbox-dev/devbox/internal/preflight"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/slirpnet"
	"golang.org/x/sys/unix"
)

// Environment variables private to devbox's own processes (proto.ChildEnv
// is the supervisor's side).
const (
	envChild = proto.EnvChild
	envExe   = proto.EnvExe
)

// Inherited descriptors in the child.
const (
	fdParent = 3 // SEQPACKET socketpair to the supervisor
	// fd 4 is closed: the sandbox socket's listener comes with NetReady.
	fdFuse = 5 // SEQPACKET socketpair to the supervisor's fuse-overlayfs starter
	// fdLaunch is the client's first session, already connected, when
	// the spec has LaunchSession; otherwise a stray, closed at stage one's
	// exec like any other.
	fdLaunch = 6
)

// parentFile keeps fd 3 open (an *os.File closes its fd when collected); the
// Conn works on a close-on-exec dup of it.
var parentFile *os.File

// IsChild reports whether this process was started as a sandbox child.
func IsChild() bool { return os.Getenv(envChild) != "" }

// The child's main goroutine stays on the main thread: it joins the new
// session keyring there and becomes init's spawning thread, whose keyring
// and capabilities every session inherits (confine.go). Locking in an init
// function is what guarantees main runs there.
//
// The collector is off until init serves its first session: the setup's
// garbage (the launch spec's decoding, mostly) would otherwise cost a
// collection, about a tenth of the child's CPU, on the start's path.
// initproc's tidy turns it on (GOGC 25) once the first session has
// started, and collects then.
func init() {
	if IsChild() {
		runtime.LockOSThread()
		debug.SetGCPercent(-1)
	}
}

// Main runs the child and returns the process exit status.
func Main() int {
	// Inherited fds are not close-on-exec; sessions must never see them.
	// Any fd past the three devbox passes is a stray from whoever started the
	// supervisor: stage one's exec closes it, so init never holds it.
	fds.CloseOnExecFrom(fdFuse + 1)
	unix.CloseOnExec(fdParent)
	unix.CloseOnExec(fdFuse)
	parentFile = os.NewFile(fdParent, "parent")
	parent, err := proto.FileConn(parentFile)
	if err != nil {
		return 125
	}
	// The setup's messages are read by this goroutine, locked to the main
	// thread, with one P: waited for in the kernel, each wakes this thread
	// itself (proto.Conn.WaitInKernel). Init's goroutines read in the
	// poller (build turns it off before Run).
	parent.WaitInKernel(true)
	trace.SetProc("child")
	trace.Started()
	err = awaitIDs(parent)
	if err == nil {
		err = build(parent)
	}
	if err != nil {
		parent.Send(proto.Error{Msg: err.Error(), Hint: hint.Of(err), Code: 125})
		return 125
	}
	return 0
}

// awaitIDs runs in the new user namespace, whose id maps the supervisor
// writes while this process execs (they may or may not exist yet): it
// says Hello and waits for IDMapped. The process holds
// every capability in the namespace from the start: the supervisor raised
// them as ambient capabilities (supervisor.childCaps), which execve keeps
// for a uid the namespace did not map yet. Once mapped, it is uid 0.
func awaitIDs(parent *proto.Conn) error {
	if err := parent.Send(proto.Hello{Version: proto.ProtocolVersion}); err != nil {
		return err
	}
	// Init's signal delivery, whose start costs thread switches, runs
	// beside the setup (initproc.WatchSignals); the supervisor ends a
	// failed child with SIGKILL.
	initproc.WatchSignals()
	_, err := proto.RecvAs[proto.IDMapped](parent)
	return err
}

// build runs as uid 0 with full capabilities in the user namespace. It
// builds the sandbox and then serves as its init.
func build(parent *proto.Conn) error {
	// Set again in case the exec cleared it; the socket's EOF covers a
	// supervisor that died before this line.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent-death signal: %w", err)
	}
	if err := becomeRoot(); err != nil {
		return err
	}
	// The keyring is the thread's: join it on the thread that forks every
	// session (the main thread, locked by init).
	end := trace.Begin("keyring")
	err := joinSessionKeyring()
	end()
	if err != nil {
		return err
	}
	end = trace.Begin("capability check")
	err = checkCapabilities(preflight.HostRoots, os.Getenv(envExe))
	end()
	if err != nil {
		return err
	}
	// The capability check above runs first, on the full set: the filter
	// (installed while the root is built) and the capability cut (confine,
	// after Go) come later.
	filter := startFilter()
	if err := parent.Send(proto.UserNSReady{}); err != nil {
		return err
	}
	nr, listener, err := recvNetReady(parent)
	if err != nil {
		return err
	}
	end = trace.Begin("port driver")
	err = slirpnet.ServePortsInChild(nr.PortOpaque, io.Discard)
	end()
	if err != nil {
		return err
	}
	prof, err := profile(nr.Spec)
	if err != nil {
		return err
	}
	filter.install(prof)
	etcWant = nr.Etc
	// The supervisor attaches the network helper meanwhile.
	end = trace.Begin("rootfs")
	err = setupSandbox(nr.Spec)
	closeFuseStarter()
	end()
	if err != nil {
		return err
	}
	end = trace.Begin("network config (to NetAttached)")
	err = configureNetwork(parent)
	end()
	if err != nil {
		return err
	}
	end = trace.Begin("seccomp filter (wait)")
	err = filter.wait()
	end()
	if err != nil {
		return err
	}
	if err := sendReady(parent, nr.Spec, proto.Ready{Trace: trace.Take(), Notices: notices}); err != nil {
		return err
	}
	if _, err := proto.RecvAs[proto.Go](parent); err != nil {
		return err
	}
	trace.SetProc("init")
	// The process name is the main thread's; PR_SET_NAME would only rename
	// whichever thread this goroutine runs on.
	os.WriteFile("/proc/self/comm", []byte("devbox-init"), 0)
	end = trace.Begin("confine")
	err = confine(prof)
	end()
	if err != nil {
		return err
	}
	parent.WaitInKernel(false)
	cfg := initproc.Config{Spec: nr.Spec, Parent: parent, Listener: listener}
	if nr.Spec.LaunchSession {
		cfg.Launch = os.NewFile(fdLaunch, "launch-session")
	}
	return initproc.Run(cfg)
}

// recvNetReady reads NetReady and the sandbox socket's listener that comes
// with it (close-on-exec, as every received descriptor).
func recvNetReady(parent *proto.Conn) (proto.NetReady, *os.File, error) {
	msg, files, err := parent.Recv()
	var nr proto.NetReady
	if err == nil {
		nr, err = proto.As[proto.NetReady](msg)
	}
	if err == nil && len(files) != 1 {
		err = fmt.Errorf("NetReady carried %d descriptors, want the sandbox socket's listener", len(files))
	}
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nr, nil, err
	}
	return nr, files[0], nil
}

// configureNetwork waits for the network helper to attach, sets its
// lease on the interface and its resolver and host entries in /etc; then
// nothing changes the /etc files again.
func configureNetwork(parent *proto.Conn) error {
	na, err := proto.RecvAs[proto.NetAttached](parent)
	if err != nil {
		return err
	}
	defer etc.close()
	if na.Etc != nil {
		if err := etc.rewrite(*na.Etc); err != nil {
			return err
		}
	}
	return slirpnet.ConfigureInChild(na.Lease)
}

// becomeRoot drops the host's supplementary groups, which show as nobody
// inside. setgroups is denied in the single-id mapping; that is fine.
func becomeRoot() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("child runs as uid %d after id mapping, want 0 (uid_map: %s)", os.Geteuid(), readMap("uid_map"))
	}
	// Ambient capabilities carried the full set through the exec; nothing
	// this process starts may inherit them. Like the rest of the
	// capability sets (confine.go), they are the thread's, and they are
	// cleared on this one, the main thread (locked in init), which starts
	// everything the sandbox runs: init forks every session on it and
	// nowhere else. AllThreadsSyscall, on every thread, cost a
	// stop-the-world whose wait for the other threads (spinning in
	// osyield) was ~5 ms of the child's CPU per start on a loaded machine.
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	if err := unix.Setgroups(nil); err != nil && !errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("drop supplementary groups: %w", err)
	}
	return nil
}

// checkCapabilities makes sure uid 0 really holds capabilities in the new
// user namespace before any step needs them. Ubuntu's AppArmor restriction
// (kernel.apparmor_restrict_unprivileged_userns=1) lets a binary that no
// profile covers create the namespace but denies every capability in it,
// so each later step would fail with a bare EPERM. exe is the devbox binary
// a profile must cover.
func checkCapabilities(r preflight.Roots, exe string) error {
	if err := probeCapabilities(); err != nil {
		return r.ExplainUserNSDenied(err, exe)
	}
	return nil
}

// probeCapabilities makes the mounts slave, the first step of every root
// sequence (makePrivate), early: it needs CAP_SYS_ADMIN over the new mount
// namespace, changes nothing a later step depends on, and is what Ubuntu's
// restriction denies (EPERM from the capability check, or EACCES from
// AppArmor's mount rules).
func probeCapabilities() error {
	if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("use capabilities in the sandbox's user namespace (make mounts slave): %w", err)
	}
	return nil
}

func readMap(name string) string {
	b, _ := os.ReadFile("/proc/self/" + name)
	return strconv.Quote(string(b))
}

// notices are the fallbacks the setup took, one line each, sent in Ready.
// The setup runs on one goroutine, before init serves.
var notices []string

func notice(format string, args ...any) {
	notices = append(notices, fmt.Sprintf(format, args...))
}

// setupSandbox is the ordered list of steps inside the namespaces.
func setupSandbox(spec proto.Spec) error {
	if err := checkLandlock(spec); err != nil {
		return err
	}
	if err := setHostname(spec.Hostname); err != nil {
		return err
	}
	if spec.Network.NetNS() {
		if err := loopbackUp(); err != nil {
			return err
		}
		if err := allowPing(); err != nil {
			return err
		}
	}
	return buildRoot(spec)
}

// setHostname names the sandbox's UTS namespace. An outer runtime's seccomp
// filter may refuse sethostname even there (Podman's and Docker's allow it
// only with CAP_SYS_ADMIN, which a default container lacks): the hostname
// then stays the outer one, and /etc/hostname and /etc/hosts, which devbox
// binds, still carry the sandbox's name.
func setHostname(name string) error {
	err := unix.Sethostname([]byte(name))
	if errors.Is(err, syscall.EPERM) {
		outer, _ := os.Hostname()
		notice("cannot set the hostname to %q (the outer runtime's seccomp filter refuses sethostname): it stays %q; /etc/hostname says %q", name, outer, name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("set hostname %q: %w", name, err)
	}
	return nil
}

// loopbackUp brings up lo in the new network namespace.
func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("read lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	return nil
}
