package slirpnet

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// KillHelpers ends helper processes by pid, checking each is still a
// network helper (pids are reused).
func KillHelpers(pids []int) {
	for _, pid := range pids {
		if !isHelper(pid) {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		unix.Kill(pid, unix.SIGKILL)
		if err == nil {
			// Wait (briefly) until it is gone, so a stop leaves nothing.
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 1000)
			unix.Close(fd)
		}
	}
}

// busyError names the process holding a host port, when this user can see
// it: a second sandbox, a dev server, another tool.
func busyError(p PortSpec, err error) error {
	if strings.Contains(err.Error(), "conflict with ID") {
		return fmt.Errorf("publish %s: host port %d/%s is already published by this sandbox (%v); see 'devbox port ls'", p, p.HostPort, p.Proto, err)
	}
	if !strings.Contains(err.Error(), "address already in use") {
		return fmt.Errorf("publish %s: %w", p, err)
	}
	holder := portHolder(p)
	if holder == "" {
		holder = "another process (not one of yours, or not visible)"
	}
	return fmt.Errorf("publish %s: host port %d/%s is already in use by %s; pick another host port, e.g. -p %d:%d", p, p.HostPort, p.Proto, holder, p.HostPort+1, p.Port)
}

// portHolder finds the process with a socket bound to the port.
func portHolder(p PortSpec) string {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/" + p.Proto, "/proc/net/" + p.Proto + "6"} {
		b, err := os.ReadFile(f)
		if err == nil {
			for _, ino := range SocketInodes(b, p.HostPort) {
				inodes[ino] = true
			}
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	return findSocketOwner(inodes)
}

// SocketInodes returns the inodes of sockets bound to port in a
// /proc/net/{tcp,udp}[6] table.
func SocketInodes(table []byte, port int) []string {
	suffix := fmt.Sprintf(":%04X", port)
	var out []string
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || !strings.HasSuffix(f[1], suffix) || f[9] == "0" {
			continue
		}
		out = append(out, f[9])
	}
	return out
}

func findSocketOwner(inodes map[string]bool) string {
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", e.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join("/proc", e.Name(), "fd", fd.Name()))
			if err == nil && strings.HasPrefix(link, "socket:[") && inodes[link[8:len(link)-1]] {
				comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
				return fmt.Sprintf("%s (pid %s)", strings.TrimSpace(string(comm)), e.Name())
			}
		}
	}
	return ""
}

func netipFrom(ip net.IP) netip.Addr {
	if v4 := ip.To4(); v4 != nil {
		return netip.AddrFrom4([4]byte(v4))
	}
	a, _ := netip.AddrFromSlice(ip)
	return a
}
