package strict

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/proto"
	"github.com/devbox-dev/devbox/internal/testutil"
	"golang.org/x/sys/unix"
)

func TestUnenforced(t *testing.T) {
	tests := []struct {
		abi  int
		want []string // substrings, in order; nil: everything enforced
	}{
		{0, []string{"filesystem write limits", "TCP connections", "abstract unix sockets"}},
		{1, []string{"filesystem write limits", "TCP connections", "abstract unix sockets"}},
		{2, []string{"truncation", "TCP connections", "ioctl", "abstract unix sockets"}},
		{3, []string{"TCP connections", "ioctl", "abstract unix sockets"}},
		{4, []string{"ioctl", "abstract unix sockets"}},
		{5, []string{"abstract unix sockets"}},
		{6, nil},
		{7, nil},
		{12, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("abi ", tt.abi), func(t *testing.T) {
			got := Unenforced(tt.abi)
			if len(got) != len(tt.want) {
				t.Fatalf("Unenforced(%d) = %q, want %d entries", tt.abi, got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("Unenforced(%d)[%d] = %q, want it to mention %q", tt.abi, i, got[i], w)
				}
			}
			if msg := UnenforcedMessage(tt.abi); (msg == "") != (tt.want == nil) {
				t.Errorf("UnenforcedMessage(%d) = %q", tt.abi, msg)
			}
		})
	}
}

func TestPolicyFor(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.sock")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	spec := proto.Spec{ProjectDir: "/p", Home: "/home/u", Mounts: []proto.Mount{
		{Target: dir}, {Target: file}, {Target: "/ro", ReadOnly: true},
	}}
	p := PolicyFor(spec)
	want := []string{"/p", "/tmp", "/var/tmp", "/dev/shm", "/home/u", dir}
	if fmt.Sprint(p.Writable) != fmt.Sprint(want) || fmt.Sprint(p.WritableFiles) != fmt.Sprint([]string{file}) {
		t.Errorf("PolicyFor = %+v, want writable %v and files [%s]", p, want, file)
	}
	spec.HomeReadOnly = true
	if p := PolicyFor(spec); len(p.Writable) != 5 {
		t.Errorf("a read-only home is writable: %v", p.Writable)
	}
	if p.ProxyPort != proto.ProxyPort {
		t.Errorf("ProxyPort = %d, want %d", p.ProxyPort, proto.ProxyPort)
	}
}

// TestRestrictLandlock_RealKernel confines a child process with a policy
// whose one writable directory is a temp dir, and checks the kernel's
// verdicts.
func TestRestrictLandlock_RealKernel(t *testing.T) {
	if d := os.Getenv("DEVBOX_LANDLOCK_CHILD"); d != "" {
		landlockChild(d)
		return
	}
	abi := ABI()
	if abi < FullABI {
		testutil.Skip(t, "this kernel's Landlock ABI is %d; the test checks ABI %d's rules", abi, FullABI)
	}
	dir := t.TempDir()
	for _, d := range []string{"w", "ro"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRestrictLandlock_RealKernel$", "-test.v")
	cmd.Env = append(os.Environ(), "DEVBOX_LANDLOCK_CHILD="+dir, "DEVBOX_LANDLOCK_ADDR="+ln.Addr().String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func landlockChild(dir string) {
	fail := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...); os.Exit(1) }
	// As the session stage: one locked thread, no_new_privs, then the
	// domain, then (here) the checks on that thread.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail("set no_new_privs: %v", err)
	}
	if err := restrictLandlock(Policy{Writable: []string{filepath.Join(dir, "w")}, ProxyPort: 1}); err != nil {
		fail("%v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "w", "f"), []byte("x"), 0o644); err != nil {
		fail("write in the writable dir: %v", err)
	}
	if err := os.Rename(filepath.Join(dir, "w", "f"), filepath.Join(dir, "w", "g")); err != nil {
		fail("rename in the writable dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ro", "f"), []byte("x"), 0o644); !errors.Is(err, os.ErrPermission) {
		fail("write outside the writable dir: %v, want EACCES", err)
	}
	if err := os.Symlink("w", filepath.Join(dir, "link")); !errors.Is(err, os.ErrPermission) {
		fail("symlink outside the writable dir: %v, want EACCES", err)
	}
	if err := os.Rename(filepath.Join(dir, "w", "g"), filepath.Join(dir, "ro", "g")); !errors.Is(err, unix.EXDEV) && !errors.Is(err, os.ErrPermission) {
		fail("rename out of the writable dir: %v, want EXDEV or EACCES", err)
	}
	if _, err := os.ReadFile("/proc/self/status"); err != nil {
		fail("read: %v", err)
	}
	if f, err := os.OpenFile("/dev/null", os.O_WRONLY, 0); err != nil {
		fail("write /dev/null: %v", err)
	} else {
		f.Close()
	}
	if c, err := net.Dial("tcp4", os.Getenv("DEVBOX_LANDLOCK_ADDR")); err == nil {
		c.Close()
		fail("TCP connect to a port other than the proxy's worked")
	}
	if err := unix.Kill(os.Getppid(), 0); !errors.Is(err, unix.EPERM) {
		fail("signal to the parent, outside the domain: %v, want EPERM", err)
	}
	fmt.Println("confined")
}

// BenchmarkRuleset is what building the ruleset costs each strict session
// (enforcing it is one more system call).
func BenchmarkRuleset(b *testing.B) {
	p := PolicyFor(proto.Spec{ProjectDir: b.TempDir(), Home: os.Getenv("HOME")})
	for b.Loop() {
		fd, _, err := landlockConfig().NewRulesetFD(p.rules()...)
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
	}
}
