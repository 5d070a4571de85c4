package supervisor

// SOCKS5 (RFC 1928) on the proxy's port: CONNECT only, no authentication.
// A request names a host (ATYP domain name) or an address (IPv4, IPv6),
// and is decided as an HTTP CONNECT to the same authority: a name by the
// name rules, an address by the rule for IP literals; the proxy resolves
// names itself, so socks5h:// (names sent to the proxy) is the form that
// works; socks5:// makes the client resolve, and a strict sandbox has no
// DNS. Each refusal answers the SOCKS error code and appends a record.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"

	"github.com/devbox-dev/devbox/internal/egress"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
)

const socksVersion = 5

// SOCKS5 values.
const (
	socksNoAuth      = 0x00
	socksNoMethod    = 0xff
	socksCmdConnect  = 0x01
	socksATYPv4      = 0x01
	socksATYPDomain  = 0x03
	socksATYPv6      = 0x04
	socksOK          = 0x00
	socksFailure     = 0x01
	socksNotAllowed  = 0x02
	socksHostUnreach = 0x04
	socksCmdNotSupp  = 0x07
	socksATYPNotSupp = 0x08
	socksMethod      = "SOCKS5"
)

// socks serves one SOCKS5 client: the method negotiation, one request,
// then the tunnel.
func (p *proxy) socks(c net.Conn, br *bufio.Reader) {
	if !p.socksGreet(c, br) {
		return
	}
	authority, code, err := readSocksRequest(br)
	if err != nil {
		if code != 0 {
			p.record(c, socksMethod, "request", state.Denial{Kind: egress.KindProtocol, Message: fmt.Sprintf("SOCKS5 request: %v", err),
				Fix: fmt.Sprintf("devbox's proxy serves SOCKS5 CONNECT, HTTP CONNECT and plain HTTP at 127.0.0.1:%d", proto.ProxyPort)})
			socksReply(c, code)
		}
		return
	}
	ctx := context.Background()
	t, what, d := p.check(ctx, socksMethod, authority, 0, nil)
	if d != nil {
		p.record(c, socksMethod, what, *d)
		code := byte(socksNotAllowed)
		if d.Kind == egress.KindResolve {
			code = socksHostUnreach
		}
		socksReply(c, code)
		return
	}
	up, err := p.dial(ctx, t)
	if err != nil {
		socksReply(c, socksHostUnreach)
		return
	}
	defer up.Close()
	if socksReply(c, socksOK) != nil {
		return
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		if _, err := up.Write(b); err != nil {
			return
		}
	}
	pipe(c, up)
}

// socksGreet reads the client's methods and accepts "no authentication";
// a client that offers only others is refused and recorded.
func (p *proxy) socksGreet(c net.Conn, br *bufio.Reader) bool {
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return false
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return false
	}
	for _, m := range methods {
		if m == socksNoAuth {
			_, err := c.Write([]byte{socksVersion, socksNoAuth})
			return err == nil
		}
	}
	p.record(c, socksMethod, "authentication", state.Denial{Kind: egress.KindProtocol,
		Message: "SOCKS5: the client offers only authentication methods, and devbox's proxy takes none",
		Fix:     fmt.Sprintf("use SOCKS5 without a user name and password (socks5h://127.0.0.1:%d)", proto.ProxyPort)})
	c.Write([]byte{socksVersion, socksNoMethod})
	return false
}

// readSocksRequest reads a request and returns its destination as
// "host:port". On a request it refuses it returns the reply code; code 0
// with an error means the client went away.
func readSocksRequest(br *bufio.Reader) (string, byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return "", 0, err
	}
	if head[0] != socksVersion {
		return "", socksFailure, fmt.Errorf("version %d in the request, want 5", head[0])
	}
	host, err := readSocksAddr(br, head[3])
	if err != nil {
		if errors.Is(err, errATYP) {
			return "", socksATYPNotSupp, err
		}
		return "", 0, err
	}
	var port [2]byte
	if _, err := io.ReadFull(br, port[:]); err != nil {
		return "", 0, err
	}
	authority := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))
	if head[1] != socksCmdConnect {
		return "", socksCmdNotSupp, fmt.Errorf("command %d (%s) to %s: only CONNECT (1) is served", head[1], socksCommand(head[1]), authority)
	}
	return authority, 0, nil
}

var errATYP = errors.New("unknown address type")

func readSocksAddr(br *bufio.Reader, atyp byte) (string, error) {
	switch atyp {
	case socksATYPv4, socksATYPv6:
		n := 4
		if atyp == socksATYPv6 {
			n = 16
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return "", err
		}
		a, _ := netip.AddrFromSlice(b)
		return a.String(), nil
	case socksATYPDomain:
		l, err := br.ReadByte()
		if err != nil {
			return "", err
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(br, b); err != nil {
			return "", err
		}
		return string(b), nil
	}
	return "", fmt.Errorf("%w %d", errATYP, atyp)
}

func socksCommand(cmd byte) string {
	switch cmd {
	case 2:
		return "BIND"
	case 3:
		return "UDP ASSOCIATE"
	}
	return "unknown"
}

// socksReply answers a request; the bound address is left zero, as the
// client has no use for the proxy's outgoing address.
func socksReply(c net.Conn, code byte) error {
	_, err := c.Write([]byte{socksVersion, code, 0, socksATYPv4, 0, 0, 0, 0, 0, 0})
	return err
}
