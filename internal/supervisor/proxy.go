package supervisor

// devbox's egress proxy for strict sandboxes. It serves the listening
// socket the child created on 127.0.0.1:proto.ProxyPort inside the
// sandbox's network namespace (see internal/child/proxy.go); that namespace
// has no route out, so this is the one way out, whatever a program's
// environment says. It speaks HTTP CONNECT and plain-HTTP forwarding in
// absolute form, and SOCKS5 CONNECT (socks.go) on the same port, told
// apart by the first byte; it decides on every request (internal/egress):
//
//   - on the canonical name of the CONNECT target or absolute URI, which a
//     Host header, when present, must name too;
//   - deny wins, then allow_local, then allow;
//   - it resolves the name itself and dials only the addresses it
//     checked; a name not in allow_local must resolve to public addresses
//     only (DNS rebinding onto host services).
//
// Each refusal answers 403 with the reason and appends a denial record.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devbox-dev/devbox/internal/egress"
	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/state"
)

// EnvTestResolve is for tests only: "name=addr,name=addr" answers those
// names with those addresses in the proxy, so integration tests can give
// loopback servers names without a DNS server. The supervisor reads it
// from the environment of the client that started it.
const EnvTestResolve = "DEVBOX_TEST_RESOLVE"

// proxy is one strict sandbox's egress proxy.
type proxy struct {
	mu     sync.RWMutex
	lists  proto.Egress
	policy egress.Policy

	denials  string // the denial log's path
	initPID  int    // for finding which process connected
	override map[string][]netip.Addr
	dialer   net.Dialer
}

func newProxy(e proto.Egress, denials string, initPID int) (*proxy, error) {
	p := &proxy{denials: denials, initPID: initPID, dialer: net.Dialer{Timeout: 15 * time.Second}}
	if err := p.setLists(e); err != nil {
		return nil, err
	}
	o, err := parseOverride(os.Getenv(EnvTestResolve))
	if err != nil {
		return nil, err
	}
	p.override = o
	return p, nil
}

func parseOverride(s string) (map[string][]netip.Addr, error) {
	out := map[string][]netip.Addr{}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		name, addr, _ := strings.Cut(kv, "=")
		a, err := netip.ParseAddr(addr)
		c, cerr := egress.Canonical(name)
		if err != nil || cerr != nil {
			return nil, fmt.Errorf("%s: want name=address pairs, got %q", EnvTestResolve, kv)
		}
		out[c] = append(out[c], a)
	}
	return out, nil
}

// setLists replaces the lists (devbox net allow|deny).
func (p *proxy) setLists(e proto.Egress) error {
	pol, err := egress.NewPolicy(e.Allow, e.Deny, e.AllowLocal)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.lists, p.policy = e, pol
	p.mu.Unlock()
	return nil
}

func (p *proxy) snapshot() (proto.Egress, egress.Policy) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.lists, p.policy
}

// serve accepts until the listener closes.
func (p *proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like
			continue
		}
		go p.handle(c)
	}
}

// handle serves one client connection: requests until it closes, or one
// CONNECT tunnel.
func (p *proxy) handle(c net.Conn) {
	defer c.Close()
	lim := &limitReader{r: c}
	br := bufio.NewReader(lim)
	if first, err := br.Peek(1); err == nil && first[0] == socksVersion {
		p.socks(c, br)
		return
	}
	for {
		req, err := readRequestHead(br, lim)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				writeStatus(c, statusBadRequest, err.Error())
			}
			return
		}
		hosts := req.header.Values("Host")
		if req.first[0] == "CONNECT" {
			p.tunnel(c, br, req.first[1], hosts)
			return
		}
		if !p.forward(c, br, req, hosts) {
			return
		}
	}
}

// target is a checked destination: the name as asked, its port, and the
// addresses to dial.
type target struct {
	host  string
	port  int
	addrs []netip.Addr
}

func (t target) String() string { return net.JoinHostPort(t.host, strconv.Itoa(t.port)) }

// decide checks a request's destination and answers 403 when it is
// refused (see check).
func (p *proxy) decide(ctx context.Context, c net.Conn, method, authority string, defPort int, hosts []string) (target, bool) {
	t, what, d := p.check(ctx, method, authority, defPort, hosts)
	if d != nil {
		p.refuse(c, method, what, *d)
		return t, false
	}
	return t, true
}

// check checks a request's destination (authority "host:port", or a host
// with defPort) and the Host headers against it, and resolves it. A
// refusal comes back as the denial to record, and what was asked for.
func (p *proxy) check(ctx context.Context, method, authority string, defPort int, hosts []string) (target, string, *state.Denial) {
	t, err := splitAuthority(authority, defPort)
	if err != nil {
		return t, authority, &state.Denial{Kind: egress.KindBadName, Message: fmt.Sprintf("%s %s: %v", method, authority, err)}
	}
	if err := hostsAgree(t, defPort, hosts); err != nil {
		return t, t.String(), &state.Denial{Kind: egress.KindMismatch, Message: fmt.Sprintf("%s %s: %v", method, t, err)}
	}
	lists, pol := p.snapshot()
	d := pol.Decide(t.host, t.port)
	if !d.Allowed {
		den := notAllowed(method, t, d, lists)
		return t, t.String(), &den
	}
	addrs, err := p.resolve(ctx, t.host)
	if err != nil {
		return t, t.String(), &state.Denial{Kind: egress.KindResolve, Message: fmt.Sprintf("%s %s: %v", method, t, err)}
	}
	if err := d.CheckAddrs(addrs); err != nil {
		return t, t.String(), &state.Denial{Kind: egress.KindLocal, Rule: d.Rule,
			Message: fmt.Sprintf("%s %s: %v, and it is not in [egress] allow_local", method, t, err),
			Fix:     localFix(t)}
	}
	t.addrs = addrs
	return t, "", nil
}

func splitAuthority(a string, defPort int) (target, error) {
	host, portText, err := net.SplitHostPort(a)
	if err != nil {
		if defPort == 0 {
			return target{}, errors.New("want host:port")
		}
		host, portText = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"), strconv.Itoa(defPort)
	}
	port, err := egress.ParsePort(portText)
	if err != nil {
		return target{}, err
	}
	c, err := egress.Canonical(host)
	if err != nil {
		return target{}, err
	}
	return target{host: c, port: port}, nil
}

// hostsAgree: every Host header must name the target (a proxy that
// forwarded by Host would otherwise reach another host than was checked).
func hostsAgree(t target, defPort int, hosts []string) error {
	if len(hosts) > 1 {
		return errors.New("more than one Host header")
	}
	for _, h := range hosts {
		ht, err := splitAuthority(h, defPort)
		if err != nil || ht.host != t.host || ht.port != t.port {
			return fmt.Errorf("the Host header %q disagrees with the target", h)
		}
	}
	return nil
}

func (p *proxy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if a, ok := p.override[host]; ok {
		return a, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, nil
}

// dial connects to the first checked address that answers.
func (p *proxy) dial(ctx context.Context, t target) (net.Conn, error) {
	var last error
	for _, a := range t.addrs {
		c, err := p.dialer.DialContext(ctx, "tcp", netip.AddrPortFrom(a, uint16(t.port)).String())
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, fmt.Errorf("connect to %s: %w", t, last)
}

// tunnel answers CONNECT: checked, then bytes both ways.
func (p *proxy) tunnel(c net.Conn, br *bufio.Reader, authority string, hosts []string) {
	ctx := context.Background()
	t, ok := p.decide(ctx, c, "CONNECT", authority, 0, hosts)
	if !ok {
		return
	}
	up, err := p.dial(ctx, t)
	if err != nil {
		writeStatus(c, statusBadGateway, err.Error())
		return
	}
	defer up.Close()
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
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

// pipe copies both ways until both directions end.
func pipe(a, b net.Conn) {
	done := make(chan struct{})
	go func() {
		io.Copy(b, a)
		closeWrite(b)
		close(done)
	}()
	io.Copy(a, b)
	closeWrite(a)
	<-done
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// forward serves one plain-HTTP request in absolute form, whose head is
// req and whose body is next on br; it reports whether the client
// connection may carry another.
func (p *proxy) forward(c net.Conn, br *bufio.Reader, req *message, hosts []string) bool {
	method := req.first[0]
	authority, path, err := forwardTarget(req.first[1])
	if err != nil {
		p.refuse(c, method, req.first[1], state.Denial{Kind: egress.KindBadName,
			Message: fmt.Sprintf("%s %s: a proxy request needs an absolute http:// URL (https goes through CONNECT)", method, req.first[1])})
		return false
	}
	ctx := context.Background()
	t, ok := p.decide(ctx, c, method, authority, 80, hosts)
	if !ok {
		return false
	}
	up, err := p.dial(ctx, t)
	if err != nil {
		writeStatus(c, statusBadGateway, err.Error())
		return false
	}
	defer up.Close()
	// One upstream connection per request: Connection: close.
	req.header.Del("Host")
	if err := answerContinue(c, req); err != nil {
		return false
	}
	uw := bufio.NewWriterSize(up, 64<<10)
	writeHead(uw, method+" "+path+" HTTP/1.1", req, "Host: "+authority, "Connection: close")
	if err := copyBody(uw, br, req); err != nil {
		writeStatus(c, statusBadGateway, fmt.Sprintf("send request to %s: %v", t, err))
		return false
	}
	if err := uw.Flush(); err != nil {
		writeStatus(c, statusBadGateway, fmt.Sprintf("send request to %s: %v", t, err))
		return false
	}
	return p.relayResponse(c, up, method, t)
}

// answerContinue answers a request that expects 100 (Continue) before
// it sends its body, once the proxy has checked it and reached the
// server, and drops the expectation from what it forwards: the proxy
// copies the body before it reads the server's answer, and the client
// would otherwise wait for a 100 that never comes (curl: a second per
// upload) before sending it (RFC 9110 10.1.1 lets a proxy answer itself).
func answerContinue(c net.Conn, req *message) error {
	if !strings.EqualFold(req.header.Get("Expect"), "100-continue") {
		return nil
	}
	req.header.Del("Expect")
	if req.body == noBody {
		return nil
	}
	_, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
	return err
}

// relayResponse passes the response to a request with method from up to
// the client c: interim (1xx) responses, then the final one. It reports
// whether c may carry another request: not when the body ended with the
// upstream connection.
func (p *proxy) relayResponse(c, up net.Conn, method string, t target) bool {
	lim := &limitReader{r: up}
	ubr := bufio.NewReaderSize(lim, 64<<10)
	cw := bufio.NewWriterSize(c, 64<<10)
	for {
		resp, err := readResponseHead(ubr, lim, method)
		if err != nil {
			writeStatus(c, statusBadGateway, fmt.Sprintf("read response from %s: %v", t, err))
			return false
		}
		code := resp.status()
		first := "HTTP/1.1 " + resp.first[1] + " " + resp.first[2]
		if code >= 100 && code < 200 && code != 101 {
			writeHead(cw, first, resp)
			if cw.Flush() != nil {
				return false
			}
			continue
		}
		keep := resp.body != untilEOF && code != 101
		var extra []string
		if !keep {
			extra = append(extra, "Connection: close")
		}
		writeHead(cw, first, resp, extra...)
		err = copyBody(cw, ubr, resp)
		return cw.Flush() == nil && err == nil && keep
	}
}

// The statuses the proxy answers with itself.
const (
	statusBadRequest = 400
	statusForbidden  = 403
	statusBadGateway = 502
)

var statusText = map[int]string{statusBadRequest: "Bad Request", statusForbidden: "Forbidden", statusBadGateway: "Bad Gateway"}

func writeStatus(c net.Conn, code int, msg string) {
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n",
		code, statusText[code], len(msg)+1, msg)
}

// refuse answers 403 and records the denial.
func (p *proxy) refuse(c net.Conn, method, what string, d state.Denial) {
	d = p.record(c, method, what, d)
	writeStatus(c, statusForbidden, d.Line())
}

// record appends the denial of a request on c to the log.
func (p *proxy) record(c net.Conn, method, what string, d state.Denial) state.Denial {
	d.Time = time.Now().UTC()
	if d.Target == "" {
		d.Target = method + " " + what
	}
	d.Session = p.peer(c)
	if err := state.AppendDenial(p.denials, d); err != nil {
		fmt.Fprintf(os.Stderr, "devbox proxy: %v\n", err)
	}
	return d
}

// notAllowed builds the record of a name no rule allows, or one denied.
func notAllowed(method string, t target, d egress.Decision, lists proto.Egress) state.Denial {
	pat := egress.Suggest(t.host, t.port)
	if d.Kind == egress.KindDenied {
		return state.Denial{Kind: d.Kind, Rule: d.Rule,
			Message: fmt.Sprintf("%s %s: denied by [egress] deny %q", method, t, d.Rule),
			Fix:     fmt.Sprintf("deny wins over allow: remove %q from [egress] deny in devbox.toml, then 'devbox restart'", d.Rule)}
	}
	msg := fmt.Sprintf("%s %s: not in [egress] allow", method, t)
	if len(lists.Allow)+len(lists.AllowLocal) == 0 {
		msg += " (the list is empty: no network)"
	}
	return state.Denial{Kind: d.Kind, Message: msg,
		Fix: fmt.Sprintf("to allow it add allow = [%q] under [egress] in devbox.toml, or run 'devbox net allow %s'", pat, pat)}
}

func localFix(t target) string {
	pat := egress.Suggest(t.host, t.port)
	return fmt.Sprintf("to allow it add allow_local = [%q] under [egress] in devbox.toml, or run 'devbox net allow --local %s'", pat, pat)
}
