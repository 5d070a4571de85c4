//go:build integration

// Package integration runs the devbox binary end to end on the host: real
// user namespaces, real newuidmap, real terminals (tmux). Each test gets its
// own XDG_RUNTIME_DIR, XDG_DATA_HOME and project directory, so tests that use
// separate projects run in parallel and never touch the invoking user's own
// sandboxes.
//
// Run it with the binary to test:
//
//	go build -o bin/ ./cmd/devbox ./cmd/devbox-front ./cmd/devbox-engine ./cmd/devbox-supervisor ./cmd/devbox-init
//	go test -tags integration -count=1 ./test/integration/ -devbox $PWD/bin/devbox
//
// Without -devbox (or DEVBOX_BIN) the harness builds the binary itself.
// With DEVBOX_TEST_MUST_WORK=1 every skip is a failure.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/state"
	"github.com/devbox-dev/devbox/internal/testutil"
)

var devboxFlag = flag.String("devbox", "", "devbox binary to test (default: $DEVBOX_BIN, else built from ./cmd/devbox)")

// devboxBin is the absolute path of the binary under test, set by TestMain.
var devboxBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if helperMain() {
		return
	}
	bin, cleanup, err := locateBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(2)
	}
	devboxBin = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// locateBinary returns the binary to test: -devbox, $DEVBOX_BIN, or a fresh
// build of ./cmd/devbox in a temporary directory.
func locateBinary() (string, func(), error) {
	bin := *devboxFlag
	if bin == "" {
		bin = os.Getenv("DEVBOX_BIN")
	}
	if bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return "", nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", nil, fmt.Errorf("devbox binary: %w", err)
		}
		return abs, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "devbox-bin")
	if err != nil {
		return "", nil, err
	}
	os.Chmod(dir, 0o755)
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin = filepath.Join(dir, "devbox")
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/devbox", "./cmd/devbox-front", "./cmd/devbox-engine", "./cmd/devbox-supervisor", "./cmd/devbox-init")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build devbox: %v\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// env is one test's private devbox world.
type env struct {
	t       *testing.T
	runtime string // XDG_RUNTIME_DIR (short: socket paths must fit in 108 bytes)
	data    string // XDG_DATA_HOME
	project string // working directory of every command
	path    string // PATH for devbox and, through it, the sandbox
	extra   []string
}

// newEnv makes a fresh runtime dir, data dir and project dir, and stops every
// sandbox of this env when the test ends.
func newEnv(t *testing.T) *env {
	t.Helper()
	testutil.RequireUserNS(t)
	rt, err := os.MkdirTemp("", "dbx")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	e := &env{
		t:       t,
		runtime: rt,
		data:    filepath.Join(base, "data"),
		project: filepath.Join(base, "proj"),
		path:    "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
	}
	if err := os.MkdirAll(e.project, 0o755); err != nil {
		t.Fatal(err)
	}
	// The project dir resolves through symlinks inside devbox; do the same so
	// paths compare equal.
	if p, err := filepath.EvalSymlinks(e.project); err == nil {
		e.project = p
	}
	t.Cleanup(func() {
		r := e.run("stop", "--all", "--time", "1s")
		if r.code != 0 {
			t.Logf("cleanup: devbox stop --all: exit %d\n%s", r.code, r.stderr)
		}
		os.RemoveAll(rt)
	})
	return e
}

// environ is the environment devbox runs with: nothing from the test
// process except what a login would give, plus the test's private dirs.
func (e *env) environ() []string {
	home, _ := os.UserHomeDir()
	u := os.Getenv("USER")
	if u == "" {
		u = strconv.Itoa(os.Getuid())
	}
	out := []string{
		"HOME=" + home,
		"USER=" + u,
		"LOGNAME=" + u,
		"PATH=" + e.path,
		"LANG=C.UTF-8",
		"XDG_RUNTIME_DIR=" + e.runtime,
		"XDG_DATA_HOME=" + e.data,
	}
	return append(out, e.extra...)
}

// command returns an exec.Cmd for devbox args in the project dir.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, devboxBin, args...)
	cmd.Dir = e.project
	cmd.Env = e.environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs devbox with args and no stdin, and returns its output and status.
func (e *env) run(args ...string) result {
	e.t.Helper()
	return e.runInput("", args...)
}

// runInput is run with stdin.
func (e *env) runInput(stdin string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	return collect(e.t, ctx, cmd, "devbox "+strings.Join(args, " "))
}

// collect runs cmd and returns its output and exit status; a timeout of
// ctx or a failure to start it fails the test.
func collect(t *testing.T, ctx context.Context, cmd *exec.Cmd, what string) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s: timed out\n%s", what, r)
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s: %v", what, err)
	}
	return r
}

// must runs devbox and fails the test unless it exits 0; it returns stdout.
func (e *env) must(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("devbox %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// sh runs a shell snippet in the sandbox and returns its stdout.
func (e *env) sh(script string) string {
	e.t.Helper()
	return e.must("run", "--", "sh", "-c", script)
}

// psEntry is one element of `devbox ps --json`.
type psEntry struct {
	Name       string `json:"name"`
	Project    string `json:"project"`
	Init       int    `json:"init_pid"`
	Supervisor int    `json:"supervisor_pid"`
	Sessions   int    `json:"sessions"`
}

func (e *env) ps() []psEntry {
	e.t.Helper()
	out := e.must("ps", "--json")
	var list []psEntry
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		e.t.Fatalf("devbox ps --json: %v\n%s", err, out)
	}
	return list
}

// only returns the single running sandbox of this env.
func (e *env) only() psEntry {
	e.t.Helper()
	list := e.ps()
	if len(list) != 1 {
		e.t.Fatalf("devbox ps --json: want 1 sandbox, got %d: %+v", len(list), list)
	}
	return list[0]
}

// writeConfig writes devbox.toml in e's project.
func (e *env) writeConfig(text string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.project, "devbox.toml"), []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// writeTrusted writes devbox.toml and approves it, as its author would.
func (e *env) writeTrusted(text string) {
	e.t.Helper()
	e.writeConfig(text)
	e.must("trust")
}

// stateDir is the runtime directory of sandbox name.
func (e *env) stateDir(name string) string {
	return filepath.Join(e.runtime, "devbox", name)
}

// readState reads state.json of sandbox name.
func (e *env) readState(name string) state.State {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.stateDir(name), state.StateFile))
	if err != nil {
		e.t.Fatalf("read state: %v", err)
	}
	var st state.State
	if err := json.Unmarshal(b, &st); err != nil {
		e.t.Fatalf("decode state.json: %v\n%s", err, b)
	}
	return st
}

// eventually polls cond every 50 ms until it returns "" or d passes, and
// fails with cond's last message.
func eventually(t *testing.T, d time.Duration, cond func() string) {
	t.Helper()
	d = patience(d)
	deadline := time.Now().Add(d)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hostProc is a process on the host, as far as this user can see it.
type hostProc struct {
	pid   int
	argv  []string
	pidNS string
}

// hostProcs lists the host processes whose cmdline this user can read.
func hostProcs() []hostProc {
	ents, _ := os.ReadDir("/proc")
	var out []hostProc
	for _, d := range ents {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		ns, _ := os.Readlink(filepath.Join("/proc", d.Name(), "ns", "pid"))
		out = append(out, hostProc{pid: pid, argv: strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), pidNS: ns})
	}
	return out
}

// sandboxProcs returns the host processes that belong to sandbox name: its
// supervisor (argv "devbox-supervisor NAME") and every process in the PID
// namespace pidNS (empty: skip that part).
func sandboxProcs(name, pidNS string) []hostProc {
	var out []hostProc
	for _, p := range hostProcs() {
		sup := len(p.argv) >= 2 && p.argv[0] == "devbox-supervisor" && p.argv[1] == name
		if sup || (pidNS != "" && p.pidNS == pidNS) {
			out = append(out, p)
		}
	}
	return out
}

// pidNSOf returns the /proc/PID/ns/pid link of pid.
func pidNSOf(t *testing.T, pid int) string {
	t.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatalf("read pid namespace of %d: %v", pid, err)
	}
	return ns
}

// currentUser returns the invoking user's name, uid and gid.
func currentUser(t *testing.T) (string, uint32, uint32) {
	t.Helper()
	name := os.Getenv("USER")
	if out, err := exec.Command("id", "-un").Output(); err == nil {
		name = strings.TrimSpace(string(out))
	}
	return name, uint32(os.Getuid()), uint32(os.Getgid())
}

// mapLines parses a /proc/PID/uid_map text into [inside, outside, count]
// triples.
func mapLines(t *testing.T, text string) [][3]uint64 {
	t.Helper()
	var out [][3]uint64
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("bad id map line %q in:\n%s", line, text)
		}
		var v [3]uint64
		for i := range f {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				t.Fatalf("bad id map line %q: %v", line, err)
			}
			v[i] = n
		}
		out = append(out, v)
	}
	return out
}

// sha256File returns the hex sha256 of path.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatalf("sha256sum %s: %v", path, err)
	}
	return strings.Fields(string(out))[0]
}

// patience stretches a deadline for waiting on something that will happen:
// a test waits longer on a loaded 2-core machine or in the User-Mode Linux
// guest, never less. It only delays a failure, so it is no timed assertion.
func patience(d time.Duration) time.Duration {
	if testutil.Guest() {
		return 6 * d
	}
	return 3 * d
}
