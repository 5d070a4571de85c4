//go:build integration

package integration

// The escape suite's part for issue 10 §1 and §5: code in a sandbox cannot
// rewrite the rules it runs under (the config files are read-only inside,
// and a wider devbox.toml needs 'devbox trust'), devbox.toml is bounded
// before it is parsed, and a dead network helper is noticed.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devbox-dev/devbox/internal/testutil"
)

// TestEscape_ConfigFilesReadOnlyInside: devbox.toml, devbox.lock and
// .devcontainer/ cannot be written, replaced or removed from inside, while
// the rest of the project stays writable.
func TestEscape_ConfigFilesReadOnlyInside(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig("network = \"none\"\n")
	files := map[string]string{
		"devbox.toml":                     "network = \"none\"\n",
		"devbox.lock":                     "{\"images\": {}}\n",
		".devcontainer/devcontainer.json": "{\"image\": \"debian:12\"}\n",
	}
	for name, text := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(e.project, name)), 0o755)
		if err := os.WriteFile(filepath.Join(e.project, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := e.sh(`
try() { if sh -c "$1" 2>/dev/null; then echo "WROTE: $1"; fi; }
try 'echo home = \"host\" >> devbox.toml'
try 'printf x > devbox.toml'
try 'rm -f devbox.toml'
try 'mv devbox.toml old.toml'
try 'ln -sf /etc/passwd devbox.toml'
try 'echo x > devbox.lock'
try 'rm -f devbox.lock'
try 'echo x >> .devcontainer/devcontainer.json'
try 'touch .devcontainer/new.json'
try 'rm -rf .devcontainer'
try 'mv .devcontainer dc'
touch ordinary && echo project-writable`)
	if out != "project-writable\n" {
		t.Errorf("writes from inside (want only project-writable):\n%s", out)
	}
	for name, text := range files {
		b, err := os.ReadFile(filepath.Join(e.project, name))
		if err != nil || string(b) != text {
			t.Errorf("%s on the host after the sandbox ran: %q, %v", name, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(e.project, ".devcontainer", "new.json")); err == nil {
		t.Error(".devcontainer/new.json was created from inside")
	}
}

// TestEscape_WidenedConfigNeedsTrust: a devbox.toml that code inside writes
// (there was none, so nothing covered it) is refused at the next start with
// exit 125 and the list of widening changes; 'devbox trust' approves it;
// narrowing needs nothing; widening back is refused again.
func TestEscape_WidenedConfigNeedsTrust(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	secret := t.TempDir()
	os.WriteFile(filepath.Join(secret, "key"), []byte("host-secret\n"), 0o600)
	wide := "network = \"none\"\nhome = \"ro\"\n[[mounts]]\nsource = \"" + secret + "\"\ntarget = \"/host\"\n"
	e.must("run", "--network", "none", "--", "sh", "-c", "cat > devbox.toml <<'EOF'\n"+wide+"EOF")
	e.must("stop")

	r := e.run("run", "--", "cat", "/host/key")
	if r.code != 125 {
		t.Fatalf("start with a devbox.toml written inside: want exit 125, got %s", r)
	}
	for _, want := range []string{"asks for more access to this machine than approved for " + e.project,
		"mounts: " + secret + " -> /host (read-write, new)", `home: "private" -> "ro"`, "devbox trust"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("refusal does not say %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "host-secret") {
		t.Fatal("the sandbox ran with the widened config")
	}
	show := e.must("trust", "--show")
	if !strings.Contains(show, "pending (devbox.toml asks for more") || !strings.Contains(show, "mounts: "+secret) {
		t.Errorf("devbox trust --show:\n%s", show)
	}

	approved := e.must("trust")
	if !strings.Contains(approved, "approved for "+e.project) || !strings.Contains(approved, `home: "private" -> "ro"`) {
		t.Errorf("devbox trust output:\n%s", approved)
	}
	if out := e.must("run", "--", "cat", "/host/key"); out != "host-secret\n" {
		t.Errorf("after devbox trust: %q", out)
	}
	if show := e.must("trust", "--show"); !strings.Contains(show, "pending: none") || !strings.Contains(show, "(devbox trust)") {
		t.Errorf("devbox trust --show after approval:\n%s", show)
	}
	e.must("stop")

	// Narrowing: the mount goes, and read-write home becomes private.
	e.writeConfig("network = \"none\"\n")
	if out := e.must("run", "--", "sh", "-c", "test -e /host/key || echo narrowed"); out != "narrowed\n" {
		t.Errorf("narrowed config: %q", out)
	}
	e.must("stop")
	// The narrower file is now the record: widening back is refused again.
	e.writeConfig(wide)
	if r := e.run("run", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "mounts: "+secret) {
		t.Errorf("widening back after narrowing: want exit 125 naming the mount, got %s", r)
	}
}

// TestEscape_ClonedProjectWiderThanDefaults: the first run of a project
// whose devbox.toml asks for more than the defaults is refused, each
// widening key named; flags typed by the user are not the file's word.
func TestEscape_ClonedProjectWiderThanDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeConfig(`network = "host"
gui = true
forward_ssh_agent = true
allow_host_loopback = true
security = "unconfined"
[env]
LD_PRELOAD = "/tmp/x.so"
NODE_OPTIONS = "--require /tmp/x.js"
GOFLAGS = "-mod=mod"
`)
	r := e.run("run", "--", "true")
	if r.code != 125 {
		t.Fatalf("first run of a wide devbox.toml: want exit 125, got %s", r)
	}
	for _, key := range []string{"network:", "gui:", "forward_ssh_agent:", "allow_host_loopback:", "security:", "env.LD_PRELOAD:", "env.NODE_OPTIONS:"} {
		if !strings.Contains(r.stderr, "\n  "+key) {
			t.Errorf("refusal does not name %s:\n%s", key, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "GOFLAGS") {
		t.Errorf("refusal names an ordinary variable:\n%s", r.stderr)
	}
	e.writeConfig("ports = [\"127.0.0.1:18080:80\", \"0.0.0.0:18081:81\"]\n")
	if r := e.run("run", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "\n  ports: \"0.0.0.0:18081:81\" listens on 0.0.0.0") || strings.Contains(r.stderr, "18080") {
		t.Errorf("a port on all addresses: want exit 125 naming only it, got %s", r)
	}
	// A narrow file with a wide flag: the flag is the user's own.
	e.writeConfig("network = \"none\"\n")
	e.must("run", "--rm", "--network", "host", "--", "true")
}

// TestEscape_ConfigBoundedBeforeParsing: an oversized, deeply nested or
// non-regular devbox.toml is refused with exit 125 and a clear message
// before the TOML library sees it (a 48 KB file of nested inline tables
// once ran devbox out of memory; a named pipe would block it).
func TestEscape_ConfigBoundedBeforeParsing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, text, want string
	}{
		{"oversized", "network = \"none\"\n# " + strings.Repeat("x", 2<<20) + "\n", "over the limit of 1 MiB"},
		{"nested inline tables", "x = " + strings.Repeat("{a = ", 12000) + "1" + strings.Repeat("}", 12000) + "\n", "devbox.toml:1:1: nested deeper than 8 levels"},
		{"dotted key", "network = \"none\"\n" + strings.Repeat("a.", 30000) + "a = 1\n", "devbox.toml:2:1: nested deeper than 8 levels"},
	}
	for _, c := range cases {
		e.writeConfig(c.text)
		r := e.run("run", "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s devbox.toml: want exit 125 and %q, got %s", c.name, c.want, r)
		}
	}
	os.Remove(filepath.Join(e.project, "devbox.toml"))
	if err := syscall.Mkfifo(filepath.Join(e.project, "devbox.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := e.run("run", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "not a regular file (a named pipe)") {
		t.Errorf("named pipe devbox.toml: want exit 125 and 'not a regular file', got %s", r)
	}
}

// TestEscape_DeadNetworkHelper: when slirp4netns or pasta dies, the
// supervisor notices: it restarts the helper (the network works again) up
// to three times, then marks the network down, which 'devbox ps' shows and
// a joining command is told with the fix, 'devbox restart'.
func TestEscape_DeadNetworkHelper(t *testing.T) {
	testutil.RequireBinary(t, "python3")
	port := hostServer(t)
	fetch := fmt.Sprintf(`python3 -c 'import urllib.request
try: print(urllib.request.urlopen("http://host.devbox.internal:%d/", timeout=5).read().decode())
except Exception as e: print("unreachable", e)'`, port)
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			requireDriver(t, d)
			e := newEnv(t)
			if out := e.must("run", "--network", d, "--allow-host-loopback", "--", "sh", "-c", fetch); !strings.Contains(out, "host-secret") {
				t.Fatalf("network before the helper died: %q", out)
			}
			name := e.only().Name
			for i := 1; i <= 4; i++ {
				st := e.readState(name)
				if len(st.Helpers) == 0 {
					t.Fatalf("state.json names no helper before kill %d: %+v", i, st)
				}
				for _, pid := range st.Helpers {
					syscall.Kill(pid, syscall.SIGKILL)
				}
				eventually(t, 30*time.Second, func() string {
					st := e.readState(name)
					if i <= 3 && st.NetworkRestarts == i && len(st.Helpers) > 0 {
						return ""
					}
					if i == 4 && st.NetworkDown != "" {
						return ""
					}
					return fmt.Sprintf("after kill %d: state %+v", i, st)
				})
				if i == 1 {
					if out := e.must("run", "--", "sh", "-c", fetch); !strings.Contains(out, "host-secret") {
						t.Errorf("network after the helper was restarted: %q", out)
					}
				}
			}
			var list []struct {
				Name        string `json:"name"`
				NetworkDown string `json:"network_down"`
			}
			if err := json.Unmarshal([]byte(e.must("ps", "--json")), &list); err != nil || len(list) != 1 || !strings.Contains(list[0].NetworkDown, d) {
				t.Errorf("devbox ps --json after the helper stayed dead: %+v %v", list, err)
			}
			if r := e.run("ps"); !strings.Contains(r.stdout, d+" (down)") || !strings.Contains(r.stderr, "devbox restart") {
				t.Errorf("devbox ps after the helper stayed dead: %s", r)
			}
			r := e.run("run", "--", "true")
			if r.code != 0 || !strings.Contains(r.stderr, "has no network") || !strings.Contains(r.stderr, "devbox restart") {
				t.Errorf("join with the network down: want a warning naming 'devbox restart', got %s", r)
			}
			e.must("restart", "--network", d, "--allow-host-loopback")
			if out := e.must("run", "--", "sh", "-c", fetch); !strings.Contains(out, "host-secret") {
				t.Errorf("network after devbox restart: %q", out)
			}
		})
	}
}
