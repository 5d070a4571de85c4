//go:build integration

package integration

// Escape tests for the kernel-facing defaults (issue 10, section 4): what
// code inside a sandbox can reach through capabilities, system calls,
// keyrings, init and inherited file descriptors, tried as an attacker
// would; and what must keep working under the default profile. Each test
// names the finding it pins.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// defaultCaps is the sessions' capability set: Podman's eleven (CHOWN
// DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP
// SETUID SYS_CHROOT) plus NET_RAW (internal/child/confine.go says why).
const defaultCaps = "00000000800425fb"

// statusFields returns the named fields of a /proc/PID/status text.
func statusFields(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// Found: CapEff and CapBnd were 000001ffffffffff in every session.
func TestEscape_SessionCapabilitiesCutToPodmanSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st := statusFields(e.shRoot("cat /proc/self/status"))
	for _, k := range []string{"CapBnd", "CapPrm", "CapEff"} {
		if st[k] != defaultCaps {
			t.Errorf("session %s = %s, want %s", k, st[k], defaultCaps)
		}
	}
	for _, k := range []string{"CapInh", "CapAmb"} {
		if st[k] != "0000000000000000" {
			t.Errorf("session %s = %s, want none", k, st[k])
		}
	}
	// CAP_SYS_ADMIN is gone: the sandbox's own mounts stay as built.
	r := e.run("run", "--", "sh", "-c", "mount -o remount,rw / 2>&1 || umount /etc/hostname 2>&1 || exit 7")
	if r.code != 7 {
		t.Errorf("remounting or unmounting the sandbox's root worked without CAP_SYS_ADMIN: %s", r)
	}
}

// Found: init ran with every capability; it keeps only the sessions' set.
func TestEscape_InitCapabilitiesCut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st := statusFields(e.sh("cat /proc/1/status"))
	for _, k := range []string{"CapBnd", "CapPrm", "CapEff"} {
		if st[k] != defaultCaps {
			t.Errorf("init %s = %s, want %s", k, st[k], defaultCaps)
		}
	}
	// The supervisor hands init its capabilities as ambient ones across
	// the exec; init must not keep them for what it starts.
	for _, k := range []string{"CapInh", "CapAmb"} {
		if st[k] != "0000000000000000" {
			t.Errorf("init %s = %s, want none", k, st[k])
		}
	}
}

// Found: Seccomp was 0 for init and every session.
func TestEscape_SeccompFilterOnInitAndSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.sh("grep '^Seccomp:' /proc/self/status /proc/1/status")
	for _, who := range []string{"/proc/self/status", "/proc/1/status"} {
		if !strings.Contains(out, who+":Seccomp:\t2") {
			t.Errorf("%s: not in seccomp filter mode (Seccomp: 2):\n%s", who, out)
		}
	}
	// A call the profile blocks fails with EPERM, one it does not know
	// with ENOSYS (so programs fall back), a normal one works.
	script := `import ctypes, os, platform
libc = ctypes.CDLL(None, use_errno=True)
nr = {"x86_64": (250, 298), "aarch64": (219, 241)}[platform.machine()]  # keyctl, perf_event_open
for n in nr + (1023,):
    r = libc.syscall(n, 0, 0, 0, 0, 0)
    print(n, r, os.strerror(ctypes.get_errno()))
`
	r := e.run("run", "--", "python3", "-c", script)
	if r.code != 0 {
		t.Fatalf("python3 inside: %s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := []string{"Operation not permitted", "Operation not permitted", "Function not implemented"}
	for i, w := range want {
		if i >= len(lines) || !strings.HasSuffix(lines[i], w) {
			t.Errorf("system call verdicts:\n%s\nwant, in order: %v", r.stdout, want)
			break
		}
	}
}

// Found: a sandbox shared the caller's session keyring, so `keyctl print`
// inside read a host key. Under the default profile the keyring calls are
// blocked; unconfined, the sandbox's own session keyring still keeps the
// host key out of reach and planted keys in.
func TestEscape_HostKeyringUnreachable(t *testing.T) {
	t.Parallel()
	keyctl := testutil.RequireBinary(t, "keyctl")
	flags := map[string]string{"default": "", "unconfined": "--security unconfined"}
	for _, prof := range []string{"default", "unconfined"} {
		t.Run(prof, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			secret := randomHex(t)
			// A session keyring of the test's own holds the host key, as a
			// login's would; devbox runs inside it.
			script := fmt.Sprintf(`set -e
id=$(%s add user devbox-escape %s @s)
echo "key=$id"
%s run --rm %s -- sh -c "echo inside-ran; keyctl print $id; keyctl show @s; keyctl add user planted inside @s; keyctl add user planted inside @u; keyctl show @s" || true
%s search @s user planted && echo "planted-in-session"
%s search @u user planted && echo "planted-in-user"
true`, keyctl, secret, shellQuote([]string{devboxBin}), flags[prof], keyctl, keyctl)
			cmd := exec.Command(keyctl, "session", "-", "sh", "-c", script)
			cmd.Dir, cmd.Env = e.project, e.environ()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("keyctl session: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "key=") || !strings.Contains(string(out), "inside-ran") {
				t.Fatalf("the host key was not added or the sandbox did not run:\n%s", out)
			}
			if strings.Contains(string(out), secret) {
				t.Errorf("the sandbox read the host's key:\n%s", out)
			}
			if strings.Contains(string(out), "planted-in-") {
				t.Errorf("a key planted inside reached the host's keyrings:\n%s", out)
			}
			if strings.Contains(string(out), "devbox-escape") {
				t.Errorf("the sandbox's session keyring lists the host's key:\n%s", out)
			}
		})
	}
}

// The unconfined profile lifts the filter and the capability cut, and
// keeps the rest: its own keyring (above), a non-dumpable init, no stray fds.
func TestSecurity_UnconfinedLiftsFilterAndCaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.must("run", "--user", "root", "--rm", "--security", "unconfined", "--", "sh", "-c",
		"cat /proc/self/status; echo ===; cat /proc/sys/kernel/cap_last_cap; echo ===; head -c1 /proc/1/environ >/dev/null 2>&1 || echo init-dumpable-no")
	parts := strings.Split(out, "===\n")
	if len(parts) != 3 {
		t.Fatalf("unexpected output:\n%s", out)
	}
	st := statusFields(parts[0])
	last, _ := strconv.Atoi(strings.TrimSpace(parts[1]))
	full := fmt.Sprintf("%016x", uint64(1)<<(last+1)-1)
	if st["Seccomp"] != "0" || st["CapBnd"] != full || st["CapEff"] != full {
		t.Errorf("unconfined: Seccomp %s CapBnd %s CapEff %s, want 0 and %s", st["Seccomp"], st["CapBnd"], st["CapEff"], full)
	}
	if st["CapInh"] != "0000000000000000" || st["CapAmb"] != "0000000000000000" {
		t.Errorf("unconfined: CapInh %s CapAmb %s, want none", st["CapInh"], st["CapAmb"])
	}
	// Unconfined root has CAP_SYS_PTRACE over init: not dumpable is no
	// bar then, and the test only records it.
	t.Logf("unconfined /proc/1/environ: %s", strings.TrimSpace(parts[2]))
}

// Found: sessions could ptrace init and read /proc/1/mem and /proc/1/environ.
func TestEscape_InitNotDumpable(t *testing.T) {
	t.Parallel()
	testutil.RequireBinary(t, "strace")
	e := newEnv(t)
	script := `for f in /proc/1/environ /proc/1/mem /proc/1/fd/0; do
  if head -c1 "$f" >/dev/null 2>&1; then echo "read $f"; fi
done
timeout 20 strace -p 1 -e trace=none -o /dev/null 2>/dev/null
rc=$?
[ $rc = 1 ] || echo "strace -p 1 did not fail to attach (exit $rc)"`
	if out := e.sh(script); out != "" {
		t.Errorf("a session reached into init:\n%s", out)
	}
}

// Found: init's stderr was the host's log file, which sessions could write
// through /proc/1/fd/2.
func TestEscape_InitStderrIsAPipe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if out := e.sh(`if echo owned >/proc/1/fd/2 2>/dev/null; then echo wrote; fi`); out != "" {
		t.Errorf("a session wrote to init's stderr")
	}
	st := e.readState(e.only().Name)
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/2", st.Init))
	if err != nil {
		t.Fatalf("read init's stderr: %v", err)
	}
	if !strings.HasPrefix(link, "pipe:") {
		t.Errorf("init's stderr is %s, want a pipe to the supervisor", link)
	}
}

// Found: `exec 7<~/.ssh/id_ed25519; devbox run -- cat <&7` printed the key,
// and init kept the caller's stray fds for its lifetime.
func TestEscape_StrayFDsNotInherited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	secretFile := filepath.Join(t.TempDir(), "id_ed25519")
	secret := randomHex(t)
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	// The first run starts the sandbox (client, supervisor, init all
	// inherit fd 7); the second joins it. ls lists its own fds: its
	// directory is fd 3.
	script := fmt.Sprintf(`exec 7<%s
for i in 1 2; do
  %s run -- sh -c 'cat <&7' && echo "read fd 7"
  %s run -- ls /proc/self/fd | tr "\n" " "; echo
done`, shellQuote([]string{secretFile}), shellQuote([]string{devboxBin}), shellQuote([]string{devboxBin}))
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir, cmd.Env = e.project, e.environ()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("devbox run with fd 7 open: %v\n%s", err, out)
	}
	if strings.Contains(string(out), secret) || strings.Contains(string(out), "read fd 7") {
		t.Errorf("the session read the caller's fd 7:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.TrimSpace(line) != "0 1 2 3" {
			t.Errorf("session fds = %q, want 0 1 2 and ls's own 3", line)
		}
	}
	st := e.readState(e.only().Name)
	for _, pid := range []int{st.Init, st.Supervisor} {
		if fd := fdOpenOn(t, pid, secretFile); fd != "" {
			t.Errorf("process %d holds the caller's stray fd %s -> %s", pid, fd, secretFile)
		}
	}
}

// The same for a throwaway sandbox, whose supervisor devbox starts before
// it hands the command line to devbox-front (session.HandOnEarly): the
// caller's fd 7 stays out of it too.
func TestEscape_StrayFDsNotInheritedByThrowawaySupervisor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	secretFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(secretFile, []byte(randomHex(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", fmt.Sprintf("exec 7<%s; exec %s run --rm -- sleep 30",
		shellQuote([]string{secretFile}), shellQuote([]string{devboxBin})))
	cmd.Dir, cmd.Env = e.project, e.environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	var sb psEntry
	eventually(t, 10*time.Second, func() string {
		list := e.ps()
		if len(list) != 1 || list[0].Init == 0 {
			return fmt.Sprintf("want the throwaway sandbox running: %+v", list)
		}
		sb = list[0]
		return ""
	})
	for _, pid := range []int{sb.Supervisor, sb.Init} {
		if fd := fdOpenOn(t, pid, secretFile); fd != "" {
			t.Errorf("process %d of the throwaway sandbox holds the caller's stray fd %s -> %s", pid, fd, secretFile)
		}
	}
}

// fdOpenOn returns the fd of pid that points at path, or "".
func fdOpenOn(t *testing.T, pid int, path string) string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list fds of %d: %v", pid, err)
	}
	for _, d := range ents {
		if link, _ := os.Readlink(filepath.Join(dir, d.Name())); link == path {
			return d.Name()
		}
	}
	return ""
}

// Holds today: the host's system directories are read-only inside, and
// init's binary cannot be rewritten through /proc/1/exe.
func TestEscape_NoWriteToUsrEtcOrInitBinary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := `for f in /usr/devbox-escape /etc/devbox-escape; do
  if touch "$f" 2>/dev/null; then echo "wrote $f"; fi
done
if printf x >>/proc/1/exe 2>/dev/null; then echo "wrote /proc/1/exe"; fi
if cp /bin/true /proc/1/exe 2>/dev/null; then echo "replaced /proc/1/exe"; fi
true`
	if out := e.sh(script); out != "" {
		t.Errorf("the sandbox wrote where it must not:\n%s", out)
	}
}

// Holds today: the sandbox sees only its own processes.
func TestEscape_NoHostPIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.sh(`for d in /proc/[0-9]*; do printf '%s %s\n' "${d#/proc/}" "$(cat $d/comm 2>/dev/null)"; done`)
	self := filepath.Base(os.Args[0])
	if len(self) > 15 {
		self = self[:15] // comm's length
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if f[1] == self || f[1] == "devbox-supervis" || f[1] == "slirp4netns" || f[1] == "pasta" {
			t.Errorf("host process visible inside: %s\n%s", line, out)
		}
	}
	if !strings.Contains(out, "1 devbox-init\n") {
		t.Errorf("pid 1 inside is not devbox-init:\n%s", out)
	}
}

// Holds today: a session cannot push input into the user's terminal with
// TIOCSTI (it is setsid'd away from it, or gets no terminal at all).
func TestEscape_NoTIOCSTIIntoUserTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := `import fcntl, termios
for fd in (0, 1, 2):
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"#")
        print("injected-on-fd", fd)
    except OSError as e:
        print("refused", fd, e.errno)
`
	tm := newTmux(t, e, 100, 30, "run", "--", "python3", "-c", script)
	screen := tm.waitFor(`devbox-exit=\d+`, 60*time.Second)
	if strings.Contains(screen, "injected-on-fd") {
		t.Errorf("TIOCSTI into the user's terminal worked:\n%s", screen)
	}
	if !strings.Contains(screen, "refused 0") {
		t.Errorf("the test did not run as meant:\n%s", screen)
	}
}

// Must keep working: nested user namespaces.
func TestDefaultProfile_NestedUserNamespaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.sh("unshare -Ur id -u; unshare -Urnm sh -c 'mount -t tmpfs none /tmp && ip link set lo up && echo nested-ok'")
	if out != "0\nnested-ok\n" {
		t.Errorf("nested user namespaces: got %q", out)
	}
}

// Must keep working: devbox inside devbox (--network none).
func TestDefaultProfile_DevboxInsideDevbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The inner devbox must be visible inside: copy it into the project.
	copyDevboxInto(t, e.project)
	script := `set -e
export XDG_RUNTIME_DIR=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d)
./bin/devbox run --rm --network none -- sh -c 'echo inner; grep -E "^(Seccomp_filters|CapBnd):" /proc/self/status'`
	r := e.run("run", "--user", "root", "--", "sh", "-c", script)
	if r.code != 0 || !strings.Contains(r.stdout, "inner\n") {
		t.Fatalf("devbox inside devbox: %s", r)
	}
	if !strings.Contains(r.stdout, "Seccomp_filters:\t2") {
		t.Errorf("the inner sandbox does not stack its filter on the outer one:\n%s", r.stdout)
	}
}

// Must keep working: ping (Debian's has cap_net_raw+ep; as another user
// it uses an ICMP datagram socket through ping_group_range).
func TestDefaultProfile_Ping(t *testing.T) {
	t.Parallel()
	testutil.RequireBinary(t, "ping")
	e := newEnv(t)
	out := e.shRoot("ping -c1 -W10 127.0.0.1 >/dev/null && echo root-ok; " +
		"setpriv --reuid=1000 --regid=1000 --clear-groups ping -c1 -W10 127.0.0.1 >/dev/null && echo user-ok; " +
		"cat /proc/sys/net/ipv4/ping_group_range")
	if !strings.Contains(out, "root-ok\n") || !strings.Contains(out, "user-ok\n") {
		t.Errorf("ping 127.0.0.1 inside: %q", out)
	}
}

// Must keep working: gdb and strace on a session's own processes.
func TestDefaultProfile_DebuggersOnOwnProcesses(t *testing.T) {
	t.Parallel()
	testutil.RequireBinary(t, "strace")
	testutil.RequireBinary(t, "gdb")
	e := newEnv(t)
	script := `strace -f -o /dev/null sh -c true && echo strace-ok
gdb -batch -ex run --args /bin/true 2>&1 | grep -q 'exited normally' && echo gdb-run-ok
sleep 300 & p=$!
gdb -batch -p $p -ex 'info inferiors' 2>&1 | grep -q "process $p" && echo gdb-attach-ok
kill $p`
	out := e.sh(script)
	for _, want := range []string{"strace-ok", "gdb-run-ok", "gdb-attach-ok"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("%s missing:\n%s", want, out)
		}
	}
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "s" + hex.EncodeToString(b)
}
