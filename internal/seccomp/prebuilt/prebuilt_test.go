package prebuilt

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// TestInstall_RealKernel installs the filter in a child process and makes
// real calls: the kernel's verdicts must match the table.
func TestInstall_RealKernel(t *testing.T) {
	if os.Getenv("DEVBOX_SECCOMP_CHILD") == "1" {
		installedChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstall_RealKernel$", "-test.v")
	cmd.Env = append(os.Environ(), "DEVBOX_SECCOMP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// installedChild runs in the re-executed test binary.
func installedChild() {
	fail := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...); os.Exit(1) }
	f, err := Default()
	if err != nil {
		fail("%v", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail("set no_new_privs: %v", err)
	}
	if err := f.Install(); err != nil {
		fail("%v", err)
	}
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false); !errors.Is(err, unix.EPERM) {
		fail("keyctl: %v, want EPERM", err)
	}
	if _, err := unix.PerfEventOpen(&unix.PerfEventAttr{}, 0, -1, -1, 0); !errors.Is(err, unix.EPERM) {
		fail("perf_event_open: %v, want EPERM", err)
	}
	if _, _, errno := unix.Syscall(1023, 0, 0, 0); errno != unix.ENOSYS {
		fail("system call 1023: %v, want ENOSYS", errno)
	}
	if os.Getpid() <= 0 {
		fail("getpid failed")
	}
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fail("read status: %v", err)
	}
	fmt.Printf("%s", st)
}

// TestNotify_ClosedListenerFailsClosed: once the listener is gone (the
// supervisor died), a notified connect fails with ENOSYS and never
// reaches its destination; an unnotified one (a unix socket) still works.
func TestNotify_ClosedListenerFailsClosed(t *testing.T) {
	if os.Getenv("DEVBOX_NOTIFY_CHILD") != "" {
		notifyChild(os.Getenv("DEVBOX_NOTIFY_CHILD"), os.Getenv("DEVBOX_NOTIFY_UNIX"))
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	uln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer uln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNotify_ClosedListenerFailsClosed$")
	cmd.Env = append(os.Environ(), "DEVBOX_NOTIFY_CHILD="+ln.Addr().String(), "DEVBOX_NOTIFY_UNIX="+uln.Addr().String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	// The child's TCP connect must not have reached the listener: its
	// accept queue is empty (the listener is non-blocking: EAGAIN).
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var aerr error
	rc.Control(func(fd uintptr) {
		var nfd int
		if nfd, _, aerr = unix.Accept(int(fd)); aerr == nil {
			unix.Close(nfd)
		}
	})
	if !errors.Is(aerr, unix.EAGAIN) {
		t.Errorf("accept on the child's destination: %v, want EAGAIN (nothing reached it)", aerr)
	}
}

// notifyChild runs in the re-executed test binary.
func notifyChild(tcpAddr, unixAddr string) {
	fail := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...); os.Exit(1) }
	f, _, err := Notify()
	if err != nil {
		fail("%v", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail("set no_new_privs: %v", err)
	}
	fd, err := f.InstallListener()
	if err != nil {
		fail("%v", err)
	}
	if _, err := f.InstallListener(); !errors.Is(err, unix.EBUSY) {
		fail("a second listener in the chain: %v, want EBUSY", err)
	}
	unix.Close(fd)
	if _, err := net.Dial("tcp", tcpAddr); !errors.Is(err, unix.ENOSYS) {
		fail("connect with the listener closed: %v, want ENOSYS", err)
	}
	c, err := net.Dial("unix", unixAddr)
	if err != nil {
		fail("connect to a unix socket: %v", err)
	}
	c.Close()
}
