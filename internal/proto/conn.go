package proto

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/devbox-dev/devbox/internal/wire"
	"golang.org/x/sys/unix"
)

// maxFDs bounds the descriptors accepted with one message.
const maxFDs = 8

// Conn sends and receives one frame per packet on a SOCK_SEQPACKET socket.
type Conn struct {
	uc *net.UnixConn
	// inKernel makes Recv wait in poll(2) on this thread (WaitInKernel).
	inKernel bool
}

// WaitInKernel makes Recv wait for a packet in poll(2), on the calling
// thread, rather than in Go's poller; off again with false. For a
// goroutine locked to its thread in a process with one P (the sandbox
// child's main goroutine, during its setup), the poller's wake-up is a
// hand-off of the P from the thread that polled to the locked one, two
// thread switches per message; a wait in the kernel wakes the locked
// thread itself. Not for a Conn with a deadline: poll waits for good.
func (c *Conn) WaitInKernel(on bool) { c.inKernel = on }

// NewConn wraps a connected unixpacket socket.
func NewConn(uc *net.UnixConn) *Conn { return &Conn{uc: uc} }

// FileConn wraps an inherited socket file (for example fd 3 in the child).
func FileConn(f *os.File) (*Conn, error) {
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("wrap socket fd %d: %w", f.Fd(), err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("wrap socket fd %d: not a unix socket", f.Fd())
	}
	return &Conn{uc: uc}, nil
}

// Dial connects to a sandbox socket.
func Dial(path string) (*Conn, error) {
	uc, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, err
	}
	return &Conn{uc: uc}, nil
}

// Socketpair returns a connected SEQPACKET pair as files, close-on-exec.
func Socketpair() (*os.File, *os.File, error) { return wire.Socketpair() }

// Unix returns the underlying socket.
func (c *Conn) Unix() *net.UnixConn { return c.uc }

// Close closes the connection.
func (c *Conn) Close() error { return c.uc.Close() }

// Send writes msg as one packet, with fds attached when given.
func (c *Conn) Send(msg Message, fds ...int) error {
	b, err := Marshal(msg)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if _, _, err := c.uc.WriteMsgUnix(b, oob, nil); err != nil {
		return fmt.Errorf("send %s: %w", msg.Kind(), err)
	}
	return nil
}

// Recv reads one packet and returns its message and any attached fds, which
// the caller owns. io.EOF means the peer closed the connection.
func (c *Conn) Recv() (Message, []*os.File, error) {
	raw, err := c.uc.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	oob := make([]byte, unix.CmsgSpace(maxFDs*4))
	var buf []byte
	var n, oobn, flags int
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		buf, oobn, flags, rerr = recvPacket(int(fd), oob)
		for c.inKernel && rerr == unix.EAGAIN {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if _, perr := unix.Poll(pfd, -1); perr != nil && perr != unix.EINTR {
				rerr = perr
				break
			}
			buf, oobn, flags, rerr = recvPacket(int(fd), oob)
		}
		n = len(buf)
		return rerr != unix.EAGAIN // else wait in the poller
	})
	if err != nil {
		return nil, nil, asReadError(err)
	}
	if rerr != nil {
		return nil, nil, &net.OpError{Op: "read", Net: c.uc.LocalAddr().Network(), Source: c.uc.LocalAddr(), Addr: c.uc.RemoteAddr(), Err: os.NewSyscallError("recvmsg", rerr)}
	}
	files, ferr := parseRights(oob[:oobn])
	if n == 0 && oobn == 0 {
		return nil, nil, errEOF()
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		closeAll(files)
		return nil, nil, errors.New("receive message: truncated")
	}
	if ferr != nil {
		closeAll(files)
		return nil, nil, ferr
	}
	msg, err := Unmarshal(buf[:n])
	if err != nil {
		closeAll(files)
		return nil, nil, err
	}
	return msg, files, nil
}

// recvBuf takes each packet for the moment of its read, which then copies
// it out at its size: one recvmsg reads a packet of any size up to
// MaxFrame, where a peek at the size took a second syscall for every
// message. Its pages past the first few are touched only by large
// packets (a Spawn with a long environment, NetReady).
var recvBuf struct {
	sync.Mutex
	b [MaxFrame + 4]byte
}

// recvPacket reads one packet from the non-blocking socket fd.
func recvPacket(fd int, oob []byte) (buf []byte, oobn, flags int, err error) {
	recvBuf.Lock()
	defer recvBuf.Unlock()
	var n int
	n, oobn, flags, _, err = unix.Recvmsg(fd, recvBuf.b[:], oob, unix.MSG_CMSG_CLOEXEC)
	if err == unix.ECONNRESET {
		// A peer that exits with messages of ours unread resets the
		// connection, and the kernel reports that before the packets
		// the peer sent last (its Error, say). The report is consumed
		// by reading it: read once more for what is still queued.
		n, oobn, flags, _, err = unix.Recvmsg(fd, recvBuf.b[:], oob, unix.MSG_CMSG_CLOEXEC)
	}
	if err != nil {
		return nil, 0, 0, err
	}
	return append([]byte(nil), recvBuf.b[:n]...), oobn, flags, nil
}

// asReadError words a failed wait for a packet as the read's own error
// would be: "read", not the raw connection's "raw-read".
func asReadError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "raw-read" {
		e := *oe
		e.Op = "read"
		return &e
	}
	return err
}

// RecvAs reads one message and requires it to be a T; fds are closed.
func RecvAs[T Message](c *Conn) (T, error) {
	msg, files, err := c.Recv()
	closeAll(files)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("wait for %s: %w", zero.Kind(), err)
	}
	return As[T](msg)
}

func parseRights(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		// Close-on-exec already: received with MSG_CMSG_CLOEXEC.
		for _, fd := range fds {
			files = append(files, os.NewFile(uintptr(fd), "received"))
		}
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
