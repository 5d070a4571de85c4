package proto

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// maxFDs bounds the descriptors accepted with one message.
const maxFDs = 8

// Conn sends and receives one frame per packet on a SOCK_SEQPACKET socket.
type Conn struct {
	uc *net.UnixConn
}

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
func Socketpair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("create socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "devbox-parent"), os.NewFile(uintptr(fds[1]), "devbox-child"), nil
}

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
	size, err := c.nextSize()
	if err != nil {
		return nil, nil, err
	}
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(maxFDs*4))
	n, oobn, flags, _, err := c.uc.ReadMsgUnix(buf, oob)
	if errors.Is(err, unix.ECONNRESET) {
		// A peer that exits with messages of ours unread resets the
		// connection, and the kernel reports that before the packets
		// the peer sent last (its Error, say). The report is consumed
		// by reading it: read once more for what is still queued.
		n, oobn, flags, _, err = c.uc.ReadMsgUnix(buf, oob)
	}
	if err != nil {
		return nil, nil, err
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

// nextSize returns the size of the next packet (MSG_PEEK|MSG_TRUNC), so a
// long-lived init does not allocate MaxFrame for every small message. It
// blocks until a packet arrives. A connection closed or past its deadline
// while it waits is the error: the read after it would only have failed
// the same way, after allocating MaxFrame, which at every session's end
// (its signal relay's last read) cost init a garbage collection. On any
// other error it returns MaxFrame+4 and lets the real read report it.
func (c *Conn) nextSize() (int, error) {
	raw, err := c.uc.SyscallConn()
	if err != nil {
		return 0, err
	}
	size := MaxFrame + 4
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := unix.Recvfrom(int(fd), nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if err == unix.ECONNRESET {
			// Consumed by this peek (see Recv): look at what is queued.
			n, _, err = unix.Recvfrom(int(fd), nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		}
		if err == unix.EAGAIN {
			return false // wait in the poller
		}
		if err == nil && n >= 0 && n <= MaxFrame+4 {
			size = n
		}
		return true
	})
	if err != nil {
		return 0, asReadError(err)
	}
	if size == 0 {
		size = 1 // an empty packet (EOF) still needs a buffer to read
	}
	return size, nil
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
		// Close-on-exec already: net's ReadMsgUnix receives with
		// MSG_CMSG_CLOEXEC, or sets it itself where that is missing.
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
