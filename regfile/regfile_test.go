package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	fifo := filepath.Join(dir, "fifo")
	if err := os.WriteFile(small, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 11)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(small, 10); err != nil || string(b) != "abc" {
		t.Errorf("Read(small) = %q, %v", b, err)
	}
	if _, err := Read(big, 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(big) = %v, want ErrTooLarge", err)
	}
	if _, err := Read(fifo, 10); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("Read(fifo) = %v, want a not-a-regular-file error (and no hang)", err)
	}
	if _, err := Read(dir, 10); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Read(dir) = %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(empty, 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(empty dir) = %v, want ErrNotExist (a strict sandbox's placeholder)", err)
	}
	if _, err := Read(filepath.Join(dir, "missing"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want ErrNotExist", err)
	}
}
