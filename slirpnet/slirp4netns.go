package slirpnet

// slirp4netns, started directly (host side). The helper joins the child's
// user and network namespaces and creates tap0 there itself, as Podman
// runs it, so nothing enters the child's mount namespace (rootlesskit's
// driver ran nsenter and ip twice for the tap, four execs, and needed the
// child's mounts settled): the helper starts while the child builds its
// root, and the child configures tap0 once the helper is ready.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// slirpLease is slirp4netns's fixed network: 10.0.2.0/24, the gateway
// (the host) at .2, its DNS forwarder at .3, the sandbox at .100.
var slirpLease = Lease{Dev: "tap0", Addr: "10.0.2.100/24", Gateway: "10.0.2.2", DNS: []string{"10.0.2.3"}, MTU: MTU}

// slirpArgs is slirp4netns's command line (after the binary): the ready
// fd is 3, the sandbox and seccomp modes where the version has them.
func slirpArgs(opts Options, f Features, seccomp bool, childPID int) []string {
	args := []string{"--mtu", strconv.Itoa(MTU), "-r", "3"}
	if !opts.AllowHostLoopback {
		args = append(args, "--disable-host-loopback")
	}
	if f.Sandbox {
		args = append(args, "--enable-sandbox")
	}
	if f.Seccomp && seccomp {
		args = append(args, "--enable-seccomp")
	}
	return append(args, strconv.Itoa(childPID), slirpLease.Dev)
}

// startSlirp4netns runs the helper and waits until it reports ready on fd
// 3 (it has opened tap0). The cleanup kills and reaps it; it is non-nil
// whenever the helper was started.
func startSlirp4netns(path string, args []string, log io.Writer) (int, func() error, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return 0, nil, fmt.Errorf("create ready pipe: %w", err)
	}
	defer readyR.Close()
	var stderr strings.Builder
	cmd := exec.Command(path, args...)
	cmd.Stdout = log
	cmd.Stderr = io.MultiWriter(log, &stderr)
	cmd.ExtraFiles = []*os.File{readyW}
	// The supervisor's thread that starts it may end; the helper also
	// exits when the sandbox's namespaces go.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		return 0, nil, fmt.Errorf("run %s: %w", path, err)
	}
	cleanup := func() error {
		cmd.Process.Kill()
		cmd.Wait()
		return nil
	}
	var b [1]byte
	if n, err := readyR.Read(b[:]); n != 1 || b[0] != '1' {
		cleanup()
		if err == nil {
			err = errors.New("unexpected ready byte")
		}
		return 0, func() error { return nil }, fmt.Errorf("%s exited before it was ready (%w): %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return cmd.Process.Pid, cleanup, nil
}

// attachSlirp4netns starts slirp4netns on childPID's namespace.
func (n *Network) attachSlirp4netns(opts Options, childPID int) error {
	path, err := lookHelper(opts.Driver)
	if err != nil {
		return err
	}
	f, err := Probe(opts.Driver.Helper(), path)
	if err != nil {
		return err
	}
	f.Sandbox = f.Sandbox && mountNSWorks(os.Geteuid(), hasSysAdmin())
	pid, cleanup, err := startSlirp4netns(path, slirpArgs(opts, f, seccompWorks(), childPID), opts.Log)
	n.cleanup = cleanup
	if err != nil {
		return attachError(opts.Driver.Name(), err)
	}
	n.Lease = slirpLease
	n.Helpers = []int{pid}
	return nil
}

// mountNSWorks reports whether slirp4netns --enable-sandbox can work for a
// process with this euid: the helper unshares a mount namespace, and a
// user namespace with it only when it does not run as root. Root without
// CAP_SYS_ADMIN is devbox inside a devbox sandbox (whose bounding set
// lacks it): there the helper would fail ("cannot unshare new mount
// namespace"), so it runs without its own mount namespace, still confined
// by the outer sandbox and by --enable-seccomp.
func mountNSWorks(euid int, sysAdmin bool) bool {
	return euid != 0 || sysAdmin
}

// hasSysAdmin reports whether CAP_SYS_ADMIN is in this process's
// effective set.
func hasSysAdmin() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[0].Effective&(1<<unix.CAP_SYS_ADMIN) != 0
}

// seccompWorks reports whether the kernel has seccomp filters, which
// slirp4netns --enable-seccomp needs. PR_SET_SECCOMP with a nil filter fails
// with EFAULT when filters exist and EINVAL when they do not.
func seccompWorks() bool {
	if unix.Prctl(unix.PR_GET_SECCOMP, 0, 0, 0, 0) == unix.EINVAL {
		return false
	}
	return unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, 0, 0, 0) != unix.EINVAL
}
