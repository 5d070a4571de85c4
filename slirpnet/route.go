package slirpnet

import (
	"os"
	"strconv"
	"strings"
)

// Route flags from the kernel's route.h, as /proc/net/route shows them.
const (
	rtfUp     = 0x0001
	rtfReject = 0x0200
)

// HasDefaultRoute4 reports whether the caller's network namespace has an
// IPv4 default route, from /proc/net/route (the main table). pasta runs
// IPv4-only here and, before newer releases' "local mode", takes its template
// interface from that route: without one it refuses to start. An unreadable
// table counts as a route, so pasta is started as before and speaks for
// itself.
func HasDefaultRoute4() bool {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return true
	}
	return DefaultRoute4(string(b))
}

// DefaultRoute4 reports whether a /proc/net/route table has a usable
// default route: destination and mask 0.0.0.0, up, through an interface
// other than lo. Unreachable and prohibit routes carry RTF_REJECT; those and
// blackhole routes have no interface ("*").
func DefaultRoute4(table string) bool {
	lines := strings.Split(table, "\n")
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" || f[0] == "lo" || f[0] == "*" {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err == nil && flags&rtfUp != 0 && flags&rtfReject == 0 {
			return true
		}
	}
	return false
}
