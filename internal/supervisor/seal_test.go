package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// copyFile copies a file whole into a memfd, and only as much as the file
// has: empty, smaller than a page, larger than one sendfile call's share
// would be on some kernels.
func TestCopyFile(t *testing.T) {
	for _, size := range []int{0, 1, 4095, 4096, 1<<20 + 17} {
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(i * 7)
		}
		path := filepath.Join(t.TempDir(), "bin")
		if err := os.WriteFile(path, want, 0o755); err != nil {
			t.Fatal(err)
		}
		src, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := unix.MemfdCreate("test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err != nil {
			t.Fatal(err)
		}
		mem := os.NewFile(uintptr(fd), "mem")
		if err := copyFile(mem, src, int64(size)); err != nil {
			t.Fatalf("copy %d bytes: %v", size, err)
		}
		src.Close()
		got, err := os.ReadFile("/proc/self/fd/" + strconv.Itoa(int(mem.Fd())))
		mem.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("copy of %d bytes: got %d bytes (%v), want the file's", size, len(got), err)
		}
	}
}

// A source that cannot be sent from (a directory) is an error, not a
// short copy.
func TestCopyFileRefusedSource(t *testing.T) {
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	fd, err := unix.MemfdCreate("test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	mem := os.NewFile(uintptr(fd), "mem")
	defer mem.Close()
	st, err := dir.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyFile(mem, dir, st.Size()); err == nil {
		t.Error("copy of a directory: no error")
	}
}
