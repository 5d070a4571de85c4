package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/trace"
	"github.com/devbox-dev/devbox/slirpnet"
	"golang.org/x/sys/unix"
)

// allMessages holds one populated value of every message type.
func allMessages() []Message {
	return []Message{
		Hello{},
		IDMapped{},
		UserNSReady{},
		NetReady{
			Spec: Spec{
				Name: "proj-1", Hostname: "proj", ProjectDir: "/home/u/proj",
				Home: "/home/u", HomeSource: "/home/u/.local/share/devbox/proj-1/home",
				StateDir: "/run/user/1000/devbox/proj-1", Network: slirpnet.Host,
				SingleID: true, IdleTimeout: 15 * time.Minute,
				Mounts: []Mount{{Source: "/data", Target: "/mnt/data", ReadOnly: true}},
			},
			PortOpaque: map[string]string{"builtin.socketpath": "/run/user/1000/devbox/proj-1/.bp.sock"},
		},
		NetAttached{Lease: slirpnet.Lease{Dev: "tap0", Addr: "10.0.2.100/24", Gateway: "10.0.2.2", DNS: []string{"10.0.2.3"}, MTU: 65520}},
		Ready{Trace: []trace.Span{{Proc: "child", Name: "rootfs", Start: 1, End: 2}}},
		Go{},
		FuseMount{Layer: FuseReview},
		FuseServed{},
		Error{Msg: "newuidmap failed", Hint: "apt-get install uidmap", Code: 125},
		typicalSpawn(),
		Spawn{Shell: true, ShellHint: "/bin/zsh", Login: true, Env: []string{}, Cwd: "/", TTY: true, Rows: 50, Cols: 132},
		Warning{Msg: "no subordinate ids: mapping a single id"},
		Started{PID: 42, Trace: []trace.Span{{Proc: "init", Name: "confine", Start: 3, End: 4}}},
		Signal{Sig: 15},
		Exit{Code: 130, Signal: 2},
		Info{},
		InfoReply{Name: "proj-1", Project: "/home/u/proj", Sessions: 3, StartedAt: time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)},
		Stop{Grace: 3 * time.Second},
		Stopping{},
		AwaitStop{},
		Stopped{},
		Hold{},
		Held{},
	}
}

// typicalSpawn is a non-tty Spawn with a realistic argv and ~30 env vars.
func typicalSpawn() Spawn {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/home/alice", "USER=alice", "LOGNAME=alice", "SHELL=/bin/bash",
		"TERM=xterm-256color", "LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8",
		"EDITOR=vim", "PAGER=less", "LESS=-R", "TZ=Europe/Berlin",
		"GOPATH=/home/alice/go", "GOFLAGS=-mod=readonly", "GOCACHE=/home/alice/.cache/go-build",
		"CARGO_HOME=/home/alice/.cargo", "RUSTUP_HOME=/home/alice/.rustup",
		"NODE_ENV=development", "NPM_CONFIG_PREFIX=/home/alice/.npm-global",
		"PYTHONDONTWRITEBYTECODE=1", "VIRTUAL_ENV=/home/alice/proj/.venv",
		"CI=true", "GIT_AUTHOR_NAME=Alice Example", "GIT_AUTHOR_EMAIL=alice@example.com",
		"SSH_AUTH_SOCK=/tmp/ssh-XXXXabcd/agent.1234", "COLORTERM=truecolor",
		"XDG_CONFIG_HOME=/home/alice/.config", "XDG_CACHE_HOME=/home/alice/.cache",
		"XDG_DATA_HOME=/home/alice/.local/share", "DEVBOX=1", "DEVBOX_NAME=proj-1a2b3c",
	}
	return Spawn{
		Argv: []string{"go", "test", "-race", "-count=1", "./..."},
		Env:  env,
		Cwd:  "/home/alice/proj",
	}
}

func TestRoundTrip(t *testing.T) {
	for _, msg := range allMessages() {
		t.Run(msg.Kind(), func(t *testing.T) {
			b, err := Marshal(msg)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if n := binary.BigEndian.Uint32(b); int(n) != len(b)-4 {
				t.Fatalf("length prefix %d, body %d bytes", n, len(b)-4)
			}
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, msg) {
				t.Fatalf("Unmarshal = %#v, want %#v", got, msg)
			}

			// The streaming path: Encode then Decode, two frames back to back.
			var buf bytes.Buffer
			for i := 0; i < 2; i++ {
				if err := Encode(&buf, msg); err != nil {
					t.Fatalf("Encode: %v", err)
				}
			}
			for i := 0; i < 2; i++ {
				got, err := Decode(&buf)
				if err != nil {
					t.Fatalf("Decode frame %d: %v", i, err)
				}
				if !reflect.DeepEqual(got, msg) {
					t.Fatalf("Decode frame %d = %#v, want %#v", i, got, msg)
				}
			}
			if _, err := Decode(&buf); err != io.EOF {
				t.Fatalf("Decode at end = %v, want io.EOF", err)
			}
		})
	}
}

// TestRoundTripRegistry round-trips the zero value of every registered type,
// so a message added to the registry is covered even before it gets a
// populated example in allMessages.
func TestRoundTripRegistry(t *testing.T) {
	for kind := range registry() {
		msg, err := Unmarshal(frame(`{"type":"` + kind + `"}`))
		if err != nil {
			t.Fatalf("%s: decode without body: %v", kind, err)
		}
		if msg.Kind() != kind {
			t.Fatalf("registry[%q] decodes to a %q", kind, msg.Kind())
		}
		b, err := Marshal(msg)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", kind, err)
		}
		got, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: Unmarshal: %v", kind, err)
		}
		if !reflect.DeepEqual(got, msg) {
			t.Fatalf("%s: round trip = %#v, want %#v", kind, got, msg)
		}
	}
}

func frame(body string) []byte {
	b := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(b, uint32(len(body)))
	copy(b[4:], body)
	return b
}

func TestDecodeErrors(t *testing.T) {
	good, err := Marshal(Started{PID: 7})
	if err != nil {
		t.Fatal(err)
	}
	oversize := make([]byte, 4)
	binary.BigEndian.PutUint32(oversize, MaxFrame+1)
	huge := []byte{0xff, 0xff, 0xff, 0xff}

	tests := []struct {
		name    string
		in      []byte
		is      error  // errors.Is target, if any
		exactly bool   // err must be exactly `is` (not wrapped)
		substr  string // substring of the message, if any
	}{
		{name: "empty", in: nil, is: io.EOF, exactly: true},
		{name: "truncated header 1 byte", in: good[:1], is: io.ErrUnexpectedEOF},
		{name: "truncated header 3 bytes", in: good[:3], is: io.ErrUnexpectedEOF},
		{name: "header only", in: good[:4], is: io.ErrUnexpectedEOF, substr: "read frame body"},
		{name: "truncated body", in: good[:len(good)-1], is: io.ErrUnexpectedEOF, substr: "read frame body"},
		{name: "oversize length prefix", in: oversize, is: ErrFrameTooLarge},
		{name: "max uint32 length prefix", in: huge, is: ErrFrameTooLarge},
		{name: "unknown type", in: frame(`{"type":"Bogus"}`), substr: `unknown message type "Bogus"`},
		{name: "missing type", in: frame(`{}`), substr: `unknown message type ""`},
		{name: "not json", in: frame(`nope`), substr: "decode frame"},
		{name: "bad body", in: frame(`{"type":"Started","body":{"pid":"x"}}`), substr: "decode Started"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := Unmarshal(tt.in)
			if err == nil {
				t.Fatalf("Unmarshal = %#v, want an error", msg)
			}
			if msg != nil {
				t.Errorf("Unmarshal returned a message with the error: %#v", msg)
			}
			if tt.is != nil {
				if tt.exactly && err != tt.is {
					t.Errorf("err = %v, want exactly %v", err, tt.is)
				}
				if !errors.Is(err, tt.is) {
					t.Errorf("err = %v, want errors.Is %v", err, tt.is)
				}
			}
			if tt.substr != "" && !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.substr)
			}
		})
	}
}

// oneByteReader returns at most one byte per Read, as a slow stream might.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestDecodeShortReads(t *testing.T) {
	msg := typicalSpawn()
	b, err := Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(oneByteReader{bytes.NewReader(b)})
	if err != nil {
		t.Fatalf("Decode over one-byte reads: %v", err)
	}
	if !reflect.DeepEqual(got, msg) {
		t.Fatalf("Decode = %#v, want %#v", got, msg)
	}
	// Every proper prefix fails with a wrapped ErrUnexpectedEOF (or io.EOF
	// when nothing at all arrived), never with a partial message.
	for n := 0; n < len(b); n++ {
		_, err := Decode(oneByteReader{bytes.NewReader(b[:n])})
		want := io.ErrUnexpectedEOF
		if n == 0 {
			want = io.EOF
		}
		if !errors.Is(err, want) {
			t.Fatalf("prefix of %d/%d bytes: err = %v, want %v", n, len(b), err, want)
		}
	}
}

func TestMarshalTooLarge(t *testing.T) {
	big := Warning{Msg: strings.Repeat("x", MaxFrame)}
	if _, err := Marshal(big); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("Marshal of an oversize message: err = %v, want exceeds", err)
	}
}

func TestAsAndExpect(t *testing.T) {
	t.Run("match", func(t *testing.T) {
		b, _ := Marshal(Started{PID: 9})
		got, err := Expect[Started](bytes.NewReader(b))
		if err != nil || got.PID != 9 {
			t.Fatalf("Expect[Started] = %#v, %v", got, err)
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		b, _ := Marshal(Ready{})
		_, err := Expect[UserNSReady](bytes.NewReader(b))
		var ue *UnexpectedError
		if !errors.As(err, &ue) {
			t.Fatalf("err = %v (%T), want *UnexpectedError", err, err)
		}
		if ue.Got != "Ready" || ue.Want != "UserNSReady" {
			t.Errorf("UnexpectedError = %+v", ue)
		}
		if want := `unexpected message "Ready", want "UserNSReady"`; err.Error() != want {
			t.Errorf("message %q, want %q", err.Error(), want)
		}
		if _, err := As[UserNSReady](Ready{}); err == nil || err.Error() != `unexpected message "Ready", want "UserNSReady"` {
			t.Errorf("As[UserNSReady](Ready{}) err = %v", err)
		}
	})
	t.Run("error becomes RemoteError", func(t *testing.T) {
		remote := Error{Msg: "mount /proc: permission denied", Hint: "run devbox doctor", Code: 125}
		b, _ := Marshal(remote)
		for name, get := range map[string]func() error{
			"Expect": func() error { _, err := Expect[Ready](bytes.NewReader(b)); return err },
			"As":     func() error { _, err := As[Ready](remote); return err },
		} {
			err := get()
			var re *RemoteError
			if !errors.As(err, &re) {
				t.Fatalf("%s: err = %v (%T), want *RemoteError", name, err, err)
			}
			if re.Msg != remote.Msg || re.Hint != remote.Hint || re.Code != remote.Code {
				t.Errorf("%s: RemoteError = %+v, want %+v", name, re, remote)
			}
			if err.Error() != remote.Msg {
				t.Errorf("%s: message %q, want %q", name, err.Error(), remote.Msg)
			}
		}
	})
	t.Run("Expect read error is wrapped", func(t *testing.T) {
		b, _ := Marshal(Ready{})
		_, err := Expect[Ready](bytes.NewReader(b[:len(b)-2]))
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "wait for Ready") {
			t.Fatalf("err = %v, want wait for Ready ... unexpected EOF", err)
		}
	})
}

func TestConnSocketpairFD(t *testing.T) {
	ca, cb := connPair(t)

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()

	spawn := typicalSpawn()
	if err := ca.Send(spawn, int(pw.Fd())); err != nil {
		t.Fatalf("Send: %v", err)
	}
	pw.Close() // the receiver now holds the only write end

	msg, files, err := cb.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	if !reflect.DeepEqual(msg, spawn) {
		t.Fatalf("Recv = %#v, want %#v", msg, spawn)
	}
	if len(files) != 1 {
		t.Fatalf("Recv got %d fds, want 1", len(files))
	}
	if fl, err := unix.FcntlInt(files[0].Fd(), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Fatalf("received fd flags %#x, %v: want close-on-exec", fl, err)
	}
	if _, err := files[0].WriteString("through the socket"); err != nil {
		t.Fatalf("write to passed fd: %v", err)
	}
	files[0].Close()
	got, err := io.ReadAll(pr)
	if err != nil || string(got) != "through the socket" {
		t.Fatalf("read pipe = %q, %v", got, err)
	}

	// Messages without fds, and RecvAs in both directions.
	if err := cb.Send(Started{PID: 5}); err != nil {
		t.Fatal(err)
	}
	if st, err := RecvAs[Started](ca); err != nil || st.PID != 5 {
		t.Fatalf("RecvAs[Started] = %#v, %v", st, err)
	}
	if err := cb.Send(Exit{Code: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := RecvAs[Started](ca); err == nil || err.Error() != `unexpected message "Exit", want "Started"` {
		t.Fatalf("RecvAs[Started] of Exit: err = %v", err)
	}

	// Peer close reads as io.EOF (possibly wrapped in a *net.OpError).
	cb.Close()
	if _, _, err := ca.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("Recv after peer close: err = %v, want errors.Is io.EOF", err)
	}
}

func TestChildEnvMarksTheChild(t *testing.T) {
	env := ChildEnv("X=1")
	for _, want := range []string{EnvChild + "=1", EnvExe + "=", "X=1"} {
		found := false
		for _, e := range env {
			found = found || strings.HasPrefix(e, want)
		}
		if !found {
			t.Errorf("ChildEnv() = %q lacks %s", env, want)
		}
	}
}

// TestRecvClosedAllocatesNoFrame: a Recv waiting when its connection is
// closed returns net.ErrClosed, worded as a read, without allocating a
// whole frame first (init's signal relay ends every session so).
func TestRecvClosedAllocatesNoFrame(t *testing.T) {
	a, b, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := FileConn(a)
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	allocs := testing.AllocsPerRun(10, func() {
		_, _, err = c.Recv()
	})
	if !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "read ") || strings.Contains(err.Error(), "raw-read") {
		t.Fatalf("Recv on a closed connection: err = %v, want a read's net.ErrClosed", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	c.Recv()
	runtime.ReadMemStats(&ms)
	if grew := ms.TotalAlloc - before; grew >= MaxFrame {
		t.Errorf("Recv on a closed connection allocated %d bytes (%.0f allocations), want less than a frame", grew, allocs)
	}
}

// TestRecvSizes: one read takes a packet of any size up to a frame, and a
// longer one is refused as truncated.
func TestRecvSizes(t *testing.T) {
	ca, cb := connPair(t)
	if err := unix.SetsockoptInt(int(fdOf(t, ca)), unix.SOL_SOCKET, unix.SO_SNDBUF, 4*MaxFrame); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1000, 5000, MaxFrame - 200} {
		msg := Warning{Msg: strings.Repeat("x", size)}
		if err := ca.Send(msg); err != nil {
			t.Fatalf("send %d: %v", size, err)
		}
		got, _, err := cb.Recv()
		if err != nil || !reflect.DeepEqual(got, msg) {
			t.Fatalf("Recv of a %d-byte message: %v", size, err)
		}
	}
	big := make([]byte, MaxFrame+100)
	if _, err := ca.Unix().Write(big); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cb.Recv(); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("Recv of a packet longer than a frame: err = %v, want truncated", err)
	}
}

// connPair is the two ends of a socketpair as Conns, closed when the
// test ends.
func connPair(t *testing.T) (*Conn, *Conn) {
	t.Helper()
	a, b, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := FileConn(a)
	a.Close() // FileConn dups the descriptor
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { ca.Close() })
	cb, err := FileConn(b)
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cb.Close() })
	return ca, cb
}

func fdOf(t *testing.T, c *Conn) uintptr {
	raw, err := c.Unix().SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	raw.Control(func(f uintptr) { fd = f })
	return fd
}
