// Package notifyabi is what both sides of the strict profile's connect
// notifier agree on: the system calls it reports and where their
// arguments are. The filter (internal/seccomp, installed by init inside
// the sandbox) and its listener (internal/supervisor, on the host) use it.
// It imports no filter generator: github.com/elastic/go-seccomp-bpf's
// package init builds syscall tables for every architecture (160 KB that
// stay on the heap, and their time at every start), which the supervisor,
// and with it every devbox command, would otherwise carry.
package notifyabi

import "golang.org/x/sys/unix"

// Calls are the system call numbers the notifier filter reports.
type Calls struct {
	Connect, Sendto int32
}

// Native are the running architecture's: the numbers the filter, built
// for the native architecture, compares with.
func Native() Calls {
	return Calls{Connect: unix.SYS_CONNECT, Sendto: unix.SYS_SENDTO}
}

// Argument positions of the address and its length.
const (
	ConnectAddrArg = 1 // connect(fd, addr, addrlen)
	ConnectLenArg  = 2
	SendtoFlagsArg = 3 // sendto(fd, buf, len, flags, addr, addrlen)
	SendtoAddrArg  = 4
	SendtoLenArg   = 5
)
