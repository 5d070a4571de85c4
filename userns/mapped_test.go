package userns

import "testing"

func TestMappedEnd(t *testing.T) {
	tests := []struct {
		text string
		want uint64
	}{
		{"         0       1000          1\n", 1},
		{"         0       1000          1\n         1     100000      65536\n", 65537},
		{"0 0 4294967295\n", 4294967295},
		{"", 0},
		{"garbage\n0 5 x\n", 0},
		{"5 1000 1\n0 2000 2\n", 6},
	}
	for _, tt := range tests {
		if got := MappedEnd(tt.text); got != tt.want {
			t.Errorf("MappedEnd(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
