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
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
	"golang.org/x/sys/unix"
)

// sealedInit returns the binary the child runs: devbox-init as it is when
// the sandbox cannot write it, else a sealed memfd copy, so code in the
// sandbox cannot rewrite the binary the host runs through /proc/1/exe (the
// CVE-2019-5736 class), whoever owns the installed file. A copy is
// borrowed from another running sandbox of this user when one has it
// (shareSealed), and made otherwise; s.sealed keeps it to lend.
func (s *supervisor) sealedInit() (*os.File, error) {
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
	id, err := fileID(src)
	if err != nil {
		return nil, err
	}
	mem := borrowSealed(s.runtimeRoot(), s.dir(), id)
	if mem == nil {
		if mem, err = sealCopy(src, id.Size); err != nil {
			return nil, err
		}
	}
	s.sealed, s.sealedID = mem, id
	return highFD(mem)
}

// sealCopy copies src, of size bytes (its identity's), into a new memfd
// and seals it against every change.
func sealCopy(src *os.File, size int64) (*os.File, error) {
	fd, err := unix.MemfdCreate("devbox", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("create sealed binary: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "devbox-sealed")
	if err := copyFile(mem, src, size); err != nil {
		mem.Close()
		return nil, fmt.Errorf("copy own binary: %w", err)
	}
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, allSeals); err != nil {
		mem.Close()
		return nil, fmt.Errorf("seal binary copy: %w", err)
	}
	return mem, nil
}

// copyFile copies the size bytes of src, from its start, to the empty
// file dst: with sendfile(2), which copies in the kernel (a 3.6 MB
// devbox-init in 1.5 ms here, against 2.8 ms for io.Copy's 32 KiB reads
// and writes, which package os takes for a memfd; and the copy is on a
// cold start's way to the child's clone), or with io.Copy where the
// kernel refuses sendfile to dst before it has copied anything.
func copyFile(dst, src *os.File, size int64) error {
	for left := size; left > 0; {
		n, err := unix.Sendfile(int(dst.Fd()), int(src.Fd()), nil, int(min(left, 1<<30)))
		switch {
		case err == unix.EINTR:
			continue
		case (err == unix.EINVAL || err == unix.ENOSYS) && left == size:
			_, err = io.Copy(dst, src)
			return err
		case err != nil:
			return err
		case n == 0:
			return fmt.Errorf("%s ended after %d of its %d bytes", src.Name(), size-left, size)
		}
		left -= int64(n)
	}
	return nil
}

// allSeals are the seals a copy needs before anything runs it: no write,
// no resize, no seal removed.
const allSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

// runtimeRoot is the user's runtime dir, which holds every sandbox's:
// the parent of the spec's state dir, or, for a child started before the
// spec (prestart.go), state.RuntimeRoot, which refuses a dir open to
// others; "" when there is none.
func (s *supervisor) runtimeRoot() string {
	if s.dir() != "" {
		return filepath.Dir(s.dir())
	}
	root, err := state.RuntimeRoot()
	if err != nil {
		return ""
	}
	return root
}

// fileID is the identity a lent copy must have been made from.
func fileID(f *os.File) (proto.SealedInit, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return proto.SealedInit{}, fmt.Errorf("stat init binary: %w", err)
	}
	return proto.SealedInit{Dev: st.Dev, Ino: st.Ino, Size: st.Size, MtimeNs: st.Mtim.Nano()}, nil
}

// borrowSealed asks the other running sandboxes' supervisors (their
// control sockets, in the user's runtime dir, which no sandbox sees) for a
// copy made from the file with identity id. It checks what it gets: a
// memfd-backed file of the right size with every seal set, so nobody can
// change it after this. nil when none has one.
func borrowSealed(root, ownDir string, id proto.SealedInit) *os.File {
	if root == "" {
		return nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if !e.IsDir() || filepath.Join(root, e.Name()) == ownDir {
			continue
		}
		if f := askSealed(filepath.Join(root, e.Name(), state.ControlSocket), id); f != nil {
			return f
		}
	}
	return nil
}

func askSealed(sock string, id proto.SealedInit) *os.File {
	c, err := proto.Dial(sock)
	if err != nil {
		return nil
	}
	defer c.Close()
	if c.Send(id) != nil {
		return nil
	}
	msg, files, err := c.Recv()
	if _, ok := msg.(proto.SealedInitReply); err != nil || !ok || len(files) != 1 {
		closeFiles(files)
		return nil
	}
	if !sealedCopyOf(files[0], id) {
		files[0].Close()
		return nil
	}
	return files[0]
}

// sealedCopyOf reports whether f is a fully sealed file of id's size.
func sealedCopyOf(f *os.File, id proto.SealedInit) bool {
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil || seals&allSeals != allSeals {
		return false
	}
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Size == id.Size
}

// lendSealed answers another supervisor's SealedInit with this sandbox's
// copy when it was made from the same file.
func (s *supervisor) lendSealed(c *proto.Conn, want proto.SealedInit) {
	if s.sealed == nil || s.sealedID != want {
		c.Send(proto.Error{Msg: "no sealed init copy of that file here", Code: 125})
		return
	}
	c.Send(proto.SealedInitReply{}, int(s.sealed.Fd()))
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
			state.InstallHint(filepath.Dir(self)))
	}
	return p, nil
}

// highFD duplicates f above the fds the child inherits (3 to 6) and those
// Go's fork moves them through (from 7 on), since the child execs it by
// /proc/self/fd/N; and below 64, the size of a new process's fd table: a
// table that must grow first waits for an RCU grace period in a process
// with threads, 5 to 10 ms here, which every cold start paid when the
// client had inherited no high fd (a start from a plain shell).
// execFD is the lowest fd highFD returns.
const execFD = 32

func highFD(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, execFD)
	if err != nil {
		return nil, fmt.Errorf("duplicate own binary fd: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
