package slirpnet

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParsePortSpec(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		in   string
		want PortSpec
		err  string
	}{
		{"8080:80", PortSpec{lo, 8080, 80, "tcp"}, ""},
		{"8080:80/udp", PortSpec{lo, 8080, 80, "udp"}, ""},
		{"0.0.0.0:8080:80", PortSpec{netip.MustParseAddr("0.0.0.0"), 8080, 80, "tcp"}, ""},
		{"[::1]:5353:53/udp", PortSpec{netip.MustParseAddr("::1"), 5353, 53, "udp"}, ""},
		{"3000", PortSpec{lo, 3000, 3000, "tcp"}, ""},
		{"5353/udp", PortSpec{lo, 5353, 5353, "udp"}, ""},
		{"8080:80/sctp", PortSpec{}, `protocol "sctp"`},
		{"x:8080:80", PortSpec{}, "not an IP address"},
		{"8080:0", PortSpec{}, "sandbox port"},
		{"70000:80", PortSpec{}, "host port"},
		{"a:b:c:d", PortSpec{}, "want [[HOSTIP:]HOSTPORT:]PORT"},
		{"[::1:80:80", PortSpec{}, "unterminated"},
		{"", PortSpec{}, "not a port number"},
	}
	for _, tt := range tests {
		got, err := ParsePortSpec(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParsePortSpec(%q) error = %v, want it to mention %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePortSpec(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParsePortSpec(f *testing.F) {
	for _, s := range []string{"8080:80", "[::1]:1:2/udp", "1.2.3.4:5:6/tcp", "::", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePortSpec(s)
		if err != nil {
			return
		}
		again, err := ParsePortSpec(p.String())
		if err != nil || again != p {
			t.Fatalf("round trip of %q: %q -> %+v, %v", s, p.String(), again, err)
		}
	})
}
