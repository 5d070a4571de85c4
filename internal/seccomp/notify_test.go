package seccomp

import (
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
