package slirpnet

import (
	"testing"
)

func TestResolvConf(t *testing.T) {
	lease := Lease{DNS: []string{"10.0.2.3"}}
	tests := []struct {
		name, host, upstream, want string
	}{
		{"plain", "nameserver 192.168.1.1\nsearch lan\noptions edns0\n", "", "nameserver 10.0.2.3\nsearch lan\noptions edns0\n"},
		{"resolved stub", "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n", "nameserver 9.9.9.9\nnameserver 2620:fe::fe\n", "nameserver 9.9.9.9\nnameserver 2620:fe::fe\noptions edns0 trust-ad\nsearch .\n"},
		{"stub without upstream", "nameserver 127.0.0.53\n", "", "nameserver 10.0.2.3\n"},
		{"empty host", "", "", "nameserver 10.0.2.3\n"},
	}
	for _, tt := range tests {
		got := string(ResolvConf([]byte(tt.host), []byte(tt.upstream), lease))
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSocketInodes(t *testing.T) {
	table := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 4242 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 99 1 0000000000000000 100 0 0 10 0\n"
	got := SocketInodes([]byte(table), 8080)
	if len(got) != 1 || got[0] != "4242" {
		t.Errorf("SocketInodes(8080) = %v, want [4242]", got)
	}
}
