package storage

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// authHome gives the test a private HOME, XDG_RUNTIME_DIR and no other
// credential variables; it returns the four Podman-order paths.
func authHome(t *testing.T) (runtime, config, docker string, home string) {
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("REGISTRY_AUTH_FILE", "")
	return filepath.Join(home, "run", "containers", "auth.json"),
		filepath.Join(home, ".config", "containers", "auth.json"),
		filepath.Join(home, ".docker", "config.json"), home
}

func writeAuth(t *testing.T, path, key, user string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":pw"))
	writeFile(t, path, fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, key, auth))
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// resolveUser resolves ref's repository and returns the user name and the
// file it came from ("" for anonymous).
func resolveUser(t *testing.T, ref string) (string, string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	k := &keychain{}
	a, err := k.Resolve(r.Context())
	if err != nil {
		t.Fatalf("resolve %s: %v", ref, err)
	}
	if a == authn.Anonymous {
		return "", k.usedFile()
	}
	c, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return c.Username, k.usedFile()
}

func TestKeychain_PodmanOrder(t *testing.T) {
	runtime, config, docker, home := authHome(t)
	const reg = "reg.example:5000"
	ref := reg + "/team/app:1"
	if u, f := resolveUser(t, ref); u != "" || f != "" {
		t.Fatalf("no files: got %q from %q, want anonymous", u, f)
	}
	writeAuth(t, docker, reg, "docker")
	if u, f := resolveUser(t, ref); u != "docker" || f != docker {
		t.Errorf("docker config only: got %q from %q", u, f)
	}
	writeAuth(t, config, reg, "config")
	if u, _ := resolveUser(t, ref); u != "config" {
		t.Errorf("~/.config/containers/auth.json before ~/.docker: got %q", u)
	}
	writeAuth(t, runtime, reg, "runtime")
	if u, f := resolveUser(t, ref); u != "runtime" || f != runtime {
		t.Errorf("$XDG_RUNTIME_DIR/containers/auth.json first: got %q from %q", u, f)
	}
	// A file without an entry for this registry passes to the next.
	writeAuth(t, runtime, "other.example", "other")
	if u, _ := resolveUser(t, ref); u != "config" {
		t.Errorf("runtime file without the registry: got %q, want config", u)
	}
	// REGISTRY_AUTH_FILE is the only file when set, as in Podman.
	only := filepath.Join(home, "only.json")
	t.Setenv("REGISTRY_AUTH_FILE", only)
	if u, f := resolveUser(t, ref); u != "" || f != "" {
		t.Errorf("REGISTRY_AUTH_FILE without the registry: got %q from %q, want anonymous", u, f)
	}
	writeAuth(t, only, reg, "only")
	if u, _ := resolveUser(t, ref); u != "only" {
		t.Errorf("REGISTRY_AUTH_FILE: got %q", u)
	}
	t.Setenv("REGISTRY_AUTH_FILE", "")
	// DOCKER_CONFIG replaces ~/.docker; XDG_CONFIG_HOME replaces ~/.config.
	os.Remove(runtime)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, "dc"))
	writeAuth(t, filepath.Join(home, "dc", "config.json"), reg, "dockerconfig")
	if u, _ := resolveUser(t, ref); u != "dockerconfig" {
		t.Errorf("DOCKER_CONFIG: got %q", u)
	}
	writeAuth(t, filepath.Join(home, "xdg", "containers", "auth.json"), reg, "xdgconfig")
	if u, _ := resolveUser(t, ref); u != "xdgconfig" {
		t.Errorf("XDG_CONFIG_HOME: got %q", u)
	}
}

func TestKeychain_Keys(t *testing.T) {
	runtime, _, docker, _ := authHome(t)
	// Docker writes Docker Hub as a URL; Podman writes docker.io.
	writeAuth(t, docker, "https://index.docker.io/v1/", "hub")
	if u, _ := resolveUser(t, "debian:12"); u != "hub" {
		t.Errorf("Docker Hub URL key: got %q", u)
	}
	// The most specific key of a file wins.
	auth := func(u string) string { return base64.StdEncoding.EncodeToString([]byte(u + ":pw")) }
	writeFile(t, runtime, fmt.Sprintf(`{"auths":{"docker.io":{"auth":%q},"docker.io/team":{"auth":%q},"https://r.example/v2/":{"auth":%q}}}`, auth("reg"), auth("team"), auth("url")))
	for ref, want := range map[string]string{
		"team/app":                 "team",
		"docker.io/team/sub/app":   "team",
		"docker.io/other/app":      "reg",
		"debian":                   "reg",
		"r.example/x/y:1":          "url",
		"unknown.example/x/y:1":    "",
		"r.example.evil.com/x/y:1": "",
	} {
		if u, _ := resolveUser(t, ref); u != want {
			t.Errorf("%s: got user %q, want %q", ref, u, want)
		}
	}
}

func TestKeychain_BadFiles(t *testing.T) {
	runtime, _, docker, _ := authHome(t)
	r, _ := name.ParseReference("reg.example/x:1")
	writeFile(t, runtime, `{"auths": {`)
	writeAuth(t, docker, "reg.example", "docker")
	// A broken file does not hide credentials in a later one.
	if u, _ := resolveUser(t, "reg.example/x:1"); u != "docker" {
		t.Errorf("broken first file: got %q, want docker's", u)
	}
	os.Remove(docker)
	if _, err := (&keychain{}).Resolve(r.Context()); err == nil || !strings.Contains(err.Error(), runtime) {
		t.Errorf("broken file and no credentials: want an error naming %s, got %v", runtime, err)
	}
	writeFile(t, runtime, `{"auths": {"reg.example": {"auth": "bm9jb2xvbg=="}}}`) // "nocolon"
	if _, err := (&keychain{}).Resolve(r.Context()); err == nil || !strings.Contains(err.Error(), "user:password") {
		t.Errorf("auth without a colon: want an error, got %v", err)
	}
}

func TestKeychain_CredHelper(t *testing.T) {
	runtime, _, _, home := authHome(t)
	bin := filepath.Join(home, "bin")
	// docker-credential-NAME get reads the server on stdin.
	writeFile(t, filepath.Join(bin, "docker-credential-fake"), `#!/bin/sh
read server
case "$server" in
reg.example) echo '{"ServerURL":"reg.example","Username":"helper","Secret":"s"}' ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
`)
	os.Chmod(filepath.Join(bin, "docker-credential-fake"), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	writeFile(t, runtime, `{"credHelpers": {"reg.example": "fake", "none.example": "fake"}}`)
	if u, f := resolveUser(t, "reg.example/x:1"); u != "helper" || f != runtime {
		t.Errorf("credHelpers: got %q from %q", u, f)
	}
	if u, _ := resolveUser(t, "none.example/x:1"); u != "" {
		t.Errorf("helper without credentials: got %q, want anonymous", u)
	}
}

func TestAuthError(t *testing.T) {
	runtime, _, docker, _ := authHome(t)
	ref, _ := ParseRef("127.0.0.1:5000/team/app:1")
	err := authError(ref, "")
	for _, want := range []string{"127.0.0.1:5000 requires authentication", runtime, docker} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no credentials: %q lacks %q", err, want)
		}
	}
	err = authError(ref, docker)
	if !strings.Contains(err.Error(), "refused the credentials from "+docker) {
		t.Errorf("refused: %q", err)
	}
}
