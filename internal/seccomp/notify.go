package seccomp

// The strict profile's connect notifier: a filter that hands connect()
// and sendto() to an IPv4 or IPv6 address to a user-space listener, the
// supervisor (internal/supervisor/notify.go), which records each attempt
// that strict refuses and answers it with an error. It only adds refusals
// and records: the kernel stays the enforcer (the sandbox's network
// namespace has no route out, and Landlock limits TCP connect to the
// proxy's port), because a listener's CONTINUE lets the kernel re-read an
// address the process may have changed since the listener read it.
//
// Init installs it once, on all its threads, before it serves (the
// child's Ready carries the listener to the supervisor), so every session
// inherits it. The kernel allows one listener per filter chain: a program
// inside a strict sandbox that asks for one of its own
// (SECCOMP_FILTER_FLAG_NEW_LISTENER) gets EBUSY. Nothing else in devbox
// asks for one.

import (
	"encoding/binary"
	"fmt"

	"github.com/devbox-dev/devbox/internal/seccomp/notifyabi"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// NotifyAddrLens are the address lengths the filter hands to the listener:
// sizeof(struct sockaddr_in), sizeof(struct sockaddr_in6) and
// sizeof(struct sockaddr_storage), which some programs pass for either.
// BPF cannot read the address itself, only its length, so unix-socket
// connects (other lengths) never pay the round trip to the supervisor. A
// program that passes another length the kernel accepts for an IP
// address is not recorded; the kernel still refuses it.
var NotifyAddrLens = []uint32{16, 28, 128}

// Argument positions of the address and its length (notifyabi's, which
// the listener reads by).
const (
	ConnectAddrArg = notifyabi.ConnectAddrArg
	ConnectLenArg  = notifyabi.ConnectLenArg
	SendtoFlagsArg = notifyabi.SendtoFlagsArg
	SendtoAddrArg  = notifyabi.SendtoAddrArg
	SendtoLenArg   = notifyabi.SendtoLenArg
)

// CompileNotify builds the notifier filter for the running architecture.
// It returns the system call numbers of connect and sendto too, which the
// listener tells apart by.
func CompileNotify() ([]unix.SockFilter, NotifyCalls, error) {
	insts, calls, err := assembleNotify()
	if err != nil {
		return nil, calls, err
	}
	prog, err := program(insts)
	return prog, calls, err
}

// NotifyCalls are the system call numbers the notifier filter reports.
type NotifyCalls = notifyabi.Calls

// assembleNotify: on the native architecture, connect and sendto whose
// address length is one of NotifyAddrLens go to the listener; everything
// else is allowed (the default filter decides it). Only the low 32 bits
// of the length are compared, as the kernel reads an int.
func assembleNotify() ([]bpf.Instruction, NotifyCalls, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, NotifyCalls{}, fmt.Errorf("build connect notifier filter: %w", err)
	}
	connect, ok1 := info.SyscallNames["connect"]
	sendto, ok2 := info.SyscallNames["sendto"]
	if !ok1 || !ok2 {
		return nil, NotifyCalls{}, fmt.Errorf("build connect notifier filter: %s has no connect or sendto system call", info.Name)
	}
	calls := NotifyCalls{Connect: int32(connect), Sendto: int32(sendto)}
	n := uint32(len(NotifyAddrLens))
	// Layout: 0 arch, 1 arch check, 2 nr, 3 is connect, 4 is sendto,
	// 5 allow, 6 connect's length, 7 jump to the comparisons, 8 sendto's
	// length, then the comparisons, allow, notify.
	insts := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(info.ID), SkipTrue: 3},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(connect), SkipTrue: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(sendto), SkipTrue: 3},
		bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW},
		bpf.LoadAbsolute{Off: argLow(ConnectLenArg), Size: 4},
		bpf.Jump{Skip: 1},
		bpf.LoadAbsolute{Off: argLow(SendtoLenArg), Size: 4},
	}
	for i, l := range NotifyAddrLens {
		// Skip to the notify return: past the other comparisons and allow.
		insts = append(insts, bpf.JumpIf{Cond: bpf.JumpEqual, Val: l, SkipTrue: uint8(n - uint32(i))})
	}
	insts = append(insts,
		bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW},
		bpf.RetConstant{Val: unix.SECCOMP_RET_USER_NOTIF},
	)
	return insts, calls, nil
}

// argLow is the offset of the low 32 bits of argument i in struct
// seccomp_data (args start at 16, 8 bytes each, in native byte order).
func argLow(i int) uint32 {
	off := uint32(16 + 8*i)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		off += 4 // big-endian: the high half comes first
	}
	return off
}
