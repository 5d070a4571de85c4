//go:build integration

package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/project"
	"github.com/devbox-dev/devbox/internal/testutil"
)

// Issue 12: a sandbox that feels like home.

// toolDir makes a directory holding an executable NAME that prints
// "NAME-ok", under parent, and returns it.
func toolDir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, "tools-"+name, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\necho "+name+"-ok\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Found: Go at /usr/local/go/bin was on the host PATH, but `devbox run --
// go version` gave 127. A host PATH entry the sandbox shows reaches run;
// one it does not show is dropped.
func TestHome_HostPathReachesRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shown := toolDir(t, e.project, "hosttool")
	hidden := filepath.Join(t.TempDir(), "not-inside")
	if err := os.MkdirAll(hidden, 0o755); err != nil {
		t.Fatal(err)
	}
	e.path = shown + ":" + hidden + ":" + e.path
	if out := e.must("run", "--", "hosttool"); out != "hosttool-ok\n" {
		t.Errorf("devbox run -- hosttool: got %q", out)
	}
	path := e.sh(`echo "$PATH"`)
	if !strings.HasPrefix(path, shown+":") || strings.Contains(path, hidden) {
		t.Errorf("PATH inside = %q: want the host's, starting with %s, without %s", path, shown, hidden)
	}
}

// Found: [env] PATH fixed run but not enter, whose login shell resets PATH
// through /etc/profile. The rc files put the host PATH back, in sh and bash.
func TestHome_HostPathSurvivesLoginShell(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"/bin/sh", "/bin/bash"} {
		t.Run(filepath.Base(sh), func(t *testing.T) {
			if _, err := os.Stat(sh); err != nil {
				t.Skipf("%s is not installed here", sh)
			}
			e := newEnv(t)
			e.writeConfig("shell = \"" + sh + "\"\n")
			shown := toolDir(t, e.project, "logintool")
			e.path = shown + ":" + e.path
			tm := newTmux(t, e, 200, 30, "enter")
			tm.waitFor(promptRE, 15*time.Second)
			tm.roundTrip("ready")
			tm.send("logintool; echo \"path=$PATH\"", true)
			scr := tm.waitFor(`(?m)^path=`, 10*time.Second)
			if !strings.Contains(scr, "logintool-ok") || !strings.Contains(scr, "path="+shown+":") {
				t.Errorf("in the login shell the host PATH is lost:\n%s", scr)
			}
		})
	}
}

// -e NAME passes the host's value, as docker run -e does; --env-file reads
// a file, and -e wins over it; the default pass-through list and [env]
// pass reach the session, other host variables do not.
func TestHome_EnvFromHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.extra = append(e.extra, "FROM_HOST=host value", "EDITOR=vi", "https_proxy=http://127.0.0.1:3128",
		"MY_TOOL_A=a", "SECRET_TOKEN=s")
	e.writeConfig("[env]\npass = [\"MY_TOOL_*\"]\n")
	file := filepath.Join(t.TempDir(), "vars.env")
	if err := os.WriteFile(file, []byte("# comment\nFILE_A=from file\nFILE_B=file\nFROM_HOST\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.must("run", "--env-file", file, "-e", "FROM_HOST", "-e", "FILE_B=flag", "--",
		"sh", "-c", `echo "$FROM_HOST|$FILE_A|$FILE_B|$EDITOR|$https_proxy|$MY_TOOL_A|${SECRET_TOKEN-unset}"`)
	if want := "host value|from file|flag|vi|http://127.0.0.1:3128|a|unset\n"; out != want {
		t.Errorf("session env: got %q, want %q", out, want)
	}
}

// -v SRC:DST[:ro] and --mount bind host paths; on a running sandbox a new
// volume is a config change that needs a restart.
func TestHome_VolumeFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("shared\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.must("run", "--rm", "-v", src+":/mnt/rw", "--mount", "type=bind,source="+src+",target=/mnt/ro,readonly", "--",
		"sh", "-c", "cat /mnt/rw/f; echo new > /mnt/rw/g; echo x > /mnt/ro/h 2>/dev/null || echo ro-refused")
	if out != "shared\nro-refused\n" {
		t.Errorf("-v and --mount: got %q", out)
	}
	if b, err := os.ReadFile(filepath.Join(src, "g")); err != nil || string(b) != "new\n" {
		t.Errorf("a write through -v did not reach the host: %q, %v", b, err)
	}
	e.must("run", "--", "true")
	r := e.run("run", "-v", src+":/mnt/late", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "changed: mounts") || !strings.Contains(r.stderr, "devbox restart") {
		t.Errorf("a new volume on a running sandbox: want 125 naming mounts and devbox restart:\n%s", r)
	}
}

func TestHome_Version(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out := e.must(args...)
		if !strings.HasPrefix(out, "devbox ") || !strings.Contains(out, "\ngo: go") || !strings.Contains(out, "user namespaces") {
			t.Errorf("devbox %s:\n%s", args[0], out)
		}
	}
}

// Found: cobra's own tests fail inside because sessions ran as uid 0.
// Sessions are the invoking user by default; --user root gives root in the
// same sandbox; setup steps run as root.
func TestHome_UserSelfByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("setup = [\"id -u > /tmp/setup-uid\"]\n")
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if out, want := e.sh("id -u; echo $USER; cat /tmp/setup-uid"), me.Uid+"\n"+me.Username+"\n0\n"; out != want {
		t.Errorf("default session: id -u, $USER, setup's uid = %q, want %q", out, want)
	}
	if out := e.must("run", "--user", "root", "--", "sh", "-c", "id -u; echo $USER"); out != "0\nroot\n" {
		t.Errorf("--user root: got %q, want 0 and root", out)
	}
	if r := e.run("run", "--user", "admin", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "valid choices are root, self") {
		t.Errorf("--user admin: want 125 naming the choices:\n%s", r)
	}
}

// A sandbox started as root keeps root for sessions without --user until
// devbox restart, which applies the default.
func TestHome_ExistingSandboxKeepsUserUntilRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("user = \"root\"\n")
	if out := e.sh("id -u"); out != "0\n" {
		t.Fatalf("user = root: id -u = %q", out)
	}
	e.writeConfig("")
	if out := e.sh("id -u"); out != "0\n" {
		t.Errorf("after removing user from devbox.toml, the running sandbox's sessions: id -u = %q, want 0 until restart", out)
	}
	e.must("restart")
	if out, want := e.sh("id -u"), fmt.Sprintln(os.Getuid()); out != want {
		t.Errorf("after devbox restart: id -u = %q, want %q", out, want)
	}
}

func TestHome_WelcomeSaysHowToBeRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tm := newTmux(t, e, 160, 30, "enter")
	tm.waitFor(promptRE, 15*time.Second)
	scr := tm.screen()
	if !strings.Contains(scr, "devbox enter --user root") {
		t.Errorf("the welcome line does not say how to become root:\n%s", scr)
	}
}

// inRealHome writes a file into the test user's real home (the sandbox's
// binds come from the passwd home) unless it exists, and removes it after
// the test.
func inRealHome(t *testing.T, rel, content string) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(u.HomeDir, rel)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Skipf("cannot write into the test user's home: %v", err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Skipf("cannot write into the test user's home: %v", err)
	}
	t.Cleanup(func() { os.Remove(p) })
	return p
}

// Found: git commit inside failed with "Author identity unknown". The git
// config is bound read-only into the private home; home_files adds more.
func TestHome_GitIdentityAndHomeFiles(t *testing.T) {
	testutil.RequireBinary(t, "git")
	e := newEnv(t)
	gc := inRealHome(t, ".gitconfig", "[user]\n\tname = Devbox Tester\n\temail = tester@devbox.invalid\n")
	name := fmt.Sprintf(".devbox-home-file-%d", os.Getpid())
	inRealHome(t, name, "dotfile\n")
	e.writeConfig(fmt.Sprintf("home_files = [\"~/%s\", \"~/.devbox-missing-file\"]\n", name))
	want, _ := exec.Command("git", "config", "--file", gc, "user.email").Output()
	out := e.sh("git config --global user.email; cat ~/" + name + "; echo x >> ~/.gitconfig 2>/dev/null || echo gitconfig-ro; echo x >> ~/" + name + " 2>/dev/null || echo file-ro")
	if out != string(want)+"dotfile\ngitconfig-ro\nfile-ro\n" {
		t.Errorf("inside: got %q, want the host's git email %q, the home file, and both read-only", out, want)
	}
	e.sh("git init -q repo && cd repo && git commit -q --allow-empty -m first && git log -1 --format=%ae")
}

// Found: each sandbox downloaded the same Go modules again. Two sandboxes
// share the Go module cache, which lives in devbox's data dir, not in the
// host's own caches; cache = false turns it off.
func TestHome_SandboxesSharePackageCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sh(`echo mod > "$GOMODCACHE/shared-marker"; echo build > "$GOCACHE/marker"`)
	if out := e.must("run", "--name", "other-sandbox", "--", "sh", "-c", `cat ~/go/pkg/mod/shared-marker ~/.cache/go-build/marker`); out != "mod\nbuild\n" {
		t.Errorf("the second sandbox sees %q in the Go caches, want the first one's files", out)
	}
	if _, err := os.Stat(filepath.Join(e.data, "devbox", "cache", "go-mod", "shared-marker")); err != nil {
		t.Errorf("the shared cache is not in devbox's data dir: %v", err)
	}
	e.writeConfig("cache = false\n")
	if out := e.must("run", "--name", "no-cache", "--", "sh", "-c", `ls ~/go/pkg/mod/shared-marker 2>/dev/null || echo absent; echo "${GOMODCACHE-unset}"`); out != "absent\nunset\n" {
		t.Errorf("with cache = false: got %q", out)
	}
	// The strict profile has no shared cache unless cache = true asks.
	if out := e.must("run", "--name", "strict-cache", "--security", "strict", "--", "sh", "-c", `ls ~/go/pkg/mod/shared-marker 2>/dev/null || echo absent`); out != "absent\n" {
		t.Errorf("a strict sandbox sees the shared cache by default: %q", out)
	}
}

// ps -a lists a stopped sandbox with its data size; rm finds it by the
// project's basename.
func TestHome_PsAllAndRmByBasename(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	name := e.only2()
	e.must("stop", filepath.Base(e.project))
	out := e.must("ps", "-a")
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+\S+\s+stopped\s`).MatchString(out) {
		t.Errorf("devbox ps -a does not list the stopped %s:\n%s", name, out)
	}
	if r := e.must("ps"); strings.Contains(r, name) {
		t.Errorf("devbox ps lists the stopped sandbox:\n%s", r)
	}
	if out := e.must("rm", filepath.Base(e.project)); out != name+"\n" {
		t.Errorf("devbox rm BASENAME: got %q, want %q", out, name)
	}
	if out := e.must("ps", "-a"); strings.Contains(out, name) {
		t.Errorf("after rm, ps -a still lists it:\n%s", out)
	}
}

// shRoot is sh as root inside (--user root): for tests of what root sees.
func (e *env) shRoot(script string) string {
	e.t.Helper()
	return e.must("run", "--user", "root", "--", "sh", "-c", script)
}

// only2 starts the project's sandbox and returns its name.
func (e *env) only2() string {
	e.t.Helper()
	e.must("run", "--", "true")
	return e.only().Name
}

// Found: enter with no terminal hung forever.
func TestHome_EnterWithoutTerminalFailsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cmd := e.command(ctx, "enter")
	cmd.Stdin = nil // /dev/null
	r := collect(t, ctx, cmd, "devbox enter </dev/null")
	if r.code != 125 || !strings.Contains(r.stderr, "enter needs a terminal; use devbox run") {
		t.Errorf("devbox enter </dev/null: want 125 with a message at once:\n%s", r)
	}
}

// stop with an interactive bash open hangs it up and returns within 2 s
// (bash ignores SIGTERM); the joined terminal says the sandbox stopped.
func TestHome_StopHangsUpInteractiveShell(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/bash"); err != nil {
		t.Skip("bash is not installed here")
	}
	e := newEnv(t)
	e.writeConfig("shell = \"/bin/bash\"\n")
	tm := newTmux(t, e, 120, 30, "enter")
	tm.waitFor(promptRE, 15*time.Second)
	tm.roundTrip("ready")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r := collect(t, ctx, e.command(ctx, "stop", "--time", "30s"), "devbox stop with an open bash")
	if r.code != 0 {
		t.Fatalf("devbox stop: %s", r)
	}
	tm.waitFor(`devbox: sandbox stopped`, 10*time.Second)
}

// Found: the prompt "(devbox:vscode-remote-try-python-df3bf1)
// root@vscode-remote-try-python-df3bf1:~/..." wrapped. The hostname and
// the prompt show the project's basename; the hash only when another
// sandbox of the user has the same basename.
func TestHome_ShortHostnameAndPrompt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := filepath.Base(e.project)
	if got := e.must("run", "--", "hostname"); got != base+"\n" {
		t.Errorf("hostname = %q, want the project's basename %q", got, base)
	}
	tm := newTmux(t, e, 200, 30, "enter")
	tm.waitFor(`(?m)^\(devbox:`+regexp.QuoteMeta(base)+`\) `, 15*time.Second)
	tm.send("exit", true)
	tm.waitFor(`devbox-exit=0`, 10*time.Second)

	twinDir := filepath.Join(t.TempDir(), base)
	if err := os.MkdirAll(twinDir, 0o755); err != nil {
		t.Fatal(err)
	}
	twin := e.inDir(t, twinDir)
	twinName := project.Name(twin.project)
	if got := twin.must("run", "--", "hostname"); got != twinName+"\n" {
		t.Errorf("hostname of a second %q = %q, want its full name %q", base, got, twinName)
	}
	if got, want := e.sh(`echo "$DEVBOX_SHORT_NAME"`), project.Name(e.project)+"\n"; got != want {
		t.Errorf("DEVBOX_SHORT_NAME once a twin exists = %q, want the full name %q", got, want)
	}
}

// Found: apt-get install and pip install --user fail in the host view with
// dpkg's lock and PEP 668 errors. The interactive shell says why, and what
// to do instead, after the failure.
func TestHome_HostViewInstallHint(t *testing.T) {
	t.Parallel()
	testutil.RequireBinary(t, "dpkg")
	e := newEnv(t)
	tm := newTmux(t, e, 200, 30, "enter")
	tm.waitFor(promptRE, 15*time.Second)
	tm.roundTrip("ready")
	tm.send("dpkg -i /nonexistent.deb; echo \"dpkg-rc=$?\"", true)
	scr := tm.waitFor(`(?m)^dpkg-rc=`, 10*time.Second)
	if !strings.Contains(scr, "read-only in the host view") || !strings.Contains(scr, "dpkg-rc=2") {
		t.Errorf("a failed dpkg in the host view: want the hint and dpkg's status:\n%s", scr)
	}
	// devbox run of the installer itself: the client says it, after the
	// installer's own error, and passes its status through.
	r := e.run("run", "--", "dpkg", "-i", "/nonexistent.deb")
	if r.code != 2 || !strings.Contains(r.stderr, "read-only in the host view") {
		t.Errorf("devbox run -- dpkg in the host view: want dpkg's status 2 and the hint: %s", r)
	}
	if r := e.run("run", "--", "sh", "-c", "exit 2"); strings.Contains(r.stderr, "read-only") {
		t.Errorf("the hint follows a command that is not an installer: %s", r)
	}
}

// TestShellRCSharedButSealed: the shell start-up files come from one dir
// per user in devbox's data dir. Code inside cannot write them, even as
// root, nor see that dir; a stale or spoiled file there (an older devbox's,
// or one changed on the host) is replaced before the next sandbox reads it.
func TestShellRCSharedButSealed(t *testing.T) {
	e := newEnv(t)
	host := filepath.Join(e.data, "devbox", "shellinit", "shrc")
	for _, user := range []string{"self", "root"} {
		r := e.run("run", "--rm", "--network", "none", "--user", user, "--", "sh", "-c",
			"echo 'echo pwned' >> /run/devbox/shellinit/shrc || exit 3; echo wrote")
		if r.code != 3 || strings.Contains(r.stdout, "wrote") {
			t.Fatalf("as %s, a write to the shell rc files inside did not fail: %s", user, r)
		}
		if r := e.run("run", "--rm", "--network", "none", "--user", user, "--", "ls", filepath.Dir(host)); r.code == 0 && r.stdout != "" {
			t.Fatalf("as %s, the host's shell rc dir %s shows inside: %s", user, filepath.Dir(host), r)
		}
	}
	want, err := os.ReadFile(host)
	if err != nil {
		t.Fatalf("the shell rc files are not in devbox's data dir: %v", err)
	}
	if strings.Contains(string(want), "pwned") {
		t.Fatalf("code inside changed the shared shrc:\n%s", want)
	}
	if err := os.WriteFile(host, []byte("echo pwned\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.must("run", "--rm", "--network", "none", "--", "cat", "/run/devbox/shellinit/shrc")
	if out != string(want) {
		t.Fatalf("inside, shrc after a spoiled host copy is %q, want devbox's %q", out, want)
	}
	if got, _ := os.ReadFile(host); string(got) != string(want) {
		t.Fatalf("the spoiled host shrc was not replaced: %q", got)
	}
}

// A --rm sandbox's home is a tmpfs inside: the user's, mode 0700,
// writable, and nothing of it appears on the host while the sandbox runs
// or is left after it.
func TestHome_RmHomeStaysInside(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := e.command(ctx, "run", "--rm", "--network", "none", "--", "sh", "-c",
		`echo kept >"$HOME/rm-home-marker" && awk -v h="$HOME" '$5 == h { print $(NF-2) }' /proc/self/mountinfo && stat -c '%a %u' "$HOME" && id -u && cat "$HOME/rm-home-marker" && echo started && while [ ! -e rm-home-done ]; do sleep 0.05; done`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for sc := bufio.NewScanner(stdout); len(lines) < 5 && sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 5 {
		cancel()
		cmd.Wait()
		t.Fatalf("the sandbox's output ended early: %q", lines)
	}
	noMarker := func(when string) {
		for _, root := range []string{e.runtime, e.data} {
			filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Name() == "rm-home-marker" {
					t.Errorf("%s: the --rm home's file is on the host at %s", when, p)
				}
				return nil
			})
		}
	}
	noMarker("while it runs")
	if err := os.WriteFile(filepath.Join(e.project, "rm-home-done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("devbox run --rm: %v", err)
	}
	uid := lines[2]
	if lines[0] != "tmpfs" || lines[1] != "700 "+uid || lines[3] != "kept" {
		t.Errorf("--rm home: fs %q, mode and owner %q, file %q; want tmpfs, 700 %s, kept", lines[0], lines[1], lines[3], uid)
	}
	noMarker("after it")
	if homes, _ := filepath.Glob(filepath.Join(e.runtime, "*", "*", "home")); len(homes) > 0 {
		t.Errorf("a home dir on the host: %v", homes)
	}
}
