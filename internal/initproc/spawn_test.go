package initproc

import (
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
	"golang.org/x/sys/unix"
)

func TestCheckRelay(t *testing.T) {
	tests := []struct {
		relay  []int
		nfiles int
		ok     bool
	}{
		{nil, 3, true},
		{[]int{0, 1, 2}, 0, true},
		{[]int{1, 2}, 1, true},
		{[]int{0}, 2, true},
		{nil, 2, false},
		{[]int{1}, 3, false},
		{[]int{1, 1}, 1, false},
		{[]int{3}, 2, false},
		{[]int{-1}, 2, false},
	}
	for _, tt := range tests {
		if err := checkRelay(tt.relay, tt.nfiles); (err == nil) != tt.ok {
			t.Errorf("checkRelay(%v, %d) = %v, want ok=%v", tt.relay, tt.nfiles, err, tt.ok)
		}
	}
}

// TestRelayTermiosPassesBytesThrough pins the relay pty's modes: the
// user's terminal already echoes, edits and signals; this one only keeps
// lines, with ^D as its one special character.
func TestRelayTermiosPassesBytesThrough(t *testing.T) {
	tm := unix.Termios{Iflag: unix.ICRNL | unix.IXON | unix.IUTF8, Oflag: unix.OPOST | unix.ONLCR, Lflag: unix.ICANON | unix.ECHO | unix.ISIG | unix.IEXTEN}
	tm.Cc[unix.VERASE], tm.Cc[unix.VKILL], tm.Cc[unix.VEOF] = 0x7f, 0x15, 0x04
	relayTermios(&tm)
	if tm.Lflag != unix.ICANON {
		t.Errorf("Lflag = %#x, want ICANON only", tm.Lflag)
	}
	if tm.Iflag&(unix.ICRNL|unix.IXON) != 0 || tm.Oflag&unix.OPOST != 0 {
		t.Errorf("Iflag %#x / Oflag %#x still translate bytes", tm.Iflag, tm.Oflag)
	}
	if tm.Cc[unix.VERASE] != 0 || tm.Cc[unix.VKILL] != 0 || tm.Cc[unix.VEOF] != proto.RelayEOF {
		t.Errorf("control chars: erase %#x kill %#x eof %#x", tm.Cc[unix.VERASE], tm.Cc[unix.VKILL], tm.Cc[unix.VEOF])
	}
}
