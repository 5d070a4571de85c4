package slirpnet

import (
	"bytes"
	"net/netip"
	"strings"
)

// HostAlias names the host inside when host loopback is allowed.
const HostAlias = "host.devbox.internal"

// ResolvConf returns the sandbox's resolv.conf. With user-mode networking
// it names the driver's DNS forwarder and keeps the host's search and
// options lines. When the host only names loopback resolvers (systemd-
// resolved's 127.0.0.53), the upstream servers from systemd-resolved's own
// list are passed through instead, since they are reachable directly.
func ResolvConf(host, upstream []byte, l Lease) []byte {
	var out bytes.Buffer
	servers := l.DNS
	if onlyLoopback(host) {
		if up := nameservers(upstream); len(up) > 0 && !onlyLoopback(upstream) {
			servers = up
		}
	}
	for _, s := range servers {
		out.WriteString("nameserver " + s + "\n")
	}
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && (f[0] == "search" || f[0] == "domain" || f[0] == "options") {
			out.WriteString(line + "\n")
		}
	}
	return out.Bytes()
}

func nameservers(conf []byte) []string {
	var out []string
	for _, line := range strings.Split(string(conf), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			out = append(out, f[1])
		}
	}
	return out
}

func onlyLoopback(conf []byte) bool {
	ns := nameservers(conf)
	for _, s := range ns {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.IsLoopback() {
			return false
		}
	}
	return len(ns) > 0
}

// HostsEntries returns extra /etc/hosts lines: host.devbox.internal at the
// gateway when host loopback is allowed.
func HostsEntries(l Lease, allowHostLoopback bool) string {
	if !allowHostLoopback || l.Gateway == "" {
		return ""
	}
	return l.Gateway + "\t" + HostAlias + "\n"
}
