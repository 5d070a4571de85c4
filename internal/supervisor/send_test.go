package supervisor

import (
	"os"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
)

// seqpacketPair returns both ends of a real SOCK_SEQPACKET socketpair.
func seqpacketPair(t *testing.T) (*proto.Conn, *proto.Conn) {
	t.Helper()
	a, b, err := proto.Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*proto.Conn, 2)
	for i, f := range []*os.File{a, b} {
		c, err := proto.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0], conns[1]
}

// TestSendReportsTheChildsError: a child that failed sent its Error and
// exited before the supervisor's next message; the send reports that
// Error, not the broken pipe.
func TestSendReportsTheChildsError(t *testing.T) {
	parent, child := seqpacketPair(t)
	defer parent.Close()
	if err := child.Send(proto.Error{Msg: "require_strict is set, and Landlock is not enforced", Hint: "use a newer kernel"}); err != nil {
		t.Fatal(err)
	}
	child.Close()
	s := &supervisor{parent: parent}
	err := s.send(proto.NetAttached{})
	if err == nil || !strings.Contains(err.Error(), "require_strict is set") || strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("send to a child that failed: got %v, want the child's Error", err)
	}
}

// TestSendReportsThePipeWithoutAnError: a child that exited without an
// Error leaves the send's own error.
func TestSendReportsThePipeWithoutAnError(t *testing.T) {
	parent, child := seqpacketPair(t)
	defer parent.Close()
	child.Close()
	s := &supervisor{parent: parent}
	err := s.send(proto.NetAttached{})
	if err == nil || !strings.Contains(err.Error(), "send NetAttached") {
		t.Fatalf("send to a child that exited: got %v, want the send's error", err)
	}
}
