package supervisor

// The sealed init binary. The sandbox's init runs from a copy the sandbox
// cannot write, so code inside cannot rewrite the devbox binary the host
// runs (the CVE-2019-5736 class); a root-owned install runs as it is.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/devbox-dev/devbox/hint"
	"golang.org/x/sys/unix"
)

// sealedInit copies the init binary into a sealed memfd. Init runs from it, so
// code in the sandbox cannot rewrite the devbox binary the host runs through
// /proc/1/exe (the CVE-2019-5736 class), whoever owns the installed file.
func sealedInit() (*os.File, error) {
	path, err := initBinary()
	if err != nil {
		return nil, err
	}
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open init binary: %w", err)
	}
	defer src.Close()
	if !writableFromSandbox(src, src.Name()) {
		return highFD(src)
	}
	fd, err := unix.MemfdCreate("devbox", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("create sealed binary: %w", err)
	}
	// Keep the memfd far above the fds the child inherits (3, 4).
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 100)
	unix.Close(fd)
	if err != nil {
		return nil, fmt.Errorf("create sealed binary: %w", err)
	}
	mem := os.NewFile(uintptr(high), "devbox-sealed")
	if _, err := io.Copy(mem, src); err != nil {
		mem.Close()
		return nil, fmt.Errorf("copy own binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		mem.Close()
		return nil, fmt.Errorf("seal binary copy: %w", err)
	}
	return mem, nil
}

// writableFromSandbox reports whether code in the sandbox could open the
// binary for writing through /proc/1/exe. Inside, the sandbox's root is this
// user, with capabilities over files whose owner is mapped (this user, the
// subordinate ids; all of them when root runs devbox). A root-owned binary
// this user cannot write (an install in /usr/local/bin) is safe to run as
// it is, which saves the copy: time at every start, and memory for as long
// as the sandbox runs (a memfd is unswappable shmem).
func writableFromSandbox(f *os.File, path string) bool {
	var st unix.Stat_t
	if os.Getuid() == 0 || unix.Fstat(int(f.Fd()), &st) != nil {
		return true
	}
	if st.Uid != 0 || st.Mode&0o022 != 0 {
		return true
	}
	return unix.Faccessat(unix.AT_FDCWD, path, unix.W_OK, unix.AT_EACCESS) == nil
}

// InitName is the sandbox init binary installed next to devbox.
const InitName = "devbox-init"

// initBinary returns devbox-init from devbox's own directory. devbox does
// not link the sandbox side itself (see cmd/devbox), so a missing one is an
// install to repair.
func initBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find devbox's own path: %w", err)
	}
	p := filepath.Join(filepath.Dir(self), InitName)
	fi, err := os.Stat(p)
	if err == nil && (!fi.Mode().IsRegular() || fi.Mode()&0o111 == 0) {
		err = errors.New("not an executable file")
	}
	if err != nil {
		return "", hint.Wrap(fmt.Errorf("find the sandbox init %s: %w", p, err),
			"install devbox and devbox-init together: ./install.sh, or go build -o "+filepath.Dir(self)+"/ ./cmd/devbox ./cmd/devbox-init")
	}
	return p, nil
}

// highFD duplicates f above the fds the child inherits (3, 4), since the
// child execs it by /proc/self/fd/N.
func highFD(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 100)
	if err != nil {
		return nil, fmt.Errorf("duplicate own binary fd: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
