package supervisor

// The host side of a strict sandbox's connect notifier (internal/seccomp,
// notify.go). Init's filter hands this process every connect() and
// sendto() of the sandbox whose address length is that of an IPv4 or IPv6
// address; it reads the address from the process's memory and answers:
//
//   - continue (the kernel decides) for the proxy's port on loopback,
//     UDP on the sandbox's own loopback that is not DNS, a sendto on a
//     connected TCP socket (the kernel ignores its address), and anything
//     not IPv4 or IPv6;
//   - EACCES, with a denial record, for everything else: a TCP connection
//     outside the proxy, UDP leaving the loopback, DNS, other protocols.
//
// EACCES is what Landlock answers for a TCP connect it refuses, so a
// program sees the same error from both, and it reads as a refusal:
// ECONNREFUSED would read as a server that is not up yet, which clients
// retry. The answer adds a refusal and a record, nothing else: the kernel
// refuses all of these on its own (no route out, Landlock), so neither an
// address swapped after it was read, nor a dead supervisor (the calls then
// fail with ENOSYS), lets anything through.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/devbox-dev/devbox/internal/egress"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/seccomp/notifyabi"
	"github.com/devbox-dev/devbox/internal/state"
	"golang.org/x/sys/unix"
)

// The kernel's structures (linux/seccomp.h).
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

type notifReq struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  seccompData
}

type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// repeatWindow folds repeats of one attempt (a resolver retrying each
// server, a client retrying) into one record.
const repeatWindow = 2 * time.Second

// notifier answers one sandbox's connect notifications.
type notifier struct {
	f     *os.File
	calls notifyabi.Calls
	proxy *proxy // the denial log and the lists, for the fix

	mu     sync.Mutex
	recent map[string]time.Time
}

// startNotifier serves the connect notifier's listener, when the child
// passed one.
func (s *supervisor) startNotifier() error {
	if s.notifyFile == nil || s.proxy == nil {
		return nil
	}
	n := &notifier{f: s.notifyFile, calls: notifyabi.Native(), proxy: s.proxy, recent: map[string]time.Time{}}
	go n.serve()
	return nil
}

// serve answers notifications until no process uses the filter (POLLHUP)
// or the listener fails.
func (n *notifier) serve() {
	defer n.f.Close()
	fd := int(n.f.Fd())
	// The process waits while this one answers: the kernel may switch
	// between the two on one CPU rather than wake the other on another
	// (Linux 6.6; older kernels refuse the flag and wake as usual).
	unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			return // POLLHUP: the sandbox has ended
		}
		var req notifReq
		if err := ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
			if err == unix.ENOENT || err == unix.EINTR {
				continue // the process was killed before we read it
			}
			return
		}
		resp := n.answer(fd, &req)
		// ENOENT: the process is gone, or a signal interrupted its call.
		ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
	}
}

func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

// answer decides one notification.
func (n *notifier) answer(fd int, req *notifReq) notifResp {
	cont := notifResp{ID: req.ID, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	a, ok := n.inspect(fd, req)
	if !ok || a.allowed() {
		return cont
	}
	n.record(a)
	return notifResp{ID: req.ID, Error: -int32(unix.EACCES)}
}

// attempt is one notified call, as read from the process.
type attempt struct {
	sendto   bool
	fastOpen bool // sendto with MSG_FASTOPEN: a connect
	dst      netip.AddrPort
	sockType int // SOCK_STREAM, SOCK_DGRAM, ...; 0 when unknown
	protocol int
	session  string
}

// inspect reads the address and, unless it is the proxy's, the socket's
// type and the process's name. It reports false when the call is not an
// IP one, or the process is gone: the kernel then decides alone.
func (n *notifier) inspect(fd int, req *notifReq) (attempt, bool) {
	args := req.Data.Args
	a := attempt{sendto: req.Data.Nr == n.calls.Sendto}
	addrArg, lenArg := notifyabi.ConnectAddrArg, notifyabi.ConnectLenArg
	if a.sendto {
		addrArg, lenArg = notifyabi.SendtoAddrArg, notifyabi.SendtoLenArg
		a.fastOpen = uint32(args[notifyabi.SendtoFlagsArg])&unix.MSG_FASTOPEN != 0
	}
	pid := int(req.Pid)
	dst, ok := readSockaddr(pid, args[addrArg], uint32(args[lenArg]))
	if !ok {
		return a, false
	}
	a.dst = dst
	if a.toProxy() || a.loopbackDatagram() {
		return a, true // the common cases: no more reads
	}
	a.sockType, a.protocol = socketType(pid, int(uint32(args[0])))
	if a.allowed() {
		return a, true
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	a.session = fmt.Sprintf("pid %d (%s)", pid, strings.TrimSpace(string(comm)))
	// What was read is the notified process's only while the notification
	// is pending: the pid may have been reused since.
	if ioctlPtr(fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&req.ID)) != nil {
		return a, false
	}
	return a, true
}

// readSockaddr reads an IPv4 or IPv6 socket address from process pid.
func readSockaddr(pid int, ptr uint64, length uint32) (netip.AddrPort, bool) {
	buf := make([]byte, min(length, unix.SizeofSockaddrInet6))
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: uintptr(ptr), Len: len(buf)}}
	if got, err := unix.ProcessVMReadv(pid, local, remote, 0); err != nil || got != len(buf) {
		return netip.AddrPort{}, false
	}
	return parseSockaddr(buf)
}

// parseSockaddr decodes struct sockaddr_in or sockaddr_in6; IPv4-mapped
// IPv6 addresses come out as IPv4.
func parseSockaddr(b []byte) (netip.AddrPort, bool) {
	if len(b) < 2 {
		return netip.AddrPort{}, false
	}
	family := binary.NativeEndian.Uint16(b)
	switch {
	case family == unix.AF_INET && len(b) >= unix.SizeofSockaddrInet4:
		addr := netip.AddrFrom4([4]byte(b[4:8]))
		return netip.AddrPortFrom(addr, binary.BigEndian.Uint16(b[2:4])), true
	case family == unix.AF_INET6 && len(b) >= unix.SizeofSockaddrInet6:
		addr := netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		return netip.AddrPortFrom(addr, binary.BigEndian.Uint16(b[2:4])), true
	}
	return netip.AddrPort{}, false
}

// socketType reads the type and protocol of descriptor fd of process
// pid, through a copy of it (pidfd_getfd, Linux 5.6); 0, 0 when it cannot.
func socketType(pid, fd int) (int, int) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return 0, 0
	}
	defer unix.Close(pidfd)
	sfd, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		return 0, 0
	}
	defer unix.Close(sfd)
	typ, err := unix.GetsockoptInt(sfd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return 0, 0
	}
	protocol, _ := unix.GetsockoptInt(sfd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	return typ, protocol
}

// loopback: the sandbox's own network namespace (0.0.0.0 and :: connect
// there too).
func (a attempt) loopback() bool {
	return a.dst.Addr().IsLoopback() || a.dst.Addr().IsUnspecified()
}

func (a attempt) toProxy() bool {
	return a.loopback() && a.dst.Port() == proto.ProxyPort
}

// loopbackDatagram: a sendto on the loopback that is not DNS and not a
// TCP Fast Open connect is allowed whatever the socket: UDP on the
// sandbox's own loopback, or TCP, where the kernel ignores the address.
// It needs no look at the socket, which would cost more than the send.
func (a attempt) loopbackDatagram() bool {
	return a.sendto && !a.fastOpen && a.loopback() && a.dst.Port() != 53
}

// allowed: what the kernel is to decide alone (see the file comment).
func (a attempt) allowed() bool {
	switch {
	case a.toProxy(), a.loopbackDatagram():
		return true
	case a.sendto && a.sockType == unix.SOCK_STREAM && !a.fastOpen:
		return true
	case a.loopback() && a.dst.Port() != 53:
		// UDP on the loopback; or a socket that could not be read, which
		// the kernel decides alone.
		return a.sockType == 0 || a.sockType == unix.SOCK_DGRAM && a.protocol == unix.IPPROTO_UDP
	}
	return false
}

// kind names what was tried.
func (a attempt) kind() string {
	switch {
	case a.dst.Port() == 53:
		return egress.KindDNS
	case a.sockType == unix.SOCK_STREAM && a.protocol == unix.IPPROTO_TCP:
		return egress.KindDirectTCP
	case a.sockType == unix.SOCK_DGRAM && a.protocol == unix.IPPROTO_UDP:
		return egress.KindUDP
	}
	return egress.KindDirect
}

// record appends the denial, once per repeatWindow for the same process,
// kind and target.
func (n *notifier) record(a attempt) {
	d := n.denial(a)
	now := time.Now()
	key := d.Session + " " + d.Kind + " " + d.Target
	n.mu.Lock()
	last, seen := n.recent[key]
	n.recent[key] = now
	if len(n.recent) > 256 {
		for k, t := range n.recent {
			if now.Sub(t) > repeatWindow {
				delete(n.recent, k)
			}
		}
	}
	n.mu.Unlock()
	if seen && now.Sub(last) < repeatWindow {
		return
	}
	d.Time = now.UTC()
	if err := state.AppendDenial(n.proxy.denials, d); err != nil {
		fmt.Fprintf(os.Stderr, "devbox connect notifier: %v\n", err)
	}
}

// proxyURL is what every strict session's HTTP_PROXY says.
var proxyURL = fmt.Sprintf("http://127.0.0.1:%d", proto.ProxyPort)

// denial builds the record of a refused attempt.
func (n *notifier) denial(a attempt) state.Denial {
	d := state.Denial{Session: a.session, Kind: a.kind(), Target: a.dst.String()}
	switch d.Kind {
	case egress.KindDNS:
		d.Message = fmt.Sprintf("DNS query to %s: a strict sandbox has no DNS", a.dst)
		d.Fix = fmt.Sprintf("programs reach allowed hosts by name through devbox's proxy, which resolves them: use HTTP_PROXY, HTTPS_PROXY or ALL_PROXY (%s), set in every session", proxyURL)
	case egress.KindDirectTCP:
		d.Message = fmt.Sprintf("TCP connection to %s outside devbox's proxy: strict sessions connect only to the proxy", a.dst)
		d.Fix = n.directFix(a.dst)
	case egress.KindUDP:
		d.Message = fmt.Sprintf("UDP to %s: a strict sandbox sends UDP only on its own loopback, and no DNS", a.dst)
		d.Fix = "nothing in [egress] allows UDP out: run the program in a sandbox with security = \"default\""
	default:
		d.Message = fmt.Sprintf("%s to %s: a strict sandbox reaches the network only through devbox's proxy", protocolName(a), a.dst)
		d.Fix = n.directFix(a.dst)
	}
	return d
}

// directFix: go through the proxy, which reaches the address once it is
// listed.
func (n *notifier) directFix(dst netip.AddrPort) string {
	fix := fmt.Sprintf("connect through devbox's proxy at %s (HTTP_PROXY, HTTPS_PROXY and ALL_PROXY name it; curl --noproxy skips it)", proxyURL)
	_, pol := n.proxy.snapshot()
	host, port := dst.Addr().String(), int(dst.Port())
	d := pol.Decide(host, port)
	local := egress.Local(dst.Addr())
	if d.Allowed && (d.Local || !local) {
		return fix + fmt.Sprintf(", which reaches %s", dst)
	}
	pat := egress.Suggest(host, port)
	key, flag := "allow", ""
	if local {
		key, flag = "allow_local", "--local "
	}
	return fix + fmt.Sprintf("; it reaches %s once listed: add %s = [%q] under [egress] in devbox.toml, or run 'devbox net allow %s%s'", dst, key, pat, flag, pat)
}

func protocolName(a attempt) string {
	switch a.protocol {
	case unix.IPPROTO_ICMP, unix.IPPROTO_ICMPV6:
		return "ICMP"
	case unix.IPPROTO_SCTP:
		return "SCTP"
	}
	if a.sendto {
		return "a packet"
	}
	return "a connection"
}
