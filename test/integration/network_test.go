//go:build integration

package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// drivers are the user-mode network drivers every network test runs with.
var drivers = []string{"slirp4netns", "pasta"}

// freePort returns a host port nothing listens on right now.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// httpGet fetches url, retrying briefly while a server inside starts.
func httpGet(t *testing.T, url string) (string, error) {
	t.Helper()
	var lastErr error
	client := http.Client{Timeout: 3 * time.Second}
	for i := 0; i < 50; i++ {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b), nil
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	return "", lastErr
}

func TestNetwork_TCPPublishedPort(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			requireDriver(t, d)
			e := newEnv(t)
			port := freePort(t, "tcp")
			startHTTPInside(t, e, "--network", d, "--hostname", "web", "-p", fmt.Sprintf("%d:8080", port))
			body, err := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err != nil || strings.TrimSpace(body) != "hello-from-web" {
				t.Fatalf("GET published port %d = %q, %v; want hello-from-web", port, body, err)
			}
		})
	}
}

func TestNetwork_UDPPublishedPort(t *testing.T) {
	testutil.RequireBinary(t, "python3")
	echo := `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9000))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(b"echo:" + data, addr)`
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			requireDriver(t, d)
			e := newEnv(t)
			port := freePort(t, "udp")
			e.must("run", "--network", d, "-p", fmt.Sprintf("%d:9000/udp", port), "--", "sh", "-c",
				"python3 -c '"+echo+"' </dev/null >/dev/null 2>&1 &")
			got := udpRoundTrip(t, port, "ping")
			if got != "echo:ping" {
				t.Fatalf("UDP echo through published port %d = %q, want echo:ping", port, got)
			}
		})
	}
}

func udpRoundTrip(t *testing.T, port int, msg string) string {
	t.Helper()
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 256)
	for i := 0; i < 30; i++ {
		c.Write([]byte(msg))
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			return string(buf[:n])
		}
	}
	return ""
}

// hostServer serves "host-secret" on the host's 127.0.0.1.
func hostServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "host-secret") })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func TestNetwork_HostLoopbackIsolatedByDefault(t *testing.T) {
	testutil.RequireBinary(t, "python3")
	port := hostServer(t)
	fetch := func(host string) string {
		return fmt.Sprintf(`python3 -c 'import urllib.request,sys
try: print(urllib.request.urlopen("http://%s:%d/", timeout=3).read().decode())
except Exception as e: print("unreachable", e)'`, host, port)
	}
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			requireDriver(t, d)
			e := newEnv(t)
			if out := e.must("run", "--network", d, "--", "sh", "-c", fetch("127.0.0.1")); strings.Contains(out, "host-secret") {
				t.Errorf("sandbox reached the host's 127.0.0.1 by default: %q", out)
			}
			if out := e.must("run", "--network", d, "--", "sh", "-c", fetch("10.0.2.2")); strings.Contains(out, "host-secret") {
				t.Errorf("sandbox reached the host's loopback through the gateway by default: %q", out)
			}
			e2 := newEnv(t)
			out := e2.must("run", "--network", d, "--allow-host-loopback", "--", "sh", "-c", fetch("host.devbox.internal"))
			if !strings.Contains(out, "host-secret") {
				t.Errorf("with --allow-host-loopback, host.devbox.internal:%d = %q, want host-secret", port, out)
			}
		})
	}
}

func TestNetwork_PortAddAndRemoveOnLiveSandbox(t *testing.T) {
	requireDriver(t, "slirp4netns")
	e := newEnv(t)
	startHTTPInside(t, e, "--network", "slirp4netns", "--hostname", "live")
	port := freePort(t, "tcp")
	out := e.must("port", "add", fmt.Sprintf("%d:8080", port))
	if !strings.Contains(out, fmt.Sprintf("127.0.0.1:%d:8080/tcp", port)) {
		t.Fatalf("port add output %q does not list the port", out)
	}
	if body, err := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil || !strings.Contains(body, "hello-from-live") {
		t.Fatalf("after port add: %q, %v", body, err)
	}
	id := strings.Fields(strings.Split(strings.TrimSpace(out), "\n")[1])[0]
	e.must("port", "rm", id)
	if _, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		t.Fatalf("port %d still serves after port rm", port)
	}
	if ls := e.must("port", "ls"); strings.Contains(ls, fmt.Sprint(port)) {
		t.Errorf("port ls still lists %d:\n%s", port, ls)
	}
}

func TestNetwork_BusyHostPortIsAClearError(t *testing.T) {
	requireDriver(t, "slirp4netns")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	e := newEnv(t)
	r := e.run("run", "--network", "slirp4netns", "-p", fmt.Sprintf("%d:80", port), "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, fmt.Sprintf("host port %d/tcp is already in use by", port)) {
		t.Fatalf("busy port at start: %s", r)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("error does not name the holder (this test, pid %d): %s", os.Getpid(), r.stderr)
	}
	// On a live sandbox the error leaves the sandbox serving.
	e.must("run", "--network", "slirp4netns", "--", "true")
	r = e.run("port", "add", fmt.Sprintf("%d:80", port))
	if r.code != 125 || !strings.Contains(r.stderr, "already in use") {
		t.Fatalf("busy port on live sandbox: %s", r)
	}
	e.must("run", "--", "true")
}

// helperProcs counts the network helpers attached to init pid.
func helperProcs(init int) []hostProc {
	var out []hostProc
	for _, p := range hostProcs() {
		if len(p.argv) == 0 {
			continue
		}
		base := p.argv[0][strings.LastIndex(p.argv[0], "/")+1:]
		if (base == "slirp4netns" || base == "pasta") && p.argv[len(p.argv)-1] == fmt.Sprint(init) || (base == "slirp4netns" && contains(p.argv, fmt.Sprint(init))) {
			out = append(out, p)
		}
	}
	return out
}

func TestNetwork_NoHelperLeftAfterStopOrKill(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			requireDriver(t, d)
			e := newEnv(t)
			e.must("run", "--network", d, "--", "true")
			s := e.only()
			if len(helperProcs(s.Init)) == 0 {
				t.Fatalf("no %s process found for init %d", d, s.Init)
			}
			e.must("stop")
			eventually(t, 5*time.Second, func() string {
				if h := helperProcs(s.Init); len(h) > 0 {
					return fmt.Sprintf("after stop, helpers remain: %+v", h)
				}
				return ""
			})
			e.must("run", "--network", d, "--", "true")
			s = e.only()
			if err := syscall.Kill(s.Supervisor, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, func() string {
				if h := helperProcs(s.Init); len(h) > 0 {
					return fmt.Sprintf("after kill -9 of the supervisor, helpers remain: %+v", h)
				}
				return ""
			})
		})
	}
}

// hostResolvableName returns a name from the host's own configuration
// (its /etc/hosts, its apt sources, its Go module proxy) that the host's DNS
// server resolves, or "" when there is none.
func hostResolvableName(t *testing.T) string {
	for _, name := range configuredNames() {
		if lookupOnHost(name) {
			return name
		}
	}
	return ""
}

var urlHost = regexp.MustCompile(`(?:https?|ftp)://([A-Za-z0-9.-]+\.[A-Za-z]{2,})`)

// configuredNames lists host names the host's configuration mentions.
func configuredNames() []string {
	var names []string
	if b, err := os.ReadFile("/etc/hosts"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "127.") || strings.Contains(f[0], ":") {
				continue
			}
			for _, n := range f[1:] {
				if strings.Contains(n, ".") {
					names = append(names, n)
				}
			}
		}
	}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append([]string{"/etc/apt/sources.list"}, files...)
	text := os.Getenv("GOPROXY")
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			text += "\n" + string(b)
		}
	}
	for _, m := range urlHost.FindAllStringSubmatch(text, -1) {
		names = append(names, m[1])
	}
	return names
}

// lookupOnHost asks the host's DNS server (not /etc/hosts) for name, with
// retries: a loaded machine may drop one UDP query.
func lookupOnHost(name string) bool {
	for i := 0; i < 3; i++ {
		if exec.Command("busybox", "nslookup", name).Run() == nil {
			return true
		}
	}
	return false
}

func TestNetwork_DNSResolvesHostNames(t *testing.T) {
	testutil.SkipInGuest(t, "it has no network and so no DNS server to forward lookups to")
	testutil.RequireBinary(t, "busybox")
	name := hostResolvableName(t)
	if name == "" {
		testutil.Skip(t, "the host's DNS resolves none of the names in its /etc/hosts, so there is no name to look up inside")
	}
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			requireDriver(t, d)
			e := newEnv(t)
			out := e.must("run", "--network", d, "--", "sh", "-c", "cat /etc/resolv.conf; for i in 1 2 3; do busybox nslookup "+name+" && break; done")
			if !strings.Contains(out, "nameserver ") {
				t.Errorf("resolv.conf inside names no forwarder:\n%s", out)
			}
			if !strings.Contains(out, "Name:\t"+name) && !strings.Contains(out, "Name: "+name) {
				t.Errorf("lookup of %s inside failed:\n%s", name, out)
			}
		})
	}
}
