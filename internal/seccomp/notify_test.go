package seccomp

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/devbox-dev/devbox/internal/seccomp/notifyabi"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

const retNotify = unix.SECCOMP_RET_USER_NOTIF

func TestNotifyFilterDecisions(t *testing.T) {
	info, err := arch.GetInfo("")
	if err != nil {
		t.Skipf("no syscall table for this architecture: %v", err)
	}
	insts, calls, err := assembleNotify()
	if err != nil {
		t.Fatal(err)
	}
	if calls.Connect != int32(info.SyscallNames["connect"]) || calls.Sendto != int32(info.SyscallNames["sendto"]) {
		t.Errorf("calls = %+v", calls)
	}
	vm, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatalf("load filter into the BPF VM: %v", err)
	}
	tests := []verdictCase{
		{"read", call{name: "read"}, retAllow},
		{"socket", call{name: "socket", args: [6]uint64{unix.AF_INET, unix.SOCK_STREAM}}, retAllow},
		{"connect sockaddr_in", call{name: "connect", args: [6]uint64{3, 0x1000, 16}}, retNotify},
		{"connect sockaddr_in6", call{name: "connect", args: [6]uint64{3, 0x1000, 28}}, retNotify},
		{"connect sockaddr_storage", call{name: "connect", args: [6]uint64{3, 0x1000, 128}}, retNotify},
		{"connect length with high bits set", call{name: "connect", args: [6]uint64{3, 0x1000, 1<<32 | 16}}, retNotify},
		{"connect sockaddr_un", call{name: "connect", args: [6]uint64{3, 0x1000, 110}}, retAllow},
		{"connect unix path of 13 bytes", call{name: "connect", args: [6]uint64{3, 0x1000, 15}}, retAllow},
		{"sendto sockaddr_in", call{name: "sendto", args: [6]uint64{3, 0x1000, 10, 0, 0x2000, 16}}, retNotify},
		{"sendto sockaddr_in6", call{name: "sendto", args: [6]uint64{3, 0x1000, 10, 0, 0x2000, 28}}, retNotify},
		{"sendto connected socket", call{name: "sendto", args: [6]uint64{3, 0x1000, 10, 0, 0, 0}}, retAllow},
		{"sendto: the buffer length is not the address's", call{name: "sendto", args: [6]uint64{3, 0x1000, 16, 0, 0, 0}}, retAllow},
		{"sendmsg: BPF cannot read msghdr", call{name: "sendmsg", args: [6]uint64{3, 0x1000, 0}}, retAllow},
		{"bind sockaddr_in", call{name: "bind", args: [6]uint64{3, 0x1000, 16}}, retAllow},
		{"another architecture", call{name: "connect", arch: 0x40000003, args: [6]uint64{3, 0x1000, 16}}, retAllow},
	}
	checkVerdicts(t, vm, info, tests)
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
	f, _, err := CompileNotify()
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

// The listener (the supervisor) tells the calls apart by notifyabi's
// numbers, without the filter generator: they are the filter's.
func TestNotifyCallsAreNotifyABIs(t *testing.T) {
	_, calls, err := CompileNotify()
	if err != nil {
		t.Fatal(err)
	}
	if calls != notifyabi.Native() {
		t.Errorf("the filter reports connect/sendto as %+v, notifyabi.Native() says %+v", calls, notifyabi.Native())
	}
}
