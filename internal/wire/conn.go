package wire

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Conn is a blocking SEQPACKET connection, one message a packet: what a
// client that waits for nothing else needs, without Go's poller (package
// net), whose set-up and wakeups a join would otherwise pay for.
type Conn struct{ fd int }

// Dial connects to the SEQPACKET socket at path.
func Dial(path string) (*Conn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", path, err)
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("dial %s: %w", path, err)
	}
	return &Conn{fd: fd}, nil
}

// FileConn is the connection of f, a SEQPACKET socket, which the caller
// keeps open for as long as it uses the connection.
func FileConn(f *os.File) *Conn { return &Conn{fd: int(f.Fd())} }

// Close closes the connection.
func (c *Conn) Close() error { return unix.Close(c.fd) }

// Send writes one frame as one packet, with fds attached when given.
func (c *Conn) Send(frame []byte, fds ...int) error {
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	for {
		err := unix.Sendmsg(c.fd, frame, oob, nil, 0)
		if err != unix.EINTR {
			if err != nil {
				return fmt.Errorf("send: %w", err)
			}
			return nil
		}
	}
}

// maxFDs bounds the descriptors one received packet may carry.
const maxFDs = 8

// Recv reads one packet: its frame's envelope (Payload), and the
// descriptors it carried, which the caller owns (close-on-exec). io.EOF is
// the peer's close.
func (c *Conn) Recv() (envelope []byte, fds []int, err error) {
	buf := make([]byte, MaxFrame+4)
	oob := make([]byte, unix.CmsgSpace(maxFDs*4))
	var n, oobn, flags int
	for {
		n, oobn, flags, _, err = unix.Recvmsg(c.fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("receive: %w", err)
	}
	if fds, err = rights(oob[:oobn]); err != nil {
		return nil, nil, err
	}
	if n == 0 && oobn == 0 {
		return nil, nil, io.EOF
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		closeFDs(fds)
		return nil, nil, errors.New("receive: truncated")
	}
	env, err := Payload(buf[:n])
	if err != nil {
		closeFDs(fds)
		return nil, nil, err
	}
	return env, fds, nil
}

// rights are the descriptors of oob's SCM_RIGHTS messages.
func rights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			closeFDs(fds)
			return nil, fmt.Errorf("receive: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
