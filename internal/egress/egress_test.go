package egress

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"example.com", "example.com", ""},
		{"EXAMPLE.Com", "example.com", ""},
		{"example.com.", "example.com", ""},
		{"bücher.de", "xn--bcher-kva.de", ""},
		{"BÜCHER.de.", "xn--bcher-kva.de", ""},
		{"xn--bcher-kva.de", "xn--bcher-kva.de", ""},
		{"ｅｘａｍｐｌｅ.com", "example.com", ""}, // fullwidth letters map to ASCII
		{"127.0.0.1", "127.0.0.1", ""},
		{"[::1]", "::1", ""},
		{"::ffff:127.0.0.1", "127.0.0.1", ""},
		{"0x7f.1", "", "looks like an IP"},
		{"2130706433", "", "looks like an IP"},
		{"127.1", "", "looks like an IP"},
		{"", "", "invalid host"},
		{".", "", "invalid host"},
		{"example..com", "", "invalid host"},
		{"exa mple.com", "", "invalid host"},
		{"fe80::1%eth0", "", "zone"},
		{"a_b.example.com", "", "invalid host"},
	}
	for _, tt := range tests {
		got, err := Canonical(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Canonical(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRule(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"example.com", "example.com", ""},
		{"Example.COM.", "example.com", ""},
		{"*.example.com", "*.example.com", ""},
		{"example.com:8080", "example.com:8080", ""},
		{"*.Example.com:22", "*.example.com:22", ""},
		{"127.0.0.1:9000", "127.0.0.1:9000", ""},
		{"[::1]:9000", "[::1]:9000", ""},
		{"::1", "[::1]", ""},
		{"example.com:0", "", "invalid port"},
		{"example.com:http", "", "invalid port"},
		{"example.com:70000", "", "invalid port"},
		{"ex*ample.com", "", "wildcard"},
		{"*.*.com", "", "wildcard"},
		{"*.10.0.0.1", "", "needs a domain"},
		{"", "", "empty pattern"},
		{"[::1", "", "missing"},
	}
	for _, tt := range tests {
		r, err := ParseRule(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRule(%q) = %v, %v; want error containing %q", tt.in, r, err, tt.err)
			}
			continue
		}
		if err != nil || r.String() != tt.want {
			t.Errorf("ParseRule(%q) = %q, %v; want %q", tt.in, r.String(), err, tt.want)
		}
	}
}

func TestDecide(t *testing.T) {
	p, err := NewPolicy(
		[]string{"example.com", "*.github.com", "api.test:8443", "bücher.de", "10.1.2.3:80", "evil.example.com"},
		[]string{"evil.example.com", "*.gist.github.com"},
		[]string{"localhost:5000", "registry.test"},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host    string
		port    int
		allowed bool
		kind    string
		local   bool
	}{
		{"example.com", 443, true, "", false},
		{"example.com", 80, true, "", false},
		{"EXAMPLE.COM.", 443, true, "", false},
		{"example.com", 22, false, KindNotListed, false},
		{"www.example.com", 443, false, KindNotListed, false},
		{"github.com", 443, false, KindNotListed, false}, // *. is subdomains only
		{"api.github.com", 443, true, "", false},
		{"x.gist.github.com", 443, false, KindDenied, false},
		{"X.GIST.github.com.", 443, false, KindDenied, false},
		{"evil.example.com", 443, false, KindDenied, false}, // deny wins
		{"api.test", 8443, true, "", false},
		{"api.test", 443, false, KindNotListed, false},
		{"xn--bcher-kva.de", 443, true, "", false},
		{"BÜCHER.de", 443, true, "", false},
		{"10.1.2.3", 80, true, "", false},
		{"10.1.2.3", 443, false, KindNotListed, false},
		{"1.2.3.4", 443, false, KindNotListed, false},
		{"localhost", 5000, true, "", true},
		{"registry.test", 443, true, "", true},
		{"0x7f.1", 80, false, KindBadName, false},
		{"", 80, false, KindBadName, false},
	}
	for _, tt := range tests {
		d := p.Decide(tt.host, tt.port)
		if d.Allowed != tt.allowed || d.Kind != tt.kind || d.Local != tt.local {
			t.Errorf("Decide(%q, %d) = %+v; want allowed %t kind %q local %t", tt.host, tt.port, d, tt.allowed, tt.kind, tt.local)
		}
	}
}

func TestLocalRule(t *testing.T) {
	local := []string{"127.0.0.1", "127.8.9.1", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
		"fe80::1", "fc00::1", "fd12::1", "0.0.0.0", "::", "100.64.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1"}
	public := []string{"1.1.1.1", "93.184.216.34", "2606:4700::1111", "172.32.0.1", "100.128.0.1"}
	for _, s := range local {
		if !Local(netip.MustParseAddr(s)) {
			t.Errorf("Local(%s) = false, want true", s)
		}
	}
	for _, s := range public {
		if Local(netip.MustParseAddr(s)) {
			t.Errorf("Local(%s) = true, want false", s)
		}
	}
	p, _ := NewPolicy([]string{"rebind.test"}, nil, []string{"dev.test"})
	if err := p.Decide("rebind.test", 443).CheckAddrs([]netip.Addr{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("127.0.0.1")}); err == nil {
		t.Error("a name listed only in allow that resolves to loopback passed")
	}
	if err := p.Decide("dev.test", 443).CheckAddrs([]netip.Addr{netip.MustParseAddr("127.0.0.1")}); err != nil {
		t.Errorf("a name in allow_local that resolves to loopback was refused: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	for _, tt := range []struct {
		host string
		port int
		want string
	}{{"Example.com.", 443, "example.com"}, {"example.com", 8080, "example.com:8080"}, {"::1", 22, "[::1]:22"}} {
		if got := Suggest(tt.host, tt.port); got != tt.want {
			t.Errorf("Suggest(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

// FuzzCanonical: the canonical form is a fixed point, and a parsed rule
// always matches its own host.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"example.com", "EXAMPLE.com.", "bücher.de", "::1", "127.0.0.1", "*.a.b:80", "xn--bcher-kva.de", "0x7f.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Canonical(s)
		if err == nil {
			c2, err := Canonical(c)
			if err != nil || c2 != c {
				t.Fatalf("Canonical(%q) = %q, but Canonical(%q) = %q, %v", s, c, c, c2, err)
			}
		}
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		r2, err := ParseRule(r.String())
		if err != nil || r2.String() != r.String() {
			t.Fatalf("rule %q prints as %q, which parses as %q, %v", s, r.String(), r2.String(), err)
		}
		if !r.Wildcard {
			port := r.Port
			if port == 0 {
				port = 443
			}
			if !r.Matches(r.Host, port) {
				t.Fatalf("rule %q does not match its own host", s)
			}
		}
	})
}
