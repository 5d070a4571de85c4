// Package egress is the strict profile's network policy: the patterns of
// [egress] allow, deny and allow_local, the canonical form of a host name,
// and the rule for local destinations. It is pure logic with no I/O; the
// supervisor's proxy (internal/supervisor/proxy.go) asks it about every
// connection, the config checks patterns with it.
//
// A pattern is "host", "*.domain" (any subdomain, not the domain itself),
// or either with ":port"; without a port it means 80 and 443. Names are
// compared in canonical form (lower case, no trailing dot, IDNA A-labels),
// so "EXAMPLE.com.", "bücher.de" and "xn--bcher-kva.de" are the same host
// to a rule. IP literals are hosts too: an IP is reached only when a rule
// names it.
package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// DefaultPorts are the ports of a pattern without one.
var DefaultPorts = []int{80, 443}

// Rule is one parsed pattern.
type Rule struct {
	// Host is canonical; with Wildcard it is the domain under which any
	// subdomain matches.
	Host     string
	Wildcard bool
	// Port is 0 for DefaultPorts.
	Port int
	// Text is the pattern as written, for messages.
	Text string
}

// ParseRule parses a pattern.
func ParseRule(text string) (Rule, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return Rule{}, errors.New("empty pattern; want host, *.domain, or either with :port")
	}
	r := Rule{Text: text}
	host, port, err := splitPattern(s)
	if err != nil {
		return Rule{}, fmt.Errorf("pattern %q: %w", text, err)
	}
	r.Port = port
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		r.Wildcard, host = true, rest
	}
	if strings.Contains(host, "*") {
		return Rule{}, fmt.Errorf("pattern %q: a wildcard is allowed only as a leading \"*.\"", text)
	}
	c, err := Canonical(host)
	if err != nil {
		return Rule{}, fmt.Errorf("pattern %q: %w", text, err)
	}
	if r.Wildcard {
		if _, err := netip.ParseAddr(c); err == nil {
			return Rule{}, fmt.Errorf("pattern %q: \"*.\" needs a domain, not an IP address", text)
		}
	}
	r.Host = c
	return r, nil
}

// splitPattern separates an optional :port; an IPv6 literal with a port is
// written in brackets.
func splitPattern(s string) (string, int, error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", 0, errors.New("missing \"]\" after an IPv6 address")
		}
		host, rest := s[1:end], s[end+1:]
		if rest == "" {
			return host, 0, nil
		}
		p, ok := strings.CutPrefix(rest, ":")
		if !ok {
			return "", 0, fmt.Errorf("unexpected %q after the address", rest)
		}
		port, err := ParsePort(p)
		return host, port, err
	}
	if strings.Count(s, ":") > 1 { // a bare IPv6 address
		return s, 0, nil
	}
	host, p, found := strings.Cut(s, ":")
	if !found {
		return host, 0, nil
	}
	port, err := ParsePort(p)
	return host, port, err
}

// ParsePort parses a TCP port, 1 to 65535.
func ParsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q: want 1 to 65535", p)
	}
	return n, nil
}

// String is the rule in canonical form.
func (r Rule) String() string {
	h := r.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if r.Wildcard {
		h = "*." + h
	}
	if r.Port != 0 {
		h += ":" + strconv.Itoa(r.Port)
	}
	return h
}

// Matches reports whether the rule covers a canonical host and port.
func (r Rule) Matches(host string, port int) bool {
	if r.Port == 0 {
		if port != 80 && port != 443 {
			return false
		}
	} else if port != r.Port {
		return false
	}
	if r.Wildcard {
		return strings.HasSuffix(host, "."+r.Host)
	}
	return host == r.Host
}

// idnaProfile maps names as browsers and curl do (UTS 46, transitional
// processing off), and refuses what is not a valid host name.
var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.BidiRule())

// Canonical is the form in which names are compared: an IP literal in
// netip's form (IPv4-mapped IPv6 unmapped, zones refused), a name in lower
// case ASCII (IDNA A-labels) without a trailing dot.
func Canonical(host string) (string, error) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("invalid host %q: an address with a zone", host)
		}
		return a.Unmap().String(), nil
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" || strings.HasSuffix(h, ".") || !utf8.ValidString(h) {
		return "", fmt.Errorf("invalid host %q", host)
	}
	a, err := idnaProfile.ToASCII(h)
	if err != nil {
		return "", fmt.Errorf("invalid host %q: %w", host, err)
	}
	a = strings.ToLower(a)
	// An A-label must decode: ToASCII passes some it cannot read back.
	if _, err := idnaProfile.ToUnicode(a); err != nil {
		return "", fmt.Errorf("invalid host %q: %w", host, err)
	}
	for _, label := range strings.Split(a, ".") {
		if !validLabel(label) {
			return "", fmt.Errorf("invalid host %q: label %q", host, label)
		}
	}
	if isNumericName(a) {
		return "", fmt.Errorf("invalid host %q: looks like an IP address but is none", host)
	}
	return a, nil
}

// validLabel allows letters, digits, hyphens and underscores (seen in
// real service names), 1 to 63 of them.
func validLabel(l string) bool {
	if l == "" || len(l) > 63 {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isNumericName catches the forms resolvers read as IPv4 (0x7f.1,
// 2130706433, 127.1): a name whose last label is all digits or hex.
func isNumericName(a string) bool {
	labels := strings.Split(a, ".")
	last := labels[len(labels)-1]
	if strings.HasPrefix(last, "0x") {
		return true
	}
	for _, c := range last {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Local reports whether an address is a local destination: loopback,
// link-local, private (RFC 1918, RFC 4193), unspecified, shared address
// space (RFC 6598) or multicast.
func Local(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		cgnat.Contains(a) || !a.IsValid()
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")
