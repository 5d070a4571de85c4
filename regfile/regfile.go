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
// wait for a writer) and checks the file it opened, not the path.
func Read(path string, max int64) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() && emptyDir(f) {
		return nil, fmt.Errorf("%s is an empty directory (a running strict sandbox's placeholder for a protected name): %w", path, os.ErrNotExist)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d: %w", path, fi.Size(), max, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew over the limit of %d bytes while read: %w", path, max, ErrTooLarge)
	}
	return data, nil
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
