package state

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The log rotates at its size limit: every record stays readable through
// AllDenials until a second rotation, the disk holds at most about twice
// the limit, and a follower whose offset is past the new file's end reads
// it from its start.
func TestDenialLogRotates(t *testing.T) {
	defer func(n int64) { maxDenialsSize = n }(maxDenialsSize)
	maxDenialsSize = 1000
	path := filepath.Join(t.TempDir(), DenialsFile)
	write := func(i int) {
		if err := AppendDenial(path, Denial{Kind: "direct-tcp", Target: fmt.Sprintf("10.0.0.1:%d", i), Message: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	for ; DenialsSize(path) < maxDenialsSize; i++ {
		write(i)
	}
	follower := DenialsSize(path)
	write(i) // rotates
	all, err := AllDenials(path)
	if err != nil || len(all) != i+1 || all[0].Target != "10.0.0.1:0" || all[i].Target != fmt.Sprintf("10.0.0.1:%d", i) {
		t.Fatalf("after one rotation: %d records (want %d), err %v", len(all), i+1, err)
	}
	got, _, err := ReadDenials(path, follower)
	if err != nil || len(got) != 1 || got[0].Target != fmt.Sprintf("10.0.0.1:%d", i) {
		t.Errorf("a follower past the rotated file's end: got %+v, %v; want the one new record", got, err)
	}
	for j := 0; j < 200; j++ {
		write(i + 1 + j)
	}
	var total int64
	for _, p := range []string{path, path + ".1"} {
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	if total > 2*maxDenialsSize+200 {
		t.Errorf("the log holds %d bytes, want at most about %d", total, 2*maxDenialsSize)
	}
}
