package supervisor

// The HTTP/1.1 the egress proxy speaks (proxy.go): request and response
// heads read with net/textproto, bodies passed through in the framing they
// came in (RFC 9112 section 6). It replaces net/http, which brought
// crypto/tls, x509 and HTTP/2's tables into the supervisor: their package
// init alone cost every sandbox's start about 2 ms on the benchmark
// machine, for a proxy only strict sandboxes run.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// maxHead bounds a request's or a response's start line and header
// fields together; a longer head is refused rather than buffered.
const maxHead = 1 << 20

// framing is how a message's body ends (RFC 9112 section 6.3).
type framing int

const (
	noBody   framing = iota
	sized            // Content-Length bytes
	chunked          // Transfer-Encoding: chunked, passed on as it is
	untilEOF         // a response whose body ends with its connection
)

// message is an HTTP/1.x message head.
type message struct {
	// first is the start line's three parts: method, target and version
	// of a request; version, status code and reason of a response.
	first  [3]string
	header textproto.MIMEHeader
	body   framing
	length int64 // for sized
}

// limitReader lets the head of one message read at most maxHead bytes
// from the connection; arm starts a head, disarm ends it (bodies are not
// limited).
type limitReader struct {
	r    io.Reader
	left int64
	on   bool
}

func (l *limitReader) arm()    { l.on, l.left = true, maxHead }
func (l *limitReader) disarm() { l.on = false }

func (l *limitReader) Read(b []byte) (int, error) {
	if !l.on {
		return l.r.Read(b)
	}
	if l.left <= 0 {
		return 0, errors.New("message head longer than 1 MiB")
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
}

// readHead reads a start line and header fields from br, the reader on
// lim.
func readHead(br *bufio.Reader, lim *limitReader) (*message, error) {
	lim.arm()
	defer lim.disarm()
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, err
	}
	parts := strings.SplitN(line, " ", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("malformed start line %q", line)
	}
	m := &message{}
	copy(m.first[:], parts)
	if m.header, err = tp.ReadMIMEHeader(); err != nil {
		return nil, fmt.Errorf("read header fields: %w", err)
	}
	if err := checkFields(m.header); err != nil {
		return nil, err
	}
	return m, nil
}

// checkFields refuses a field whose name is not a token or whose value
// holds a control character (RFC 9110 5.1, 5.5): the proxy passes fields
// on, and the other side must read them as it did.
func checkFields(h textproto.MIMEHeader) error {
	for k, vs := range h {
		if k == "" || strings.IndexFunc(k, notTokenChar) >= 0 {
			return fmt.Errorf("malformed field name %q", k)
		}
		for _, v := range vs {
			if strings.IndexFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) >= 0 {
				return fmt.Errorf("control character in the %s field", k)
			}
		}
	}
	return nil
}

// notTokenChar reports whether r may not be in a token (RFC 9110 5.6.2).
func notTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

// readRequestHead reads one request's head and finds its body's framing.
func readRequestHead(br *bufio.Reader, lim *limitReader) (*message, error) {
	m, err := readHead(br, lim)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(m.first[2], "HTTP/1.") || m.first[1] == "" {
		return nil, fmt.Errorf("not an HTTP/1.x request: %q", strings.Join(m.first[:], " "))
	}
	if err := m.frame(true, ""); err != nil {
		return nil, err
	}
	return m, nil
}

// readResponseHead reads the response to a request with method.
func readResponseHead(br *bufio.Reader, lim *limitReader, method string) (*message, error) {
	m, err := readHead(br, lim)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(m.first[0], "HTTP/1.") {
		return nil, fmt.Errorf("not an HTTP/1.x response: %q", strings.Join(m.first[:], " "))
	}
	if code, err := strconv.Atoi(m.first[1]); err != nil || code < 100 || code > 999 {
		return nil, fmt.Errorf("malformed status code %q", m.first[1])
	}
	if err := m.frame(false, method); err != nil {
		return nil, err
	}
	return m, nil
}

// status is a response's status code.
func (m *message) status() int {
	code, _ := strconv.Atoi(m.first[1])
	return code
}

// frame sets m's body framing from its header fields (RFC 9112 6.3). A
// message with both Transfer-Encoding and Content-Length, or with
// Content-Lengths that disagree, is refused: a proxy that framed it one
// way and a server the other could be made to see a request the proxy
// never checked.
func (m *message) frame(request bool, method string) error {
	te, cl := m.header.Values("Transfer-Encoding"), m.header.Values("Content-Length")
	if !request {
		if code := m.status(); method == "HEAD" || code < 200 || code == 204 || code == 304 {
			m.body = noBody
			return nil
		}
	}
	switch {
	case len(te) > 0 && len(cl) > 0:
		return errors.New("both Transfer-Encoding and Content-Length")
	case len(te) > 0:
		// chunked alone, as net/http took: a coding before it would reach
		// the other side still applied, and without its name.
		if len(te) > 1 || !strings.EqualFold(strings.TrimSpace(te[0]), "chunked") {
			return fmt.Errorf("unsupported Transfer-Encoding %q", strings.Join(te, ", "))
		}
		m.body = chunked
	case len(cl) > 0:
		n, err := contentLength(cl)
		if err != nil {
			return err
		}
		m.body, m.length = sized, n
	case request:
		m.body = noBody
	default:
		m.body = untilEOF
	}
	return nil
}

// contentLength is the one length that every Content-Length field (and
// every comma-separated value in one) gives.
func contentLength(fields []string) (int64, error) {
	n := int64(-1)
	for _, f := range fields {
		for _, v := range strings.Split(f, ",") {
			v = strings.TrimSpace(v)
			m, err := strconv.ParseInt(v, 10, 64)
			if err != nil || m < 0 || strings.HasPrefix(v, "+") {
				return 0, fmt.Errorf("malformed Content-Length %q", f)
			}
			if n >= 0 && m != n {
				return 0, errors.New("Content-Length fields disagree")
			}
			n = m
		}
	}
	return n, nil
}

// forwardTarget parses a plain-HTTP proxy request's absolute-form target:
// its authority (host[:port]) and the origin-form path to send upstream.
func forwardTarget(target string) (authority, path string, err error) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return "", "", err
	}
	if u.Scheme != "http" || u.Host == "" || u.User != nil {
		return "", "", errors.New("not an absolute http:// URL")
	}
	return u.Host, u.RequestURI(), nil
}

// hopHeaders are not forwarded (RFC 9110 7.6.1), nor the proxy's own.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

// writeHead writes start line first and m's header fields but the
// hop-by-hop ones (and those the Connection field names), then the
// framing fields for m's body and the extra lines, to w.
func writeHead(w *bufio.Writer, first string, m *message, extra ...string) {
	drop := map[string]bool{}
	for _, h := range hopHeaders {
		drop[h] = true
	}
	for _, v := range m.header.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			drop[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	w.WriteString(first + "\r\n")
	for k, vs := range m.header {
		if drop[k] {
			continue
		}
		for _, v := range vs {
			w.WriteString(k + ": " + v + "\r\n")
		}
	}
	switch m.body {
	case sized:
		w.WriteString("Content-Length: " + strconv.FormatInt(m.length, 10) + "\r\n")
	case chunked:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	for _, e := range extra {
		w.WriteString(e + "\r\n")
	}
	w.WriteString("\r\n")
}

// copyBody passes m's body from br to w in its own framing.
func copyBody(w *bufio.Writer, br *bufio.Reader, m *message) error {
	switch m.body {
	case sized:
		if _, err := io.CopyN(w, br, m.length); err != nil {
			return fmt.Errorf("copy the body: %w", err)
		}
	case chunked:
		return copyChunked(w, br)
	case untilEOF:
		if _, err := io.Copy(w, br); err != nil {
			return fmt.Errorf("copy the body: %w", err)
		}
	}
	return nil
}

// maxChunkLine bounds a chunk-size line and a trailer field line.
const maxChunkLine = 64 << 10

// copyChunked passes a chunked body through as it came: each chunk-size
// line, the chunk, and the trailer section that ends it (RFC 9112 7.1).
func copyChunked(w *bufio.Writer, br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("malformed chunk size %q", line)
		}
		w.WriteString(line + "\r\n")
		if n == 0 {
			return copyTrailer(w, br)
		}
		if _, err := io.CopyN(w, br, n); err != nil {
			return fmt.Errorf("copy a chunk: %w", err)
		}
		if crlf, err := readLine(br); err != nil || crlf != "" {
			return errors.New("chunk not followed by CRLF")
		}
		w.WriteString("\r\n")
	}
}

// copyTrailer passes the trailer fields after the last chunk, and the
// empty line that ends the body.
func copyTrailer(w *bufio.Writer, br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		w.WriteString(line + "\r\n")
		if line == "" {
			return nil
		}
	}
}

// readLine reads one CRLF- (or LF-) terminated line of at most
// maxChunkLine bytes, without its end.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		frag, err := br.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > maxChunkLine {
			return "", errors.New("line in a chunked body too long")
		}
		if err == nil {
			return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return "", fmt.Errorf("read a chunked body: %w", err)
		}
	}
}
