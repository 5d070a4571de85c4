//go:build integration

package integration

// Escape tests, host side (issue 10, sections 2, 3 and 5): code in a
// sandbox cannot reach back to the user's terminal, home or devbox's own
// state, and what the probe found unreliable stays fixed. Each test names
// the finding it pins.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// TestEscape_BackgroundProcessCannotReadTerminalAfterRun: a process left in
// the background by 'devbox run' without -t kept the caller's terminal and
// read the host shell's keystrokes after the command returned.
func TestEscape_BackgroundProcessCannotReadTerminalAfterRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := startTmux(t, e, 120, 30, "/bin/sh")
	tm.waitFor(promptRE, 10*time.Second)
	// fd 3 keeps the session's stdin for the background cat (sh gives an
	// asynchronous list /dev/null otherwise).
	tm.send(shellQuote([]string{devboxBin, "run", "--", "sh", "-c", "exec 3<&0; cat <&3 >leak.txt & echo bg-started"})+`; echo "run-exit=$?"`, true)
	tm.waitFor(`(?m)^run-exit=0\s*$`, 30*time.Second)
	// The host shell waits without reading its terminal; what is typed
	// meanwhile stays in the terminal for whoever reads it: the shell once
	// the wait ends, or a process in the sandbox that still holds it.
	tm.send(`echo waiting; while [ ! -e go ]; do sleep 0.05; done; echo loop-done`, true)
	tm.waitFor(`(?m)^waiting\s*$`, 10*time.Second)
	tm.send("echo secret-$((40+2))", true)
	// The line discipline echoes it while nobody reads: then it is in the
	// terminal's queue before the loop may end (tmux delivers keys on its
	// own schedule).
	tm.waitFor(regexp.QuoteMeta("echo secret-$((40+2))"), 10*time.Second)
	if err := os.WriteFile(filepath.Join(e.project, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	scr := tm.waitFor(`(?m)^loop-done\s*$`, 10*time.Second)
	scr = tm.waitFor(`(?m)secret-42\s*$`, 10*time.Second) // after the prompt
	leak, _ := os.ReadFile(filepath.Join(e.project, "leak.txt"))
	if strings.Contains(string(leak), "secret") {
		t.Errorf("a background process in the sandbox read the host terminal: leak.txt = %q\n%s", leak, scr)
	}
}

// TestRun_TerminalOutputStaysATerminal: without -t, output to a terminal
// still is a terminal inside (colours, columns), with the terminal's size,
// stdin from a terminal reads lines and ends at ^D, and the exit status and
// a pipe on stdout pass through as before.
func TestRun_TerminalOutputStaysATerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := `test -t 1 && echo out-tty; test -t 2 && echo err-tty >&2; test -t 0 && echo in-tty; stty size <&1; read line; echo "got=$line"; cat; echo cat-done; exit 7`
	tm := startTmux(t, e, 100, 30, shellQuote([]string{devboxBin, "run", "--", "sh", "-c", script})+`; echo "devbox-exit=$?"`)
	want := tm.paneSize()
	tm.waitFor(`(?m)^`+want+`\s*$`, 30*time.Second)
	tm.send("hello relay", true)
	tm.waitFor(`(?m)^got=hello relay\s*$`, 10*time.Second)
	tm.send("partial", false)
	tm.key("C-d") // pushes the partial line, as on the host
	tm.key("C-d") // end of file
	scr := tm.waitFor(`(?m)^devbox-exit=\d+\s*$`, 10*time.Second)
	for _, w := range []string{"out-tty", "err-tty", "in-tty", "partialcat-done", "devbox-exit=7"} {
		if !strings.Contains(scr, w) {
			t.Errorf("terminal does not show %q:\n%s", w, scr)
		}
	}
	// A pipe still passes directly (the fast path): no terminal there.
	tm2 := startTmux(t, e, 100, 30, shellQuote([]string{devboxBin, "run", "--", "sh", "-c", "test -t 1 || echo out-pipe"})+" | cat; echo pipe-done")
	scr = tm2.waitFor(`(?m)^pipe-done\s*$`, 30*time.Second)
	if !strings.Contains(scr, "out-pipe") {
		t.Errorf("stdout piped on the host is a terminal inside:\n%s", scr)
	}
}

// homeDir is the test user's home as devbox sees it (the password file).
func homeDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `getent passwd "$(id -u)" | cut -d: -f6`).Output()
	home := strings.TrimSpace(string(out))
	if err != nil || home == "" || home == "/" {
		t.Fatalf("find the test user's home: %v (%q)", err, home)
	}
	if r, err := filepath.EvalSymlinks(home); err == nil {
		home = r
	}
	return home
}

// scratchInHome makes a directory in the real home, removed at the end.
func scratchInHome(t *testing.T, home string) string {
	t.Helper()
	dir, err := os.MkdirTemp(home, ".dbx-escape-")
	if err != nil {
		t.Fatalf("make a directory in %s: %v", home, err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// runIn runs devbox with args in dir (PWD set to dir, as a shell does).
func (e *env) runIn(dir string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, "PWD="+dir)
	return collect(e.t, ctx, cmd, "devbox "+strings.Join(args, " ")+" in "+dir)
}

// TestEscape_DotfilesRepoAtHomeIsNotTheProject: with a git repository at
// $HOME, every subdirectory resolved to project = $HOME, bound read-write.
func TestEscape_DotfilesRepoAtHomeIsNotTheProject(t *testing.T) {
	home := homeDir(t)
	gitDir := filepath.Join(home, ".git")
	if _, err := os.Stat(gitDir); os.IsNotExist(err) {
		if err := os.Mkdir(gitDir, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(gitDir) })
	}
	e := newEnv(t)
	sub := filepath.Join(scratchInHome(t, home), "notes")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(home, ".dbx-escape-secret")
	os.WriteFile(secret, []byte("key"), 0o600)
	t.Cleanup(func() { os.Remove(secret) })

	r := e.runIn(sub, "run", "--", "sh", "-c", `pwd; if test -e "$1"; then echo home-visible; fi`, "sh", secret)
	if r.code != 0 {
		t.Fatalf("devbox run in a subdirectory of a dotfiles home: %s", r)
	}
	if !strings.Contains(r.stderr, "using the current directory "+sub) {
		t.Errorf("devbox does not say it fell back to the current directory:\n%s", r)
	}
	if strings.Contains(r.stdout, "home-visible") {
		t.Errorf("the host's home is visible in the sandbox:\n%s", r)
	}
	if p := e.only().Project; p != sub {
		t.Errorf("project = %q, want the current directory %q", p, sub)
	}
}

// TestEscape_HomeAndSharedDirsRefusedAsProject: $HOME, its ancestors, /tmp
// and /var/tmp are refused with exit 125 and the reason; --project may
// still choose $HOME.
func TestEscape_HomeAndSharedDirsRefusedAsProject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home := homeDir(t)
	tests := []struct {
		dir    string
		args   []string
		reason string
	}{
		{"/tmp", nil, "shared temporary directory"},
		{"/var/tmp", nil, "shared temporary directory"},
		{"/tmp", []string{"--network", "host"}, "shared temporary directory"},
		{home, nil, "your home directory"},
		{filepath.Dir(home), nil, "contains your home directory"},
		{e.project, []string{"--project", "/"}, "contains your home directory"},
		{e.project, []string{"--project", e.runtime}, "contains devbox's runtime dir"},
		{e.project, []string{"--project", filepath.Dir(e.data)}, "contains devbox's data dir"},
	}
	for _, tt := range tests {
		args := append(append([]string{"run"}, tt.args...), "--", "true")
		r := e.runIn(tt.dir, args...)
		if r.code != 125 || !strings.Contains(r.stderr, tt.reason) {
			t.Errorf("devbox %s in %s: want exit 125 naming %q, got %s", strings.Join(args, " "), tt.dir, tt.reason, r)
		}
	}
	if len(e.ps()) != 0 {
		t.Errorf("a refused project started a sandbox: %+v", e.ps())
	}
}

// TestEscape_RuntimeAndDataDirsNotVisibleInside: with project = /tmp the
// sandbox reached every sandbox's sockets and state. Where a project or a
// mount holds devbox's runtime or data dir, the sandbox sees it empty.
func TestEscape_RuntimeAndDataDirsNotVisibleInside(t *testing.T) {
	home := homeDir(t)
	data := filepath.Join(scratchInHome(t, home), "data")
	e := newEnv(t)
	e.data = data
	// A [[mounts]] of the runtime dir's parent.
	toml := fmt.Sprintf("[[mounts]]\nsource = %q\ntarget = \"/mnt/rt\"\n", e.runtime)
	e.writeTrusted(toml)
	out := e.must("run", "--", "sh", "-c", "ls -A /mnt/rt/devbox | wc -l")
	if strings.TrimSpace(out) != "0" {
		t.Errorf("devbox's runtime dir shows inside through a mount of its parent: %q entries", out)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.runtime, "devbox")); len(ents) == 0 {
		t.Errorf("the host's runtime dir is empty: the test proves nothing")
	}
	// --project $HOME, which holds the data dir.
	dataDir := filepath.Join(data, "devbox")
	out = e.must("run", "--project", home, "--", "sh", "-c", `ls -A "$1" | wc -l; test -d "$2" && echo project-bound`, "sh", dataDir, filepath.Dir(data))
	if got := strings.Fields(out); len(got) != 2 || got[0] != "0" {
		t.Errorf("devbox's data dir %s shows inside a sandbox whose project holds it: %q", dataDir, out)
	}
	if ents, _ := os.ReadDir(dataDir); len(ents) == 0 {
		t.Errorf("the host's data dir %s is empty: the test proves nothing", dataDir)
	}
	// A mount from inside devbox's own dirs is refused outright.
	toml = fmt.Sprintf("[[mounts]]\nsource = %q\ntarget = \"/mnt/rt\"\n", filepath.Join(e.runtime, "devbox"))
	e.writeTrusted(toml)
	if r := e.run("run", "--name", "other", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "inside devbox's own dir") {
		t.Errorf("a mount of devbox's runtime dir: want exit 125, got %s", r)
	}
}

// TestSymlinkedProjectStartsInItsDir: run from a symlinked project dir,
// the session started in /.
func TestSymlinkedProjectStartsInItsDir(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := filepath.Join(e.project, "src")
	os.Mkdir(sub, 0o755)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(e.project, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dir, want string }{{link, e.project}, {filepath.Join(link, "src"), sub}} {
		r := e.runIn(tt.dir, "run", "--", "pwd", "-P")
		if r.code != 0 || strings.TrimSpace(r.stdout) != tt.want {
			t.Errorf("devbox run -- pwd in %s: want %s, got %s", tt.dir, tt.want, r)
		}
	}
}

// TestRmRunsLeaveNoLockFiles: 50 --rm runs left 57 *.lock files.
func TestRmRunsLeaveNoLockFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := 0; i < 50; i++ {
		if r := e.run("run", "--rm", "--network", "none", "--", "true"); r.code != 0 {
			t.Fatalf("run %d: %s", i, r)
		}
	}
	ents, err := os.ReadDir(filepath.Join(e.runtime, "devbox"))
	if err != nil {
		t.Fatal(err)
	}
	var locks, other []string
	for _, d := range ents {
		if strings.HasSuffix(d.Name(), ".lock") {
			locks = append(locks, d.Name())
		} else {
			other = append(other, d.Name())
		}
	}
	if len(locks) != 0 {
		t.Errorf("after 50 --rm runs the runtime dir holds %d lock files: %v", len(locks), locks)
	}
	if len(other) != 0 {
		t.Logf("after 50 --rm runs the runtime dir also holds: %v", other)
	}
}

// TestFailedStartNamesAnExistingLog: an error that says "see
// .../supervisor.log" named a file already removed with the runtime dir.
// The init here is /bin/false, so the sandbox process exits during setup.
func TestFailedStartNamesAnExistingLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bin := t.TempDir()
	copyFile(t, devboxBin, filepath.Join(bin, "devbox"))
	for _, b := range []string{"devbox-front", "devbox-engine", "devbox-supervisor"} {
		copyFile(t, filepath.Join(filepath.Dir(devboxBin), b), filepath.Join(bin, b))
	}
	copyFile(t, "/bin/false", filepath.Join(bin, "devbox-init"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "devbox"), "run", "--rm", "--", "true")
	cmd.Dir, cmd.Env = e.project, e.environ()
	r := collect(t, ctx, cmd, "devbox run with a failing init")
	i := strings.Index(r.stderr, "(see ")
	if r.code != 125 || i < 0 {
		t.Fatalf("want exit 125 and a log to see, got %s", r)
	}
	path := strings.TrimSuffix(strings.Fields(r.stderr[i+len("(see "):])[0], ")")
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the error names %s, which does not exist: %v\n%s", path, err, r)
	}
}

// TestEscape_HostGroupsDoNotReachTheSandbox: a host group such as docker,
// disk or a project group opens sockets, devices and files that the
// sandbox can see (a socket on a read-only bind still connects). No
// process in the sandbox holds a supplementary group: not init, not the
// first session, not a joined one, not a root one, not a strict one.
func TestEscape_HostGroupsDoNotReachTheSandbox(t *testing.T) {
	t.Parallel()
	if len(extraGroups(t)) == 0 {
		testutil.Skip(t, "the test user is in no group besides its own, so there is nothing to leak: test.sh adds it to devbox-extra (groupadd devbox-extra; usermod -aG devbox-extra USER)")
	}
	e := newEnv(t)
	const probe = "grep ^Groups: /proc/self/status"
	checks := []struct {
		what string
		args []string
	}{
		{"init and the first session", []string{"run", "--", "sh", "-c", probe + " /proc/1/status"}},
		{"a joined session", []string{"run", "--", "sh", "-c", probe}},
		{"a root session", []string{"run", "--user", "root", "--", "sh", "-c", probe}},
		{"a strict throwaway sandbox", []string{"run", "--rm", "--security", "strict", "--network", "none", "--", "sh", "-c", probe}},
	}
	for _, c := range checks {
		out := e.must(c.args...)
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			_, groups, _ := strings.Cut(line, "Groups:")
			if len(strings.Fields(groups)) != 0 {
				t.Errorf("%s: want no supplementary groups (host groups %v), got %q", c.what, extraGroups(t), line)
			}
		}
	}
}

// extraGroups returns the test process's supplementary groups other than
// its own group.
func extraGroups(t *testing.T) []int {
	t.Helper()
	groups, err := os.Getgroups()
	if err != nil {
		t.Fatalf("read own groups: %v", err)
	}
	var extra []int
	for _, g := range groups {
		if g != os.Getgid() {
			extra = append(extra, g)
		}
	}
	return extra
}
