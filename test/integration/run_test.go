//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExitStatusPassesThrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	notExec := filepath.Join(e.project, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\necho ran\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want int
	}{
		{"zero", []string{"run", "--", "true"}, 0},
		{"own code", []string{"run", "--", "sh", "-c", "exit 3"}, 3},
		{"SIGTERM is 143", []string{"run", "--", "sh", "-c", "kill -TERM $$"}, 143},
		{"SIGKILL is 137", []string{"run", "--", "sh", "-c", "kill -KILL $$"}, 137},
		{"not executable is 126", []string{"run", "--", notExec}, 126},
		{"directory is 126", []string{"run", "--", "/etc"}, 126},
		{"not found is 127", []string{"run", "--", "devbox-no-such-command"}, 127},
		{"missing path is 127", []string{"run", "--", "/nonexistent/cmd"}, 127},
		{"bad flag is 125", []string{"run", "--no-such-flag", "--", "true"}, 125},
		{"bad network is 125", []string{"run", "--network", "bogus", "--", "true"}, 125},
		{"tty exit code", []string{"run", "-t", "--", "sh", "-c", "exit 5"}, 5},
	} {
		r := e.run(tt.args...)
		if r.code != tt.want {
			t.Errorf("%s: devbox %s: got exit %d, want %d\n%s", tt.name, strings.Join(tt.args, " "), r.code, tt.want, r)
		}
		if tt.want >= 125 && tt.want != 137 && tt.want != 143 && strings.TrimSpace(r.stderr) == "" {
			t.Errorf("%s: exit %d without a message on stderr", tt.name, r.code)
		}
	}
}

func TestStdioPassesThrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runInput("hello\nworld\n", "run", "--", "cat")
	if r.code != 0 || r.stdout != "hello\nworld\n" {
		t.Errorf("echo data | devbox run -- cat:\n%s", r)
	}
	r = e.run("run", "--", "sh", "-c", "echo to-out; echo to-err >&2")
	if r.stdout != "to-out\n" || !strings.Contains(r.stderr, "to-err") || strings.Contains(r.stdout, "to-err") {
		t.Errorf("stdout and stderr not kept apart:\n%s", r)
	}
	// A megabyte of binary data survives the trip both ways.
	data := bytes.Repeat([]byte{0, 1, 2, 255, '\n', 'x'}, 1<<18/6*4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := e.command(ctx, "run", "--", "cat")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("devbox run -- cat with %d bytes: %v", len(data), err)
	}
	if sha256.Sum256(out) != sha256.Sum256(data) {
		t.Errorf("cat inside returned %d bytes, different from the %d sent", len(out), len(data))
	}
	// EOF on stdin reaches the command.
	r = e.runInput("three\nlines\nhere\n", "run", "--", "wc", "-l")
	if strings.TrimSpace(r.stdout) != "3" {
		t.Errorf("wc -l inside: %s", r)
	}
}

func TestSignalToClientReachesSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("run", "--", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := e.command(ctx, "run", "--", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForInside(t, e, "sleep 30")
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Errorf("devbox run -- sleep 30 after SIGTERM: %v, want exit 143", err)
	}
	waitGoneInside(t, e, "sleep 30")
}

// TestSignalWithoutSessionEndsClient: the client watches the signals it
// forwards from its start (sandbox/signals.go), but with no session to
// forward to, one ends it as before: here while it waits for the start
// lock another devbox holds.
func TestSignalWithoutSessionEndsClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("run", "--", "true")
	name := e.only().Name
	e.must("stop", name)
	lock, err := os.OpenFile(e.stateDir(name)+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := e.command(ctx, "run", "--", "true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitInSyscall(t, cmd.Process.Pid, sysFlock)
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("devbox run waiting for the start lock, after SIGTERM: %v, want ended by SIGTERM", err)
	}
	if n := len(e.ps()); n != 0 {
		t.Errorf("%d sandboxes after the client ended before its start, want 0", n)
	}
}

// sysFlock is flock(2)'s number on amd64, as /proc/PID/task/TID/syscall
// shows it.
const sysFlock = "73"

// waitInSyscall waits until a thread of pid is blocked in syscall nr.
func waitInSyscall(t *testing.T, pid int, nr string) {
	t.Helper()
	eventually(t, 10*time.Second, func() string {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "syscall"))
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && strings.Fields(string(b) + " x")[0] == nr {
				return ""
			}
		}
		return "not in syscall " + nr
	})
}

func TestSecondSessionSeesFirstSessionsProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := e.command(ctx, "run", "--", "sleep", "30")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		first.Process.Kill()
		first.Wait()
	}()
	waitForInside(t, e, "sleep 30")
	// Both sessions are children of the one init.
	out := e.must("run", "--", "ps", "-e", "-o", "ppid=,args=")
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), "sleep 30") && strings.Fields(l)[0] != "1" {
			t.Errorf("first session is not a child of PID 1:\n%s", out)
		}
	}
	if n := len(e.ps()); n != 1 {
		t.Errorf("two sessions made %d sandboxes, want 1", n)
	}
}

func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
