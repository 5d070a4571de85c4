//go:build integration

package integration

// The strict profile's connect notifier (issue 11): attempts the kernel
// refuses outside the proxy are refused at once with EACCES and recorded;
// what strict allows still works; and the notifier adds only refusals,
// never the only one: an address swapped between its read and the
// kernel's still reaches nothing.

import (
	"strings"
	"testing"
)

// TestStrictNotify_RecordNamesProcessAndAllowedStillWorks: a refused
// direct connect is recorded with the process that tried; the proxy, UDP
// on the sandbox's own loopback, and unix sockets work as before.
func TestStrictNotify_RecordNamesProcessAndAllowedStillWorks(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	requireTool(t, e, "python3")
	out := e.sh(`python3 -c '
import errno, os, socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.sendto(b"ping", u.getsockname())
print("udp", u.recv(10).decode())
a, b = socket.socketpair(); a.send(b"x"); print("unix", b.recv(1).decode())
p = socket.create_connection(("127.0.0.1", 3128)); print("proxy ok")
try:
    socket.create_connection(("127.0.0.1", 9), 5); print("direct connected")
except OSError as e:
    print("direct", errno.errorcode[e.errno])
'`)
	for _, want := range []string{"udp ping", "unix x", "proxy ok", "direct EACCES"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	found := false
	for _, d := range denials(t, e) {
		if d["kind"] == "direct-tcp" && d["target"] == "127.0.0.1:9" {
			found = true
			if !strings.HasPrefix(d["session"], "pid ") || !strings.Contains(d["session"], "(python3") {
				t.Errorf("session = %q, want pid N (python3)", d["session"])
			}
			if !strings.Contains(d["fix"], "allow_local") {
				t.Errorf("fix = %q, want the allow_local line", d["fix"])
			}
		}
	}
	if !found {
		t.Errorf("no direct-tcp record for 127.0.0.1:9: %v", denials(t, e))
	}
}

// TestStrictNotify_SwappedAddressReachesNothing: one thread connects to
// the proxy's address while another keeps swapping it for a server in the
// sandbox and for an address outside. Whatever the notifier read, the
// kernel decides on what it reads itself: no connect ever reaches
// anything but the proxy. ENETUNREACH in the counts is a swap that won
// the race past the notifier and that the kernel refused.
func TestStrictNotify_SwappedAddressReachesNothing(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "")
	requireTool(t, e, "python3")
	out := e.sh(`python3 -c '
import ctypes, errno, socket, struct, threading
libc = ctypes.CDLL(None, use_errno=True)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(512); srv.setblocking(False)
def sa(ip, port): return struct.pack("=HH4s8x", socket.AF_INET, socket.htons(port), socket.inet_aton(ip))
good, inside, outside = sa("127.0.0.1", 3128), sa("127.0.0.1", srv.getsockname()[1]), sa("10.0.2.2", 80)
buf = ctypes.create_string_buffer(good, 16)
stop = []
def swap():
    while not stop:
        ctypes.memmove(buf, inside, 16); ctypes.memmove(buf, good, 16)
        ctypes.memmove(buf, outside, 16); ctypes.memmove(buf, good, 16)
th = threading.Thread(target=swap); th.start()
counts = {}
for i in range(2000):
    s = socket.socket()
    if libc.connect(s.fileno(), buf, 16) == 0:
        k = "connected to %s:%d" % s.getpeername()
    else:
        k = errno.errorcode[ctypes.get_errno()]
    counts[k] = counts.get(k, 0) + 1
    s.close()
stop.append(1); th.join()
try:
    srv.accept(); print("ESCAPED to the server inside")
except BlockingIOError:
    pass
for k in sorted(counts): print(k, counts[k])
'`)
	t.Logf("outcomes of 2000 connects with a swapping address:\n%s", out)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k := line[:strings.LastIndex(line, " ")]
		switch k {
		case "connected to 127.0.0.1:3128", "EACCES", "ENETUNREACH":
		default:
			t.Errorf("outcome %q: want only the proxy reached, EACCES or ENETUNREACH", line)
		}
	}
}
