package egress

import (
	"fmt"
	"net/netip"
)

// Policy is a sandbox's three lists.
type Policy struct {
	Allow      []Rule
	Deny       []Rule
	AllowLocal []Rule
}

// Kinds of decision, in denial records.
const (
	KindDenied    = "denied"     // a deny rule matched
	KindNotListed = "not-listed" // no allow rule matched
	KindLocal     = "local"      // resolves to a local address not in allow_local
	KindBadName   = "bad-name"   // not a valid host name
	KindMismatch  = "host-mismatch"
	KindResolve   = "resolve"     // the name did not resolve
	KindProtocol  = "unsupported" // a request the proxy does not serve (SOCKS BIND, UDP ASSOCIATE, authentication)
	// Attempts outside the proxy, which the kernel refuses and the
	// supervisor's connect notifier records.
	KindDirectTCP = "direct-tcp" // a TCP connection not to the proxy
	KindUDP       = "udp"        // a UDP datagram leaving the sandbox's loopback
	KindDNS       = "dns"        // a DNS query (port 53), over UDP or TCP
	KindDirect    = "direct"     // another protocol (ICMP, SCTP, raw IP)
)

// Decision is the answer for one destination.
type Decision struct {
	Allowed bool
	// Local is true when the destination is listed in allow_local, which
	// lets it resolve to local addresses.
	Local bool
	Kind  string
	// Rule is the pattern that decided, as written; empty for none.
	Rule string
}

// NewPolicy parses the three lists.
func NewPolicy(allow, deny, allowLocal []string) (Policy, error) {
	var p Policy
	for _, l := range []struct {
		in  []string
		out *[]Rule
	}{{allow, &p.Allow}, {deny, &p.Deny}, {allowLocal, &p.AllowLocal}} {
		for _, s := range l.in {
			r, err := ParseRule(s)
			if err != nil {
				return Policy{}, err
			}
			*l.out = append(*l.out, r)
		}
	}
	return p, nil
}

// Decide is the decision on a name before resolution: deny wins, then
// allow_local, then allow. host need not be canonical.
func (p Policy) Decide(host string, port int) Decision {
	c, err := Canonical(host)
	if err != nil {
		return Decision{Kind: KindBadName}
	}
	if r, ok := first(p.Deny, c, port); ok {
		return Decision{Kind: KindDenied, Rule: r.Text}
	}
	if r, ok := first(p.AllowLocal, c, port); ok {
		return Decision{Allowed: true, Local: true, Rule: r.Text}
	}
	if r, ok := first(p.Allow, c, port); ok {
		return Decision{Allowed: true, Rule: r.Text}
	}
	return Decision{Kind: KindNotListed}
}

// CheckAddrs applies the local-destination rule to the addresses a name
// resolved to: a destination not in allow_local must resolve to public
// addresses only (all of them, so a resolver that mixes a public and a
// local answer cannot pick the local one later).
func (d Decision) CheckAddrs(addrs []netip.Addr) error {
	if d.Local {
		return nil
	}
	for _, a := range addrs {
		if Local(a) {
			return fmt.Errorf("resolves to the local address %s", a)
		}
	}
	return nil
}

func first(rules []Rule, host string, port int) (Rule, bool) {
	for _, r := range rules {
		if r.Matches(host, port) {
			return r, true
		}
	}
	return Rule{}, false
}

// Suggest is the pattern that would allow host:port, as a user would
// write it in [egress] allow: the host, with the port unless it is 80 or
// 443.
func Suggest(host string, port int) string {
	c, err := Canonical(host)
	if err != nil {
		c = host
	}
	r := Rule{Host: c}
	if port != 80 && port != 443 {
		r.Port = port
	}
	return r.String()
}
