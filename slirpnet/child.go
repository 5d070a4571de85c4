package slirpnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin"
	opaquepkg "github.com/rootless-containers/rootlesskit/v2/pkg/port/builtin/opaque"
	"golang.org/x/sys/unix"
)

// Lease is what the network driver hands the child, in proto.NetAttached:
// the interface, its address and routes, DNS and MTU.
type Lease struct {
	Dev     string   `json:"dev,omitempty"`
	Addr    string   `json:"addr,omitempty"`
	Gateway string   `json:"gateway,omitempty"`
	DNS     []string `json:"dns,omitempty"`
	MTU     int      `json:"mtu,omitempty"`
	// ConfiguresInterface is true when the driver (pasta) sets the address
	// and routes itself.
	ConfiguresInterface bool `json:"configures_interface,omitempty"`
}

// ConfigureInChild sets the lease on the sandbox's interface: MTU, address
// and default route. It runs inside the network namespace. pasta configures
// the interface itself (--config-net), so there it does nothing.
func ConfigureInChild(l Lease) error {
	if l.ConfiguresInterface || l.Dev == "" {
		return nil
	}
	prefix, err := netip.ParsePrefix(l.Addr)
	if err != nil {
		return fmt.Errorf("configure %s: bad address %q: %w", l.Dev, l.Addr, err)
	}
	gw, err := netip.ParseAddr(l.Gateway)
	if err != nil {
		return fmt.Errorf("configure %s: bad gateway %q: %w", l.Dev, l.Gateway, err)
	}
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("configure %s: %w", l.Dev, err)
	}
	defer unix.Close(s)
	steps := []struct {
		name string
		fn   func() error
	}{
		{"set mtu", func() error { return setMTU(s, l.Dev, l.MTU) }},
		{"set address", func() error { return setAddr(s, l.Dev, prefix) }},
		{"bring up", func() error { return setUp(s, l.Dev) }},
		{"add default route", func() error { return addDefaultRoute(l.Dev, gw) }},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			return fmt.Errorf("configure %s: %s: %w", l.Dev, st.name, err)
		}
	}
	return nil
}

func setMTU(s int, dev string, mtu int) error {
	if mtu == 0 {
		return nil
	}
	ifr, err := unix.NewIfreq(dev)
	if err != nil {
		return err
	}
	ifr.SetUint32(uint32(mtu))
	return unix.IoctlIfreq(s, unix.SIOCSIFMTU, ifr)
}

func setAddr(s int, dev string, p netip.Prefix) error {
	ifr, err := unix.NewIfreq(dev)
	if err != nil {
		return err
	}
	if err := ifr.SetInet4Addr(p.Addr().AsSlice()); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCSIFADDR, ifr); err != nil {
		return err
	}
	m := uint32(0xffffffff) << (32 - p.Bits())
	var mb [4]byte
	binary.BigEndian.PutUint32(mb[:], m)
	if err := ifr.SetInet4Addr(mb[:]); err != nil {
		return err
	}
	return unix.IoctlIfreq(s, unix.SIOCSIFNETMASK, ifr)
}

func setUp(s int, dev string) error {
	ifr, err := unix.NewIfreq(dev)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr)
}

// addDefaultRoute sends one RTM_NEWROUTE over rtnetlink: 0.0.0.0/0 via gw
// on dev. The message is small enough to build by hand.
func addDefaultRoute(dev string, gw netip.Addr) error {
	idx, err := ifIndex(dev)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, routeMessage(idx, gw), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	return readAck(fd)
}

// routeMessage builds nlmsghdr + rtmsg + RTA_GATEWAY + RTA_OIF.
func routeMessage(ifindex int, gw netip.Addr) []byte {
	const hdr, rtm, attr = 16, 12, 8
	b := make([]byte, hdr+rtm+attr+attr)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], unix.RTM_NEWROUTE)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	ne.PutUint32(b[8:], 1)
	r := b[hdr:]
	r[0] = unix.AF_INET
	r[4] = unix.RT_TABLE_MAIN
	r[5] = unix.RTPROT_BOOT
	r[6] = unix.RT_SCOPE_UNIVERSE
	r[7] = unix.RTN_UNICAST
	a := b[hdr+rtm:]
	ne.PutUint16(a[0:], attr)
	ne.PutUint16(a[2:], unix.RTA_GATEWAY)
	copy(a[4:], gw.AsSlice())
	a = a[attr:]
	ne.PutUint16(a[0:], attr)
	ne.PutUint16(a[2:], unix.RTA_OIF)
	ne.PutUint32(a[4:], uint32(ifindex))
	return b
}

func readAck(fd int) error {
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	if n < 20 || binary.NativeEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return fmt.Errorf("unexpected netlink reply")
	}
	if errno := int32(binary.NativeEndian.Uint32(buf[16:])); errno != 0 {
		return unix.Errno(-errno)
	}
	return nil
}

func ifIndex(dev string) (int, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(dev)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

// ServePortsInChild runs the child side of rootlesskit's builtin port
// driver: it listens on the driver's socket in the state dir, so it must
// start before pivot_root, and then dials published ports from inside the
// network namespace for the host side. It returns once the socket is bound
// (the parent side must be running RunPortsFromParent meanwhile).
func ServePortsInChild(opaque map[string]string, log io.Writer) error {
	if len(opaque) == 0 {
		return nil
	}
	d := builtin.NewChildDriver(log)
	errc := make(chan error, 1)
	go func() { errc <- d.RunChildDriver(opaque, make(chan struct{}), "") }()
	sock := opaque[opaquepkg.SocketPath]
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			return fmt.Errorf("serve ports: %w", err)
		default:
		}
		if _, err := os.Stat(sock); err == nil {
			return nil
		}
		time.Sleep(200 * time.Microsecond)
	}
	return errors.New("serve ports: the port driver did not start within 10s")
}
