//go:build integration

package integration

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// A joined sandbox forks user = "self" sessions through init's spawner
// (internal/initproc/spawner.go), in one nested user namespace, instead of
// a namespace per session. Its sessions must get no more than the direct
// path gave, and less where it was loose (the bounding set), and code in a
// session that kills the spawner must lose nothing but speed.
func TestEscape_SpawnerSessionsConfinedAndRecoverable(t *testing.T) {
	t.Parallel()
	if os.Getuid() == 0 {
		t.Skip("devbox run by root has no self sessions (user = self is root): nothing to spawn")
	}
	e := newEnv(t)
	e.must("run", "--", "true")
	e.must("run", "--", "true") // the first join starts the spawner
	var st map[string]string
	var parent string
	eventually(t, patience(10e9), func() string {
		out := e.sh(`cat /proc/self/status; echo ===; cat /proc/$PPID/comm`)
		parts := strings.Split(out, "===\n")
		if len(parts) != 2 {
			return "unexpected output:\n" + out
		}
		st, parent = statusFields(parts[0]), strings.TrimSpace(parts[1])
		if parent != "devbox-sessions" {
			return "the session's parent is " + parent + ", not the spawner"
		}
		return ""
	})
	for k, want := range map[string]string{"CapBnd": defaultCaps, "CapPrm": "0000000000000000", "CapEff": "0000000000000000", "CapInh": "0000000000000000", "CapAmb": "0000000000000000"} {
		if st[k] != want {
			t.Errorf("spawned session %s = %s, want %s", k, st[k], want)
		}
	}
	if st["Seccomp"] != "2" {
		t.Errorf("spawned session Seccomp = %s, want 2 (filtered)", st["Seccomp"])
	}
	if got := strings.TrimSpace(e.sh("id -u")); got != strconv.Itoa(os.Getuid()) {
		t.Errorf("spawned session runs as uid %s, want %s", got, strconv.Itoa(os.Getuid()))
	}
	// The spawner is not readable from a session (not dumpable, and it
	// holds capabilities the session lacks).
	if out := e.sh(`p=$(pgrep -x devbox-sessions); head -c1 /proc/$p/environ >/dev/null 2>&1 && echo readable; true`); out != "" {
		t.Errorf("a session read the spawner's memory: %s", out)
	}
	if r := e.run("run", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exit status through the spawner: %s", r)
	}
	// Killing the spawner from inside: later sessions start without it.
	e.run("run", "--", "sh", "-c", "pkill -KILL -x devbox-sessions")
	if r := e.run("run", "--", "sh", "-c", "id -u; exit 3"); r.code != 3 || strings.TrimSpace(r.stdout) != strconv.Itoa(os.Getuid()) {
		t.Errorf("a session after the spawner died: %s", r)
	}
}

// A strict sandbox's spawner confines itself as a strict session's stage
// would, so the sessions it forks (no stage of their own) hold nothing
// either: no capability at all, no_new_privs, the default and strict
// filters.
func TestEscape_StrictSpawnerSessionsConfined(t *testing.T) {
	t.Parallel()
	if os.Getuid() == 0 {
		t.Skip("devbox run by root has no self sessions (user = self is root): nothing to spawn")
	}
	e := newEnv(t)
	e.writeConfig("security = \"strict\"\n")
	e.must("run", "--", "true")
	e.must("run", "--", "true") // the first join starts the spawner
	var st map[string]string
	eventually(t, patience(10e9), func() string {
		out := e.sh(`cat /proc/self/status; echo ===; cat /proc/$PPID/comm`)
		parts := strings.Split(out, "===\n")
		if len(parts) != 2 {
			return "unexpected output:\n" + out
		}
		st = statusFields(parts[0])
		if p := strings.TrimSpace(parts[1]); p != "devbox-sessions" {
			return "the session's parent is " + p + ", not the spawner"
		}
		return ""
	})
	for _, k := range []string{"CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"} {
		if st[k] != "0000000000000000" {
			t.Errorf("strict spawned session %s = %s, want none", k, st[k])
		}
	}
	if st["NoNewPrivs"] != "1" || st["Seccomp"] != "2" {
		t.Errorf("strict spawned session NoNewPrivs %s Seccomp %s, want 1 and 2", st["NoNewPrivs"], st["Seccomp"])
	}
	// The strict filter: no new user namespace, no mount.
	if out := e.sh(`unshare -U true 2>/dev/null && echo unshared; true`); out != "" {
		t.Errorf("a strict spawned session created a user namespace: %s", out)
	}
	if r := e.run("run", "--", "sh", "-c", "exit 5"); r.code != 5 {
		t.Errorf("exit status through the strict spawner: %s", r)
	}
}
