package slirpnet

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/hint"
)

const routeHeader = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"

func TestDefaultRoute4(t *testing.T) {
	tests := []struct {
		name  string
		table string
		want  bool
	}{
		{"empty table", routeHeader, false},
		{"no file content", "", false},
		// recorded on a host: default via 192.0.2.1 dev eth0, and its subnet
		{"default via eth0", routeHeader +
			"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", true},
		{"only a subnet route", routeHeader +
			"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", false},
		{"default dev tun0 without gateway", routeHeader +
			"tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n", true},
		// recorded in a namespace: ip route add unreachable default
		{"unreachable default", routeHeader +
			"*\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n", false},
		// ip route add blackhole default: no RTF_REJECT, no interface
		{"blackhole default", routeHeader +
			"*\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n", false},
		{"default dev lo", routeHeader +
			"lo\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n", false},
		{"default route down", routeHeader +
			"eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n", false},
		{"destination 0.0.0.0 with a /1 mask", routeHeader +
			"wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000080\t0\t0\t0\n", false},
		{"default after other routes", routeHeader +
			"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
			"wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n", true},
		{"short line", routeHeader + "eth0\t00000000\t010200C0\n", false},
	}
	for _, tt := range tests {
		if got := DefaultRoute4(tt.table); got != tt.want {
			t.Errorf("%s: DefaultRoute4 = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPastaArgsNameLoWithoutDefaultRoute(t *testing.T) {
	opts := Options{StateDir: "/run/x"}
	if args := pastaArgs(opts, 42, "/run/x/pasta.pid", true); slices.Contains(args, "--interface=lo") {
		t.Errorf("with a default route pasta got --interface=lo: %v", args)
	}
	args := pastaArgs(opts, 42, "/run/x/pasta.pid", false)
	if !slices.Contains(args, "--interface=lo") || !slices.Contains(args, "--mac-addr="+pastaMAC) {
		t.Errorf("without a default route pasta lacks --interface=lo or --mac-addr: %v", args)
	}
	if args[len(args)-1] != "42" {
		t.Errorf("the pid is not pasta's last argument: %v", args)
	}
}

func TestPastaErrorNamesTheMissingRoute(t *testing.T) {
	exit := errors.New("exit status 1")
	// recorded from Debian 12's pasta in a namespace with only lo
	out := "Failed to send 40 bytes to syslog\nNo external routable interface for IPv4\nFailed to send 30 bytes to syslog\nExternal interface not usable\n"
	err := pastaError([]string{"pasta"}, exit, out, false)
	for _, s := range []string{"no default route", "No external routable interface for IPv4; External interface not usable"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	if strings.Contains(err.Error(), "syslog") {
		t.Errorf("error keeps the syslog noise: %v", err)
	}
	if h := hint.Of(err); !strings.Contains(h, "--network slirp4netns") || !strings.Contains(h, "--network none") {
		t.Errorf("hint %q does not name --network slirp4netns and --network none", h)
	}
	routed := pastaError([]string{"pasta"}, exit, "External interface not usable\n", true)
	if strings.Contains(routed.Error(), "no default route") || !strings.Contains(routed.Error(), "no usable external interface") {
		t.Errorf("with a default route: %v", routed)
	}
	other := pastaError([]string{"pasta"}, exit, "Couldn't open user namespace /proc/1/ns/user: Permission denied\n", false)
	if strings.Contains(other.Error(), "default route") {
		t.Errorf("an unrelated failure blames the route: %v", other)
	}
}
