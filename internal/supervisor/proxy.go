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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

// capture records what the request reader reads while a header is read,
// since net/http drops the Host header of an absolute-form request.
type capture struct {
	r   io.Reader
	on  bool
	buf []byte
}

func (c *capture) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if c.on {
		c.buf = append(c.buf, b[:n]...)
	}
	return n, err
}

// handle serves one client connection: requests until it closes, or one
// CONNECT tunnel.
func (p *proxy) handle(c net.Conn) {
	defer c.Close()
	cp := &capture{r: c}
	br := bufio.NewReader(cp)
	if first, err := br.Peek(1); err == nil && first[0] == socksVersion {
		p.socks(c, br)
		return
	}
	for {
		req, hosts, err := readRequest(br, cp)
		if err != nil {
			return
		}
		if req.Method == http.MethodConnect {
			p.tunnel(c, br, req, hosts)
			return
		}
		if !p.forward(c, req, hosts) {
			return
		}
	}
}

// readRequest reads one request and the values of its Host headers.
func readRequest(br *bufio.Reader, cp *capture) (*http.Request, []string, error) {
	pre, _ := br.Peek(br.Buffered())
	head := append([]byte(nil), pre...)
	cp.buf, cp.on = nil, true
	req, err := http.ReadRequest(br)
	cp.on = false
	if err != nil {
		return nil, nil, err
	}
	return req, hostHeaders(append(head, cp.buf...)), nil
}

// hostHeaders returns the Host header values of the first header block.
func hostHeaders(raw []byte) []string {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		raw = raw[:i]
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "host") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
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
func (p *proxy) tunnel(c net.Conn, br *bufio.Reader, req *http.Request, hosts []string) {
	ctx := context.Background()
	t, ok := p.decide(ctx, c, "CONNECT", req.RequestURI, 0, hosts)
	if !ok {
		return
	}
	up, err := p.dial(ctx, t)
	if err != nil {
		writeStatus(c, http.StatusBadGateway, err.Error())
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

// hopHeaders are not forwarded (RFC 9110 7.6.1), nor the proxy's own.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forward serves one plain-HTTP request in absolute form; it reports
// whether the client connection may carry another.
func (p *proxy) forward(c net.Conn, req *http.Request, hosts []string) bool {
	if req.URL.Scheme != "http" || req.URL.Host == "" {
		p.refuse(c, req.Method, req.RequestURI, state.Denial{Kind: egress.KindBadName,
			Message: fmt.Sprintf("%s %s: a proxy request needs an absolute http:// URL (https goes through CONNECT)", req.Method, req.RequestURI)})
		return false
	}
	ctx := context.Background()
	t, ok := p.decide(ctx, c, req.Method, req.URL.Host, 80, hosts)
	if !ok {
		return false
	}
	up, err := p.dial(ctx, t)
	if err != nil {
		writeStatus(c, http.StatusBadGateway, err.Error())
		return false
	}
	defer up.Close()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	req.Host = req.URL.Host
	req.Close = true // one upstream connection per request
	if err := req.Write(up); err != nil {
		writeStatus(c, http.StatusBadGateway, fmt.Sprintf("send request to %s: %v", t, err))
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(up, 64<<10), req)
	if err != nil {
		writeStatus(c, http.StatusBadGateway, fmt.Sprintf("read response from %s: %v", t, err))
		return false
	}
	defer resp.Body.Close()
	// Keep the client's connection unless the body ends with the upstream
	// connection (no length, not chunked): Write then closes it.
	resp.Close = false
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	keep := resp.ContentLength >= 0 || len(resp.TransferEncoding) > 0
	return resp.Write(c) == nil && keep
}

func writeStatus(c net.Conn, code int, msg string) {
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n",
		code, http.StatusText(code), len(msg)+1, msg)
}

// refuse answers 403 and records the denial.
func (p *proxy) refuse(c net.Conn, method, what string, d state.Denial) {
	d = p.record(c, method, what, d)
	writeStatus(c, http.StatusForbidden, d.Line())
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
