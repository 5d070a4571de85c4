package session

import (
	"os"

	"golang.org/x/sys/unix"
)

// ReadSmall reads a small file of the runtime dir (config.json,
// state.json) for a join. os.ReadFile first tries to add a regular file
// to Go's poller, which refuses it: five syscalls (fcntl, epoll_ctl) more
// for each of a join's two reads. Errors are os.ReadFile's: a missing
// file is os.ErrNotExist.
func ReadSmall(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 4096)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}
