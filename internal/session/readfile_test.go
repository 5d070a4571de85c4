package session

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReadSmall reads what os.ReadFile reads, past its first buffer too,
// and reports a missing file as os.ReadFile does.
func TestReadSmall(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 4095, 4096, 4097, 20000} {
		p := filepath.Join(dir, "f")
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(i * 7)
		}
		if err := os.WriteFile(p, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadSmall(p)
		if err != nil || string(got) != string(want) {
			t.Fatalf("ReadSmall of %d bytes: %d bytes, %v", n, len(got), err)
		}
	}
	if _, err := ReadSmall(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadSmall of a missing file: %v, want os.ErrNotExist", err)
	}
}
