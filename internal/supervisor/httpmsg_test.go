package supervisor

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
)

func readReq(s string) (*message, *bufio.Reader, error) {
	lim := &limitReader{r: strings.NewReader(s)}
	br := bufio.NewReader(lim)
	m, err := readRequestHead(br, lim)
	return m, br, err
}

func TestReadRequestHeadFraming(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		body    framing
		length  int64
		wantErr bool
	}{
		{"GET without a body", "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", noBody, 0, false},
		{"Content-Length", "POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", sized, 5, false},
		{"equal Content-Lengths", "POST http://a.test/ HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n", sized, 5, false},
		{"chunked", "POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", chunked, 0, false},
		{"Content-Lengths that disagree", "POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, 0, true},
		{"both framings", "POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, true},
		{"a coding before chunked", "POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, 0, true},
		{"signed length", "POST http://a.test/ HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 0, 0, true},
		{"negative length", "POST http://a.test/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 0, 0, true},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, 0, true},
		{"no version", "GET /\r\n\r\n", 0, 0, true},
		{"space in a field name", "GET http://a.test/ HTTP/1.1\r\nHo st: a.test\r\n\r\n", 0, 0, true},
		{"end of input in the head", "GET http://a.test/ HTTP/1.1\r\nHost: a", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := readReq(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want one: %v", err, tt.wantErr)
			}
			if err == nil && (m.body != tt.body || m.length != tt.length) {
				t.Errorf("framing = %d, %d; want %d, %d", m.body, m.length, tt.body, tt.length)
			}
		})
	}
}

func TestReadRequestHeadTooLong(t *testing.T) {
	in := "GET http://a.test/ HTTP/1.1\r\nX: " + strings.Repeat("a", maxHead) + "\r\n\r\n"
	if _, _, err := readReq(in); err == nil {
		t.Fatal("a head over 1 MiB was read")
	}
	// The limit is the head's: a long body after a short head is fine.
	m, br, err := readReq("POST http://a.test/ HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n" + strings.Repeat("b", 2000000))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	if err := copyBody(w, br, m); err != nil || w.Flush() != nil || out.Len() != 2000000 {
		t.Fatalf("copied %d bytes: %v", out.Len(), err)
	}
}

func TestResponseFraming(t *testing.T) {
	tests := []struct {
		name, method, in string
		body             framing
	}{
		{"HEAD has no body", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", noBody},
		{"304 has no body", "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", noBody},
		{"204 has no body", "GET", "HTTP/1.1 204 No Content\r\n\r\n", noBody},
		{"100 Continue", "POST", "HTTP/1.1 100 Continue\r\n\r\n", noBody},
		{"no length: until the connection ends", "GET", "HTTP/1.0 200 OK\r\n\r\n", untilEOF},
		{"chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunked},
		{"sized", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", sized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := &limitReader{r: strings.NewReader(tt.in)}
			m, err := readResponseHead(bufio.NewReader(lim), lim, tt.method)
			if err != nil {
				t.Fatal(err)
			}
			if m.body != tt.body {
				t.Errorf("framing = %d, want %d", m.body, tt.body)
			}
		})
	}
	for _, bad := range []string{"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "ICY 200 OK\r\n\r\n"} {
		lim := &limitReader{r: strings.NewReader(bad)}
		if _, err := readResponseHead(bufio.NewReader(lim), lim, "GET"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCopyChunked(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"chunks, an extension and a trailer", "5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\nNEXT",
			"5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n", false},
		{"bare LF line ends", "3\nabc\n0\n\n", "3\r\nabc\r\n0\r\n\r\n", false},
		{"bad size", "zz\r\nhello\r\n0\r\n\r\n", "", true},
		{"chunk longer than its size", "2\r\nhello\r\n0\r\n\r\n", "", true},
		{"cut short", "5\r\nhel", "", true},
		{"size line too long", strings.Repeat("0", maxChunkLine+1) + "1\r\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.in))
			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			err := copyChunked(w, br)
			w.Flush()
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want one: %v", err, tt.wantErr)
			}
			if err == nil && out.String() != tt.want {
				t.Errorf("copied %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestForwardTarget(t *testing.T) {
	tests := []struct{ in, authority, path string }{
		{"http://a.test/x?y=1", "a.test", "/x?y=1"},
		{"http://a.test:8080", "a.test:8080", "/"},
		{"http://[::1]:80/p", "[::1]:80", "/p"},
	}
	for _, tt := range tests {
		a, p, err := forwardTarget(tt.in)
		if err != nil || a != tt.authority || p != tt.path {
			t.Errorf("%q = %q, %q, %v; want %q, %q", tt.in, a, p, err, tt.authority, tt.path)
		}
	}
	for _, bad := range []string{"/x", "https://a.test/", "http:///x", "http://u:p@a.test/", "a.test:80"} {
		if _, _, err := forwardTarget(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestWriteHeadDropsHopByHop(t *testing.T) {
	m, _, err := readReq("POST http://a.test/ HTTP/1.1\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nProxy-Authorization: x\r\nKeep-Alive: 5\r\nContent-Length: 3\r\nAccept: */*\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	writeHead(w, "POST / HTTP/1.1", m, "Host: a.test")
	w.Flush()
	got := out.String()
	for _, gone := range []string{"X-Secret", "Proxy-Authorization", "Keep-Alive", "Connection"} {
		if strings.Contains(got, gone) {
			t.Errorf("%s forwarded: %q", gone, got)
		}
	}
	for _, kept := range []string{"POST / HTTP/1.1\r\n", "Accept: */*\r\n", "Content-Length: 3\r\n", "Host: a.test\r\n", "\r\n\r\n"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q missing from %q", kept, got)
		}
	}
}

// TestProxyForwardsOverOneConnection sends two requests on one client
// connection through the proxy to a loopback server (net/http's, which
// the test may link): a sized body answered sized, then a chunked one
// answered chunked; then a response that ends with its connection, which
// ends the client's too.
func TestProxyForwardsOverOneConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Proxy-Authorization") != "" || r.Host != r.URL.Query().Get("host") {
			w.WriteHeader(http.StatusTeapot)
		}
		if r.URL.Path == "/chunked" {
			io.WriteString(w, "got ")
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, r.URL.Path+" "+string(b))
	}))
	client, addr := proxyTo(t, srv)
	q := "?host=" + addr
	go io.WriteString(client, "POST http://"+addr+"/sized"+q+" HTTP/1.1\r\nHost: "+addr+"\r\nProxy-Authorization: x\r\nContent-Length: 5\r\n\r\nhello"+
		"POST http://"+addr+"/chunked"+q+" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	br := bufio.NewReader(client)
	for _, want := range []struct {
		body    string
		chunked bool
	}{{"/sized hello", false}, {"got /chunked abc", true}} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 || string(b) != want.body {
			t.Fatalf("response %d %q, %v; want 200 %q", resp.StatusCode, b, err, want.body)
		}
		if chunked := len(resp.TransferEncoding) > 0; chunked != want.chunked || resp.Close {
			t.Errorf("%s: chunked %v, close %v; want chunked %v, kept", want.body, chunked, resp.Close, want.chunked)
		}
	}
}

func FuzzReadRequest(f *testing.F) {
	f.Add("POST http://a.test/ HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
	f.Add("POST http://a.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;e\r\nabc\r\n0\r\nT: 1\r\n\r\n")
	f.Add("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, br, err := readReq(in)
		if err != nil {
			return
		}
		if m.body == sized && m.length < 0 || m.body == untilEOF {
			t.Fatalf("request framing %d, %d", m.body, m.length)
		}
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		writeHead(w, "X / HTTP/1.1", m)
		if copyBody(w, br, m) == nil {
			w.Flush()
			if _, _, err := readReq(out.String()); err != nil && m.first[0] != "" {
				// What the proxy writes must read back as a request.
				t.Fatalf("re-read %q: %v", out.String(), err)
			}
		}
	})
}

// TestProxyAnswersExpectContinue: a client that waits for 100 (Continue)
// before its body gets it from the proxy, and the server sees no Expect.
func TestProxyAnswersExpectContinue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Header.Get("Expect")+"|"+string(b))
	}))
	client, addr := proxyTo(t, srv)
	go io.WriteString(client, "POST http://"+addr+"/ HTTP/1.1\r\nHost: "+addr+"\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	br := bufio.NewReader(client)
	interim, err := http.ReadResponse(br, nil)
	if err != nil || interim.StatusCode != http.StatusContinue {
		t.Fatalf("first answer %v, %v; want 100 Continue before the body", interim, err)
	}
	go io.WriteString(client, "hello")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "|hello" {
		t.Fatalf("response %d %q; want 200 \"|hello\" (no Expect upstream)", resp.StatusCode, b)
	}
}

// proxyTo serves one client connection with a proxy that allows srv (a
// loopback server, so in allow_local), and returns the client's end and
// srv's address; both close with the test.
func proxyTo(t *testing.T, srv *httptest.Server) (net.Conn, string) {
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	p, err := newProxy(proto.Egress{AllowLocal: []string{addr}}, filepath.Join(t.TempDir(), "denials"), 0)
	if err != nil {
		t.Fatal(err)
	}
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close() })
	go p.handle(server)
	return client, addr
}
