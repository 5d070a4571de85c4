//go:build vm

// Package vm is the cgroup v2 suite. It runs only inside the User-Mode Linux
// guest that run.sh boots, as an unprivileged user with a delegated subtree
// (see guest-init.sh), and drives the devbox binary end to end there.
package vm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/cgroupv2"
	"github.com/devbox-dev/devbox/internal/state"
)

// envAlloc makes the test binary an allocator: it touches that many MiB and
// then sleeps, so the sandbox needs no tool of its own to use memory.
const envAlloc = "DEVBOX_VM_ALLOC_MIB"

func TestMain(m *testing.M) {
	if n, err := strconv.Atoi(os.Getenv(envAlloc)); err == nil {
		allocate(n)
		return
	}
	if os.Getenv("DEVBOX_VM_GUEST") == "" {
		fmt.Fprintln(os.Stderr, "vm suite: run it through test/vm/run.sh, inside the UML guest")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func allocate(mib int) {
	mem := make([][]byte, 0, mib)
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(j)
		}
		mem = append(mem, b)
	}
	fmt.Println("allocated", len(mem), "MiB")
	time.Sleep(300 * time.Millisecond)
	runtimeKeep(mem)
}

// env is one test's devbox world: a runtime dir, data dir and a project dir
// (on the guest's /tmp) that holds a copy of the test binary.
type env struct {
	t                   *testing.T
	runtime, data, proj string
	alloc               string // the allocator, inside the project
}

func newEnv(t *testing.T) *env {
	base, err := os.MkdirTemp("", "vm")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, runtime: filepath.Join(base, "rt"), data: filepath.Join(base, "data"), proj: filepath.Join(base, "proj")}
	for _, d := range []string{e.runtime, e.data, e.proj} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	e.alloc = filepath.Join(e.proj, "alloc")
	self, _ := os.ReadFile("/proc/self/exe")
	if err := os.WriteFile(e.alloc, self, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.run("stop", "--all", "--time", "1s")
		os.RemoveAll(base)
	})
	return e
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func (e *env) run(args ...string) result {
	if len(args) > 0 && args[0] == "run" {
		// The cgroup tests need no network; the guest has no tun module.
		args = append([]string{"run", "--network", "none"}, args[1:]...)
	}
	cmd := exec.Command(os.Getenv("DEVBOX_BIN"), args...)
	cmd.Dir = e.proj
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+e.runtime, "XDG_DATA_HOME="+e.data, envAlloc+"=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run devbox %v: %v", args, err)
	}
	return r
}

func (e *env) mustRun(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("devbox %s:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// state reads the running sandbox name's state.json.
func (e *env) state(name string) state.State {
	e.t.Helper()
	st, err := state.Read(filepath.Join(e.runtime, "devbox", name))
	if err != nil {
		e.t.Fatalf("read state of %s: %v", name, err)
	}
	if st.Cgroup == "" {
		e.t.Fatalf("sandbox %s has no cgroup in its state", name)
	}
	return st
}

func (e *env) stats(name string) cgroupv2.Stats {
	e.t.Helper()
	r := e.mustRun("stats", "--json", name)
	var rows []struct {
		Name string `json:"name"`
		cgroupv2.Stats
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 {
		e.t.Fatalf("decode stats %q: %v", r.stdout, err)
	}
	return rows[0].Stats
}

func TestMemoryMax_OOMKilledAndReported(t *testing.T) {
	e := newEnv(t)
	r := e.run("run", "--rm", "--memory", "32m", "--memory-swap", "0", "--env", envAlloc+"=200", "--", e.alloc)
	if r.code != 137 || !strings.Contains(r.stderr, "killed: out of memory (limit 32 MiB)") {
		t.Fatalf("want an OOM kill reported with the limit:\n%s", r)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Fatalf("delegated: want no warning:\n%s", r)
	}
}

func TestPidsMax_StopsForkBomb(t *testing.T) {
	e := newEnv(t)
	bomb := `for i in $(seq 60); do sleep 5 & done`
	r := e.run("run", "--name", "pids", "--pids", "20", "--", "sh", "-c", bomb)
	if r.code == 0 {
		t.Fatalf("want the shell to fail to fork under pids.max 20:\n%s", r)
	}
	// The sandbox outlives the bomb: init is outside the limited leaf.
	if s := e.stats("pids"); s.PidsRejected == 0 || s.PidsMax != 20 {
		t.Fatalf("want forks refused at pids.max 20, got %+v", s)
	}
	if err := exec.Command("sh", "-c", "for i in $(seq 30); do true & done; wait").Run(); err != nil {
		t.Fatalf("the host side cannot fork: %v", err)
	}
}

func TestCPUMax_Throttles(t *testing.T) {
	e := newEnv(t)
	e.mustRun("run", "--name", "cpu", "--cpus", "0.2", "--", "sh", "-c", "timeout 1 sh -c 'while :; do :; done'; exit 0")
	s := e.stats("cpu")
	if s.CPUs != 0.2 || s.NrThrottled == 0 || s.ThrottledUsec == 0 {
		t.Fatalf("want cpu.max 0.2 and throttling under a busy loop, got %+v", s)
	}
	t.Logf("busy loop at 0.2 CPUs: usage %dus, throttled %d times for %dus", s.CPUUsageUsec, s.NrThrottled, s.ThrottledUsec)
}

func TestUpdateAndStats_LiveLimit(t *testing.T) {
	e := newEnv(t)
	e.mustRun("run", "--name", "upd", "--memory", "64m", "--pids", "50", "--", "true")
	if s := e.stats("upd"); s.MemoryMax != 64<<20 || s.PidsMax != 50 {
		t.Fatalf("want memory.max 64 MiB and pids.max 50, got %+v", s)
	}
	// 80 MiB does not fit in 64m; after the update it does.
	e.mustRun("update", "--memory", "128m", "--cpus", "0.5", "upd")
	// The update is recorded: a join asking for the limits now in effect
	// runs, one asking for those started with is refused as a change.
	if r := e.run("run", "--name", "upd", "--memory", "64m", "--pids", "50", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "limits") {
		t.Fatalf("want a join with the old limits refused:\n%s", r)
	}
	r := e.run("run", "--name", "upd", "--memory", "128m", "--pids", "50", "--cpus", "0.5", "--env", envAlloc+"=80", "--", e.alloc)
	if r.code != 0 {
		t.Fatalf("80 MiB under the raised limit:\n%s", r)
	}
	s := e.stats("upd")
	if s.MemoryMax != 128<<20 || s.CPUs != 0.5 || s.MemoryPeak < 80<<20 || s.OOMKills != 0 {
		t.Fatalf("want memory.max 128 MiB, 0.5 CPUs, peak >= 80 MiB, no OOM kill; got %+v", s)
	}
	if r := e.mustRun("stats", "upd"); !strings.Contains(r.stdout, "128 MiB") {
		t.Fatalf("table without the limit:\n%s", r)
	}
}

func TestGroupRemoved_AfterStopAndKill9(t *testing.T) {
	e := newEnv(t)
	e.mustRun("run", "--name", "gone", "--", "true")
	cg := e.state("gone").Cgroup
	e.mustRun("stop", "gone")
	if _, err := os.Stat(cg); !os.IsNotExist(err) {
		t.Fatalf("group %s left after stop: %v", cg, err)
	}
	e.mustRun("run", "--name", "gone", "--", "true")
	st := e.state("gone")
	syscall.Kill(st.Supervisor, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for st.Alive() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	e.mustRun("ps")
	if _, err := os.Stat(st.Cgroup); !os.IsNotExist(err) {
		t.Fatalf("group %s left after kill -9 and devbox ps: %v", st.Cgroup, err)
	}
}

func TestNestedGroups_Inside(t *testing.T) {
	e := newEnv(t)
	// Sessions start in /sessions, init sits in /init: the root holds no
	// process, so groups made inside get controllers.
	script := `cat /proc/self/cgroup; mkdir /sys/fs/cgroup/inner && echo $$ > /sys/fs/cgroup/inner/cgroup.procs && cat /proc/self/cgroup /sys/fs/cgroup/inner/cgroup.controllers`
	r := e.run("run", "--name", "nest", "--", "sh", "-c", script)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "0::/sessions\n0::/inner\ncpu memory pids" {
		t.Fatalf("want a nested group inside:\n%s", r)
	}
	cg := e.state("nest").Cgroup
	if _, err := os.Stat(filepath.Join(cg, "inner")); err != nil {
		t.Fatalf("nested group not under the sandbox's group: %v", err)
	}
	e.mustRun("stop", "nest")
	if _, err := os.Stat(cg); !os.IsNotExist(err) {
		t.Fatalf("group %s with a nested group left after stop: %v", cg, err)
	}
}

// runtimeKeep keeps the allocation alive until here.
func runtimeKeep(mem [][]byte) { _ = len(mem) }
