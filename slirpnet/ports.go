package slirpnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// PortSpec is one published port: -p [[HOSTIP:]HOSTPORT:]PORT[/tcp|/udp].
type PortSpec struct {
	HostIP   netip.Addr `json:"host_ip"`
	HostPort int        `json:"host_port"`
	Port     int        `json:"port"`
	Proto    string     `json:"proto"`
}

// DefaultHostIP is where published ports listen unless the user says
// otherwise: loopback, unlike Docker's 0.0.0.0, so a dev server in a sandbox
// is not open to the whole network by accident.
var DefaultHostIP = netip.MustParseAddr("127.0.0.1")

// String formats the spec as it is written on the command line.
func (p PortSpec) String() string {
	host := p.HostIP.String()
	if p.HostIP.Is6() {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s:%d:%d/%s", host, p.HostPort, p.Port, p.Proto)
}

// ParsePortSpec parses [[HOSTIP:]HOSTPORT:]PORT[/tcp|/udp]. A bare PORT
// publishes the same number on the host (as devcontainer.json's
// forwardPorts does), not a random one. IPv6 host addresses are written in
// brackets: [::1]:8080:80.
func ParsePortSpec(s string) (PortSpec, error) {
	spec := PortSpec{HostIP: DefaultHostIP, Proto: "tcp"}
	rest := s
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		spec.Proto = rest[i+1:]
		rest = rest[:i]
		if spec.Proto != "tcp" && spec.Proto != "udp" {
			return spec, fmt.Errorf("invalid port %q: protocol %q is not tcp or udp", s, spec.Proto)
		}
	}
	host, ports, err := splitHost(rest)
	if err != nil {
		return spec, fmt.Errorf("invalid port %q: %w", s, err)
	}
	if host != "" {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return spec, fmt.Errorf("invalid port %q: host address %q is not an IP address", s, host)
		}
		spec.HostIP = ip
	}
	hp, cp, ok := strings.Cut(ports, ":")
	if !ok {
		hp, cp = ports, ports
	}
	if spec.HostPort, err = parsePort(hp); err != nil {
		return spec, fmt.Errorf("invalid port %q: host port: %w", s, err)
	}
	if spec.Port, err = parsePort(cp); err != nil {
		return spec, fmt.Errorf("invalid port %q: sandbox port: %w", s, err)
	}
	return spec, nil
}

// splitHost separates an optional host address from HOSTPORT:PORT.
func splitHost(s string) (string, string, error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return "", "", errors.New("unterminated [IPv6] host address")
		}
		return s[1:end], s[end+2:], nil
	}
	switch strings.Count(s, ":") {
	case 0, 1:
		return "", s, nil
	case 2:
		i := strings.IndexByte(s, ':')
		return s[:i], s[i+1:], nil
	}
	return "", "", errors.New("want [[HOSTIP:]HOSTPORT:]PORT[/tcp|/udp], e.g. 8080:80")
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
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
