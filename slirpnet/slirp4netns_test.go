package slirpnet

import "testing"

func TestMountNSWorks(t *testing.T) {
	tests := []struct {
		euid     int
		sysAdmin bool
		want     bool
	}{
		{1000, false, true}, // a user on the host: the helper makes a user namespace too
		{0, true, true},     // root on the host
		{0, false, false},   // root in a devbox sandbox: no CAP_SYS_ADMIN in the bounding set
	}
	for _, tt := range tests {
		if got := mountNSWorks(tt.euid, tt.sysAdmin); got != tt.want {
			t.Errorf("mountNSWorks(%d, %v) = %v, want %v", tt.euid, tt.sysAdmin, got, tt.want)
		}
	}
}
