package slirpnet

import (
	"errors"
	"fmt"
	"net/netip"
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
