package storage

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func writeAuth(t *testing.T, path, host, user string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":pw"))
	if err := os.WriteFile(path, []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, cred)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func userFor(t *testing.T, registry string) string {
	t.Helper()
	reg, err := name.NewRegistry(registry)
	if err != nil {
		t.Fatal(err)
	}
	a, err := keychain{authFiles()}.Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	if a == authn.Anonymous {
		return "anonymous"
	}
	cfg, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Username
}

// The first file with an entry for the registry wins, in Podman's order;
// a file without one does not hide the next.
func TestKeychainPodmanOrder(t *testing.T) {
	dir := t.TempDir()
	home, rt, cfg := filepath.Join(dir, "home"), filepath.Join(dir, "rt"), filepath.Join(dir, "cfg")
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("REGISTRY_AUTH_FILE", "")
	if got := userFor(t, "reg.example"); got != "anonymous" {
		t.Errorf("no files: %s", got)
	}
	writeAuth(t, filepath.Join(home, ".docker", "config.json"), "other.example", "docker-other")
	writeAuth(t, filepath.Join(cfg, "containers", "auth.json"), "reg.example", "config-auth")
	if got := userFor(t, "reg.example"); got != "config-auth" {
		t.Errorf("docker config without the registry must not hide auth.json: got %s", got)
	}
	writeAuth(t, filepath.Join(rt, "containers", "auth.json"), "reg.example", "runtime-auth")
	if got := userFor(t, "reg.example"); got != "runtime-auth" {
		t.Errorf("runtime auth.json first: got %s", got)
	}
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "explicit.json"))
	writeAuth(t, filepath.Join(dir, "explicit.json"), "reg.example", "explicit")
	if got := userFor(t, "reg.example"); got != "explicit" {
		t.Errorf("REGISTRY_AUTH_FILE first: got %s", got)
	}
	if got := userFor(t, "other.example"); got != "docker-other" {
		t.Errorf("docker config last: got %s", got)
	}
	writeAuth(t, filepath.Join(home, ".docker", "config.json"), "https://index.docker.io/v1/", "hub")
	if got := userFor(t, "docker.io"); got != "hub" {
		t.Errorf("Docker Hub key: got %s", got)
	}
}
