// Package regfile reads files a sandbox may have written (devbox.toml,
// devbox.lock, devcontainer.json): only a regular file, and only up to a
// limit, so a named pipe, a device or a huge file cannot hang devbox.
//
// An empty directory where the file should be reads as a missing file: a
// strict sandbox holds its protected names that way while it runs.
//
// It runs on the host, in the client and the supervisor.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ErrTooLarge is returned by Read for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// emptyDir reports whether the open directory f has no entries.
func emptyDir(f *os.File) bool {
	_, err := f.Readdirnames(1)
	return errors.Is(err, io.EOF)
}

// Read reads a file that a sandbox may have written: it must be a
// regular file (a named pipe would block devbox, a device would never end)
// of at most max bytes. It opens without blocking (a pipe's open would
// wait for a writer) and checks the file it opened, not the path. It reads
// with plain system calls: an *os.File would first offer the descriptor to
// Go's poller, which refuses a regular file, three system calls more on
// every join.
func Read(path string, max int64) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, notRegular(fd, path)
	}
	defer unix.Close(fd)
	if st.Size > max {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d: %w", path, st.Size, max, ErrTooLarge)
	}
	data, err := readAll(fd, st.Size, max)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew over the limit of %d bytes while read: %w", path, max, ErrTooLarge)
	}
	return data, nil
}

// notRegular is the error for fd, open at path, which is not a regular
// file; it closes fd.
func notRegular(fd int, path string) error {
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() && emptyDir(f) {
		return fmt.Errorf("%s is an empty directory (a running strict sandbox's placeholder for a protected name): %w", path, os.ErrNotExist)
	}
	return fmt.Errorf("%s is not a regular file (%s)", path, fileKind(fi.Mode()))
}

// readAll reads fd to its end or past max, whichever comes first, into a
// buffer of the size it had when opened (and a byte more, to see growth).
func readAll(fd int, size, max int64) ([]byte, error) {
	buf := make([]byte, 0, min(size, max)+1)
	for int64(len(buf)) <= max {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return nil, err
		case n == 0:
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "mode " + m.String()
}
