//go:build integration

package integration

// The strict profile's network (issue 11): one way out through devbox's
// proxy. Every server here listens on the host's 127.0.0.1; the proxy
// gives them names through its test-only resolver override
// (DEVBOX_TEST_RESOLVE), so no test traffic leaves the machine.

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// countingServer is a loopback HTTP server that counts its requests.
type countingServer struct {
	*httptest.Server
	hits atomic.Int64
	port string
}

func newCountingServer(t *testing.T, body string, tls bool) *countingServer {
	t.Helper()
	cs := &countingServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.hits.Add(1)
		io.WriteString(w, body)
	})
	if tls {
		cs.Server = httptest.NewTLSServer(h)
	} else {
		cs.Server = httptest.NewServer(h)
	}
	t.Cleanup(cs.Close)
	_, cs.port, _ = net.SplitHostPort(cs.Listener.Addr().String())
	return cs
}

// netEnv is a strict env whose proxy resolves the given names to 127.0.0.1.
func netEnv(t *testing.T, toml string, names ...string) *env {
	t.Helper()
	e := strictEnv(t, toml)
	var pairs []string
	for _, n := range names {
		pairs = append(pairs, n+"=127.0.0.1")
	}
	e.extra = append(e.extra, "DEVBOX_TEST_RESOLVE="+strings.Join(pairs, ","))
	return e
}

func denials(t *testing.T, e *env) []map[string]string {
	t.Helper()
	out := e.must("logs", "--denials", "--json")
	var list []map[string]string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("devbox logs --denials --json: bad line %q: %v", sc.Text(), err)
		}
		m := map[string]string{}
		for k, v := range d {
			m[k] = fmt.Sprint(v)
		}
		list = append(list, m)
	}
	return list
}

func hasDenial(list []map[string]string, kind, targetPart string) bool {
	for _, d := range list {
		if d["kind"] == kind && strings.Contains(d["target"], targetPart) {
			return true
		}
	}
	return false
}

func TestStrictNet_AllowLocalHTTPAndHTTPS(t *testing.T) {
	t.Parallel()
	web := newCountingServer(t, "hello over http", false)
	sec := newCountingServer(t, "hello over https", true)
	e := netEnv(t, fmt.Sprintf("[egress]\nallow_local = [\"web.test:%s\", \"secure.test:%s\"]\n", web.port, sec.port), "web.test", "secure.test")
	if got := e.sh("curl -sS --fail http://web.test:" + web.port + "/"); got != "hello over http" {
		t.Errorf("plain HTTP through the proxy = %q", got)
	}
	// curl -k: the test server's certificate is self-signed; CONNECT is the point.
	if got := e.sh("curl -sS --fail -k https://secure.test:" + sec.port + "/"); got != "hello over https" {
		t.Errorf("HTTPS through CONNECT = %q", got)
	}
}

func TestStrictNet_AllowIsNotEnoughForLoopback(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, "must not be reached", false)
	e := netEnv(t, fmt.Sprintf("[egress]\nallow = [\"rebind.test:%s\"]\n", srv.port), "rebind.test")
	r := e.run("run", "--", "curl", "-sS", "--fail", "http://rebind.test:"+srv.port+"/")
	if r.code == 0 || srv.hits.Load() != 0 {
		t.Fatalf("a name in allow that resolves to loopback was reached (hits %d): %s", srv.hits.Load(), r)
	}
	if !strings.Contains(r.stderr, "devbox: blocked GET rebind.test:"+srv.port) || !strings.Contains(r.stderr, "allow_local") {
		t.Errorf("client stderr does not name the host and the allow_local line: %q", r.stderr)
	}
	if strings.Contains(r.stdout, "devbox: blocked") {
		t.Errorf("the denial line went to the program's stdout: %q", r.stdout)
	}
	if !hasDenial(denials(t, e), "local", "rebind.test") {
		t.Errorf("no local denial recorded: %v", denials(t, e))
	}
}

func TestStrictNet_EmptyListIsNoNetwork(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, "x", false)
	e := netEnv(t, "", "any.test")
	r := e.run("run", "--", "curl", "-sS", "--fail", "http://any.test:"+srv.port+"/")
	if r.code == 0 || srv.hits.Load() != 0 {
		t.Fatalf("an empty allow list reached a server: %s", r)
	}
	if !strings.Contains(r.stderr, "no network") || !strings.Contains(r.stderr, "devbox net allow any.test:"+srv.port) {
		t.Errorf("stderr does not say how to allow it: %q", r.stderr)
	}
}

func TestStrictNet_Bypasses(t *testing.T) {
	t.Parallel()
	ok := newCountingServer(t, "allowed", false)
	bad := newCountingServer(t, "denied", false)
	// bad.test is in allow_local and in deny: deny wins.
	e := netEnv(t, fmt.Sprintf("[egress]\nallow_local = [\"ok.test:%s\", \"bad.test:%s\"]\ndeny = [\"bad.test:%s\"]\n", ok.port, bad.port, bad.port), "ok.test", "bad.test")
	// --noproxy '': the session's NO_PROXY lists 127.0.0.1, which curl
	// would otherwise honour even with -x.
	proxy := "--noproxy '' -x http://127.0.0.1:3128"
	cases := []struct {
		name, script string
		kind, target string // the denial record
	}{
		// The kernel refuses these (no route out, Landlock); the connect
		// notifier records them. No packet leaves the sandbox's network
		// namespace: it has no route, and the notifier refuses first.
		{"noproxy to the host's loopback", "curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:" + bad.port + "/", "direct-tcp", "127.0.0.1:" + bad.port},
		{"raw TCP to an IP", "python3 -c 'import socket; socket.create_connection((\"::1\", " + bad.port + "), 5)'", "direct-tcp", "[::1]:" + bad.port},
		{"UDP out", "python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b\"x\", (\"10.0.2.2\", 9))'", "udp", "10.0.2.2:9"},
		{"direct DNS through the resolver", "getent hosts example.com", "dns", "127.0.0.1:53"},
		{"DNS to another server", "python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b\"x\", (\"10.0.2.3\", 53))'", "dns", "10.0.2.3:53"},
		{"IP literal not listed", "curl -sS --fail " + proxy + " http://127.0.0.1:" + bad.port + "/", "not-listed", "GET 127.0.0.1:" + bad.port},
		{"denied host", "curl -sS --fail " + proxy + " http://bad.test:" + bad.port + "/", "denied", "GET bad.test:" + bad.port},
		{"Host header disagrees", "curl -sS --fail " + proxy + " -H 'Host: bad.test:" + bad.port + "' http://ok.test:" + ok.port + "/", "host-mismatch", "ok.test:" + ok.port},
		{"case and trailing dot", "curl -sS --fail " + proxy + " http://BAD.Test.:" + bad.port + "/", "denied", "bad.test:" + bad.port},
		{"CONNECT to a denied host", "curl -sS --fail -p " + proxy + " http://bad.test:" + bad.port + "/", "denied", "CONNECT bad.test:" + bad.port},
	}
	for _, c := range cases {
		r := e.run("run", "--", "sh", "-c", c.script)
		if r.code == 0 {
			t.Errorf("%s: worked: %s", c.name, r)
		}
		if !strings.Contains(r.stderr, "devbox: blocked ") || !strings.Contains(r.stderr, c.target) {
			t.Errorf("%s: the client's stderr has no line naming %s: %q", c.name, c.target, r.stderr)
		}
	}
	// A CONNECT relayed through an allowed host: the tunnel reaches only
	// the allowed server; the inner CONNECT is that server's to answer.
	relay := `exec 3<>/dev/tcp/127.0.0.1/3128
printf 'CONNECT ok.test:` + ok.port + ` HTTP/1.1\r\nHost: ok.test:` + ok.port + `\r\n\r\n' >&3
timeout 5 head -c 39 <&3 >/dev/null # HTTP/1.1 200 Connection established CR LF CR LF
printf 'CONNECT bad.test:` + bad.port + ` HTTP/1.1\r\nHost: bad.test:` + bad.port + `\r\n\r\n' >&3
timeout 5 head -c 200 <&3`
	r := e.run("run", "--", "bash", "-c", relay)
	if strings.Contains(r.stdout, "denied") {
		t.Errorf("the relayed CONNECT reached the denied server: %s", r)
	}
	if bad.hits.Load() != 0 {
		t.Errorf("the denied server got %d requests", bad.hits.Load())
	}
	list := denials(t, e)
	for _, c := range cases {
		if !hasDenial(list, c.kind, c.target) {
			t.Errorf("%s: no %s denial for %s in %v", c.name, c.kind, c.target, list)
		}
	}
}

func TestStrictNet_LiveAllowAndDeny(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, "now allowed", false)
	e := netEnv(t, "", "late.test")
	e.must("run", "--", "true")
	url := "http://late.test:" + srv.port + "/"
	if r := e.run("run", "--", "curl", "-sS", "--fail", url); r.code == 0 {
		t.Fatalf("reached before allow: %s", r)
	}
	e.must("net", "allow", "--local", "late.test:"+srv.port)
	if got := e.must("run", "--", "curl", "-sS", "--fail", url); got != "now allowed" {
		t.Errorf("after devbox net allow: %q", got)
	}
	e.must("net", "deny", "late.test:"+srv.port)
	if r := e.run("run", "--", "curl", "-sS", "--fail", url); r.code == 0 {
		t.Errorf("reached after devbox net deny: %s", r)
	}
	ls := e.must("net", "ls")
	if !strings.Contains(ls, "deny         \"late.test:"+srv.port+`"`) || !strings.Contains(ls, "allow_local  \"late.test:"+srv.port+`"`) {
		t.Errorf("devbox net ls = %q", ls)
	}
}

func TestStrictNet_GitCloneOverHTTP(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "main", filepath.Join(src, "work")},
		{"-C", filepath.Join(src, "work"), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "first"},
		{"clone", "-q", "--bare", filepath.Join(src, "work"), filepath.Join(src, "repo.git")},
		{"-C", filepath.Join(src, "repo.git"), "update-server-info"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(src)))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	e := netEnv(t, fmt.Sprintf("[egress]\nallow_local = [\"git.test:%s\"]\n", port), "git.test")
	out := e.sh("cd /tmp && git clone -q http://git.test:" + port + "/repo.git clone && git -C clone log --format=%s")
	if strings.TrimSpace(out) != "first" {
		t.Errorf("git clone through the proxy: log = %q", out)
	}
}

func TestStrictNet_GoModDownloadFromLoopbackProxy(t *testing.T) {
	t.Parallel()
	goBin := "/usr/local/go/bin/go"
	if _, err := os.Stat(goBin); err != nil {
		t.Skipf("Go is not installed at %s on this host: the test runs it inside the sandbox", goBin)
	}
	mux := http.NewServeMux()
	const mod = "example.test/hello"
	mux.HandleFunc("/"+mod+"/@v/list", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v1.0.0\n") })
	mux.HandleFunc("/"+mod+"/@v/v1.0.0.info", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`)
	})
	mux.HandleFunc("/"+mod+"/@v/v1.0.0.mod", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "module "+mod+"\n") })
	mux.HandleFunc("/"+mod+"/@v/v1.0.0.zip", func(w http.ResponseWriter, r *http.Request) {
		z := zip.NewWriter(w)
		for name, body := range map[string]string{"go.mod": "module " + mod + "\n", "hello.go": "package hello\n"} {
			f, _ := z.Create(mod + "@v1.0.0/" + name)
			io.WriteString(f, body)
		}
		z.Close()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	e := netEnv(t, fmt.Sprintf("[egress]\nallow_local = [\"goproxy.test:%s\"]\n", port), "goproxy.test")
	out := e.sh("cd /tmp && GOPROXY=http://goproxy.test:" + port + " GONOSUMDB=example.test GOFLAGS=-modcacherw GOPATH=/tmp/gopath GOCACHE=/tmp/gocache " +
		goBin + " mod download -json " + mod + "@v1.0.0")
	if !strings.Contains(out, `"Version": "v1.0.0"`) || strings.Contains(out, `"Error"`) {
		t.Errorf("go mod download through the proxy: %s", out)
	}
}

// TestStrictNet_SOCKS5: SOCKS5 CONNECT on the proxy's port is decided by
// the same lists: a name in allow_local passes, a name not listed and an
// IP literal not listed are refused with the SOCKS error and a record.
func TestStrictNet_SOCKS5(t *testing.T) {
	t.Parallel()
	ok := newCountingServer(t, "over socks", false)
	bad := newCountingServer(t, "must not be reached", false)
	e := netEnv(t, fmt.Sprintf("[egress]\nallow_local = [\"ok.test:%s\"]\n", ok.port), "ok.test", "bad.test")
	// --noproxy '': NO_PROXY lists 127.0.0.1, which curl honours for
	// SOCKS too (it would connect directly, which the kernel refuses).
	socks := "curl -sS --fail --max-time 10 --noproxy '' --socks5-hostname 127.0.0.1:3128 "
	if got := e.sh(socks + "http://ok.test:" + ok.port + "/"); got != "over socks" {
		t.Errorf("curl --socks5-hostname to an allowed name = %q", got)
	}
	for _, url := range []string{"http://bad.test:" + bad.port + "/", "http://127.0.0.1:" + bad.port + "/"} {
		r := e.run("run", "--", "sh", "-c", socks+url)
		if r.code == 0 {
			t.Errorf("SOCKS5 to %s worked: %s", url, r)
		}
		if !strings.Contains(r.stderr, "devbox: blocked SOCKS5 ") {
			t.Errorf("SOCKS5 to %s: no line on the client's stderr: %q", url, r.stderr)
		}
	}
	if bad.hits.Load() != 0 {
		t.Errorf("the refused server got %d requests", bad.hits.Load())
	}
	list := denials(t, e)
	if !hasDenial(list, "not-listed", "SOCKS5 bad.test:"+bad.port) || !hasDenial(list, "not-listed", "SOCKS5 127.0.0.1:"+bad.port) {
		t.Errorf("want not-listed records for the name and the IP literal: %v", list)
	}
}
