//go:build integration

package integration

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
	"github.com/devbox-dev/devbox/slirpnet"
)

func TestConfig_EnvAndMountsFromFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	os.MkdirAll(filepath.Join(e.project, "data"), 0o755)
	os.WriteFile(filepath.Join(e.project, "data", "f"), []byte("from-host\n"), 0o644)
	e.writeTrusted(`network = "none"
[env]
GREETING = "hello from toml"
[[mounts]]
source = "data"
target = "/mnt/data"
read_only = true
`)
	out := e.sh(`echo "$GREETING"; cat /mnt/data/f; touch /mnt/data/g 2>/dev/null && echo writable || echo read-only`)
	if out != "hello from toml\nfrom-host\nread-only\n" {
		t.Errorf("env and mount from devbox.toml: got %q", out)
	}
}

func TestConfig_FlagOverridesFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	os.MkdirAll(filepath.Join(e.project, "sub"), 0o755)
	e.writeConfig("network = \"none\"\nworkdir = \"sub\"\n[env]\nA = \"file\"\nB = \"file\"\n")
	out := e.must("run", "-e", "B=flag", "--", "sh", "-c", `echo "$A $B $(pwd)"`)
	if want := "file flag " + filepath.Join(e.project, "sub") + "\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	out = e.must("run", "-w", "/", "--", "pwd")
	if out != "/\n" {
		t.Errorf("--workdir over workdir: got %q, want /", out)
	}
}

func TestConfig_BadFileIsReportedWithPosition(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("network = \"none\"\nhostnme = \"x\"\n")
	r := e.run("run", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, `devbox.toml:2:11: unknown key "hostnme": did you mean "hostname"?`) {
		t.Errorf("want exit 125 with position and suggestion:\n%s", r)
	}
	if len(e.ps()) != 0 {
		t.Error("a sandbox started from a bad config")
	}
}

func TestSetup_RunsOnceRerunsOnChangeAndRetriesFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	count := filepath.Join(e.project, "count")
	base := "network = \"none\"\nidle_timeout = \"5m\"\n"
	e.writeConfig(base + `setup = ["echo step-one; id -u", "echo x >> count"]` + "\n")
	r := e.run("run", "--", "true")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "devbox: setup [1/2]: echo step-one; id -u\n  step-one\n  0\n") {
		t.Fatalf("first run: setup output on stderr with the step shown, stdout clean:\n%s", r)
	}
	e.must("run", "--", "true")
	if b, _ := os.ReadFile(count); string(b) != "x\n" {
		t.Fatalf("setup ran %d times, want once", strings.Count(string(b), "x"))
	}
	e.writeConfig(base + `setup = ["echo x >> count", "echo failing; exit 3"]` + "\n")
	r = e.run("run", "--", "echo", "SHOULD-NOT-RUN")
	if r.code != 125 || strings.Contains(r.stdout, "SHOULD-NOT-RUN") ||
		!strings.Contains(r.stderr, "setup step 2/2 failed with exit status 3: echo failing; exit 3") ||
		!strings.Contains(r.stderr, "last lines of its output:\n  failing") {
		t.Fatalf("failing step: want exit 125, the step, its status and output tail:\n%s", r)
	}
	e.writeConfig(base + `setup = ["echo x >> count", "echo fixed"]` + "\n")
	r = e.run("run", "--", "echo", "ran")
	if r.code != 0 || r.stdout != "ran\n" || !strings.Contains(r.stderr, "fixed") {
		t.Fatalf("retry after failure:\n%s", r)
	}
	if b, _ := os.ReadFile(count); string(b) != "x\nx\nx\n" {
		t.Errorf("count = %q: want setup once, then once per change or retry", b)
	}
}

func TestConfig_ChangeDetectedAndRestartApplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("network = \"none\"\nidle_timeout = \"5m\"\nhostname = \"one\"\n")
	if out := e.must("run", "--", "hostname"); out != "one\n" {
		t.Fatalf("hostname = %q", out)
	}
	e.writeConfig("network = \"none\"\nidle_timeout = \"5m\"\nhostname = \"two\"\n")
	r := e.run("run", "--", "hostname")
	if r.code != 125 || !strings.Contains(r.stderr, "changed: hostname") || !strings.Contains(r.stderr, "devbox restart") {
		t.Fatalf("changed config: want exit 125 naming the key and 'devbox restart':\n%s", r)
	}
	e.must("restart", "--time", "1s")
	if out := e.must("run", "--", "hostname"); out != "two\n" {
		t.Errorf("after restart hostname = %q, want two", out)
	}
}

func TestShellPrompt_ShowsSandboxName(t *testing.T) {
	for _, shell := range []string{"/bin/sh", "/bin/bash"} {
		t.Run(filepath.Base(shell), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.writeConfig("network = \"none\"\nshell = \"" + shell + "\"\n")
			tm := newTmux(t, e, 120, 30, "enter")
			scr := tm.waitFor(`\(devbox:[a-z0-9-]+\) `, 15*time.Second)
			if !strings.Contains(scr, "devbox: in sandbox ") {
				t.Errorf("no welcome line:\n%s", scr)
			}
			tm.roundTrip("prompt")
			tm.send("exit", true)
			tm.waitFor(`(?m)(Pane is dead|^devbox-exit=0\s*$)`, 10*time.Second)
		})
	}
}

func TestSSHAgentForwarding(t *testing.T) {
	t.Parallel()
	agent := testutil.RequireBinary(t, "ssh-agent")
	keygen := testutil.RequireBinary(t, "ssh-keygen")
	add := testutil.RequireBinary(t, "ssh-add")
	e := newEnv(t)
	dir, err := os.MkdirTemp("", "dbxssh")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "agent.sock")
	a := exec.Command(agent, "-D", "-a", sock)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { a.Process.Kill(); a.Wait() }()
	key := filepath.Join(dir, "id")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "devbox-test-key", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	for i := 0; ; i++ {
		c := exec.Command(add, key)
		c.Env = []string{"SSH_AUTH_SOCK=" + sock}
		if out, err := c.CombinedOutput(); err == nil {
			break
		} else if i > 50 {
			t.Fatalf("ssh-add: %v\n%s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.extra = append(e.extra, "SSH_AUTH_SOCK="+sock)
	e.writeTrusted("network = \"none\"\nforward_ssh_agent = true\n")
	out := e.sh(`echo "$SSH_AUTH_SOCK"; ssh-add -l`)
	if !regexp.MustCompile(`^/run/devbox/ssh-agent.sock\n256 SHA256:\S+ devbox-test-key \(ED25519\)\n$`).MatchString(out) {
		t.Errorf("ssh-add -l inside: got %q", out)
	}
}

func TestInit_WritesAndRefusesOverwrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	os.WriteFile(filepath.Join(e.project, "go.mod"), []byte("module x\n"), 0o644)
	e.must("init")
	b, _ := os.ReadFile(filepath.Join(e.project, "devbox.toml"))
	if !strings.Contains(string(b), `# image = "docker.io/library/golang:1"   # suggested by go.mod`) {
		t.Errorf("init output lacks the image suggestion:\n%s", b)
	}
	if r := e.run("init"); r.code != 125 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("second init: want exit 125 mentioning --force:\n%s", r)
	}
	e.must("init", "--force")
	e.must("run", "--network", "none", "--", "true")
}

// devbox init in a subdirectory of a git work tree writes at the work-tree
// root, where devbox looks for it; --here writes in the subdirectory.
func TestInit_SubdirectoryWritesAtGitRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := filepath.Join(e.project, "src", "pkg")
	for _, d := range []string{filepath.Join(e.project, ".git"), sub} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.runIn(sub, "init"); r.code != 0 || !strings.Contains(r.stderr, "wrote "+filepath.Join(e.project, "devbox.toml")) {
		t.Errorf("init in a subdirectory: want it written at the work-tree root:\n%s", r)
	}
	b, err := os.ReadFile(filepath.Join(e.project, "devbox.toml"))
	if err != nil || !strings.Contains(string(b), "devbox help config") {
		t.Errorf("devbox.toml at the root: %v, want it to point at 'devbox help config':\n%s", err, b)
	}
	if r := e.runIn(sub, "init", "--here"); r.code != 0 {
		t.Errorf("init --here: %s", r)
	}
	if _, err := os.Stat(filepath.Join(sub, "devbox.toml")); err != nil {
		t.Errorf("init --here wrote nothing in the subdirectory: %v", err)
	}
}

// devbox restart NAME works from anywhere, by name or project basename:
// the sandbox starts again in its own project, from that project's config.
func TestConfig_RestartByName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("network = \"none\"\nidle_timeout = \"5m\"\nhostname = \"one\"\n")
	e.must("run", "--", "true")
	name := e.only().Name
	e.writeConfig("network = \"none\"\nidle_timeout = \"5m\"\nhostname = \"two\"\n")
	elsewhere := func(args ...string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := e.command(ctx, args...)
		cmd.Dir = t.TempDir()
		return collect(t, ctx, cmd, "devbox "+strings.Join(args, " "))
	}
	if r := elsewhere("restart", "--time", "1s", filepath.Base(e.project)); r.code != 0 || r.stdout != name+"\n" {
		t.Fatalf("restart by project basename from another dir: want %s restarted:\n%s", name, r)
	}
	if out := e.must("run", "--", "hostname"); out != "two\n" {
		t.Errorf("after restart by name, hostname = %q, want two (the project's new config)", out)
	}
	if r := elsewhere("restart", "--time", "1s", name[:len(name)-2]); r.code != 0 || r.stdout != name+"\n" {
		t.Errorf("restart by unique prefix: %s", r)
	}
	if r := elsewhere("restart", "--name", "x", name); r.code != 125 || !strings.Contains(r.stderr, "not both") {
		t.Errorf("restart NAME --name: want a usage error, got %s", r)
	}
	if r := elsewhere("restart", "no-such-box"); r.code != 125 || !strings.Contains(r.stderr, "devbox ps -a") {
		t.Errorf("restart of an unknown name: want 125 pointing at devbox ps -a, got %s", r)
	}
}

// TestConfig_DefaultNetworkJoinCheck: a join leaves the default network
// unresolved (only a start picks it), and the join check still gives the
// same answers: a devbox.toml that now names another network, or drops the
// one it named, is refused with the values a start would use; a flag that
// names the running network joins.
func TestConfig_DefaultNetworkJoinCheck(t *testing.T) {
	t.Parallel()
	def, err := slirpnet.DefaultUsable()
	if err != nil {
		testutil.Skip(t, "needs a usable user-mode network (slirp4netns or pasta, and /dev/net/tun): %v", err)
	}
	e := newEnv(t)
	base := "idle_timeout = \"5m\"\n"
	e.writeConfig(base)
	e.must("run", "--", "true")
	name := e.only().Name
	if got := e.readState(name).Network; got != def.Name() {
		t.Fatalf("started with network %q, want the default %q", got, def.Name())
	}
	e.must("run", "--", "true")
	e.must("run", "--network", def.Name(), "--", "true")
	e.writeConfig(base + "network = \"none\"\n")
	r := e.run("run", "--", "true")
	if want := fmt.Sprintf("network: %q -> %q", def.Name(), "none"); r.code != 125 || !strings.Contains(r.stderr, "changed: network") || !strings.Contains(r.stderr, want) {
		t.Fatalf("devbox.toml naming another network: want exit 125 and %s:\n%s", want, r)
	}
	// Back to the default: wider than "none", which the refused join
	// recorded as the project's last config, so it needs approval.
	e.writeTrusted(base)
	e.must("run", "--", "true")

	e.must("stop")
	e.writeConfig(base + "network = \"none\"\n")
	e.must("run", "--", "true")
	e.writeTrusted(base)
	r = e.run("run", "--", "true")
	if want := fmt.Sprintf("network: %q -> %q", "none", def.Name()); r.code != 125 || !strings.Contains(r.stderr, "changed: network") || !strings.Contains(r.stderr, want) {
		t.Fatalf("devbox.toml dropping its network: want exit 125 and %s:\n%s", want, r)
	}
}
